"""``{% custom_values record "customer" %}``: the custom field values a record holds."""

from django import template

from kehu.customfields.values import display_rows, request_definitions

register = template.Library()


def _defs(context, record_type: str):
    """The active definitions, read once per request (a timeline shows many records)."""
    return request_definitions(context.get("request"), record_type)


@register.inclusion_tag("customfields/_values.html", takes_context=True)
def custom_values(context, record, record_type: str, heading: bool = True):
    return {"rows": display_rows(record, _defs(context, record_type)), "record_type": record_type,
            "heading": heading}
