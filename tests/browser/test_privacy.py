"""Personal information in the browser: a masked phone on the 360 page, shown
in full with *Show* (htmx, audited)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.audit.models import AuditEvent
from kehu.customers.services import customer_share
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_reveal_a_masked_phone_on_the_360_page(page, live_server, org, customers):
    e1 = customers.e1
    customer_share(actor=org.users.admin, customer=e1, user=org.users.sales_n1)  # read-only share
    log_in(page, "sales_n1")
    page.goto(f"/customers/{e1.pk}/")
    phone = page.get_by_test_id("personal-phone")
    expect(phone).to_contain_text("139****9003")
    expect(page.locator("main")).not_to_contain_text("13900139003")
    page.get_by_test_id("reveal-phone").click()
    expect(page.get_by_test_id("revealed-phone")).to_have_text("13900139003")
    assert AuditEvent.objects.filter(action="privacy.reveal", actor=org.users.sales_n1, customer_id=e1.pk).exists()
