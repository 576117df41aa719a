"""A salesperson opens an opportunity from the customer's page, then moves it on the
pipeline board: by drag and drop, then by keyboard (Alt+→ on the focused card); each move
is in the stage history and the customer's lifecycle stage follows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.sales.models import Opportunity, ProductLine
from tests.browser.conftest import log_in
from tests.sales.conftest import seed_default_pipeline

pytestmark = pytest.mark.browser


def test_open_an_opportunity_and_move_it_on_the_board(page, org, customers):
    pipeline = seed_default_pipeline()
    ProductLine.objects.create(code="steel", name="Steel")
    customers.n1.lifecycle_stage = "target"
    customers.n1.save()
    log_in(page, "sales_n1")
    page.goto(f"/customers/{customers.n1.pk}/")
    page.get_by_test_id("customer-opportunity-new").click()
    page.locator("#id_name").fill("2027 年卷板供货")
    page.locator("#id_lines-0-product_line").select_option(label="Steel")
    page.locator("#id_lines-0-amount").fill("80000")
    page.get_by_test_id("opportunity-save").click()
    expect(page.get_by_test_id("opportunity-title")).to_have_text("2027 年卷板供货")
    expect(page.get_by_test_id("opportunity-amount")).to_have_text("80000.00")
    opp = Opportunity.objects.get()

    page.goto(f"/opportunities/board/?pipeline={pipeline.pk}")
    card = page.locator(f'[data-testid=opp-card][data-opp="{opp.pk}"]')
    expect(page.get_by_test_id("board-col-reserve").locator("[data-testid=opp-card]")).to_have_count(1)
    card.drag_to(page.get_by_test_id("board-col-potential"))
    expect(page.get_by_test_id("board-col-potential").locator("[data-testid=opp-card]")).to_have_count(1)
    expect(page.get_by_test_id("board-col-potential").get_by_test_id("board-weighted")).to_have_text("20000.00")
    opp.refresh_from_db()
    assert opp.stage.code == "potential" and opp.probability == 25

    card = page.locator(f'[data-testid=opp-card][data-opp="{opp.pk}"]')
    card.focus()
    page.keyboard.press("Alt+ArrowRight")
    expect(page.get_by_test_id("board-col-opportunity").locator("[data-testid=opp-card]")).to_have_count(1)
    opp.refresh_from_db()
    assert opp.stage.code == "opportunity"
    assert [c.to_stage.code for c in opp.stage_changes.order_by("at", "id")] == ["reserve", "potential",
                                                                                  "opportunity"]
    customers.n1.refresh_from_db()
    assert customers.n1.lifecycle_stage == "opportunity"

    page.goto(f"/opportunities/{opp.pk}/")
    expect(page.get_by_test_id("stage-history")).to_contain_text("Potential → Opportunity")
