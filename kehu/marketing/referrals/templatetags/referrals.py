"""``{% customer_referrals customer %}`` (the 360 page's card: referred by, referred whom, rewards) and
``{% referral_value_rows customer latest %}`` (the value section: referral value and relationship value
beside the predicted lifetime value). Both read :func:`selectors.customer_summary`: one query together."""

from decimal import Decimal

from django import template

register = template.Library()


def _summary(context, customer):
    from kehu.marketing.referrals.selectors import customer_summary

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None, None
    return user, customer_summary(viewer=user, customer=customer)


@register.inclusion_tag("referrals/_customer_card.html", takes_context=True)
def customer_referrals(context, customer):
    from kehu.marketing.referrals.services import may_record
    from kehu.org.policies import policy_for

    user, summary = _summary(context, customer)
    if summary is None:
        return {"customer": customer, "s": None}
    # the 360 page has checked that the viewer sees the customer and knows whether they may change it
    can_change = context.get("can_change")
    may = (bool(can_change) or policy_for(user).may_manage_marketing) if can_change is not None \
        else may_record(user, customer)
    return {"customer": customer, "s": summary, "may_record": may, "request": context.get("request")}


@register.inclusion_tag("referrals/_value_rows.html", takes_context=True)
def referral_value_rows(context, customer, latest=None):
    _user, summary = _summary(context, customer)
    if summary is None:
        return {"s": None}
    own = getattr(latest, "clv", None) or Decimal(0)
    return {"s": summary, "relationship": own + summary.value}
