"""A salesperson at phone width follows today's planned visit: opens it from the
week, checks in with the browser's location (permission given), records the
result; the visit is done and its result is on the customer's timeline."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.engagement.models import PlannedVisit
from kehu.engagement.visits import visit_create
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1


def test_check_in_and_mark_done_at_phone_width(new_page, org, customers):
    page = new_page()
    page.set_viewport_size(PHONE)
    log_in(page, "sales_n1")
    customers.n1.custom = {"latitude": "39.9042", "longitude": "116.4074"}
    customers.n1.save(update_fields=["custom"])
    visit = visit_create(actor=org.users.sales_n1, customer=customers.n1,
                         data={"planned_on": timezone.localdate(), "purpose": "年度采购量"})
    page.context.set_geolocation({"latitude": 39.9132, "longitude": 116.4074, "accuracy": 20})
    page.context.grant_permissions(["geolocation"])
    page.goto("/visits/")
    expect(page.get_by_test_id(f"visit-{visit.pk}")).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_test_id("visit-day-view").click()
    page.get_by_test_id(f"visit-{visit.pk}").get_by_role("link").first.click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Planned")
    _no_sideways_scroll(page)

    page.get_by_test_id("visit-use-location").check()
    page.get_by_test_id("visit-check-in").click()
    expect(page.get_by_test_id("visit-checked-in")).to_contain_text("m from the customer")
    visit.refresh_from_db()
    assert visit.check_in_latitude is not None and 990 < visit.check_in_distance < 1010

    page.get_by_test_id("visit-done").click()        # no result: the browser asks for it
    assert PlannedVisit.objects.get(pk=visit.pk).status == "planned"
    page.get_by_label("Result").fill("同意试订20吨，下周签合同")
    page.get_by_test_id("visit-done").click()
    expect(page.get_by_test_id("visit-status")).to_have_text("Done")
    expect(page.get_by_test_id("visit-result")).to_contain_text("同意试订20吨")
    _no_sideways_scroll(page)

    page.goto(f"/customers/{customers.n1.pk}/")
    expect(page.locator("#timeline")).to_contain_text("同意试订20吨")
    expect(page.get_by_test_id("customer-recent-visits")).to_be_visible()
