"""A marketer creates a campaign from a saved segment, sends it after the confirmation, sees
the progress (sent, held back by the gate) and the results with the control group."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.insights.segments import segment_create
from kehu.marketing.campaigns.models import Campaign, Member
from kehu.marketing.outreach.models import GateSettings, MessageTemplate
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.browser


def test_marketer_runs_a_campaign_from_a_segment(page, org, customers):
    GateSettings.objects.create(pk=1, quiet_enabled=False, email_cap=0)
    for i in range(12):
        CustomerFactory(name=f"北方客户{i}", owner=org.users.sales_n1, region="north", email=f"n{i}@example.com")
    Customer.objects.filter(region="north").update(consent_marketing=True, consent_data_processing=True)
    Customer.objects.filter(pk=customers.n1b.pk).update(consent_marketing=False)   # held back: no consent
    segment_create(actor=org.users.admin, name="北方客户", rule={"customer": {"region": "north"}})
    MessageTemplate.objects.create(code="winter", name="Winter", channel="email", purpose="marketing",
                                   subject_en="Winter stock", body_en="Order now: {{ link }}",
                                   subject_zh="冬储", body_zh="立即订购：{{ link }}")
    log_in(page, "north_marketing")
    page.goto("/campaigns/")
    expect(page.get_by_test_id("campaign-empty")).to_be_visible()
    page.get_by_test_id("campaign-new").click()
    form = page.get_by_test_id("campaign-form")
    form.locator("#id_name").fill("Winter stock")
    form.locator("input[name=audience_kind][value=segment]").check()
    form.locator("#id_segment").select_option(label="北方客户")
    form.locator("#id_variant_A_template").select_option(label="winter · Winter")
    form.locator("#id_target_url").fill("https://example.com/winter")
    form.locator("#id_control_share").fill("0.25")
    page.get_by_test_id("campaign-save").click()
    expect(page.get_by_role("status")).to_contain_text("saved")
    expect(page.get_by_test_id("audience-size")).to_have_text("14")
    page.get_by_test_id("campaign-send").click()
    expect(page.get_by_test_id("campaign-send-confirm")).to_contain_text("held out as the control group")
    page.get_by_test_id("confirm").click()
    progress = page.get_by_test_id("campaign-progress")
    expect(progress).to_have_attribute("data-status", "sent", timeout=20_000)
    c = Campaign.objects.get(name="Winter stock")
    assert Member.objects.filter(campaign=c, control=True).count() == 4   # ⌊0.25 · 14 + ½⌋, one stratum
    treated = Member.objects.filter(campaign=c, control=False)
    held = [customers.n1.pk, customers.n1b.pk]   # no e-mail address; no consent either
    expect(page.get_by_test_id("count-sent")).to_have_text(str(treated.exclude(customer_id__in=held).count()))
    page.get_by_role("link", name="Results").click()
    expect(page.get_by_test_id("campaign-results")).to_be_visible()
    expect(page.get_by_test_id("result-reach")).not_to_have_text("0")
    expect(page.get_by_test_id("result-words-response")).to_contain_text("control group")
