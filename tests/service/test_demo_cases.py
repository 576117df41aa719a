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


def test_return_visits_answered_both_ways(demo):
    from kehu.service.models import ReturnVisit

    satisfied = ReturnVisit.objects.get(status="satisfied")
    assert satisfied.case.status == "closed"
    unhappy = ReturnVisit.objects.get(status="dissatisfied")
    assert unhappy.case.status == "in_progress" and unhappy.note
    assert unhappy.escalation is not None            # the region's manager was told
    assert unhappy.case.events.filter(from_status="return_visited", to_status="in_progress").exists()


def test_public_form_links_and_requests(demo):
    from kehu.service.models import EventKind, IntakeLink

    assert set(IntakeLink.objects.values_list("slug", flat=True)) >= {"huaxin-north", "huaxin-east",
                                                                       "huaxin-processing", "huaxin-service"}
    north = IntakeLink.objects.get(slug="huaxin-north")
    assert north.team.name.startswith("华北")
    sent = Case.objects.filter(intake_link__isnull=False)
    assert sent.filter(customer__isnull=False, channel="website").exists()       # matched by the phone
    stranger = sent.get(customer__isnull=True)
    assert stranger.caller_phone == "13912345678"
    assert stranger.events.filter(kind=EventKind.DUPLICATE).count() == 1         # sent twice, merged
    generator.demo_delete()
    assert not IntakeLink.objects.filter(slug__startswith="huaxin-").exists()
    assert not Case.objects.exists()
