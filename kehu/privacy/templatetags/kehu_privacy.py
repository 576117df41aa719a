from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    """``mapping[key]`` in a template (the export's sections)."""
    try:
        return mapping[key]
    except (KeyError, TypeError, IndexError):
        return None


@register.filter
def is_list(value) -> bool:
    return isinstance(value, list)


@register.filter
def is_dict(value) -> bool:
    return isinstance(value, dict)
