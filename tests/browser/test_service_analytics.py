"""A manager opens the service analytics from the menu: the charts are drawn (Vega,
served by Kehu), the recovery test loads after the page (htmx) and says honestly that
there is not enough data, a filter narrows the figures, and the PDF downloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.service.models import CaseCategory
from kehu.service.services import case_create
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_a_manager_reads_the_service_analytics(page, org, customers):
    billing = CaseCategory.objects.create(code="billing-b", name_en="Billing", name_zh="账单")
    for subject in ("Bill too high", "Meter misread"):
        case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "complaint",
                                                    "subject": subject, "category": billing})
    case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "service", "subject": "Boiler"})

    log_in(page, "north_manager")
    page.goto("/cases/")
    page.get_by_role("link", name="Service analytics").first.click()
    expect(page.get_by_test_id("analytics-range")).to_contain_text("3 cases registered")
    page.wait_for_selector("[data-vega-chart][data-drawn=yes] svg", timeout=30000)
    expect(page.get_by_test_id("pareto-table")).to_contain_text("Billing")
    expect(page.get_by_test_id("repeat-table")).to_contain_text(customers.n1.name)
    expect(page.get_by_test_id("recovery-not-enough")).to_contain_text("value analysis", timeout=15000)

    page.locator("#id_kind").select_option("service")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("analytics-range")).to_contain_text("1 case registered")

    with page.expect_download() as download:
        page.get_by_test_id("analytics-pdf").click()
    assert download.value.suggested_filename.endswith(".pdf")
