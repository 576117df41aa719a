"""``{% custom_values record "customer" %}``: the custom field values a record holds."""

from django import template

from kehu.customfields.values import definitions, display_rows

register = template.Library()


def _defs(context, record_type: str):
    """The active definitions, read once per request (a timeline shows many records)."""
    request = context.get("request")
    cache = getattr(request, "_custom_field_defs", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._custom_field_defs = cache
    if record_type not in cache:
        cache[record_type] = definitions(record_type)
    return cache[record_type]


@register.inclusion_tag("customfields/_values.html", takes_context=True)
def custom_values(context, record, record_type: str, heading: bool = True):
    return {"rows": display_rows(record, _defs(context, record_type)), "record_type": record_type,
            "heading": heading}
