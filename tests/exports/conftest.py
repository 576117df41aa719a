"""A company whose customers, order lines, scores, segment and survey waves
carry text that a spreadsheet would run as a formula."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, InteractionFactory, OrderFactory
from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory, SegmentFactory

#: The values of issue 13, item 2 (and a carriage return).
PAYLOADS = ['=HYPERLINK("http://x","y")', "+1", "@SUM(A1)", "\tx", "-2+3", "\rx"]


@pytest.fixture
def poisoned(org):
    from kehu.engagement.models import Task
    from kehu.surveys.services.definitions import survey_create_from_template
    from kehu.surveys.simulate import fill_wave
    from tests.surveys.factories import WaveFactory

    today = timezone.localdate()
    before = AnalysisRunFactory(as_of=today - dt.timedelta(days=90), customers=len(PAYLOADS),
                                results={"customers": len(PAYLOADS)})
    run = AnalysisRunFactory(as_of=today, customers=len(PAYLOADS),
                             results={"counts": {"customers": len(PAYLOADS)}, "churn": {"threshold": 0.5}})
    customers = []
    for i, text in enumerate(PAYLOADS):
        customer = CustomerFactory(name=text, owner=org.users.sales_n1, region="north", city=text,
                                   remarks=text)
        customers.append(customer)
        order = OrderFactory(customer=customer, ref=f"SO-P{i}", remarks=text,
                             lines=[{"quantity": 1, "unit_price": "100.00", "unit_cost": "60.00", "description": text},
                                    {"quantity": 1, "unit_price": "12.50", "unit_cost": "0", "description": "refund"}])
        # a refund line as an older system stored it: a negative amount is a number, not text, and must stay so
        order.lines.filter(description="refund").update(amount=Decimal("-12.50"))
        InteractionFactory(customer=customer, user=org.users.sales_n1, subject=text, summary=text)
        Task.objects.create(customer=customer, title=text, description=text, assigned_to=org.users.admin,
                            created_by=org.users.sales_n1)
        CustomerScoreFactory(run=run, customer=customer, revenue=Decimal("-12.50") if i == 0 else Decimal("1000"),
                             tier="gold", abc_class="A", rfm_group="important_value", churn_risk=0.9, r_score=1,
                             f_score=2, m_score=3)
        CustomerScoreFactory(run=before, customer=customer, revenue=Decimal("900"), tier="silver", abc_class="B")
    segment = SegmentFactory(name=PAYLOADS[0], rule={"score": {"tier": ["gold"]}}, created_by=org.users.admin)
    survey = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    sample = [CustomerFactory(owner=org.users.sales_n1, region="north") for _ in range(12)]
    waves = []
    for i, text in enumerate(PAYLOADS[:3]):
        wave = WaveFactory(survey=survey, name=text)
        fill_wave(wave=wave, n=12, seed=i + 1, customers=sample)
        waves.append(wave)
    return SimpleNamespace(customers=customers, run=run, before=before, segment=segment, survey=survey, waves=waves)
