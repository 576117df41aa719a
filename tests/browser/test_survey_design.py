"""Designing a survey in the browser: from the natural-gas template, a weight
changed by hand, an AHP matrix with CR as you choose, and the preview in
both languages with its conditional questions."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kehu.surveys.models import Survey, WeightMethod
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_design_a_survey_from_the_natural_gas_template(page, org):
    log_in(page, "north_marketing")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Surveys").click()
    expect(page.get_by_text("There are no surveys yet.")).to_be_visible()
    page.get_by_role("link", name="New survey").click()
    page.get_by_label(re.compile("Natural gas service customer satisfaction survey")).check()
    page.get_by_label("Code").fill("gas-2026")
    page.get_by_role("button", name="Create the survey").click()
    survey = Survey.objects.get(code="gas-2026")
    expect(page).to_have_url(f"/surveys/{survey.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Natural gas service customer satisfaction survey")
    expect(page.get_by_text("Survey gas-2026 created as a draft.")).to_be_visible()

    # A weight by hand: gas pressure 0.7, gas quality 0.3.
    page.get_by_role("link", name="Indicators and weights").first.click()
    supply = page.get_by_test_id("group-supply")
    supply.get_by_label("Weight of Gas pressure").fill("0.7")
    supply.get_by_label("Weight of Gas quality").fill("0.3")
    supply.get_by_role("button", name="Save weights").click()
    expect(page.get_by_text("Weights under Gas supply quality saved.")).to_be_visible()
    assert dict(survey.indicators.get(code="supply").children.values_list("code", "weight")) == {
        "pressure": 0.7, "gas_quality": 0.3}

    # AHP for the three areas: CR follows every judgement, refuses an inconsistent set.
    page.get_by_test_id("group-csi").get_by_role("link", name="AHP pairwise comparison…").click()
    matrix = page.get_by_test_id("ahp-matrix")
    page.wait_for_load_state("domcontentloaded")
    matrix.locator("select[name=a-0-1]").select_option("9")
    matrix.locator("select[name=a-1-2]").select_option("9")
    matrix.locator("select[name=a-0-2]").select_option("1/9")
    expect(page.get_by_test_id("ahp-message")).to_contain_text("most inconsistent judgement")
    expect(page.get_by_test_id("ahp-result")).to_contain_text("Not consistent enough")
    expect(page.locator("#r-1-0")).to_have_text("1/9")  # the reciprocal follows the choice
    matrix.locator("select[name=a-0-1]").select_option("3")
    matrix.locator("select[name=a-0-2]").select_option("5")
    matrix.locator("select[name=a-1-2]").select_option("2")
    expect(page.get_by_test_id("ahp-cr")).to_have_text("0.003")
    expect(page.get_by_test_id("ahp-result")).to_contain_text("Consistent (CR < 0.10)")
    expect(page.get_by_test_id("ahp-weight-supply")).to_have_text("0.648")
    page.get_by_role("button", name="Save these weights").click()
    expect(page.get_by_text(re.compile(r"AHP weights under Customer satisfaction index saved \(CR = 0\.003\)"))) \
        .to_be_visible()
    root = survey.indicators.get(code="csi")
    assert root.child_weight_method == WeightMethod.AHP and root.ahp["cr"] < 0.1
    expect(page.get_by_test_id("group-csi")).to_contain_text("CR = 0.003")

    # The preview, in Chinese then in English; the repair questions appear once a repair is reported.
    page.get_by_role("link", name="Preview").first.click()
    page.get_by_test_id("preview-zh-hans").click()
    questionnaire = page.get_by_test_id("questionnaire")
    expect(questionnaire).to_contain_text("天然气供气服务顾客满意度调查")
    expect(questionnaire.locator("#item-Q1")).to_contain_text("较满意")
    expect(questionnaire.locator("#item-Q4")).to_be_hidden()
    questionnaire.locator("#item-Q3").get_by_label("是").check()
    expect(questionnaire.locator("#item-Q4")).to_be_visible()
    expect(questionnaire.locator("#item-Q4")).to_contain_text("当 Q3 为 是 时显示")
    questionnaire.locator("#item-Q3").get_by_label("否").check()
    expect(questionnaire.locator("#item-Q4")).to_be_hidden()
    page.get_by_test_id("preview-en").click()
    expect(questionnaire).to_contain_text("Natural gas service customer satisfaction survey")
    expect(questionnaire.locator("#item-Q1")).to_contain_text("Very dissatisfied")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # the page itself stays in the user's language


def test_a_reader_sees_no_design_buttons(page, org):
    from kehu.surveys.services.definitions import survey_create_from_template

    survey = survey_create_from_template(actor=org.users.admin, template="nps", code="nps")
    log_in(page, "sales_n1")
    page.goto(f"/surveys/{survey.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Net Promoter Score")
    expect(page.get_by_role("link", name="Edit texts and settings")).to_have_count(0)
    page.get_by_role("link", name="Questionnaire").first.click()
    expect(page.get_by_test_id("question-list")).to_contain_text("How likely is it that you would recommend us")
    expect(page.get_by_role("link", name="Add a question")).to_have_count(0)
