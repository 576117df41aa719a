"""The list tools in a real browser: tick rows (one by one, then the whole
page), assign them in bulk and read the per-row result; delete in bulk after
the confirmation page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from tests.browser.conftest import log_in
from tests.factories import OrderFactory

pytestmark = pytest.mark.browser


def test_select_rows_bulk_assign_then_delete_with_confirmation(page, org, customers):
    OrderFactory(customer=customers.n1b)  # kept on delete: it has an order
    log_in(page, "north_manager")
    page.goto("/customers/")
    rows = page.locator("table.customers tbody tr")
    expect(rows).to_have_count(2)
    rows.filter(has_text=customers.n1.name).get_by_test_id("row-select").check()
    page.get_by_test_id("bulk-action").select_option(label="Assign owner")
    page.get_by_test_id("bulk-owner").select_option(label=str(org.users.sales_n1b))
    page.get_by_test_id("bulk-apply").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("Done: 1 changed, 0 refused.")
    expect(page.get_by_test_id("bulk-rows")).to_contain_text(customers.n1.name)
    assert Customer.objects.get(pk=customers.n1.pk).owner == org.users.sales_n1b

    page.get_by_role("link", name="Back to the list").click()
    page.locator("th.select input[type=checkbox]").check()  # the whole page
    expect(page.get_by_test_id("row-select").nth(1)).to_be_checked()
    page.get_by_test_id("bulk-action").select_option(label="Delete")
    page.get_by_test_id("bulk-apply").click()
    confirm = page.get_by_test_id("bulk-confirm-rows")
    expect(confirm).to_contain_text(customers.n1.name)
    expect(confirm).to_contain_text(customers.n1b.name)
    assert Customer.objects.filter(pk__in=[customers.n1.pk, customers.n1b.pk]).count() == 2
    page.get_by_test_id("bulk-confirm").click()
    expect(page.get_by_test_id("bulk-summary")).to_have_text("Done: 1 changed, 1 refused.")
    expect(page.get_by_test_id("bulk-rows")).to_contain_text("orders")
    assert not Customer.objects.filter(pk=customers.n1.pk).exists()
    assert Customer.objects.filter(pk=customers.n1b.pk).exists()
