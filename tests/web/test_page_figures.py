"""The kept aggregates of the value, RFM, forecast and performance pages
(kehu/insights/figure_cache.py): for each role, what the cache gives equals the
uncached computation after an order, a per-order rescoring, a new run and a
customer handed to another salesperson."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.insights import figure_cache, selectors
from kehu.insights.rescoring import rescore_customers_now
from kehu.insights.services import run_create, run_execute
from kehu.sales import forecast, performance as perf
from kehu.sales.services import order_create
from tests.insights.factories import order_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(org, customers):
    made = order_history(org.users.sales_n1, customers=20, seed=7)
    for c in made[:8]:   # a second salesperson's customers, so the scopes differ
        c.owner = org.users.sales_e1
        c.save()
    run = run_execute(run_create(actor=None, as_of=timezone.localdate() - dt.timedelta(days=1)))
    assert run.status == "succeeded", run.error
    return made, run


def _figures(user, run):
    """Every kept aggregate of the four pages for ``user``."""
    filters = selectors.ValueFilters()
    qs = selectors.score_queryset(viewer=user, run=run, filters=filters)
    threshold = selectors.churn_threshold(run)
    today = timezone.localdate()
    period = forecast.period_containing(today)
    p = perf.performance(viewer=user, start=today - dt.timedelta(days=800), end=today)
    return {
        "value": selectors.value_figures_for(viewer=user, run=run, filters=filters, qs=qs, threshold=threshold),
        "heat": selectors.rf_heatmap_for(viewer=user, run=run, filters=filters, qs=qs),
        "clv": selectors.clv_histogram_for(viewer=user, run=run, filters=filters, qs=qs, maximum=1000),
        "forecast": forecast.forecast(viewer=user, period=period, by="owner"),
        "forecast_team": forecast.forecast(viewer=user, period=period, by="team"),
        "performance": [(r.pk, r.counts) for r in p.people],
    }


def _uncached(monkeypatch, user, run):
    with monkeypatch.context() as m:
        m.setattr(figure_cache, "cached", lambda kind, parts, compute: compute())
        m.setattr(selectors, "clv_histogram_for", lambda *, viewer, run, filters, qs, maximum:
                  selectors.clv_histogram(qs, maximum=maximum))
        return _figures(user, run)


def _check(org, run, monkeypatch):
    for user in (org.users.sales_n1, org.users.sales_e1, org.users.admin):
        cached = _figures(user, run)
        assert cached == _figures(user, run), user.username        # now from the cache
        assert cached == _uncached(monkeypatch, user, run), user.username


def test_kept_page_figures_follow_orders_rescoring_runs_and_owners(analysed, org, monkeypatch,
                                                                   django_capture_on_commit_callbacks):
    made, run = analysed
    _check(org, run, monkeypatch)
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        order = order_create(actor=None, customer=made[10], data={"order_date": today},
                             lines=[{"quantity": 40, "unit_price": "999.00"}], check_permissions=False)
    _check(org, run, monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        assert rescore_customers_now([made[10].pk], order_id=order.pk, run=run, today=today) == 1
    _check(org, run, monkeypatch)
    with django_capture_on_commit_callbacks(execute=True):
        made[10].owner = org.users.sales_e1
        made[10].save()
    _check(org, run, monkeypatch)
    new = run_execute(run_create(actor=None, as_of=today))
    assert new.status == "succeeded", new.error
    _check(org, new, monkeypatch)


def test_a_rescoring_bumps_the_scores_version_only_when_it_commits(analysed, django_capture_on_commit_callbacks):
    made, run = analysed
    before = figure_cache.scores_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rescore_customers_now([made[0].pk], run=run)
        assert figure_cache.scores_version() == before
    assert len([c for c in callbacks if getattr(c, "kehu_scores_bump", False)]) == 1
    callbacks[-1]()
    assert figure_cache.scores_version() != before
