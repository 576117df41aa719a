"""A manager reads this month's sales leaderboard (销售业绩): the team's salespeople ranked
by revenue; then follows the link to the receivables ageing (应收账款账龄): an order 45
days past due sits in the 31–60 days bucket, by customer and by salesperson (the chart
draws, no console error), and the customer's row drills down to the order."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.sales.services import order_create
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_the_leaderboard_and_the_receivables_ageing(page, org, customers):
    u = org.users
    today = timezone.localdate()
    order_create(actor=u.sales_n1, customer=customers.n1, data={"order_date": today, "salesperson": u.sales_n1},
                 lines=[{"quantity": 2, "unit_price": "500.00", "unit_cost": "400.00"}])
    late = order_create(actor=u.sales_n1b, customer=customers.n1b,
                        data={"order_date": today - dt.timedelta(days=75), "salesperson": u.sales_n1b,
                              "payment_due_on": today - dt.timedelta(days=45)},
                        lines=[{"quantity": 1, "unit_price": "3000.00", "unit_cost": "2500.00"}])
    log_in(page, "north_manager")
    page.goto("/sales/performance/")
    rows = page.get_by_test_id("performance-row")
    expect(rows.filter(has_text="sales_n1b")).to_have_count(1)
    expect(rows.filter(has_text="sales_e1")).to_have_count(0)      # another region's
    first = rows.first
    expect(first.locator("td").nth(0)).to_have_text("1")
    expect(first.locator("td").nth(1)).to_have_text("sales_n1")
    expect(first).to_contain_text("¥1,000.00")
    expect(page.get_by_test_id("performance-teams")).to_contain_text("North sales 1")

    page.get_by_test_id("receivables-link").click()
    expect(page.get_by_test_id("total-d31_60")).to_have_text("¥3,000.00")
    expect(page.get_by_test_id("total-not_due")).to_have_text("¥1,000.00")
    expect(page.get_by_test_id("total-all")).to_have_text("¥4,000.00")
    expect(page.locator(".chart svg").first).to_be_visible()
    row = page.get_by_test_id("receivables-row").filter(has_text=customers.n1b.name)
    expect(row).to_contain_text("¥3,000.00")
    expect(page.get_by_test_id("receivables-people").locator("tr").filter(has_text="sales_n1b")).to_contain_text(
        "¥3,000.00")
    row.get_by_role("link", name=customers.n1b.name).click()
    expect(page.locator("main")).to_contain_text(late.ref)
