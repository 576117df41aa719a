"""Factories for value analyses: runs and per-customer scores made directly,
as the engine would store them, so the pages can be tested on known figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from kehu.insights.models import AnalysisRun, CustomerScore, Segment
from tests.factories import CustomerFactory


class AnalysisRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnalysisRun

    status = "succeeded"
    trigger = "cli"
    as_of = factory.LazyFunction(lambda: timezone.localdate())
    time_unit = "week"
    model = "bgnbd"
    progress = factory.LazyAttribute(lambda o: 100 if o.status == "succeeded" else 0)
    stage = ""
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: timezone.now() if o.status == "succeeded" else None)
    parameters = factory.LazyFunction(lambda: {"churn": {"threshold": 0.5}, "clv": {"horizon_months": 12}})
    results = factory.LazyFunction(dict)


class CustomerScoreFactory(factory.django.DjangoModelFactory):
    """A customer's scores; ``revenue`` and the dates drive the rest."""

    class Meta:
        model = CustomerScore

    run = factory.SubFactory(AnalysisRunFactory)
    customer = factory.SubFactory(CustomerFactory)
    revenue = Decimal("1000.00")
    gross_margin = factory.LazyAttribute(lambda o: (Decimal(o.revenue) * Decimal("0.3")).quantize(Decimal("0.01")))
    orders = 5
    purchase_days = 5
    first_order = factory.LazyAttribute(lambda o: o.run.as_of - dt.timedelta(days=400))
    last_order = factory.LazyAttribute(lambda o: o.run.as_of - dt.timedelta(days=o.recency_days))
    recency_days = 30
    frequency = 4.0
    recency = 52.0
    T = 57.0
    monetary = factory.LazyAttribute(lambda o: (Decimal(o.revenue) / max(o.purchase_days, 1)).quantize(Decimal("0.01")))
    r_score = 3
    f_score = 3
    m_score = 3
    rfm_group = "general_keep"
    abc_class = "B"
    tier = "silver"
    scorecard = 24.0
    p_alive = 0.8
    expected_purchases = 3.0
    expected_spend = factory.LazyAttribute(lambda o: o.monetary)
    clv = factory.LazyAttribute(lambda o: (Decimal(o.revenue) * Decimal("0.6")).quantize(Decimal("0.01")))
    historical_clv = factory.LazyAttribute(lambda o: o.revenue)
    rhythm_days = 45.0
    next_order_date = factory.LazyAttribute(lambda o: o.last_order + dt.timedelta(days=int(o.rhythm_days))
                                            if o.rhythm_days else None)
    churn_risk = 0.2
    churn_reasons = factory.LazyFunction(list)
    revenue_at_risk = factory.LazyAttribute(
        lambda o: (Decimal(o.clv or 0) * Decimal(str(o.churn_risk or 0))).quantize(Decimal("0.01")))
    dick_basu = "unknown"
    reinartz_kumar = "true_friend"


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    name = factory.Sequence(lambda n: f"Segment {n}")
    kind = "rule"
    rule = factory.LazyFunction(lambda: {"score": {"tier": ["gold"]}})
