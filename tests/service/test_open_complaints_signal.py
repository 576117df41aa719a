"""The service desk's ``open_complaints`` signal: per customer, the complaints open at
the run's date weighed by severity and age; end to end through a value run to the
churn warning's reason."""

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from kehu.insights import signals
from kehu.insights.models import CustomerScore, RunTrigger
from kehu.insights.services import run_create, run_execute
from kehu.service import providers
from kehu.service.models import Case
from tests.insights.factories import order_history
from tests.service.conftest import make_case

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2024, 10, 31)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def complaint(actor, customer, *, created, severity=3, **fields):
    case = make_case(actor, customer, kind="complaint", severity=severity)
    Case.objects.filter(pk=case.pk).update(created_at=created, **fields)
    return case


def test_the_provider_is_registered():
    assert providers.open_complaints_as_of in signals._providers["open_complaints"]


def test_the_weights():
    assert providers.complaint_weight(3, 1) == 1.0
    assert providers.complaint_weight(1, 1) == 2.0
    assert providers.complaint_weight(4, 10) == 0.75
    assert providers.complaint_weight(2, 45) == 3.0


def test_open_as_of_the_date(org, customers):
    u = org.users.admin
    ids = np.array([customers.n1.pk, customers.n1b.pk, customers.e1.pk], dtype=np.int64)
    assert providers.open_complaints_as_of(customer_ids=ids, as_of=AS_OF) is None   # no complaint at all
    complaint(u, customers.n1, created=at(AS_OF - dt.timedelta(days=2)), severity=1)       # 2.0
    complaint(u, customers.n1, created=at(AS_OF - dt.timedelta(days=40)), severity=3)      # 2.0
    complaint(u, customers.n1, created=at(AS_OF + dt.timedelta(days=1)))                   # later: no
    complaint(u, customers.n1b, created=at(AS_OF - dt.timedelta(days=20)),                 # resolved by then
              resolved_at=at(AS_OF - dt.timedelta(days=3)), status="resolved")
    complaint(u, customers.n1b, created=at(AS_OF - dt.timedelta(days=20)), severity=4,     # resolved later: 0.75
              resolved_at=at(AS_OF + dt.timedelta(days=3)), status="resolved")
    complaint(u, customers.n1b, created=at(AS_OF - dt.timedelta(days=5)),                  # invalid: no
              validity="invalid", invalid_explanation="not ours")
    make_case(u, customers.n1b, kind="service")                                            # not a complaint
    got = providers.open_complaints_as_of(customer_ids=ids, as_of=AS_OF)
    assert got.tolist() == [4.0, 0.75, 0.0]


def test_a_value_run_names_the_open_complaints_among_the_churn_reasons(org):
    from kehu.insights.explain import churn_reason

    history = order_history(org.users.sales_n1, customers=40, seed=7)
    unhappy = history[0]
    for days in (45, 60):   # two old, most severe complaints: 4 + 4
        complaint(org.users.sales_n1, unhappy, created=at(AS_OF - dt.timedelta(days=days)), severity=1)
    run = run_execute(run_create(actor=None, as_of=AS_OF, trigger=RunTrigger.CLI))
    scores = {s.customer_id: s for s in CustomerScore.objects.filter(run=run)}
    assert unhappy.pk in scores
    score = scores[unhappy.pk]
    [reason] = [r for r in score.churn_reasons if r["signal"] == "complaints"]
    assert reason["value"] == pytest.approx(8.0)
    assert churn_reason(reason, score) == "open complaints weighing 8.0 (by severity and age)"
    others = [s for cid, s in scores.items() if cid != unhappy.pk]
    assert others and not any(r["signal"] == "complaints" for s in others for r in s.churn_reasons)
