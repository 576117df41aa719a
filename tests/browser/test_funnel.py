"""A manager reads the funnel (the chart draws from the local vega bundle, no console
error); an administrator adds a stage on the pipeline settings and deletes it after
confirming."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from kehu.sales.models import ProductLine, Stage
from kehu.sales.opportunities import opportunity_create, opportunity_move, opportunity_win
from tests.browser.conftest import log_in
from tests.sales.conftest import seed_default_pipeline

pytestmark = pytest.mark.browser


def test_the_funnel_page_draws_its_chart(page, org, customers):
    pipeline = seed_default_pipeline()
    line = ProductLine.objects.create(code="steel", name="Steel")
    for name in ("A", "B", "C"):
        opp = opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": name},
                                 lines=[{"product_line": line, "amount": "1000"}])
        if name != "C":
            opportunity_move(actor=org.users.sales_n1, opportunity=opp, stage=pipeline.stages.get(code="potential"))
        if name == "A":
            opportunity_win(actor=org.users.sales_n1, opportunity=opp)
    log_in(page, "north_manager")
    page.goto("/opportunities/")
    page.get_by_test_id("opportunity-funnel-link").click()
    expect(page.get_by_test_id("funnel-table")).to_be_visible()
    expect(page.locator(".chart svg").first).to_be_visible()
    page.locator("#id_by").select_option("owner")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("funnel-breakdown")).to_contain_text("sales_n1")
    if os.environ.get("KEHU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["KEHU_SCREENSHOTS"], "funnel.png"), full_page=True)


def test_add_a_stage_and_delete_it_after_confirming(page, org):
    pipeline = seed_default_pipeline()
    log_in(page, "admin")
    page.goto("/settings/")
    page.get_by_role("link", name="Pipelines and reasons for losing").click()
    page.get_by_test_id("stage-new").first.click()
    page.locator("#id_name_zh").fill("方案")
    page.locator("#id_name_en").fill("Proposal")
    page.locator("#id_probability").fill("35")
    page.get_by_role("button", name="Save").click()
    stage = Stage.objects.get(pipeline=pipeline, code="proposal")
    row = page.locator(f'[data-stage="{stage.pk}"]')
    expect(row).to_contain_text("Proposal")
    row.get_by_role("link", name="Delete").click()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("confirm").click()
    expect(page.locator(f'[data-stage="{stage.pk}"]')).to_have_count(0)
    assert not Stage.objects.filter(pk=stage.pk).exists()
    if os.environ.get("KEHU_SCREENSHOTS"):
        page.screenshot(path=os.path.join(os.environ["KEHU_SCREENSHOTS"], "pipelines.png"), full_page=True)
