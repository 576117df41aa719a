from django import template

from kehu.attachments.views import section_context

register = template.Library()


@register.inclusion_tag("attachments/_section.html", takes_context=True)
def attachments_section(context, kind, customer, record=None, can_change=None):
    """``{% attachments_section "order" customer order can_change %}``: the Attachments
    section of a page; pass the page's ``can_change`` when it has one."""
    if can_change not in (True, False):
        can_change = None
    ctx = section_context(viewer=context["request"].user, kind=kind, customer=customer, record=record,
                          can_change=can_change)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx
