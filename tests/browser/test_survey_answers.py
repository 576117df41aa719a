"""Collecting answers in the browser: a wave created and sampled by a
designer, then a customer opens their personal link on a phone, answers
part of the questionnaire (autosaved), comes back with the same link, sees
the conditional questions appear and submits."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from playwright.sync_api import expect

from kehu.surveys.models import Response, ResponseStatus, Wave
from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status
from tests.browser.conftest import log_in
from tests.factories import CustomerFactory

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "locale": "zh-CN"}


def test_wave_sample_and_answer_on_a_phone(new_page, guard, org, settings):
    cache.clear()
    guard.allow(r"status of 422")  # the page answers 422 while required questions are missing
    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    for k in range(12):
        CustomerFactory(name=f"燃气用户{k:02d}", owner=org.users.sales_n1, region="north" if k % 2 else "east")

    page = new_page()
    log_in(page, "admin")
    page.goto(f"/surveys/{gas.pk}/waves/")
    page.get_by_test_id("new-wave").click()
    page.get_by_label("Name").fill("2026 Q4")
    page.get_by_test_id("save-wave").click()
    expect(page.get_by_text("Wave 2026 Q4 created. Next: draw its sample.")).to_be_visible()
    wave = Wave.objects.get(name="2026 Q4")

    page.get_by_test_id("draw-sample").click()
    # the calculator answers as the numbers change
    expect(page.get_by_test_id("size-result")).to_contain_text("Respondents needed")
    page.get_by_label("Margin of error (± points)").fill("20")
    expect(page.get_by_test_id("size-result")).to_contain_text(re.compile(r"Respondents needed: \d+"))
    page.get_by_label("Sample size").fill("4")
    page.get_by_label("Stratify by").select_option("region")
    page.get_by_label("Random seed").fill("2026")
    page.get_by_test_id("preview-sample").click()
    expect(page.get_by_test_id("sample-preview")).to_contain_text("seed 2026")
    page.get_by_test_id("create-invitations").click()
    expect(page.get_by_text("4 invitations created.")).to_be_visible()
    assert wave.invitations.count() == 4
    page.get_by_test_id("open-wave").click()
    expect(page.get_by_test_id("wave-status")).to_have_text("Open for answers")
    page.get_by_test_id("invitations-link").click()
    link = page.get_by_test_id("personal-link").first.get_attribute("href")
    token = re.search(r"/s/([^/]+)/", link).group(1)

    # The customer, on a phone, in Chinese.
    phone = new_page(**PHONE)
    phone.goto(f"/s/{token}/")
    expect(phone.get_by_role("heading", level=1)).to_contain_text("天然气")
    phone.locator("#item-Q1").get_by_text("满意", exact=True).click()
    phone.locator("#item-Q3").get_by_label("是").check()
    expect(phone.locator("#item-Q4")).to_be_visible()  # shown once "yes, I had a repair" is chosen
    expect(phone.locator("#q-autosave")).to_contain_text("已于")  # autosaved
    response = Response.objects.get(invitation__token=token)
    assert response.status == ResponseStatus.PARTIAL
    # the page fits the phone: no sideways scrolling
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")

    # Later, the same link: the answers are still there.
    later = new_page(**PHONE)
    later.goto(f"/s/{token}/")
    expect(later.locator("#item-Q1 input[value='5']")).to_be_checked()
    expect(later.locator("#item-Q3 input[value='yes']")).to_be_checked()
    expect(later.locator("#item-Q4")).to_be_visible()
    later.get_by_test_id("submit").click()
    expect(later.get_by_test_id("error-Q2")).to_contain_text("请回答此问题")
    for code in ("Q2", "Q4", "Q5", "Q6", "Q7", "Q8", "Q9", "Q10"):
        later.locator(f"#item-{code}").get_by_text("较满意", exact=True).click()
    later.get_by_test_id("submit").click()
    expect(later.get_by_test_id("answer-done")).to_contain_text("谢谢")
    response.refresh_from_db()
    assert response.status == ResponseStatus.COMPLETE and response.index is not None

    # Switch to English on the used link: it says so, in English.
    later.get_by_test_id("lang-en").click()
    expect(later.get_by_test_id("answer-done")).to_contain_text("Each link can be answered once")
