"""Scores that follow each order (issue 17, item 2): a customer rescored after an
order with the last run's parameters has exactly the figures a full analysis
pinned to those parameters gives that customer; the order's commit queues it."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from kehu.insights import signals
from kehu.insights.models import CustomerScore
from kehu.insights.pipeline import RESCORED_COLUMNS, ScoringParameters, analyse
from kehu.insights.rescoring import rescore_customers_now
from kehu.insights.services import run_create, run_execute
from kehu.insights.summary_sql import SummaryWindow, run_summary
from kehu.sales.services import order_create
from tests.factories import CustomerFactory
from tests.insights.factories import order_history

pytestmark = pytest.mark.django_db


@pytest.fixture
def analysed(org):
    made = order_history(org.users.sales_n1, customers=60, seed=5)
    today = timezone.localdate()
    run = run_execute(run_create(actor=None, as_of=today - dt.timedelta(days=1)))
    assert run.status == "succeeded", run.error
    return made, run, today


def _full_pinned(run, today):
    churn = run.parameters["churn"]
    window = SummaryWindow(as_of=today, split=today - dt.timedelta(days=churn["period_days"]), holdout_end=today,
                           period_days=churn["period_days"], revenue_days=churn["revenue_days"])
    s = run_summary(window)
    a = analyse(s, window=window, explicit_split=False, time_unit=run.time_unit, model=run.model,
                cfg=run.parameters, pinned=ScoringParameters.from_json(run.results["scoring"]),
                satisfaction=signals.collect("satisfaction", s.customer_id, today),
                complaints=signals.collect("open_complaints", s.customer_id, today))
    return a


def _same(stored, expected, name, rel=1e-9):
    if expected is None or (isinstance(expected, float) and np.isnan(expected)):
        assert stored in (None, "", 0), name
    elif isinstance(expected, np.datetime64):
        assert stored == expected.astype("datetime64[D]").item(), name
    elif name == "next_order_date":
        assert stored == dt.date(1970, 1, 1) + dt.timedelta(days=int(expected)), name
    elif isinstance(stored, str):
        assert stored == expected, name
    else:
        assert float(stored) == pytest.approx(float(expected), rel=rel, abs=rel), name


def test_rescoring_after_an_order_equals_a_full_run_with_the_same_parameters(analysed, org):
    made, run, today = analysed
    scoring = run.results["scoring"]
    assert scoring["params"] and scoring["gamma_gamma"] and len(scoring["rfm_breakpoints"]) == 3
    old = made[3]
    new = CustomerFactory(owner=org.users.sales_n1, name="New since the run")
    o1 = order_create(actor=None, customer=old, data={"order_date": today},
                      lines=[{"quantity": 3, "unit_price": "199.99", "unit_cost": "120.00"}], check_permissions=False)
    order_create(actor=None, customer=new, data={"order_date": today - dt.timedelta(days=40)},
                 lines=[{"quantity": 1, "unit_price": "80.00"}], check_permissions=False)
    order_create(actor=None, customer=new, data={"order_date": today},
                 lines=[{"quantity": 1, "unit_price": "120.00"}], check_permissions=False)
    assert rescore_customers_now([old.pk, new.pk], order_id=o1.pk, run=run, today=today) == 2

    full = _full_pinned(run, today)
    reasons = full.churn_reasons_json()
    import json

    for c in (old, new):
        row = CustomerScore.objects.get(run=run, customer=c)
        assert row.rescored_at is not None
        i = int(np.searchsorted(full.customer_id, c.pk))
        assert full.customer_id[i] == c.pk
        for name in RESCORED_COLUMNS:
            _same(getattr(row, name), full.columns[name][i], name)
        assert row.churn_reasons == json.loads(reasons[i])
    assert CustomerScore.objects.get(run=run, customer=old).rescored_order_ref == o1.ref
    assert CustomerScore.objects.get(run=run, customer=old).p_alive is not None


def test_pinned_full_run_reproduces_the_run_itself(analysed):
    """Pinning a run's own parameters on its own data gives back its stored scores."""
    made, run, _today = analysed
    a = _full_pinned(run, run.as_of)
    stored = {s.customer_id: s for s in CustomerScore.objects.filter(run=run)}
    for i, cid in enumerate(a.customer_id.tolist()):
        row = stored[cid]
        for name in ("p_alive", "clv", "r_score", "f_score", "m_score", "rfm_group", "churn_risk"):
            _same(getattr(row, name), a.columns[name][i], name, rel=1e-6)   # the bulk writer's text floats


def test_an_order_queues_the_rescoring_at_commit(analysed, django_capture_on_commit_callbacks):
    made, run, today = analysed
    c = made[7]
    with django_capture_on_commit_callbacks(execute=True):   # the test suite's Huey runs tasks at once
        o = order_create(actor=None, customer=c, data={"order_date": today},
                         lines=[{"quantity": 1, "unit_price": "50.00"}], check_permissions=False)
    row = CustomerScore.objects.get(run=run, customer=c)
    assert row.rescored_order_ref == o.ref and row.last_order == today and row.recency_days == 0


def test_no_run_no_rescoring(org, customers):
    assert rescore_customers_now([customers.n1.pk]) == 0
