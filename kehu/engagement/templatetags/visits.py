"""``{% customer_visits customer %}``: the planned-visits card of the customer 360 page."""

from django import template

from kehu.org.policies import policy_for

register = template.Library()


@register.inclusion_tag("engagement/_customer_visits.html", takes_context=True)
def customer_visits(context, customer):
    from kehu.engagement.selectors import customer_visits as visits

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {"customer": customer, "next": None, "recent": []}
    return {"customer": customer, **visits(viewer=user, customer=customer),
            "can_plan": not policy_for(user).read_only}
