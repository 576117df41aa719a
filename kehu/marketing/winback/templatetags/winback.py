"""``{% customer_winback customer %}``: the loss and win-back card of the customer 360 page."""

from django import template

from kehu.org.policies import policy_for

register = template.Library()


@register.inclusion_tag("winback/_customer_card.html", takes_context=True)
def customer_winback(context, customer):
    from kehu.marketing.winback.selectors import customer_losses

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None:
        return {"customer": customer, "losses": [], "open_loss": None, "can_change": False}
    losses = customer_losses(viewer=user, customer=customer)
    can_change = context.get("can_change")   # the 360 page has asked the policy already
    if can_change is None:
        can_change = policy_for(user).can_change(customer)
    return {"customer": customer, "losses": losses, "open_loss": next((x for x in losses if x.is_open), None),
            "can_change": can_change}
