"""Customer value in real headless Chromium: the Pareto chart draws from the
locally served bundle with no console errors and no request leaving the
server; an analysis starts from the page and finishes; the progress bar
follows a running analysis; the churn list leads to a customer's scores."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.browser.conftest import log_in
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def watched(page, live_server):
    """The page, with its console errors and every request that was not for the live server."""
    errors, external = [], []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("request", lambda req: external.append(req.url)
            if not (req.url.startswith(live_server.url) or req.url.startswith("data:")) else None)
    page.errors, page.external = errors, external
    return page


def test_customer_value_overview_draws_the_pareto_chart(watched, org, value):
    page = watched
    log_in(page, "sales_n1")
    page.click("nav.mainnav >> text=Customer value")
    page.wait_for_selector("[data-testid=pareto] [data-vega-chart][data-drawn=yes] svg", timeout=30000)
    assert "The top 20% of customers make 76.9% of the revenue." in page.inner_text("[data-testid=pareto-statement]")
    # every chart of the page is drawn, as SVG, with its figures also in a table
    charts = page.locator("[data-vega-chart]")
    page.wait_for_function("() => document.querySelectorAll('[data-vega-chart]:not([data-drawn=yes])').length === 0")
    assert page.locator("[data-vega-chart] svg").count() == charts.count() >= 3
    assert page.locator("[data-testid=pareto] details table").count() == 1
    assert page.errors == [] and page.external == []


def test_chinese_overview_draws_with_chinese_labels(watched, org, value):
    page = watched
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    log_in(page, "sales_n1")
    page.goto("/value/")
    page.wait_for_function("() => document.querySelectorAll('[data-vega-chart]:not([data-drawn=yes])').length === 0",
                           timeout=30000)
    tiers_svg = page.inner_html("[data-testid=tiers] [data-vega-chart] svg")
    assert "金牌" in tiers_svg and "销售额" in tiers_svg
    assert "前 20% 的客户贡献了" in page.inner_text("[data-testid=pareto-statement]")
    assert page.errors == [] and page.external == []


def test_start_an_analysis_and_watch_it_finish(watched, org):
    from tests.insights.factories import order_history

    page = watched
    order_history(org.users.sales_n1, customers=40, seed=3, start=dt.date(2023, 1, 1), days=600)
    log_in(page, "analyst")
    page.goto("/value/")
    page.click("[data-testid=start-first-run]")
    page.fill("#id_as_of", "2024-08-31")
    page.fill("#id_calibration_end", "2024-05-31")
    page.click("[data-testid=start-run]")
    page.wait_for_selector("[data-testid=run-progress][data-status=succeeded]", timeout=60000)
    assert "Analysis #" in page.inner_text("h1")
    page.wait_for_selector("[data-testid=holdout] [data-vega-chart][data-drawn=yes] svg", timeout=30000)
    page.click("[data-testid=see-results]")
    page.wait_for_selector("[data-testid=pareto] [data-vega-chart][data-drawn=yes]", timeout=30000)
    assert page.errors == [] and page.external == []


def test_progress_bar_follows_a_running_analysis(watched, org):
    from kehu.insights.models import AnalysisRun
    from tests.insights.score_factories import AnalysisRunFactory

    page = watched
    run = AnalysisRunFactory(status="running", progress=10, stage="Summarising the orders in the database")
    log_in(page, "admin")
    page.goto(f"/value/runs/{run.pk}/")
    assert page.get_attribute("[data-testid=run-progress] progress", "value") == "10"
    AnalysisRun.objects.filter(pk=run.pk).update(progress=60, stage="Storing the scores")
    page.wait_for_function("() => document.querySelector('[data-testid=run-progress] progress').value == 60",
                           timeout=10000)
    assert "Storing the scores" in page.inner_text("[data-testid=run-progress]")
    AnalysisRun.objects.filter(pk=run.pk).update(status="succeeded", progress=100, stage="Finished", customers=0)
    page.wait_for_selector("[data-testid=run-progress][data-status=succeeded]", timeout=10000)
    assert page.errors == [] and page.external == []


def test_churn_list_leads_to_the_customers_scores(watched, org, value):
    page = watched
    log_in(page, "sales_n1")
    page.goto("/value/churn/")
    row = page.locator("[data-testid=churn-list] tbody tr").first
    assert "风险客户" in row.inner_text() and "Only 25% likely still active" in row.inner_text()
    row.locator("a").first.click()
    page.wait_for_selector("[data-testid=value-panel]")
    text = page.inner_text("[data-testid=value-explanation]")
    assert "Churn warning: risk 72%" in text and "Revenue at risk" in text
    assert page.errors == [] and page.external == []
