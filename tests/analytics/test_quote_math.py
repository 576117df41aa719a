"""kehu/analytics/quote_math.py against invoices worked by hand.

The rule is the one of the VAT invoice (增值税发票) as the invoicing software prints it: each
row's 金额 rounded to the fen, its 税额 = 金额 × 税率 rounded to the fen, 合计 the sums of the
rows; a tax-inclusive price is split as 金额 = 含税金额 ÷ (1 + 税率). Every figure below was
worked with pencil and paper (the working is in the comments), not with the module."""
from decimal import Decimal as D

import pytest

from kehu.analytics.quote_math import Line, fen, line_money, max_discount, over_ceiling, quote_totals


def test_fen_rounds_half_up_not_to_even():
    assert fen(D("0.065")) == D("0.07")      # banker's rounding would give 0.06
    assert fen(D("0.005")) == D("0.01")
    assert fen(D("2.675")) == D("2.68")
    assert fen(D("-0.005")) == D("-0.01")


def test_steel_coil_line_excl_vat():
    # 12.345 t × 4,123.45 = 50,903.99025; less 3 %: × 0.97 = 49,376.8705425 → 49,376.87
    # tax 49,376.87 × 0.13 = 6,418.9931 → 6,418.99; total 55,795.86
    m = line_money(Line(D("12.345"), D("4123.45"), D("3"), D("13")))
    assert (m.gross_list, m.amount, m.tax, m.total) == (D("50903.99"), D("49376.87"), D("6418.99"), D("55795.86"))


def test_an_invoice_with_the_four_rates():
    lines = [
        Line(D("2.5"), D("3456.78"), D("0"), D("9")),      # 8,641.95; × 0.09 = 777.7755 → 777.78
        Line(D("1"), D("1000.05"), D("12.5"), D("6")),     # × 0.875 = 875.04375 → 875.04; × 0.06 = 52.5024 → 52.50
        Line(D("10"), D("99.99"), D("0"), D("0")),         # 999.90; no tax
        Line(D("1"), D("0.50"), D("0"), D("13")),          # 0.50; × 0.13 = 0.065 → 0.07 (half up)
    ]
    t = quote_totals(lines)
    assert [m.amount for m in t.lines] == [D("8641.95"), D("875.04"), D("999.90"), D("0.50")]
    assert [m.tax for m in t.lines] == [D("777.78"), D("52.50"), D("0.00"), D("0.07")]
    # 8,641.95 + 875.04 + 999.90 + 0.50 = 10,517.39; 777.78 + 52.50 + 0 + 0.07 = 830.35
    assert (t.amount, t.tax, t.total) == (D("10517.39"), D("830.35"), D("11347.74"))


def test_tax_summed_by_line_differs_from_tax_of_the_total():
    # three rows of 0.05 at 13 %: each 0.0065 → 0.01, so 合计税额 0.03;
    # rounding the total instead: 0.15 × 0.13 = 0.0195 → 0.02. The invoice says 0.03.
    t = quote_totals([Line(D("1"), D("0.05"))] * 3)
    assert t.tax == D("0.03")
    assert fen(t.amount * D("0.13")) == D("0.02")
    assert t.total == D("0.18")


def test_amount_summed_by_line_differs_from_amount_of_the_total():
    # three rows of 0.333 t at 1.00: each 0.333 → 0.33, 合计金额 0.99 (not 0.999 → 1.00);
    # tax 0.33 × 0.13 = 0.0429 → 0.04 each, 0.12 (not 0.99 × 0.13 = 0.1287 → 0.13)
    t = quote_totals([Line(D("0.333"), D("1.00"))] * 3)
    assert (t.amount, t.tax, t.total) == (D("0.99"), D("0.12"), D("1.11"))


def test_tax_inclusive_prices_are_split_per_line():
    # 3 × 10.00 incl. 13 % = 30.00; 30.00 ÷ 1.13 = 26.5486… → 26.55; tax 30.00 − 26.55 = 3.45
    m = line_money(Line(D("3"), D("10.00"), D("0"), D("13")), tax_included=True)
    assert (m.amount, m.tax, m.total) == (D("26.55"), D("3.45"), D("30.00"))
    # 113.00 incl. 13 %: exactly 100.00 + 13.00
    m = line_money(Line(D("1"), D("113.00")), tax_included=True)
    assert (m.amount, m.tax, m.total) == (D("100.00"), D("13.00"), D("113.00"))


def test_discount_ceiling():
    lines = [Line(D("1"), D("1"), D("5")), Line(D("1"), D("1"), D("12"))]
    assert max_discount(lines) == D("12")
    assert over_ceiling(lines, D("10"))
    assert not over_ceiling(lines, D("12"))
    assert not over_ceiling(lines, None)
    assert max_discount([]) == 0


@pytest.mark.parametrize("line", [
    Line(D("0"), D("1")), Line(D("1"), D("-1")), Line(D("1"), D("1"), D("101")), Line(D("1"), D("1"), D("0"), D("-1")),
    Line(D("NaN"), D("1")),
])
def test_refuses_what_no_invoice_has(line):
    with pytest.raises(ValueError):
        line_money(line)


def test_no_lines():
    t = quote_totals([])
    assert (t.amount, t.tax, t.total) == (D("0.00"), D("0.00"), D("0.00"))
