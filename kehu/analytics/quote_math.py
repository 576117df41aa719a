"""The money of a quote (报价单), rounded to the fen as a Chinese VAT invoice (增值税发票) is.

Pure functions over :class:`~decimal.Decimal` (no Django, no floats). The sales app keeps
the quote's lines and calls :func:`quote_totals` for every figure it stores or prints.

**A line** has a quantity, a list unit price, a discount in percent (0–100) and a VAT
rate in percent (13, 9, 6 or 0 in China; any rate 0–100 is computed the same way).

**Tax-exclusive prices (the default, 不含税单价).** The unit price excludes VAT:

1. amount (金额, excl. VAT) = round(quantity × unit price × (1 − discount ÷ 100), 0.01)
2. tax (税额) = round(amount × rate ÷ 100, 0.01)
3. line total (价税合计) = amount + tax

**Tax-inclusive prices (含税单价)**, as the invoicing software splits a price that
includes the tax:

1. line total = round(quantity × unit price × (1 − discount ÷ 100), 0.01)
2. amount = round(line total ÷ (1 + rate ÷ 100), 0.01)
3. tax = line total − amount

Every rounding is to the fen (0.01) half up (ROUND_HALF_UP, 四舍五入), and each line is
rounded by itself, as each row of the invoice is. **The quote's totals are the sums of the
rounded lines** (合计金额, 合计税额, 价税合计) — never the total rounded again — so they may
differ by a few fen from rounding the total: three lines of 0.05 at 13 % carry 0.01 of
tax each, 0.03 in all, where 0.15 × 13 % would round to 0.02. The invoice shows 0.03.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
VAT_RATES = (Decimal(13), Decimal(9), Decimal(6), Decimal(0))   # the rates in use in China (percent)


def fen(value: Decimal) -> Decimal:
    """``value`` rounded to the fen, half up (四舍五入)."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Line:
    quantity: Decimal
    unit_price: Decimal
    discount: Decimal = Decimal(0)     # percent, 0–100
    vat_rate: Decimal = Decimal(13)    # percent


@dataclass(frozen=True)
class LineMoney:
    gross_list: Decimal   # quantity × unit price before the discount, rounded (what the discount takes from)
    amount: Decimal       # excl. VAT (金额)
    tax: Decimal          # 税额
    total: Decimal        # incl. VAT (价税合计)


@dataclass(frozen=True)
class Totals:
    lines: tuple[LineMoney, ...]
    amount: Decimal       # 合计金额: the sum of the lines' amounts
    tax: Decimal          # 合计税额: the sum of the lines' taxes
    total: Decimal        # 价税合计: amount + tax


def _check(line: Line) -> None:
    for name in ("quantity", "unit_price", "discount", "vat_rate"):
        value = getattr(line, name)
        if not isinstance(value, Decimal) or not value.is_finite():
            raise ValueError(f"{name} must be a finite Decimal")
    if line.quantity <= 0:
        raise ValueError("quantity must be greater than zero")
    if line.unit_price < 0:
        raise ValueError("unit_price cannot be negative")
    if not (0 <= line.discount <= 100):
        raise ValueError("discount must be between 0 and 100")
    if not (0 <= line.vat_rate <= 100):
        raise ValueError("vat_rate must be between 0 and 100")


def line_money(line: Line, *, tax_included: bool = False) -> LineMoney:
    """One line's amount, tax and total, each rounded to the fen (see the module's rule)."""
    _check(line)
    list_value = line.quantity * line.unit_price
    discounted = list_value * (HUNDRED - line.discount) / HUNDRED
    rate = line.vat_rate / HUNDRED
    if tax_included:
        total = fen(discounted)
        amount = fen(total / (1 + rate))
        tax = total - amount
    else:
        amount = fen(discounted)
        tax = fen(amount * rate)
        total = amount + tax
    return LineMoney(gross_list=fen(list_value), amount=amount, tax=tax, total=total)


def quote_totals(lines, *, tax_included: bool = False) -> Totals:
    """The lines' money and the quote's totals: sums of the rounded lines."""
    money = tuple(line_money(ln, tax_included=tax_included) for ln in lines)
    amount = sum((m.amount for m in money), Decimal("0.00"))
    tax = sum((m.tax for m in money), Decimal("0.00"))
    return Totals(lines=money, amount=amount, tax=tax, total=amount + tax)


def max_discount(lines) -> Decimal:
    """The largest discount (percent) of any line; 0 for no lines."""
    return max((ln.discount for ln in lines), default=Decimal(0))


def over_ceiling(lines, ceiling: Decimal | None) -> bool:
    """Whether any line's discount is above ``ceiling`` (percent; None: no ceiling)."""
    return ceiling is not None and max_discount(lines) > ceiling
