"""The demo company's service history (kehu/demo/cases.py): its complaint interactions are
cases, coherent with a steel distributor, in every state, with a timeline that happened in
order — and a reset leaves the day counters as they were."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from kehu.demo import generator
from kehu.engagement.models import Interaction
from kehu.numbering.models import Counter
from kehu.service.models import Case, CaseEscalation, CaseEvent

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)   # a Wednesday: the last working week holds open cases


@pytest.fixture
def demo():
    generator.demo_create(seed=5, customers=150, today=TODAY)


def test_every_complaint_interaction_became_one_case(demo):
    complaints = Interaction.objects.filter(channel="complaint")
    assert complaints.count() > 50
    linked = Case.objects.filter(source_interaction__channel="complaint")
    assert linked.count() == complaints.count()
    assert set(linked.values_list("source_interaction", flat=True)) == set(complaints.values_list("id", flat=True))
    for case in linked.select_related("source_interaction")[:200]:
        it = case.source_interaction
        assert case.customer_id == it.customer_id and case.contact_id == it.contact_id
        assert case.created_at == it.occurred_at and case.kind == "complaint"
        # numbered on the day it came in
        assert case.ref.startswith("CS" + f"{timezone.localtime(case.created_at):%Y%m%d}")


def test_the_demo_speaks_of_steel_not_gas(demo):
    texts = " ".join(t for row in Case.objects.values_list("subject", "description", "resolution", "root_cause")
                     for t in row)
    for word in ("燃气", "抄表", "煤气", "电费"):
        assert word not in texts
    assert "钢" in texts
    assert not Case.objects.filter(category__code__in=["meter-reading", "supply"]).exists()


def test_cases_in_every_state_with_an_ordered_timeline(demo):
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"new", "accepted", "in_progress", "waiting", "resolved", "return_visited", "closed"} <= statuses
    assert Case.objects.filter(validity="invalid").exclude(invalid_explanation="").exists()
    assert not Case.objects.filter(validity="invalid", invalid_explanation="").exists()
    assert Case.objects.filter(compensation_amount__gt=0, compensation_approved_by__isnull=False).exists()
    assert CaseEscalation.objects.exists()           # some open promises are broken
    for case in Case.objects.filter(status="closed", source_interaction__isnull=False)[:300]:
        assert case.first_responded_at >= case.created_at
        if case.validity == "valid":
            assert case.closed_at >= case.resolved_at >= case.first_responded_at
            assert case.cause_category and case.root_cause and case.resolution
            assert case.steps.filter(done=True).count() == 6
        times = list(case.events.order_by("id").values_list("at", flat=True))
        assert times == sorted(times) and times[0] == case.created_at
        assert times[-1] <= timezone.now()
    waiting = Case.objects.filter(status="waiting").first()
    assert waiting.sla_paused and waiting.sla_paused[-1][1] is None
    # a few dissatisfied return visits were reopened and fixed again
    assert CaseEvent.objects.filter(from_status="resolved", to_status="in_progress").exists()


def test_reset_gives_the_same_case_numbers(demo):
    first = sorted(Case.objects.values_list("ref", flat=True))
    generator.demo_delete()
    assert not Case.objects.exists()
    assert not Counter.objects.filter(name__startswith="case-").exists()
    generator.demo_create(seed=5, customers=150, today=TODAY)
    assert sorted(Case.objects.values_list("ref", flat=True)) == first
