"""``{% customer_care customer %}``: the customer's next care moments on the customer 360 page."""

import datetime as dt

from django import template

register = template.Library()
DAYS_AHEAD = 60


@register.inclusion_tag("care/_customer_card.html", takes_context=True)
def customer_care(context, customer):
    from kehu.marketing.care.selectors import upcoming
    from kehu.marketing.care.services import today_local

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"customer": customer, "moments": []}
    today = today_local()
    items, _truncated = upcoming(viewer=user, start=today, end=today + dt.timedelta(days=DAYS_AHEAD),
                                 customer=customer, mine=False, limit=20)
    return {"customer": customer, "moments": items[:10]}
