"""A value analysis over the ``org`` fixture's customers, for the page, export
and API tests. Import the fixtures into a test module with
``from tests.insights.value_fixtures import value  # noqa: F401``.

Scores of the latest run (as of today)::

    customer   owner      tier    ABC  RFM group         revenue   churn risk
    n1         sales_n1   gold    A    important_value    50,000   0.10
    n1_risky   sales_n1   silver  B    important_retain   12,000   0.72 (flagged)
    n1_due     sales_n1   bronze  C    general_develop     3,000   0.30, next order in 2 days
    n1b        sales_n1b  silver  B    general_keep        8,000   0.20
    e1         sales_e1   bronze  C    general_retain      2,000   0.65 (flagged)

An earlier run (90 days before) had n1 silver, n1_risky gold, e1 bronze and
did not know n1_due.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory
from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

REASONS = [{"signal": "p_alive", "contribution": 0.3, "value": 0.25},
           {"signal": "overdue", "contribution": 0.25, "value": 2.4},
           {"signal": "drop", "contribution": 0.17, "value": 0.6}]


@pytest.fixture
def value(org, customers):
    u = org.users
    today = timezone.localdate()
    before = AnalysisRunFactory(as_of=today - dt.timedelta(days=90), customers=4, results={"customers": 4})
    run = AnalysisRunFactory(as_of=today, customers=5, results={
        "counts": {"customers": 5},
        "model": {"name": "bgnbd", "params": {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
                  "log_likelihood": -9582.4, "customers": 5, "converged": True, "fitted_on": "all"},
        "churn": {"threshold": 0.5, "backtest": {"threshold": 0.5, "precision": 0.61, "recall": 0.74, "f1": 0.67,
                                                 "tp": 37, "fp": 24, "fn": 13, "tn": 126, "n": 200,
                                                 "churn_rate": 0.25, "as_of": "2025-06-01",
                                                 "period_end": "2025-08-30"}},
        "holdout": {"calibration_end": "2025-06-01", "holdout_end": "2025-08-30", "expected_total": 80.5,
                    "actual_total": 77,
                    "by_frequency": [{"frequency": "0", "customers": 120, "expected": 0.2, "actual": 0.18},
                                     {"frequency": "1", "customers": 50, "expected": 0.6, "actual": 0.7},
                                     {"frequency": "7+", "customers": 0, "expected": None, "actual": None}],
                    "tracking": {"end": ["2025-05-01", "2025-06-01", "2025-07-01"], "expected": [10.0, 11.5, 9.0],
                                 "actual": [9, 12, 8], "calibration_end": "2025-06-01"}},
        "warnings": ["Not enough history before the backtest date: no churn backtest."],
    })
    n1_risky = CustomerFactory(name="风险客户", owner=u.sales_n1, region="north", city="北京")
    n1_due = CustomerFactory(name="Due Trading Ltd", owner=u.sales_n1, region="north", city="天津")
    s = SimpleNamespace()
    s.n1 = CustomerScoreFactory(run=run, customer=customers.n1, revenue=Decimal("50000"), tier="gold",
                                abc_class="A", rfm_group="important_value", churn_risk=0.1, r_score=5, f_score=5,
                                m_score=5, purchase_days=12, orders=14, recency_days=40, rhythm_days=30.0,
                                p_alive=0.68, expected_purchases=3.2)
    s.n1_risky = CustomerScoreFactory(run=run, customer=n1_risky, revenue=Decimal("12000"), tier="silver",
                                      abc_class="B", rfm_group="important_retain", churn_risk=0.72,
                                      churn_reasons=REASONS, r_score=1, f_score=4, recency_days=200,
                                      rhythm_days=60.0, p_alive=0.25)
    s.n1_due = CustomerScoreFactory(run=run, customer=n1_due, revenue=Decimal("3000"), tier="bronze",
                                    abc_class="C", rfm_group="general_develop", churn_risk=0.3, r_score=4,
                                    f_score=1, recency_days=28, rhythm_days=30.0)
    s.n1b = CustomerScoreFactory(run=run, customer=customers.n1b, revenue=Decimal("8000"), tier="silver",
                                 abc_class="B", rfm_group="general_keep", churn_risk=0.2, r_score=2, f_score=4)
    s.e1 = CustomerScoreFactory(run=run, customer=customers.e1, revenue=Decimal("2000"), tier="bronze",
                                abc_class="C", rfm_group="general_retain", churn_risk=0.65,
                                churn_reasons=REASONS[:1], r_score=1, f_score=1)
    # the earlier run
    CustomerScoreFactory(run=before, customer=customers.n1, revenue=Decimal("40000"), tier="silver", abc_class="A")
    CustomerScoreFactory(run=before, customer=n1_risky, revenue=Decimal("11000"), tier="gold", abc_class="A")
    CustomerScoreFactory(run=before, customer=customers.n1b, revenue=Decimal("7000"), tier="silver")
    CustomerScoreFactory(run=before, customer=customers.e1, revenue=Decimal("1500"), tier="bronze", abc_class="C")
    s.n1_due.next_order_date = today + dt.timedelta(days=min(2, 6 - today.weekday()))
    s.n1_due.save()
    return SimpleNamespace(run=run, before=before, scores=s, n1_risky=n1_risky, n1_due=n1_due, today=today)
