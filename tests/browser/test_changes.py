"""Changing what was recorded: an interaction from the timeline, an order
with payments, a date to remember — each asking before it deletes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Anniversary
from kehu.engagement.models import Interaction
from kehu.sales.models import Order
from tests.browser.conftest import log_in
from tests.web.conftest import full  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


def test_edit_then_delete_an_interaction_from_the_timeline(page, org, full):
    log_in(page, "sales_n1")
    page.goto(f"/customers/{full.customer.pk}/")
    entry = page.locator("#timeline li.kind-interaction", has_text="Quarterly call")
    entry.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit an interaction with 北方钢铁贸易有限公司")
    expect(page.get_by_label("Subject")).to_have_value("Quarterly call")
    page.get_by_label("Subject").fill("Quarterly review")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"/customers/{full.customer.pk}/#timeline")
    expect(page.get_by_role("status")).to_contain_text("Interaction saved.")
    entry = page.locator("#timeline li.kind-interaction", has_text="Quarterly review")
    expect(entry).to_be_visible()
    expect(page.locator("#history")).to_contain_text("Quarterly call → Quarterly review")

    entry.get_by_role("link", name="Delete").click()
    expect(page.locator("main")).to_contain_text("This cannot be undone")
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"/customers/{full.customer.pk}/#timeline")
    assert Interaction.objects.filter(pk=full.interaction.pk).exists()

    page.locator("#timeline li.kind-interaction", has_text="Quarterly review").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_role("status")).to_contain_text("Interaction deleted.")
    expect(page.locator("#timeline li.kind-interaction")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("Interaction deleted — Quarterly review")
    assert not Interaction.objects.filter(pk=full.interaction.pk).exists()


def test_an_order_with_payments_is_cancelled_not_deleted(page, org, full):
    order = full.order
    log_in(page, "sales_n1")
    page.goto(f"/orders/{order.pk}/")
    page.locator(".page-head .actions").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("alert")).to_contain_text("This order has 1 payment and cannot be deleted")
    expect(page.get_by_role("button", name="Delete order")).to_have_count(0)
    page.get_by_role("link", name="Cancel order").click()
    expect(page.locator("main")).to_contain_text(f"Cancel order {order.ref} of 北方钢铁贸易有限公司 (¥300.00)?")
    page.get_by_role("button", name="Cancel order").click()
    expect(page).to_have_url(f"/orders/{order.pk}/")
    expect(page.get_by_role("status")).to_contain_text(f"Order {order.ref} cancelled.")
    expect(page.locator(".page-head")).to_contain_text("Cancelled")
    order.refresh_from_db()
    assert order.status == "cancelled" and Order.objects.filter(pk=order.pk).exists()


def test_change_an_orders_lines_on_its_form(page, org, full):
    order = full.order
    log_in(page, "sales_n1")
    page.goto(f"/orders/{order.pk}/edit/")
    page.locator("[name=lines-0-quantity]").fill("5")
    page.locator("[name=lines-1-description]").fill("Freight")
    page.locator("[name=lines-1-unit_price]").fill("80")
    page.get_by_role("button", name="Save order").click()
    expect(page).to_have_url(f"/orders/{order.pk}/")
    expect(page.locator(".kpi", has_text="Amount").locator("b")).to_have_text("¥580.00")
    order.refresh_from_db()
    assert order.lines.count() == 2 and order.paid_amount == 100


def test_add_a_date_to_remember(page, org, full):
    log_in(page, "sales_n1")
    page.goto(f"/customers/{full.customer.pk}/")
    page.locator("#anniversaries").get_by_role("link", name="Add anniversary").click()
    page.get_by_label("Occasion").fill("First order")
    page.get_by_label("Date").fill("2019-04-08")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_url(f"/customers/{full.customer.pk}/#anniversaries")
    expect(page.locator("#anniversaries")).to_contain_text("First order: 04/08/2019")
    assert Anniversary.objects.filter(customer=full.customer, label="First order").exists()
