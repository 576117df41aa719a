"""Logging in, and the dashboard showing the user's own numbers."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.factories import OrderFactory
from tests.web.conftest import full  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def kpi(page, label):
    return page.locator(".kpi", has_text=label).locator("b")


def test_wrong_password_shows_an_error_and_stays(page, org):
    page.goto("/customers/")
    expect(page).to_have_url("/login/?next=/customers/")
    page.fill("#id_username", "sales_n1")
    page.fill("#id_password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    expect(page.locator("#id_username")).to_have_value("sales_n1")
    expect(page.locator("#id_password")).to_have_value("")
    expect(page.locator("nav.mainnav")).to_have_count(0)


def test_right_password_lands_on_the_dashboard_with_my_numbers(page, org, customers, full):
    # A big order of another team's customer must not show in sales_n1's numbers.
    OrderFactory(customer=customers.e1, order_date=timezone.localdate(),
                 lines=[{"quantity": 1, "unit_price": "99999.00"}])
    log_in(page, "sales_n1")
    expect(page).to_have_url("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, sales_n1")
    expect(kpi(page, "My customers")).to_have_text("1")
    expect(kpi(page, "Customers I can see")).to_have_text("1")
    expect(kpi(page, "Revenue, last 12 months")).to_have_text("¥300.00")
    expect(kpi(page, "Interactions this week")).to_have_text("1")
    due = page.locator("section.card", has_text="Next steps due")
    expect(due).to_contain_text("Send the price list")
    expect(due.get_by_role("link", name="北方钢铁贸易有限公司")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("华东机械集团")
    expect(page.locator("main")).not_to_contain_text("99,999")
    # Following "My customers" lists exactly them.
    page.locator("a.kpi", has_text="My customers").click()
    expect(page.get_by_test_id("customer-count")).to_have_text("1 customer")
    expect(page.locator("table.customers")).to_contain_text("北方钢铁贸易有限公司")
