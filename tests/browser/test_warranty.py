"""A service agent types a serial number on the case form: the order line is found at
once (htmx), the case is registered for its customer, order and product, the case page
says which of the three guarantees applies, and a repair is recorded on it."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from kehu.sales.models import OrderStatus
from kehu.service.models import Case, RepairRecord
from tests.browser.conftest import log_in
from tests.factories import OrderFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.browser


def test_serial_lookup_warranty_and_a_repair(page, org, customers):
    line = ProductLineFactory(code="PROCESS", name="加工服务", warranty_months=3, return_days=0, exchange_days=15)
    product = ProductFactory(ref="JG-1", name="激光切割", line=line)
    order = OrderFactory(customer=customers.n1, order_date=dt.date.today() - dt.timedelta(days=30),
                         status=OrderStatus.DELIVERED,
                         lines=[{"product": product, "quantity": 1, "unit_price": "680", "serial_number": "JG-0042"}])
    log_in(page, "north_service")
    page.goto("/cases/new/")
    page.get_by_label("Kind").select_option("repair")
    page.get_by_label("Subject").fill("切割件尺寸超差")
    page.get_by_test_id("case-serial").fill("jg-0042")
    item = page.get_by_test_id(f"serial-line-{order.lines.get().pk}")
    expect(item).to_be_checked()
    page.get_by_test_id("case-save").click()

    case = Case.objects.get()
    assert (case.customer, case.order, case.product) == (customers.n1, order, product)
    expect(page.get_by_test_id("warranty")).to_contain_text("Free repair applies.")

    page.get_by_label("Fault").fill("孔距超差 0.8mm")
    page.get_by_label("Labour cost").fill("1200")
    expect(page.get_by_label("In warranty (free repair)")).to_be_checked()
    page.get_by_test_id("repair-add-save").click()
    expect(page.get_by_test_id("repairs")).to_contain_text("孔距超差")
    expect(page.get_by_test_id("repairs")).to_contain_text("Free (warranty)")
    expect(page.get_by_test_id("case-timeline")).to_contain_text("Repair recorded")
    repair = RepairRecord.objects.get()
    assert repair.in_warranty and not repair.charged and repair.total == 1200
