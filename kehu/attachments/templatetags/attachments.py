from django import template

from kehu.attachments.views import section_context

register = template.Library()


@register.inclusion_tag("attachments/_section.html", takes_context=True)
def attachments_section(context, kind, customer, record=None):
    """``{% attachments_section "order" customer order %}``: the Attachments section of a page."""
    ctx = section_context(viewer=context["request"].user, kind=kind, customer=customer, record=record)
    ctx["csrf_token"] = context.get("csrf_token")
    return ctx
