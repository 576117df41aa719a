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


def test_orders_hide_a_column_save_a_view_tick_rows_and_export_the_selection(page, org, customers):
    """The same tools on the order list: hide a column, save the view, come
    back to it, tick two of three orders and download just those."""
    import csv
    import io

    from kehu.web.models import SavedView

    orders = [OrderFactory(customer=customers.n1, ref=f"SO-B{i}") for i in range(3)]
    log_in(page, "north_manager")
    page.goto("/orders/")
    table = page.locator("table").first
    expect(table.locator("th[data-col=margin]")).to_have_count(1)
    page.get_by_test_id("column-chooser").locator("summary").click()
    page.get_by_test_id("column-chooser").get_by_label("Gross margin").uncheck()
    page.get_by_role("button", name="Filter").click()
    expect(table.locator("th[data-col=margin]")).to_have_count(0)
    expect(table.locator("th[data-col=amount]")).to_have_count(1)
    assert "cols=amount" in page.url and "cols=margin" not in page.url

    page.get_by_test_id("saved-views-menu").locator("summary").click()
    page.get_by_test_id("saved-view-name").fill("Without margins")
    page.get_by_test_id("saved-views-menu").get_by_role("button", name="Save").click()
    view = SavedView.objects.get(user=org.users.north_manager, list_name="orders")
    assert view.name == "Without margins" and "margin" not in view.columns and "amount" in view.columns

    page.goto("/orders/")  # all columns again, until the view is chosen
    expect(table.locator("th[data-col=margin]")).to_have_count(1)
    page.get_by_test_id("saved-views-menu").locator("summary").click()
    page.get_by_role("link", name="Without margins").click()
    expect(table.locator("th[data-col=margin]")).to_have_count(0)

    rows = table.locator("tbody tr")
    expect(rows).to_have_count(3)
    for ref in ("SO-B0", "SO-B2"):
        rows.filter(has_text=ref).get_by_test_id("row-select").check()
    page.get_by_test_id("bulk-action").select_option(label="Export the selection")
    page.get_by_test_id("bulk-format").select_option("csv")
    with page.expect_download() as info:
        page.get_by_test_id("bulk-apply").click()
    download = info.value
    assert download.suggested_filename.startswith("orders-") and download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as fh:
        exported = {row["order_ref"] for row in csv.DictReader(io.StringIO(fh.read()))}
    assert exported == {"SO-B0", "SO-B2"}
    assert orders[1].ref not in exported
