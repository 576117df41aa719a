"""The surveys feed a customer value run: attitude (Dick & Basu) and
satisfaction (the churn warning) through ``kehu.insights.signals``."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.utils import timezone

from kehu.insights import signals
from kehu.insights.models import CustomerScore, DickBasu, RunTrigger
from kehu.insights.services import run_create, run_execute
from kehu.surveys import providers
from kehu.surveys.services.definitions import survey_create_from_template
from tests.insights.factories import order_history
from tests.surveys.loop_factories import ResponseFactory, WaveFactory, submit

pytestmark = pytest.mark.django_db
AS_OF = dt.date(2024, 10, 31)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def nps_wave(org):
    survey = survey_create_from_template(actor=org.users.admin, template="nps", code="nps-value")
    return WaveFactory(survey=survey)


def test_the_providers_are_registered():
    assert providers.attitude_as_of in signals._providers["attitude"]
    assert providers.satisfaction_as_of in signals._providers["satisfaction"]


def test_a_value_run_knows_the_surveyed_customers_loyalty(org, nps_wave):
    history = order_history(org.users.sales_n1, customers=40, seed=7)
    surveyed = history[:6]
    for k, c in enumerate(surveyed):
        score = [10, 9, 2, 8, 0, 6][k]
        submit(ResponseFactory(wave=nps_wave, customer=c, nps=score, index=float(score * 10),
                               answers={"NPS": score}, submitted_at=at(AS_OF - dt.timedelta(days=30))))
    run = run_execute(run_create(actor=None, as_of=AS_OF, trigger=RunTrigger.CLI))
    scores = {s.customer_id: s for s in CustomerScore.objects.filter(run=run)}
    for c in surveyed:
        if c.pk in scores:
            s = scores[c.pk]
            assert s.dick_basu != DickBasu.UNKNOWN and s.attitude == pytest.approx(c.attitude_measure.score)
    assert sum(1 for c in surveyed if c.pk in scores) >= 3
    others = [s for cid, s in scores.items() if cid not in {c.pk for c in surveyed}]
    assert others and all(s.dick_basu == DickBasu.UNKNOWN and s.attitude is None for s in others)
    assert run.results["dick_basu"]["attitude_known"] == sum(1 for c in surveyed if c.pk in scores)


def test_as_of_a_past_date_the_answers_of_that_time_count(org, customers, nps_wave):
    c = customers.n1
    first = ResponseFactory(wave=nps_wave, customer=c, nps=3, index=30.0, answers={"NPS": 3},
                            submitted_at=at(dt.date(2025, 3, 1)))
    submit(first)
    later = ResponseFactory(wave=nps_wave, customer=c, nps=10, index=100.0, answers={"NPS": 10},
                            submitted_at=at(dt.date(2025, 9, 1)))
    submit(later)
    ids = np.array([customers.e1.pk, c.pk], dtype=np.int64)
    # today: the stored attitude of the latest answer
    assert providers.attitude_as_of(customer_ids=ids, as_of=dt.date(2025, 12, 1))[1] == 100
    assert providers.satisfaction_as_of(customer_ids=ids, as_of=dt.date(2025, 12, 1))[1] == 100
    # as of June: the March answer (recomputed from its answers)
    att = providers.attitude_as_of(customer_ids=ids, as_of=dt.date(2025, 6, 30))
    assert np.isnan(att[0]) and att[1] == 30
    assert providers.satisfaction_as_of(customer_ids=ids, as_of=dt.date(2025, 6, 30))[1] == 30
    # before any answer: nothing known at all
    assert providers.attitude_as_of(customer_ids=ids, as_of=dt.date(2025, 1, 1)) is None
    assert providers.satisfaction_as_of(customer_ids=ids, as_of=dt.date(2025, 1, 1)) is None
