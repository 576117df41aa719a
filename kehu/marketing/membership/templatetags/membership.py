from django import template
from django.db.models import Sum

from kehu.org.policies import policy_for

register = template.Library()


@register.inclusion_tag("membership/_customer_card.html", takes_context=True)
def membership_card(context, customer):
    """The customer 360 page's membership card: member number, tier and balance
    with a link to the member's page, or the enrolment button. The page has
    already checked that the viewer may see the customer (and whether they may
    change it); one query: the membership with its balance summed."""
    from kehu.marketing.membership.models import Membership

    member = (Membership.objects.filter(customer=customer).select_related("tier")
              .annotate(balance=Sum("entries__points")).first())
    user = context["request"].user
    may_enrol = False
    if member is None:
        can_change = context["can_change"] if "can_change" in context else policy_for(user).can_change(customer)
        may_enrol = bool(can_change) or policy_for(user).may_manage_membership
    return {"customer": customer, "member": member, "balance": (member.balance or 0) if member else 0,
            "may_enrol": may_enrol, "request": context["request"]}
