"""Survey results in the browser: the Results tab with its charts drawn by the
locally served Vega bundle, a salesperson's partial view, a benchmark added
and deleted with its confirmation, the report in Chinese with its PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.surveys.models import Benchmark
from kehu.surveys.services.definitions import survey_create_from_template
from kehu.surveys.simulate import fill_wave
from tests.browser.conftest import log_in
from tests.browser.test_language import switch_language
from tests.factories import CustomerFactory
from tests.surveys.factories import WaveFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def gas(org):
    survey = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    north = [CustomerFactory(owner=org.users.sales_n1, region="north") for _ in range(15)]
    east = [CustomerFactory(owner=org.users.sales_e1, region="east") for _ in range(15)]
    fill_wave(wave=WaveFactory(survey=survey, name="2025 H2"), n=30, seed=1, customers=north + east)
    fill_wave(wave=WaveFactory(survey=survey, name="2026 H1"), n=30, seed=2, customers=north + east, shift=0.4)
    return survey


def test_results_benchmarks_and_report(page, org, gas, guard):
    log_in(page, "hq_manager")
    page.goto(f"/surveys/{gas.pk}/")
    page.get_by_role("link", name="Results", exact=True).click()
    expect(page.get_by_test_id("headline")).to_contain_text("Satisfaction rate")
    expect(page.get_by_test_id("csi-tree")).to_contain_text("Gas supply quality")
    # the charts are drawn (SVG from vega-embed, served by Kehu itself)
    expect(page.locator("[data-vega-chart] svg").first).to_be_visible(timeout=15000)
    expect(page.get_by_test_id("drivers")).to_be_visible()
    page.get_by_label("By").select_option("owner")
    page.get_by_role("button", name="Show").last.click()
    expect(page.get_by_test_id("breakdown")).to_contain_text("sales_e1")

    # a benchmark, then its gap on the results
    page.get_by_role("link", name="Benchmarks", exact=True).click()
    page.get_by_role("link", name="Add a benchmark").first.click()
    page.get_by_label("Compared with").fill("Industry best")
    page.get_by_label("Score (0–100)").fill("88")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Benchmark added.")).to_be_visible()
    expect(page.get_by_test_id("benchmarks")).to_contain_text("Industry best")
    page.get_by_test_id("benchmarks").get_by_role("link", name="Delete").click()
    expect(page.get_by_text("The results and the report no longer compare with it.")).to_be_visible()
    page.get_by_role("button", name="Delete").click()
    expect(page.get_by_text("Benchmark deleted.")).to_be_visible()
    assert not Benchmark.objects.exists()

    # the report, in Chinese
    switch_language(page, "中文", "zh-hans")
    page.goto(f"/surveys/{gas.pk}/report/")
    expect(page.get_by_role("heading", name="1. 测评目的")).to_be_visible()
    expect(page.locator("img.chart").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")


def test_a_salesperson_sees_their_customers_only(page, org, gas):
    log_in(page, "sales_n1")
    page.goto(f"/surveys/{gas.pk}/results/")
    expect(page.get_by_text("These results cover only the customers you look after.")).to_be_visible()
    expect(page.get_by_test_id("headline")).to_contain_text("15")
    page.goto(f"/surveys/{gas.pk}/results/?by=owner")
    expect(page.get_by_test_id("breakdown")).not_to_contain_text("sales_e1")
