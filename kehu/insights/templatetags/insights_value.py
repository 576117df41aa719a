"""Template tags of Customer value: fractions as percentages, the customer's
scores on the 360 page and the call list on the dashboard."""

from __future__ import annotations

from django import template
from django.utils import timezone

from kehu.web.templatetags.kehu_web import percent

register = template.Library()

CALL_CARD_SIZE = 8


@register.filter
def percent_of(fraction, places=1):
    """``0.684`` → ``68.4%`` (a fraction shown as a percentage)."""
    if fraction is None or fraction == "":
        return "—"
    try:
        return percent(float(fraction) * 100, places)
    except (TypeError, ValueError):
        return "—"


@register.inclusion_tag("insights/_customer_scores.html", takes_context=True)
def customer_value_panel(context, customer):
    """The customer's latest scores with their explanation, and the earlier ones."""
    from kehu.insights.explain import churn_reasons, explain_score
    from kehu.insights.selectors import churn_threshold, customer_scores

    request = context.get("request")
    user = getattr(request, "user", None)
    history = list(customer_scores(viewer=user, customer_id=customer.pk)[:6]) if user else []
    latest = history[0] if history else None
    out = {"customer": customer, "latest": latest, "history": history, "request": request}
    if latest is not None:
        today = timezone.localdate()
        out.update({"sentences": explain_score(latest, latest.run, today), "reasons": churn_reasons(latest),
                    "flagged": latest.churn_risk is not None and latest.churn_risk >= churn_threshold(latest.run)})
    return out


@register.inclusion_tag("insights/_call_card.html", takes_context=True)
def call_list_card(context):
    """The dashboard card: the viewer's own customers to call this week."""
    from kehu.insights.explain import call_reason
    from kehu.insights.selectors import call_list, latest_run
    from kehu.pagination import tiered_keyset_page

    request = context.get("request")
    user = getattr(request, "user", None)
    run = latest_run()
    today = timezone.localdate()
    rows, more = [], False
    if run is not None and user is not None:
        qs, tiers = call_list(viewer=user, run=run, today=today)
        page = tiered_keyset_page(qs, tiers=tiers, cursor=None, page_size=CALL_CARD_SIZE)
        rows = [{"score": s, "reason": call_reason(s, run, today)} for s in page.items]
        more = page.has_next
    return {"run": run, "rows": rows, "more": more, "request": request}


@register.simple_tag
def setting_errors(errors, *parts):
    """The messages for the setting at the dotted path made of ``parts``, and
    for the settings under it, as an error list (empty when there are none)."""
    from django.utils.html import format_html, format_html_join

    path = ".".join(str(p) for p in parts)
    messages = [m for key, ms in (errors or {}).items() if key == path or key.startswith(path + ".") for m in ms]
    if not messages:
        return ""
    return format_html('<ul class="errorlist">{}</ul>', format_html_join("", "<li>{}</li>", ((m,) for m in messages)))


@register.filter
def get_item(mapping, key):
    try:
        return mapping.get(key)
    except AttributeError:
        return None
