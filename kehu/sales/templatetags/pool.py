"""``{% pool_card customer %}``: the customer page's card of owners through the lead pool
(kehu.sales.pool), with the "Return to pool" action for whoever may return it."""

from django import template

from kehu.org.policies import policy_for

register = template.Library()


@register.inclusion_tag("sales/pool/_customer_card.html", takes_context=True)
def pool_card(context, customer):
    from kehu.sales.pool import ownership_history

    policy = policy_for(context["request"].user)
    # the page knows already whether the viewer may change the customer (one query saved)
    can_change = context["can_change"] if "can_change" in context else policy.can_change(customer)
    may_return = customer.owner_id is not None and not policy.read_only and bool(can_change)
    return {"customer": customer, "changes": list(ownership_history(customer)[:10]), "may_return": may_return,
            "in_pool": customer.owner_id is None}
