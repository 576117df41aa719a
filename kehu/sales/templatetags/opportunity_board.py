"""``{% board_cards col %}``: the cards of one board column, written here rather than one
template include per card. A board shows up to 20 cards in each of its columns; Django's
template engine took most of the page's time to render them (``kehu bench sales``), a
few format strings take a fraction of it. The markup is the one the board's script,
styles and tests know: change it together with ``sales/board.js`` and ``board.css``."""

from __future__ import annotations

from django import template
from django.middleware.csrf import get_token
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

_CARD = ('<article class="opp-card" tabindex="0" data-testid="opp-card" data-opp="{pk}"{draggable} '
         'aria-label="{name} · {customer}">\n'
         '  <a href="{detail}" class="opp-card-name">{name}</a>\n'
         '  <div class="muted">{customer}</div>\n'
         '  <div class="opp-card-figures"><span>{amount}</span> <span class="muted">{probability}%</span>{close}</div>\n'
         '{owner}{form}</article>\n')
_FORM = ('  <form method="post" action="{move}" class="opp-card-move" data-testid="opp-card-move"\n'
         '        hx-post="{move}" hx-target="#board" hx-select="#board" hx-swap="outerHTML">{csrf}\n'
         '    <input type="hidden" name="version" value="{version}">\n'
         '    <input type="hidden" name="next" value="{next}">\n'
         '    <label class="sr-only" for="move-{pk}">{label}</label>\n'
         '    <select id="move-{pk}" name="stage" data-testid="opp-card-stage">{options}</select>\n'
         '    <button type="submit" class="small secondary" data-testid="opp-card-submit">{button}</button>\n'
         '  </form>\n')


@register.simple_tag(takes_context=True)
def board_cards(context, col) -> str:
    """The cards of ``col`` (prepared by the view: ``may_move``, ``detail_url``,
    ``move_url``, ``stage_options``), each with its move form when the viewer may move it."""
    request = context["request"]
    csrf = format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))
    label, button = gettext("Move to stage"), gettext("Move")
    board_next = context.get("board_next", "")

    def card_parts(card):
        form = ""
        if card.may_move:
            form = format_html(_FORM, move=card.move_url, csrf=csrf, version=card.version, next=board_next,
                               pk=card.pk, label=label, options=card.stage_options, button=button)
        close = (format_html(' <span class="muted">{}</span>', card.expected_close.isoformat())
                 if card.expected_close else "")
        owner = format_html('  <div class="muted small">{}</div>\n', str(card.owner)) if card.owner_id else ""
        return {"pk": card.pk, "draggable": mark_safe(' draggable="true"') if card.may_move else "",
                "name": card.name, "customer": card.customer.name, "detail": card.detail_url,
                "amount": localize(card.amount), "probability": localize(card.probability), "close": close,
                "owner": owner, "form": form}

    return format_html_join("", _CARD, (card_parts(card) for card in col["cards"]))
