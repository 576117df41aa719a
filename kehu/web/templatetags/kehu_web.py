"""Template filters for money, percentages and audit changes."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template
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


@register.filter
def money(value, currency="CNY"):
    """``1234.5`` → ``¥1,234.50``: thousands separators and two decimals,
    the same in both languages (Chinese also groups by thousands in business use)."""
    d = _decimal(value)
    if d is None:
        return "—"
    currency = (currency or "CNY").upper()
    symbol = CURRENCY_SYMBOLS.get(currency)
    text = f"{abs(d):,.2f}"
    sign = "-" if d < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{currency} {text}"


@register.filter
def number(value, places=0):
    d = _decimal(value)
    if d is None:
        return "—"
    places = int(places)
    return f"{d:,.{places}f}"


@register.filter
def percent(value, places=1):
    d = _decimal(value)
    if d is None:
        return "—"
    return f"{d:.{int(places)}f}%"


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
