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


def test_a_phone_return_visit_recorded_dissatisfied_then_satisfied(page, org, customers):
    """Resolved without the customer's consent to e-mail: a phone return visit, and why; the
    agent records "not satisfied" (the case reopens and is escalated), resolves it again and
    records "satisfied" (the case closes)."""
    from kehu.service.models import CaseEscalation
    from kehu.service.services import case_assign, case_transition
    from tests.service.conftest import make_case

    case = make_case(org.users.sales_n1, customers.n1, kind="repair", subject="燃气表漏气")
    case_assign(actor=org.users.admin, case=case, assignee=org.users.north_service)
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.IN_PROGRESS, resolution="更换密封圈")
    case.refresh_from_db()
    case_transition(actor=org.users.north_service, case=case, to_status=CaseStatus.RESOLVED)

    log_in(page, "north_service")
    page.goto(f"/cases/{case.pk}/")
    expect(page.get_by_test_id("return-visits")).to_contain_text("Phone call")
    page.locator("input[name=result][value=dissatisfied]").check()
    page.get_by_label("What the customer said").fill("还是漏气")
    page.get_by_test_id("return-visit-save").click()
    expect(page.get_by_test_id("case-status")).to_have_text("In progress")
    expect(page.get_by_test_id("return-visit-escalation")).to_contain_text("north_manager")
    assert CaseEscalation.objects.filter(case=case, kind="revisit").count() == 1

    page.get_by_test_id("move-resolved").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Resolved")
    page.locator("input[name=result][value=satisfied]").check()
    page.get_by_label("Score (0–100)").fill("90")
    page.get_by_test_id("return-visit-save").click()
    expect(page.get_by_test_id("case-status")).to_have_text("Closed")
    expect(page.get_by_test_id("return-visit-2")).to_contain_text("Satisfied")
