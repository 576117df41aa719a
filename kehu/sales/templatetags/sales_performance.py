"""``{{ row|bucket:key }}``: one ageing bucket of a receivables row (a dict)."""

from django import template

register = template.Library()


@register.filter
def bucket(row, key):
    try:
        return row[key]
    except (KeyError, TypeError):
        return None
