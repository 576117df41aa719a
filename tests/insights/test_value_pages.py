"""The Customer value pages: they render in both languages, show only what
the viewer may see, explain an empty state, and keep their query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.insights.score_factories import SegmentFactory
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = pytest.mark.django_db

LANGS = ["en", "zh-hans"]


def section_urls(value, segment):
    run = value.run.pk
    return [
        reverse("value_overview"),
        reverse("value_overview") + f"?run={run}&basis=gross_margin&region=north",
        reverse("value_rfm"),
        reverse("value_scores"),
        reverse("value_scores") + "?sort=churn&tier=silver&per=50",
        reverse("value_scores") + f"?from_run={value.before.pk}&from_field=tier&from_value=silver&tier=gold",
        reverse("value_churn"),
        reverse("value_churn") + "?sort=at_risk",
        reverse("value_migration"),
        reverse("value_migration") + "?field=abc_class",
        reverse("value_calls"),
        reverse("value_runs"),
        reverse("value_run_detail", args=[run]),
        reverse("segment_list"),
        reverse("segment_create"),
        reverse("segment_detail", args=[segment.pk]),
        reverse("customer_detail", args=[value.scores.n1.customer_id]),
        reverse("home"),
    ]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("role", ["admin", "sales_n1", "analyst", "north_manager"])
def test_pages_render_in_both_languages(client, org, value, lang, role):
    user = getattr(org.users, role)
    user.language = lang
    user.save()
    client.force_login(user)
    segment = SegmentFactory(created_by=org.users.admin)
    for url in section_urls(value, segment):
        if role == "analyst" and url == reverse("segment_create"):
            continue  # analysts change nothing (test_value_permissions)
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        assert f'lang="{lang}"' in html, url


def test_overview_states_the_pareto_figures_over_the_viewers_customers(client, org, value):
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("value_overview")).content.decode()
    # n1 50,000, n1_risky 12,000, n1_due 3,000: the top 20% (one customer) make 76.9%
    assert "The top 20% of customers make 76.9% of the revenue." in html
    assert "¥65,000.00" in html and "¥75,000.00" not in html
    assert "data-vega-chart" in html and "/charts/vega-" in html
    assert "Key account: dedicated staff" not in html  # the factory's run has no tier policies
    client.force_login(org.users.admin)
    html = client.get(reverse("value_overview")).content.decode()
    assert "¥75,000.00" in html


def test_overview_shows_each_tiers_policy_from_the_run(client, org, value):
    from kehu.insights.config import default_config

    value.run.parameters = default_config()
    value.run.save()
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("value_overview")).content.decode()
    assert "Key account: dedicated staff" in html
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    html = client.get(reverse("value_overview")).content.decode()
    assert "重点客户：专人服务" in html and "客户价值" in html


def test_lists_show_only_the_viewers_customers(client, org, value):
    client.force_login(org.users.sales_n1)
    for name in ("value_scores", "value_churn"):
        html = client.get(reverse(name)).content.decode()
        assert "华东机械集团" not in html, name  # e1 belongs to sales_e1
        assert "张三" not in html, name  # n1b belongs to sales_n1b
    html = client.get(reverse("value_churn")).content.decode()
    assert "风险客户" in html and "Only 25% likely still active" in html
    assert "No order for 200 days, against a usual gap of 60 days" in html
    client.force_login(org.users.analyst)
    html = client.get(reverse("value_churn")).content.decode()
    assert "风险客户" in html and "华东机械集团" in html


def test_salesperson_cannot_page_into_another_teams_customers_by_filters(client, org, value):
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("value_scores") + f"?team={org.teams.e1.pk}&owner={org.users.sales_e1.pk}").content.decode()
    assert "华东机械集团" not in html
    assert "No customers you may see match these filters" in html


def test_empty_state_explains_and_offers_to_start(client, org):
    client.force_login(org.users.admin)
    for name in ("value_overview", "value_rfm", "value_scores", "value_churn", "value_migration"):
        html = client.get(reverse(name)).content.decode()
        assert "No value analysis yet" in html, name
        assert reverse("value_run_create") in html, name
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("value_overview")).content.decode()
    assert "No value analysis yet" in html and reverse("value_run_create") not in html
    assert "An administrator, an analyst or a head-office manager can start one" in html
    html = client.get(reverse("home")).content.decode()
    assert "Once a value analysis has run, the customers to call appear here." in html


def test_360_page_explains_the_scores_in_plain_language(client, org, value):
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("customer_detail", args=[value.scores.n1.customer_id])).content.decode()
    assert "Bought 12 times." in html
    assert "The last order was 40 days ago" in html
    assert "Usually orders every 30 days." in html
    assert "The next order was expected 10 days ago" in html
    assert "68% likely still active." in html
    assert "Expected to buy about 3.2 more times in the next 12 months, worth ¥30,000.00." in html
    assert "No churn warning (risk 10%)." in html
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    html = client.get(reverse("customer_detail", args=[value.scores.n1.customer_id])).content.decode()
    assert "Bought 12 times." not in html and "客户价值" in html


def test_dashboard_lists_customers_to_call_with_reasons(client, org, value):
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("home")).content.decode()
    assert "Customers to call this week" in html
    assert "风险客户" in html and "Churn warning (risk 72%)" in html
    assert "Due Trading Ltd" in html and "The next order is expected" in html
    client.force_login(org.users.sales_e1)
    html = client.get(reverse("home")).content.decode()
    assert "华东机械集团" in html  # warned (0.65)
    assert "风险客户" not in html


def test_migration_matrix_links_to_the_customers_who_moved(client, org, value):
    client.force_login(org.users.sales_n1)
    response = client.get(reverse("value_migration") + "?field=tier")
    html = response.content.decode()
    assert "3 of 3 customers changed group" in html  # silver→gold, gold→silver, new→bronze
    link = (reverse("value_scores") + f"?run={value.run.pk}&amp;from_run={value.before.pk}&amp;from_field=tier"
            f"&amp;from_value=silver&amp;tier=gold")
    assert link in html
    html = client.get(link.replace("&amp;", "&")).content.decode()
    assert "北方钢铁贸易有限公司" in html and "风险客户" not in html


def test_run_pages_show_company_figures_only_to_head_office(client, org, value):
    url = reverse("value_run_detail", args=[value.run.pk])
    client.force_login(org.users.analyst)
    assert "4.4140" in client.get(url).content.decode()
    client.force_login(org.users.sales_n1)
    html = client.get(url).content.decode()
    assert "4.4140" not in html and "shown to head office" in html


def _page_queries(ctx) -> int:
    """The page's own queries: not the cache's (the default cache is the
    database's table kehu_cache; a figure kept there is one SELECT when warm)
    nor the savepoints that the test's surrounding transaction adds."""
    return sum(1 for q in ctx.captured_queries
               if "kehu_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"].upper())


def test_query_counts_do_not_grow_with_the_rows(client, org, value, django_assert_max_num_queries):
    from tests.factories import CustomerFactory
    from tests.insights.score_factories import CustomerScoreFactory

    client.force_login(org.users.sales_n1)
    urls = [reverse("value_overview"), reverse("value_scores"), reverse("value_churn"), reverse("value_rfm"),
            reverse("value_calls"), reverse("home")]
    counts = {}
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        counts[url] = _page_queries(ctx)
    for i in range(30):
        CustomerScoreFactory(run=value.run, customer=CustomerFactory(owner=org.users.sales_n1),
                             churn_risk=0.9 if i % 2 else 0.1, churn_reasons=[{"signal": "drop", "value": 0.5,
                                                                               "contribution": 0.2}])
    for url in urls:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        assert _page_queries(ctx) <= counts[url], url  # a tier may fill the page alone
    assert counts[reverse("value_overview")] <= 17
    assert counts[reverse("value_scores")] <= 16


def test_start_a_run_from_the_page_and_follow_it(client, org, django_capture_on_commit_callbacks):
    import datetime as dt

    from kehu.insights.models import AnalysisRun
    from tests.insights.factories import order_history

    order_history(org.users.sales_n1, customers=40, seed=3, start=dt.date(2023, 1, 1), days=600)
    client.force_login(org.users.analyst)
    r = client.post(reverse("value_run_create"), {"as_of": "2999-01-01", "time_unit": "week", "model": "bgnbd"})
    assert "The as-of date cannot be in the future." in r.content.decode()
    r = client.post(reverse("value_run_create"), {"as_of": "2024-08-31", "calibration_end": "2024-09-30",
                                                  "time_unit": "week", "model": "bgnbd"})
    assert "The calibration must end before the as-of date." in r.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("value_run_create"), {"as_of": "2024-08-31", "calibration_end": "2024-05-31",
                                                      "time_unit": "week", "model": "bgnbd"})
    run = AnalysisRun.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("value_run_detail", args=[run.pk])
    assert run.status == "succeeded" and run.trigger == "web" and run.requested_by == org.users.analyst
    html = client.get(r["Location"]).content.decode()
    assert "Fitted models" in html and "Holdout check" in html and "How good is the churn warning?" in html
    # a finished run polls no more (the header's search box has an hx-trigger of its own)
    assert 'data-status="succeeded"' in html and 'hx-trigger="every' not in html
    # the overview now shows the run's figures
    html = client.get(reverse("value_overview")).content.decode()
    assert "The top 20% of customers make" in html and "Key account: dedicated staff" in html


def test_progress_box_polls_while_running_and_refreshes_when_done(client, org):
    from tests.insights.score_factories import AnalysisRunFactory

    run = AnalysisRunFactory(status="running", progress=45, stage="Fitting the purchase and spend models")
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("value_run_progress", args=[run.pk]), HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 2s"' in html and 'value="45"' in html and "Fitting the purchase" in html
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    html = client.get(reverse("value_run_progress", args=[run.pk])).content.decode()
    assert "拟合" in html or "模型" in html
    run.status, run.progress = "succeeded", 100
    run.save()
    r = client.get(reverse("value_run_progress", args=[run.pk]), HTTP_HX_REQUEST="true")
    assert r["HX-Refresh"] == "true"
    failed = AnalysisRunFactory(status="failed", error="There are no orders up to the as-of date: nothing to analyse.")
    html = client.get(reverse("value_run_detail", args=[failed.pk])).content.decode()
    assert "没有" in html  # the stored English message, shown in the user's language


def test_churn_page_shows_the_backtest_precision_and_recall_to_head_office(client, org, value):
    client.force_login(org.users.analyst)
    html = client.get(reverse("value_churn")).content.decode()
    assert 'data-testid="churn-backtest"' in html and "61%" in html and "74%" in html
    assert reverse("value_run_detail", args=[value.run.pk]) + "#backtest" in html
    client.force_login(org.users.sales_n1)  # a company-wide figure: not for a salesperson
    assert 'data-testid="churn-backtest"' not in client.get(reverse("value_churn")).content.decode()


def test_360_page_says_when_the_scores_followed_an_order(client, org, value):
    import datetime as dt

    from django.utils import timezone

    from kehu.insights.models import CustomerScore

    client.force_login(org.users.sales_n1)
    url = reverse("customer_detail", args=[value.scores.n1.customer_id])
    assert 'data-testid="value-rescored"' not in client.get(url).content.decode()
    CustomerScore.objects.filter(pk=value.scores.n1.pk).update(
        rescored_at=timezone.make_aware(dt.datetime(2026, 3, 4, 10, 32)), rescored_order_ref="SO000000123")
    html = client.get(url).content.decode()
    run_id = value.scores.n1.run_id
    assert "Updated after order SO000000123 at" in html and f"the parameters of analysis #{run_id}." in html
