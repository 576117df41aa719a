"""Analysis runs: create, execute, store scores, fail and rerun, retention, schedule."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from kehu import jobs
from kehu.audit.models import AuditEvent
from kehu.insights import pipeline, signals
from kehu.insights.models import (
    AbcClass, AnalysisRun, CustomerScore, DickBasu, ReinartzKumar, RfmGroup, RunStatus, RunTrigger, ValueTier,
)
from kehu.insights.services import (
    NO_ORDERS, UNEXPECTED_FAILURE, run_create, run_execute, run_retry, run_start, value_settings_update,
)
from kehu.insights.tasks import nightly_analysis, nightly_run
from tests.insights.factories import order_history

AS_OF = dt.date(2024, 10, 31)


@pytest.fixture
def history(org):
    return order_history(org.users.sales_n1, customers=70, seed=5)


@pytest.mark.django_db
def test_run_create_copies_the_settings_and_checks_dates(org):
    value_settings_update(actor=org.users.admin, config={"clv": {"horizon_months": 6, "annual_discount_rate": 0.05}})
    run = run_create(actor=org.users.analyst, as_of=AS_OF, trigger=RunTrigger.WEB)
    assert run.status == RunStatus.QUEUED and run.parameters["clv"]["horizon_months"] == 6
    assert run.time_unit == "week" and run.model == "bgnbd" and run.requested_by == org.users.analyst
    assert AuditEvent.objects.filter(entity="analysisrun", entity_id=run.pk, action="create").exists()
    future = timezone.localdate() + dt.timedelta(days=1)
    cases = [
        (dict(as_of=future), "as_of"),
        (dict(as_of=AS_OF, calibration_end=AS_OF), "calibration_end"),
        (dict(as_of=AS_OF, holdout_end=dt.date(2024, 9, 1)), "holdout_end"),
        (dict(as_of=AS_OF, calibration_end=dt.date(2024, 6, 1), holdout_end=dt.date(2024, 5, 1)), "holdout_end"),
        (dict(as_of=AS_OF, calibration_end=dt.date(2024, 6, 1), holdout_end=dt.date(2024, 11, 5)), "holdout_end"),
        (dict(as_of=AS_OF, model="prophet"), "model"),
        (dict(as_of=AS_OF, time_unit="month"), "time_unit"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            run_create(actor=org.users.admin, **kwargs)
        assert field in exc.value.message_dict, kwargs
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        run_create(actor=org.users.admin, as_of=future)
    assert exc.value.message_dict["as_of"] == ["分析截止日期不能是将来的日期。"]
    for user in (org.users.sales_n1, org.users.north_marketing):
        with pytest.raises(PermissionDenied):
            run_create(actor=user, as_of=AS_OF)
    # With a calibration end the holdout ends at the as-of date unless given.
    run = run_create(actor=None, as_of=AS_OF, calibration_end=dt.date(2024, 4, 30), trigger=RunTrigger.CLI)
    assert run.holdout_end == AS_OF


@pytest.mark.django_db
def test_run_execute_scores_every_customer_with_orders(history, org):
    run = run_create(actor=org.users.admin, as_of=AS_OF, time_unit="day")
    stages = []
    run = run_execute(run, progress=lambda pct, stage: stages.append((pct, stage)))
    assert run.status == RunStatus.SUCCEEDED, run.error
    assert run.progress == 100 and run.stage == pipeline.STAGES["done"] and run.error == ""
    assert [p for p, _ in stages] == sorted(p for p, _ in stages)
    assert run.engine in ("sqlite", "postgresql") and run.started_at <= run.finished_at
    with_orders = {c.pk for c in history if c.orders.exclude(status="cancelled").filter(order_date__lte=AS_OF).exists()}
    scores = {s.customer_id: s for s in CustomerScore.objects.filter(run=run)}
    assert set(scores) == with_orders and run.customers == len(with_orders)
    for s in scores.values():
        assert s.rfm_group in RfmGroup.values and s.abc_class in AbcClass.values and s.tier in ValueTier.values
        assert s.dick_basu == DickBasu.UNKNOWN and s.attitude is None  # no surveys yet: never invented
        assert s.reinartz_kumar in ReinartzKumar.values
        assert 1 <= s.r_score <= 5 and s.first_order <= s.last_order <= AS_OF
        assert s.frequency == s.purchase_days - 1 and s.orders >= s.purchase_days
        assert s.p_alive is not None and 0 <= s.p_alive <= 1 and s.clv is not None and s.clv >= 0
        assert 0 <= s.churn_risk <= 1 and s.revenue_at_risk >= 0
        assert 0 <= s.scorecard <= 40 and s.scorecard_rank >= 1
        contributions = [r["contribution"] for r in s.churn_reasons]
        assert contributions == sorted(contributions, reverse=True)
        assert {r["signal"] for r in s.churn_reasons} <= {"p_alive", "overdue", "drop"}
        if s.purchase_days > 1:
            assert s.rhythm_days > 0 and s.next_order_date > s.last_order
        else:
            assert s.rhythm_days is None and s.next_order_date is None
    res = run.results
    assert res["model"]["name"] == "bgnbd" and set(res["model"]["params"]) == {"r", "alpha", "a", "b"}
    assert set(res["gamma_gamma"]["params"]) == {"p", "q", "gamma"}
    assert res["counts"]["customers"] == len(with_orders)
    assert res["counts"]["customers_without_orders"] >= 3  # the org fixture's customers have none
    assert sum(res["rfm"]["counts"].values()) == len(with_orders)
    assert sum(res["tiers"]["counts"].values()) == len(with_orders)
    assert res["pareto"]["top_fraction"] == 0.2 and 0 < res["pareto"]["top_share"] <= 1
    assert 0 <= res["pareto"]["gini"] < 1 and len(res["pareto"]["curve"]["value_share"]) == 101
    bt = res["churn"]["backtest"]
    assert bt["as_of"] == "2024-08-02" and bt["threshold"] == 0.5 and bt["n"] > 0  # as_of - 90 days
    assert res["holdout"]["explicit"] is False and res["holdout"]["by_frequency"]
    assert "tracking" not in res["holdout"]  # a second pass over the orders: validation runs only
    assert {"summary_sql", "fit", "store", "total"} <= set(res["timings"])
    flagged = [s for s in scores.values() if s.churn_risk >= 0.5]
    assert res["churn"]["flagged"] == len(flagged)
    if flagged:  # every customer of the history belongs to sales_n1, who must act
        assert res["churn"]["by_owner"] == [{
            "owner_id": org.users.sales_n1.pk, "username": "sales_n1", "flagged": len(flagged),
            "revenue_at_risk": pytest.approx(float(sum(s.revenue_at_risk for s in flagged)))}]
    json.dumps(res, allow_nan=False)  # plain JSON, no NaN


@pytest.mark.django_db
def test_pareto_nbd_with_an_explicit_holdout(history, org):
    run = run_execute(run_create(actor=None, as_of=AS_OF, calibration_end=dt.date(2024, 4, 30),
                                 model="pareto_nbd", trigger=RunTrigger.CLI))
    assert run.status == RunStatus.SUCCEEDED, run.error
    res = run.results
    assert set(res["model"]["params"]) == {"r", "alpha", "s", "beta"} and res["model"]["fitted_on"] == "calibration"
    assert res["holdout"]["explicit"] and res["holdout"]["calibration_end"] == "2024-04-30"
    assert sum(res["holdout"]["tracking"]["actual"]) > 0
    assert res["churn"]["backtest"]["as_of"] == "2024-04-30"


@pytest.mark.django_db
def test_attitude_comes_from_the_survey_hook_when_there_is_one(history, org):
    def attitude(*, customer_ids, as_of):
        import numpy as np

        out = np.full(len(customer_ids), np.nan)
        out[::2] = np.linspace(10, 90, len(out[::2]))
        return out

    signals.register("attitude", attitude)
    try:
        run = run_execute(run_create(actor=None, as_of=AS_OF, trigger=RunTrigger.CLI))
    finally:
        signals.unregister("attitude", attitude)
    scores = CustomerScore.objects.filter(run=run)
    known = scores.filter(attitude__isnull=False)
    assert known.exists() and not known.filter(dick_basu=DickBasu.UNKNOWN).exists()
    assert not scores.filter(attitude__isnull=True).exclude(dick_basu=DickBasu.UNKNOWN).exists()


@pytest.mark.django_db
def test_a_failed_run_is_recorded_and_can_be_run_again(history, org, monkeypatch, django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr("kehu.insights.services.analyse", broken)
    run = run_execute(run_create(actor=org.users.admin, as_of=AS_OF))
    assert run.status == RunStatus.FAILED and run.error == UNEXPECTED_FAILURE
    assert "boom" not in run.error and "Traceback" not in run.error
    assert not CustomerScore.objects.filter(run=run).exists()
    with translation.override("zh-hans"):
        assert "意外错误" in translation.gettext(run.error)
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        run_retry(actor=org.users.admin, run=run)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.error == "" and run.customers > 0
    with pytest.raises(ValidationError):
        run_retry(actor=org.users.admin, run=run)  # only failed runs


@pytest.mark.django_db
def test_no_orders_is_a_clear_failure(org):
    run = run_execute(run_create(actor=None, as_of=AS_OF, trigger=RunTrigger.CLI))
    assert run.status == RunStatus.FAILED and run.error == NO_ORDERS


@pytest.mark.django_db
def test_started_in_the_browser_runs_in_the_background_job(history, org, django_capture_on_commit_callbacks):
    assert jobs.huey.immediate  # tests run jobs at once
    with django_capture_on_commit_callbacks(execute=True):
        run = run_start(actor=org.users.hq_manager, as_of=AS_OF, trigger=RunTrigger.WEB)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED and run.progress == 100


@pytest.mark.django_db
def test_retention_keeps_scores_of_the_latest_runs_only(history, org):
    value_settings_update(actor=org.users.admin, config={"retention": {"keep_scores_runs": 2}})
    runs = [run_execute(run_create(actor=None, as_of=AS_OF - dt.timedelta(days=i), trigger=RunTrigger.CLI))
            for i in (30, 20, 10)]
    for r in runs:
        r.refresh_from_db()
    assert runs[0].scores_purged and not CustomerScore.objects.filter(run=runs[0]).exists()
    assert runs[0].results["model"]  # results stay
    for r in runs[1:]:
        assert not r.scores_purged and CustomerScore.objects.filter(run=r).count() == r.customers


@pytest.mark.django_db
def test_nightly_schedule_is_registered_and_runs_once_at_its_hour(history, org):
    # Registered with Huey as a periodic task that fires every hour at minute 0
    # (it then checks the configured hour): the consumer will run it.
    times = [dt.datetime(2024, 11, 1, h, m) for h in range(24) for m in (0, 30)]
    due = [t for t in times if any(isinstance(task, nightly_analysis.task_class)
                                   for task in jobs.huey.read_periodic(t))]
    assert due == times[::2]
    value_settings_update(actor=org.users.admin, config={"schedule": {"enabled": True, "hour": 3}})
    tz = timezone.get_current_timezone()
    at_two = dt.datetime(2024, 11, 1, 2, 0, tzinfo=tz)
    at_three = dt.datetime(2024, 11, 1, 3, 0, tzinfo=tz)
    assert nightly_run(at_two) is None
    run = nightly_run(at_three)
    assert run.trigger == RunTrigger.SCHEDULE and run.as_of == dt.date(2024, 10, 31)
    assert run.status == RunStatus.SUCCEEDED
    assert nightly_run(at_three + dt.timedelta(minutes=30)) is None  # once a day
    value_settings_update(actor=org.users.admin, config={"schedule": {"enabled": False, "hour": 3}})
    assert nightly_run(at_three + dt.timedelta(days=1)) is None


@pytest.mark.django_db
def test_one_rule_for_who_starts_an_analysis(org):
    """The service, the pages and the API share kehu.insights.permissions.can_start_run:
    a regional manager, whom the pages and the API refuse, is refused by the service too."""
    from kehu.insights import permissions, services

    users = org.users
    for user in (users.admin, users.analyst, users.hq_manager, users.north_manager, users.east_manager,
                 users.sales_n1, users.north_marketing):
        assert services.can_start_run(user) == permissions.can_start_run(user), user.username
    assert services.can_start_run(None)
    assert not permissions.can_start_run(users.north_manager)
    with pytest.raises(PermissionDenied):
        run_create(actor=users.north_manager, as_of=AS_OF)
    assert run_create(actor=users.hq_manager, as_of=AS_OF).status == RunStatus.QUEUED
