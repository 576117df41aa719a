"""A manager opens the quarter's forecast (销售预测) and finds a salesperson's open
opportunity weighted by its probability (the chart draws, no console error); sets that
salesperson's quota for the quarter, and the forecast reads the attainment against it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.sales.forecast import period_containing, today
from kehu.sales.models import Quota
from kehu.sales.opportunities import opportunity_create
from kehu.sales.services import product_line_create
from tests.browser.conftest import log_in
from tests.sales.conftest import seed_default_pipeline

pytestmark = pytest.mark.browser


def test_the_quarters_forecast_and_a_quota(page, org, customers):
    seed_default_pipeline()
    line = product_line_create(actor=org.users.admin, code="plate", name="Plate")
    quarter = period_containing(today())
    opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "Plate", "probability": 80,
                                                       "expected_close": quarter.end},
                       lines=[{"product_line": line, "amount": "123456"}])
    log_in(page, "north_manager")
    page.goto("/forecast/")
    filters = page.get_by_test_id("forecast-filters")
    filters.locator("select[name=period]").select_option(quarter.code)
    filters.locator("select[name=by]").select_option("owner")
    filters.get_by_role("button", name="Show").click()
    expect(page.locator("h1")).to_have_text(f"Forecast · {quarter.code}")
    row = page.get_by_test_id("forecast-row").filter(has_text="sales_n1")
    expect(row.locator("td").nth(2)).to_have_text("98,765")        # commit: 123 456 × 80 %
    expect(row.locator("td").nth(6)).to_have_text("98,765")        # total
    expect(row.locator("td").nth(7)).to_have_text("—")             # no quota yet
    expect(page.locator(".chart svg").first).to_be_visible()

    page.get_by_test_id("quota-list-link").click()
    page.get_by_test_id("quota-new").click()
    form = page.get_by_test_id("quota-form")
    form.locator("#id_period").fill(quarter.code)
    form.locator("#id_user").select_option(label="sales_n1")
    form.locator("#id_amount").fill("200000")
    page.get_by_test_id("quota-save").click()
    expect(page.get_by_role("status")).to_contain_text("Quota saved.")
    expect(page.get_by_test_id("quota-table")).to_contain_text("sales_n1")
    assert Quota.objects.get().amount == 200000

    page.goto(f"/forecast/?period={quarter.code}&by=owner")
    row = page.get_by_test_id("forecast-row").filter(has_text="sales_n1")
    expect(row.locator("td").nth(7)).to_have_text("200,000")
    expect(row.locator("td").nth(8)).to_have_text("49%")           # 98 765 ÷ 200 000
