"""The value selectors: figures over what the viewer may see, computed in SQL,
equal to the pure core's (kehu.analytics.pareto) on the same values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.analytics import pareto
from kehu.insights import selectors
from kehu.insights.models import CustomerScore
from kehu.insights.selectors import ValueFilters
from kehu.pagination import tiered_keyset_page
from tests.factories import CustomerFactory
from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = pytest.mark.django_db


def test_latest_run_is_the_finished_one_with_the_latest_as_of(value):
    AnalysisRunFactory(status="running", as_of=value.today + dt.timedelta(days=1))
    AnalysisRunFactory(as_of=value.today + dt.timedelta(days=2), scores_purged=True)
    assert selectors.latest_run() == value.run
    assert selectors.scored_run(value.before.pk) == value.before
    assert selectors.scored_run("nonsense") == value.run
    assert selectors.scored_run(999999) == value.run


def test_figures_are_scoped_to_what_the_viewer_sees(org, value):
    admin = selectors.value_figures(selectors.score_queryset(viewer=org.users.admin, run=value.run), threshold=0.5)
    assert admin["customers"] == 5 and admin["revenue"] == Decimal("75000")
    assert admin["flagged"] == 2
    mine = selectors.value_figures(selectors.score_queryset(viewer=org.users.sales_n1, run=value.run), threshold=0.5)
    assert mine["customers"] == 3 and mine["revenue"] == Decimal("65000")
    assert mine["flagged"] == 1 and mine["flagged_revenue"] == Decimal("12000")
    tiers = {g.key: g for g in mine["tier"]}
    assert tiers["gold"].customers == 1 and tiers["gold"].revenue == Decimal("50000")
    assert tiers["do_not_serve"].customers == 0
    assert "" not in tiers
    assert abs(tiers["gold"].share - 50000 / 65000) < 1e-9
    groups = {g.key: g.customers for g in mine["rfm_group"]}
    assert groups["important_value"] == 1 and groups["general_keep"] == 0
    nobody = selectors.value_figures(selectors.score_queryset(viewer=org.users.sales_n1b, run=value.run),
                                     threshold=0.5)
    assert nobody["customers"] == 1


def test_filters_team_region_owner_product_line_and_groups(org, value):
    from tests.factories import OrderFactory, ProductFactory

    admin = org.users.admin
    count = lambda **kw: selectors.score_queryset(viewer=admin, run=value.run, filters=ValueFilters(**kw)).count()
    assert count(team_id=org.teams.north.pk) == 4  # the region's subtree: n1, n1_risky, n1_due, n1b
    assert count(team_id=org.teams.e1.pk) == 1
    assert count(region="east") == 1
    assert count(owner_id=org.users.sales_n1.pk) == 3
    assert count(tier="silver") == 2
    assert count(abc_class="C", region="north") == 1
    assert count(churn_only=True) == 2
    product = ProductFactory()
    OrderFactory(customer=value.scores.n1b.customer, lines=[{"product": product, "quantity": 1}],
                 order_date=value.today - dt.timedelta(days=10))
    OrderFactory(customer=value.scores.e1.customer, lines=[{"product": product, "quantity": 1}],
                 order_date=value.today - dt.timedelta(days=500))  # outside the year
    assert count(product_line_id=product.line_id) == 1
    # a cell of the migration matrix: silver before, gold now
    assert count(moved_from=(value.before.pk, "tier", "silver"), tier="gold") == 1
    assert count(moved_from=(value.before.pk, "tier", ""), tier="bronze") == 1  # n1_due is new


@pytest.mark.parametrize("n", [1, 2, 7, 101, 250])
def test_pareto_in_sql_equals_the_pure_core(org, n):
    run = AnalysisRunFactory()
    rng = np.random.default_rng(n)
    values = np.round(rng.pareto(1.2, n) * 1000, 2)
    values[0] = values[1 % n]  # a tie
    owner = org.users.sales_n1
    for v in values:
        CustomerScoreFactory(run=run, customer=CustomerFactory(owner=owner), revenue=Decimal(str(v)))
    summary = selectors.pareto_summary(selectors.score_queryset(viewer=org.users.admin, run=run))
    assert summary.customers == n
    assert summary.gini == pytest.approx(pareto.gini(values), abs=1e-9)
    assert summary.top20_share == pytest.approx(pareto.top_share(values, 0.2), abs=1e-9)
    assert summary.share_for_80 == pytest.approx(pareto.share_for_value(values, 0.8), abs=1e-9)
    curve = pareto.pareto_curve(values)
    for x, y in summary.points[1:]:
        k = round(x * n)
        assert y == pytest.approx(curve.value_share[k - 1], abs=1e-9)
    assert summary.points[0] == (0.0, 0.0) and summary.points[-1] == (1.0, 1.0)
    assert len(summary.points) <= 101


def test_pareto_with_losses_has_no_gini_and_nothing_positive_gives_none(org):
    run = AnalysisRunFactory()
    for v in ("100", "-20", "50"):
        CustomerScoreFactory(run=run, customer=CustomerFactory(owner=org.users.sales_n1), revenue=Decimal(v),
                             gross_margin=Decimal(v))
    qs = selectors.score_queryset(viewer=org.users.admin, run=run)
    summary = selectors.pareto_summary(qs, basis="gross_margin")
    assert summary.gini is None and summary.top20_share == pytest.approx(100 / 130)
    assert selectors.pareto_summary(qs.filter(revenue__lt=0)) is None
    assert selectors.pareto_summary(qs.none()) is None


def test_clv_histogram_bands(org, value):
    qs = selectors.score_queryset(viewer=org.users.admin, run=value.run)
    figures = selectors.value_figures(qs, threshold=0.5)
    bins = selectors.clv_histogram(qs, maximum=figures["clv_max"])
    assert sum(b.customers for b in bins) == 5
    assert bins[0].low == 0 and bins[-1].high >= 30000
    assert all(b.low < b.high for b in bins)
    assert selectors.clv_histogram(qs, maximum=None) == []


def test_nice_edges():
    assert selectors._nice_edges(30000) == [0.0, 100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0,
                                            20000.0, 50000.0]
    assert selectors._nice_edges(100) == [0.0, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0]
    assert selectors._nice_edges(0) == [0.0, 1.0]


def test_rf_heatmap_and_migration(org, value):
    qs = selectors.score_queryset(viewer=org.users.sales_n1, run=value.run)
    heat = selectors.rf_heatmap(qs)
    assert heat[(5, 5)]["customers"] == 1 and heat[(1, 4)]["revenue"] == Decimal("12000")
    matrix = selectors.migration_matrix(viewer=org.users.sales_n1, run_from=value.before, run_to=value.run,
                                        field="tier")
    assert matrix == {("silver", "gold"): 1, ("gold", "silver"): 1, ("", "bronze"): 1}
    everyone = selectors.migration_matrix(viewer=org.users.admin, run_from=value.before, run_to=value.run,
                                          field="tier")
    assert sum(everyone.values()) == 5 and everyone[("silver", "silver")] == 1


def test_call_list_is_own_customers_warned_then_due(org, value):
    qs, tiers = selectors.call_list(viewer=org.users.sales_n1, run=value.run, today=value.today)
    page = tiered_keyset_page(qs, tiers=tiers, cursor=None, page_size=10)
    # n1_risky is warned; n1's next order was expected 10 days ago, n1_due's falls due this week
    assert [s.customer_id for s in page.items] == [value.n1_risky.pk, value.scores.n1.customer_id, value.n1_due.pk]
    qs, tiers = selectors.call_list(viewer=org.users.north_manager, run=value.run, today=value.today)
    assert qs.count() == 0  # the manager owns none of them
    assert selectors.call_list(viewer=org.users.sales_n1, run=None, today=value.today)[0].count() == 0


def test_score_list_pages_every_score_once_in_each_sort(org, value):
    CustomerScoreFactory(run=value.run, customer=CustomerFactory(owner=org.users.sales_n1), clv=None,
                         churn_risk=None, next_order_date=None, revenue_at_risk=None)
    for sort in selectors.SCORE_SORTS:
        qs, tiers = selectors.score_list(viewer=org.users.sales_n1, run=value.run, sort=sort)
        seen, cursor = [], None
        while True:
            page = tiered_keyset_page(qs, tiers=tiers, cursor=cursor, page_size=2)
            seen += [s.pk for s in page.items]
            if not page.has_next:
                break
            cursor = page.next_cursor
        assert len(seen) == len(set(seen)) == 4, sort
    qs, tiers = selectors.score_list(viewer=org.users.sales_n1, run=value.run, sort="clv")
    first = tiered_keyset_page(qs, tiers=tiers, cursor=None, page_size=1).items[0]
    assert first.customer_id == value.scores.n1.customer_id


def test_a_next_page_of_each_score_list_is_one_row_value_range(org, value):
    """Each sort's ties run in its measure's direction, so that the page after a cursor is
    ``(clv, id) < (x, y)`` — a range of the list's index — not ``clv < x OR (clv = x AND id
    > y)``, which PostgreSQL answered by walking the index from its start (4.4 s for a page
    deep in the benchmark's million scores; migration insights 0008)."""
    from kehu.pagination import _after_q

    for sort, tiers in selectors.SCORE_SORTS.items():
        for tier in tiers:
            directions = {f.startswith("-") for f in tier.ordering}
            assert len(directions) == 1, (sort, tier.ordering)
            if connection.vendor == "postgresql":  # SQLite gets Django's expanded form
                q = _after_q(tier.ordering, [dt.date(2024, 1, 1) if "date" in f else 1 for f in tier.ordering], True)
                sql = str(CustomerScore.objects.filter(q).query)
                assert " OR " not in sql, (sort, sql)


def test_one_customers_history_is_scoped(org, value):
    n1 = value.scores.n1.customer_id
    assert [s.run_id for s in selectors.customer_scores(viewer=org.users.sales_n1, customer_id=n1)] == [
        value.run.pk, value.before.pk]
    assert not selectors.customer_scores(viewer=org.users.sales_e1, customer_id=n1).exists()


def test_figures_take_a_fixed_number_of_queries(org, value, django_assert_max_num_queries):
    viewer = org.users.sales_n1
    qs = selectors.score_queryset(viewer=viewer, run=value.run, filters=ValueFilters(region="north"))
    with CaptureQueriesContext(connection) as ctx:
        figures = selectors.value_figures(qs, threshold=0.5)
        selectors.pareto_summary(qs)
        selectors.clv_histogram(qs, maximum=figures["clv_max"])
        selectors.rf_heatmap(qs)
    # policy lookups (team, shares) once, then one query per figure (+ work_mem for the sort on PostgreSQL)
    assert len(ctx.captured_queries) <= 7, [q["sql"] for q in ctx.captured_queries]


def test_page_figures_use_the_runs_own_curve_for_head_office_and_compute_the_rest(org, value):
    from django.core.cache import cache

    cache.clear()
    value.run.results = {**value.run.results, "pareto": {
        "basis": "revenue", "top_share": 0.6667, "share_for_80": 0.4, "gini": 0.52,
        "curve": {"customer_share": [0, 0.5, 1], "value_share": [0, 0.9, 1]}}, "totals": {"revenue": 75000}}
    value.run.save()
    admin_qs = selectors.score_queryset(viewer=org.users.admin, run=value.run)
    stored = selectors.pareto_for(viewer=org.users.admin, run=value.run, filters=ValueFilters(), qs=admin_qs)
    assert stored.gini == 0.52 and stored.points[1] == (0.5, 0.9) and stored.customers == 5
    # a filter, another basis or a narrower viewer: computed over what is seen
    north = ValueFilters(region="north")
    computed = selectors.pareto_for(viewer=org.users.admin, run=value.run, filters=north,
                                    qs=selectors.score_queryset(viewer=org.users.admin, run=value.run, filters=north))
    assert computed.customers == 4
    mine = selectors.pareto_for(viewer=org.users.sales_n1, run=value.run, filters=ValueFilters(),
                                qs=selectors.score_queryset(viewer=org.users.sales_n1, run=value.run))
    assert mine.customers == 3 and mine.top20_share == pytest.approx(50000 / 65000)
    # kept per viewer scope: another salesperson's figures are their own
    other = selectors.pareto_for(viewer=org.users.sales_e1, run=value.run, filters=ValueFilters(),
                                 qs=selectors.score_queryset(viewer=org.users.sales_e1, run=value.run))
    assert other.customers == 1
    with CaptureQueriesContext(connection) as ctx:
        again = selectors.pareto_for(viewer=org.users.sales_n1, run=value.run, filters=ValueFilters(),
                                     qs=selectors.score_queryset(viewer=org.users.sales_n1, run=value.run))
    assert again.customers == 3 and not any("ROW_NUMBER" in q["sql"] for q in ctx.captured_queries)
