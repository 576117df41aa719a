"""The administrators' settings in a real browser: from the settings index to
the service-level policies — the empty state, a refused form with its message,
a created policy, its deletion after the confirmation dialog — and a
knowledge-base category linked to a case category."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.kb.models import KbCategory
from kehu.service.models import SlaPolicy
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_sla_policy_and_kb_category(page, org):
    from kehu.service.models import CaseCategory

    # the seeded category, made again if a transactional test before this one flushed the tables
    CaseCategory.objects.get_or_create(code="meter-reading", defaults={"name_en": "Meter reading", "name_zh": "抄表"})
    log_in(page, "admin")
    page.goto("/")
    page.get_by_role("link", name="Settings").first.click()
    page.get_by_test_id("settings-sla_policy_list").get_by_role("link").click()
    expect(page.get_by_test_id("sla-policies-empty")).to_be_visible()
    page.get_by_test_id("sla-policy-new").click()
    form = page.get_by_test_id("sla-policy-form")
    form.get_by_label("Kind").select_option("complaint")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("sla-policy-form")).to_contain_text(
        "Give a first-response time, a resolution time or both.")
    assert not SlaPolicy.objects.exists()
    form = page.get_by_test_id("sla-policy-form")
    form.get_by_label("Severity").select_option("1")
    form.get_by_label("Resolution within (minutes)").fill("480")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("sla-policies")).to_contain_text("480")
    policy = SlaPolicy.objects.get()
    page.locator(f"tr[data-policy='{policy.pk}']").get_by_role("link", name="Delete").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("confirm").click()
    expect(page.get_by_test_id("sla-policies-empty")).to_be_visible()
    assert not SlaPolicy.objects.exists()

    page.goto("/settings/kb-categories/")
    expect(page.get_by_test_id("kb-categories-empty")).to_be_visible()
    page.get_by_test_id("kb-category-new").click()
    form = page.get_by_test_id("kb-category-form")
    form.get_by_label("code").fill("meter")
    form.get_by_label("name (Chinese)").fill("抄表")
    form.get_by_label("case category").select_option("meter-reading")
    form.get_by_role("button", name="Save").click()
    expect(page.locator("tr[data-code=meter]")).to_contain_text("Meter reading")
    assert KbCategory.objects.get(code="meter").case_category_code == "meter-reading"
