"""``{% customer_campaigns customer %}``: the customer's latest campaigns on the 360 page (one
query); ``|share`` writes a fraction (0.125) as a percentage (12.5%)."""

import math

from django import template

from kehu.web.templatetags.kehu_web import percent

register = template.Library()


@register.filter
def share(value, places=1):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return percent(float(value) * 100, places)


@register.filter
def yuan(value):
    """A float amount of yuan, grouped, two decimals (NaN and None as a dash)."""
    from kehu.web.templatetags.kehu_web import money

    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return money(value)


@register.inclusion_tag("campaigns/_customer_card.html", takes_context=True)
def customer_campaigns(context, customer):
    from kehu.marketing.campaigns.selectors import customer_campaigns as latest

    request = context.get("request")
    user = getattr(request, "user", None)
    # the 360 page is shown only to who may see the customer: it has asked the policy already
    rows = latest(viewer=user, customer=customer, seen=True) if user is not None else []
    return {"customer": customer, "rows": rows}
