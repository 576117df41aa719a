"""Template filters for money, percentages and audit changes."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

register = template.Library()

CURRENCY_SYMBOLS = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "JPY": "¥", "GBP": "£"}


def _decimal(value):
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


def _grouped(d: Decimal, places: int) -> str:
    """``d`` with ``places`` decimals, grouped and punctuated for the active
    language (``kehu/formats``: thousands with a comma in both languages).
    Rounded half up first: Django's number_format cuts extra decimals off."""
    d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(d, decimal_pos=places, use_l10n=True, force_grouping=True)


@register.filter
def money(value, currency="CNY"):
    """``1234.5`` → ``¥1,234.50``: the currency's symbol (or code), thousands
    grouped and two decimals as the active language writes numbers. Chinese
    business documents group by thousands too (``kehu/formats/zh_Hans``)."""
    d = _decimal(value)
    if d is None:
        return "—"
    currency = (currency or "CNY").upper()
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = _grouped(abs(d), 2)
    sign = "-" if d < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


@register.filter
def number(value, places=0):
    d = _decimal(value)
    if d is None:
        return "—"
    return _grouped(d, int(places))


@register.filter
def percent(value, places=1):
    d = _decimal(value)
    if d is None:
        return "—"
    places = int(places)
    d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(d, decimal_pos=places, use_l10n=True) + "%"


@register.filter
def audit_value(value):
    """An old or new value from an audit record, readable."""
    if value is None or value == "":
        return "∅"
    if value is True:
        return _("yes")
    if value is False:
        return _("no")
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "∅"
    return str(value)
