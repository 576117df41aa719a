"""``{% board_cards col %}``: the cards of one board column, written here rather than one
template include per card. A board shows up to 20 cards in each of its columns; Django's
template engine took most of the page's time to render them (``kehu bench sales``), a
few format strings take a fraction of it. The markup is the one the board's script,
styles and tests know: change it together with ``sales/board.js`` and ``board.css``."""

from __future__ import annotations

from html import escape as _esc

from django import template
from django.middleware.csrf import get_token
from django.utils.formats import localize
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()

_CARD = ('<article class="opp-card" tabindex="0" data-testid="opp-card" data-opp="{pk}"{draggable} '
         'aria-label="{name} · {customer}">\n'
         '  <a href="{detail}" class="opp-card-name">{name}</a>\n'
         '  <div class="muted">{customer}</div>\n'
         '  <div class="opp-card-figures"><span>{amount}</span> '
         '<span class="muted">{probability}%</span>{close}</div>\n'
         '{owner}{form}</article>\n')
_FORM = ('  <form method="post" action="{move}" class="opp-card-move" data-testid="opp-card-move"\n'
         '        hx-post="{move}" hx-target="#board" hx-select="#board" hx-swap="outerHTML">'
         '<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">\n'
         '    <input type="hidden" name="version" value="{version}">\n'
         '    <input type="hidden" name="next" value="{next}">\n'
         '    <label class="sr-only" for="move-{pk}">{label}</label>\n'
         '    <select id="move-{pk}" name="stage" data-testid="opp-card-stage">{options}</select>\n'
         '    <button type="submit" class="small secondary" data-testid="opp-card-submit">{button}</button>\n'
         '  </form>\n')


@register.simple_tag(takes_context=True)
def board_cards(context, col) -> str:
    """The cards of ``col`` (prepared by the view: ``may_move``, ``detail_url``,
    ``move_url``, ``stage_options`` — already safe HTML), each with its move form when the
    viewer may move it. Every value that is not known-safe HTML is escaped with
    ``html.escape`` (what Django's ``escape`` does, without its lazy-string wrapping)."""
    request = context["request"]
    csrf = _esc(get_token(request))
    label, button = _esc(gettext("Move to stage")), _esc(gettext("Move"))
    board_next = _esc(context.get("board_next", ""))
    out = []
    for card in col["cards"]:
        form = ""
        if card.may_move:
            form = _FORM.format(move=_esc(card.move_url), csrf=csrf, version=card.version, next=board_next,
                                pk=card.pk, label=label, options=card.stage_options, button=button)
        close = f' <span class="muted">{card.expected_close.isoformat()}</span>' if card.expected_close else ""
        owner = f'  <div class="muted small">{_esc(card.owner_label)}</div>\n' if card.owner_id else ""
        out.append(_CARD.format(pk=card.pk, draggable=' draggable="true"' if card.may_move else "",
                                name=_esc(card.name), customer=_esc(card.customer_name),
                                detail=_esc(card.detail_url), amount=_esc(localize(card.amount)),
                                probability=_esc(localize(card.probability)), close=close, owner=owner, form=form))
    return mark_safe("".join(out))


def _cell(key: str, o) -> str:
    if key == "name":
        return f'<td><a href="{_esc(o.detail_url)}">{_esc(o.name)}</a></td>'
    if key == "customer":
        return f'<td><a href="{_esc(o.customer_url)}">{_esc(o.customer.name)}</a></td>'
    if key == "stage":
        badge = {"won": " ok", "lost": " bad"}.get(o.stage.outcome, "")
        return f'<td><span class="badge{badge}">{_esc(o.stage.name)}</span></td>'
    if key == "amount":
        return f'<td class="num">{_esc(localize(o.amount))}</td>'
    if key == "probability":
        return f'<td class="num hide-sm">{_esc(localize(o.probability))}%</td>'
    if key == "close":
        return f'<td class="nowrap">{o.expected_close.isoformat() if o.expected_close else "—"}</td>'
    if key == "owner":
        return f'<td class="hide-sm">{_esc(str(o.owner)) if o.owner_id else "—"}</td>'
    return ""


@register.simple_tag
def opportunity_rows(items, columns, bulk_actions) -> str:
    """The rows of the opportunity list (the columns the user shows, in their order, with
    the row's tick box when bulk actions are offered), written here rather than by a
    column loop of the template for each of up to 100 rows (``kehu bench sales``). The
    view gives each row its ``detail_url`` and ``customer_url``."""
    select = ""
    if bulk_actions:
        select = ('<td class="select"><input type="checkbox" name="ids" value="{pk}" form="bulk-form" '
                  f'aria-label="{_esc(gettext("Select this row"))}" data-testid="row-select"></td>')
    keys = [c["key"] for c in columns]
    return mark_safe("".join(
        "<tr>" + select.format(pk=o.pk) + "".join(_cell(k, o) for k in keys) + "</tr>\n" for o in items))
