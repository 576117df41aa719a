"""Figures in cards never wrap mid-number (issue 13, item 14): a billion-yuan
order on a phone-sized screen, in Chinese, keeps every card figure on one
line and whole, shrinking it with the card instead."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.factories import OrderFactory

pytestmark = pytest.mark.browser

FIGURES = """() => [...document.querySelectorAll('.kpi b')].map(b => ({
    text: b.textContent.trim(), lines: b.getClientRects().length,
    height: b.getBoundingClientRect().height, lineHeight: parseFloat(getComputedStyle(b).lineHeight) ||
        1.3 * parseFloat(getComputedStyle(b).fontSize),
    cut: b.scrollWidth > b.clientWidth + 1}))"""


@pytest.mark.parametrize("width", [360, 1280])
def test_card_figures_stay_on_one_line_and_whole(new_page, org, customers, width):
    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save()
    order = OrderFactory(customer=customers.n1, lines=[
        {"quantity": 1, "unit_price": "1234567890.12", "unit_cost": "987654321.09"}])
    page = new_page(viewport={"width": width, "height": 800})
    log_in(page, "sales_n1")
    page.goto(f"/orders/{order.pk}/")
    figures = page.evaluate(FIGURES)
    assert any("1,234,567,890.12" in f["text"] for f in figures), figures
    for f in figures:
        assert f["lines"] == 1 and f["height"] < 1.6 * f["lineHeight"], f
        assert not f["cut"], f
