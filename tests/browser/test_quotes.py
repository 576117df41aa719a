"""A salesperson makes a quote from an opportunity's page: adds a product line in place
(htmx), reads the amount, the VAT and the total, and downloads the PDF."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from kehu.sales.models import Quote
from kehu.sales.opportunities import opportunity_create
from kehu.sales.services import product_create, product_line_create
from tests.browser.conftest import log_in
from tests.sales.conftest import seed_default_pipeline

pytestmark = pytest.mark.browser


def test_quote_from_an_opportunity_with_its_vat_and_pdf(page, org, customers):
    seed_default_pipeline()
    coil = product_line_create(actor=org.users.admin, code="coil", name="Coil")
    product = product_create(actor=org.users.admin, data={"ref": "Q235-HR", "name": "Q235 热轧卷", "line": coil,
                                                          "unit": "t", "unit_price": Decimal("4100.00")})
    opp = opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "2027 热轧卷供货"})
    log_in(page, "sales_n1")
    page.goto(f"/opportunities/{opp.pk}/")
    page.get_by_test_id("opportunity-new-quote").click()
    quote = Quote.objects.get()
    expect(page).to_have_url(re.compile(rf"/quotes/{quote.pk}/$"))
    expect(page.get_by_test_id("quote-status")).to_have_text("Draft")
    expect(page.locator("#details")).to_contain_text("2027 热轧卷供货")

    page.get_by_test_id("quote-line-product").select_option(str(product.pk))
    page.get_by_test_id("quote-line-quantity").fill("12")
    page.get_by_test_id("quote-line-add").click()
    expect(page.get_by_test_id("quote-amount")).to_have_text("49200.00")    # 12 t × 4 100, without VAT
    expect(page.get_by_test_id("quote-tax")).to_have_text("6396.00")        # 13 %
    expect(page.get_by_test_id("quote-total")).to_have_text("55596.00")
    quote.refresh_from_db()
    assert (quote.amount, quote.tax, quote.total) == (Decimal("49200.00"), Decimal("6396.00"), Decimal("55596.00"))

    with page.expect_download() as info:
        page.get_by_test_id("quote-pdf-en").click()
    download = info.value
    assert download.suggested_filename == f"{quote.ref}-V1-en.pdf"
    with open(download.path(), "rb") as f:
        assert f.read(5) == b"%PDF-"
