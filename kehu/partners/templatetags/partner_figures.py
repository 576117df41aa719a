"""Filters for the scorecard figures: a ratio as a percentage, a number or a dash."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def pct(value, places: int = 1):
    """0.256 → "25.6%"; None → "—"."""
    if value is None:
        return "—"
    return f"{number_format(100 * float(value), int(places))}%"


@register.filter
def num(value, places: int = 1):
    """A number with ``places`` decimals in the active locale's format; None → "—"."""
    if value is None:
        return "—"
    return number_format(float(value), int(places), use_l10n=True, force_grouping=True)
