"""``{% outreach_card customer %}``: the customer page's card of recent messages to the
customer (kehu.marketing.outreach), with the language messages are written in."""

from django import template

from kehu.org.policies import policy_for

register = template.Library()


@register.inclusion_tag("outreach/_customer_card.html", takes_context=True)
def outreach_card(context, customer):
    from kehu.marketing.outreach.models import Language
    from kehu.marketing.outreach.selectors import card_language, card_messages

    viewer = context["request"].user
    policy = policy_for(viewer)
    can_change = context["can_change"] if "can_change" in context else policy.can_change(customer)
    # ``customer`` was fetched through the policy by the page: its messages are visible (two queries in all)
    return {"customer": customer, "messages": card_messages(customer),
            "language": card_language(customer), "languages": Language.choices,
            "may_set_language": bool(can_change) or policy.may_manage_outreach, "csrf_token": context.get("csrf_token"),
            "request": context["request"]}
