"""A service agent registers a complaint from the customer's page and walks it to
resolved: accept, start, judge it valid, tick the six steps, write the resolution,
resolve; the complaint is on the customer's timeline."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.service.models import Case, CaseStatus
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_register_a_complaint_and_walk_it_to_resolved(page, org, customers):
    log_in(page, "north_service")
    page.goto(f"/customers/{customers.n1.pk}/")
    page.get_by_test_id("customer-case-new").click()
    page.get_by_label("Kind").select_option("complaint")
    page.get_by_label("Severity").select_option("2")
    page.get_by_label("Subject").fill("燃气费比上月高出一倍")
    page.get_by_label("Description").fill("客户认为抄表有误")
    page.get_by_test_id("case-save").click()

    case = Case.objects.get()
    expect(page.get_by_test_id("case-title")).to_contain_text(case.ref)
    expect(page.get_by_test_id("case-status")).to_have_text("New")
    page.get_by_test_id("move-accepted").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Accepted")
    page.get_by_test_id("move-in_progress").click()
    expect(page.get_by_test_id("case-status")).to_have_text("In progress")

    page.locator("input[name=valid][value=yes]").check()
    page.get_by_test_id("judge-save").click()
    expect(page.get_by_test_id("validity")).to_contain_text("Valid")

    # resolving before the steps are done is refused with the reason
    page.locator("details[data-testid=case-edit] summary").click()
    page.locator("#id_resolution").fill("重新抄表，退还多收的费用")
    page.get_by_test_id("case-edit-save").click()
    page.get_by_test_id("move-resolved").click()
    expect(page.get_by_text("Complete these handling steps first")).to_be_visible()

    for step in ("listen", "share", "probe", "check", "act", "satisfy"):
        page.get_by_test_id(f"step-done-{step}").check()
        page.get_by_test_id(f"step-note-{step}").fill(f"{step} ✓")
        page.get_by_test_id(f"step-save-{step}").click()
        expect(page.get_by_test_id(f"step-done-{step}")).to_be_checked()

    page.get_by_test_id("move-resolved").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Resolved")
    expect(page.get_by_test_id("case-timeline")).to_contain_text("In progress → Resolved")
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED and case.steps.filter(done=True).count() == 6

    page.goto(f"/customers/{customers.n1.pk}/")
    expect(page.get_by_test_id("customer-cases")).to_contain_text(case.ref)
    expect(page.locator("#timeline")).to_contain_text(case.ref)

    # the queue finds it
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Service desk").click()
    page.locator("#id_queue").select_option("all")
    page.locator("#id_status").select_option("")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_test_id("case-table")).to_contain_text(case.ref)
