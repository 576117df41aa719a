from django import template

from kehu.marketing.membership.services import may_enrol, points_balance

register = template.Library()


@register.inclusion_tag("membership/_customer_card.html", takes_context=True)
def membership_card(context, customer):
    """The customer 360 page's membership card: member number, tier and balance
    with a link to the member's page, or the enrolment button. The page has
    already checked that the viewer may see the customer."""
    from kehu.marketing.membership.models import Membership

    member = Membership.objects.filter(customer=customer).select_related("tier").first()
    user = context["request"].user
    return {"customer": customer, "member": member, "balance": points_balance(member) if member else 0,
            "may_enrol": member is None and may_enrol(user, customer), "request": context["request"]}
