"""The SLA clock wired into cases: policies, due times, pauses, warnings and escalation, the CLI."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from kehu.engagement.models import Task
from kehu.service.models import Case, CaseEscalation, CaseEvent, SlaPolicy
from kehu.service.services import case_assign, case_transition, case_update
from kehu.service.sla import escalation_chain, sla_check
from tests.api.conftest import api_as  # noqa: F401
from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory
from tests.service.conftest import make_case

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def clock(monkeypatch):
    """Set the time the services see: ``clock(at(...))``."""
    def set_to(when):
        monkeypatch.setattr(timezone, "now", lambda: when)
    return set_to


def test_a_complaint_at_1730_on_30_september_is_due_on_the_make_up_saturday(org, customers, clock):
    clock(at(2026, 9, 30, 17, 30))
    case = make_case(org.users.sales_n1, customers.n1, kind="complaint")
    case.refresh_from_db()
    assert case.resolution_due == at(2026, 10, 10, 17, 30)
    assert case.first_response_due is None  # the default has no first-response promise


def test_a_service_request_without_a_policy_has_no_due_time(org, customers, clock):
    clock(at(2026, 9, 30, 17, 30))
    case = make_case(org.users.sales_n1, customers.n1, kind="service")
    assert case.resolution_due is None and case.first_response_due is None


def test_the_gold_tier_policy_wins_over_the_kind_policy(org, customers, clock):
    SlaPolicy.objects.create(kind="complaint", resolution_minutes=16 * 60, first_response_minutes=120)
    SlaPolicy.objects.create(kind="complaint", tier="gold", resolution_minutes=8 * 60, first_response_minutes=60)
    CustomerScoreFactory(run=AnalysisRunFactory(), customer=customers.n1, tier="gold")
    clock(at(2026, 10, 12, 9, 0))  # a Monday
    gold = make_case(org.users.sales_n1, customers.n1, kind="complaint")
    other = make_case(org.users.sales_n1b, customers.n1b, kind="complaint")
    assert gold.resolution_due == at(2026, 10, 12, 18, 0)
    assert gold.first_response_due == at(2026, 10, 12, 10, 0)
    assert other.resolution_due == at(2026, 10, 13, 18, 0)
    assert other.first_response_due == at(2026, 10, 12, 11, 0)


def test_a_change_of_severity_sets_the_due_time_again(org, customers, clock):
    SlaPolicy.objects.create(kind="service", severity=1, resolution_minutes=4 * 60)
    clock(at(2026, 10, 12, 9, 0))
    case = make_case(org.users.sales_n1, customers.n1, kind="service", severity=3)
    assert case.resolution_due is None
    clock(at(2026, 10, 12, 10, 0))
    case_update(actor=org.users.sales_n1, case=case, data={"severity": 1}, version=case.version)
    case.refresh_from_db()
    assert case.resolution_due == at(2026, 10, 12, 14, 0)  # 09:00 + 4 working hours (lunch 12-13)


def test_the_clock_stops_while_waiting_for_the_customer(org, customers, clock):
    clock(at(2026, 10, 12, 9, 0))
    case = make_case(org.users.sales_n1, customers.n1, kind="complaint")
    user = org.users.sales_n1
    assert case.resolution_due == at(2026, 10, 14, 18, 0)
    case_transition(actor=user, case=case, to_status="accepted")
    assert case.first_responded_at == at(2026, 10, 12, 9, 0)
    case_transition(actor=user, case=case, to_status="in_progress")
    clock(at(2026, 10, 12, 10, 0))
    case_transition(actor=user, case=case, to_status="waiting")
    assert case.resolution_due is None  # unknown while the customer is awaited
    clock(at(2026, 10, 13, 10, 0))  # a whole working day later
    case_transition(actor=user, case=case, to_status="in_progress")
    assert case.resolution_due == at(2026, 10, 15, 18, 0)
    assert case.sla_paused[0][1] is not None


def test_policy_validation_in_both_languages():
    policy = SlaPolicy(kind="complaint")
    with pytest.raises(ValidationError) as e:
        policy.full_clean()
    assert "first-response time" in str(e.value)
    SlaPolicy.objects.create(kind="complaint", resolution_minutes=60)
    with pytest.raises(ValidationError) as e:
        SlaPolicy(kind="complaint", resolution_minutes=30).full_clean()
    assert "already exists" in str(e.value)
    from django.utils import translation
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as e:
            SlaPolicy(kind="complaint", resolution_minutes=30).full_clean()
        assert "已" in str(e.value)


def _breaching_case(org, customers, clock):
    """A complaint on 12 Oct 09:00 (24 working hours: due Wed 14 Oct 18:00), assigned to sales_n1."""
    clock(at(2026, 10, 12, 9, 0))
    case = make_case(org.users.sales_n1, customers.n1, kind="complaint", assignee=org.users.sales_n1)
    return case


def test_the_escalation_chain_climbs_the_team_tree(org, customers, clock):
    case = _breaching_case(org, customers, clock)
    chain = escalation_chain(case)
    assert [p.role for p in chain] == ["assignee", "team_manager", "parent_manager", "head_office"]
    assert [p.person for p in chain] == [org.users.sales_n1, None, org.users.north_manager, org.users.hq_manager]


def test_sla_check_warns_then_escalates_each_step_once_in_order(org, customers, clock, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    org.users.sales_n1.email = "n1@example.com"
    org.users.sales_n1.save()
    case = _breaching_case(org, customers, clock)
    # 80 % of 24 working hours = 19.2 h: Wed 14 Oct 13:12 (after the lunch hour)
    assert sla_check(now=at(2026, 10, 14, 13, 0)) == []
    warned = sla_check(now=at(2026, 10, 14, 13, 30))
    assert [(a.kind, a.recipient) for a in warned] == [("warning", "sales_n1")]
    assert sla_check(now=at(2026, 10, 14, 14, 0)) == []  # never twice
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["n1@example.com"]
    # breach (100 %): the assignee; 150 % (36 h, Fri 16 Oct 14:00): the team's manager —
    # an empty post, so its step goes up to the north manager; 200 % (Mon 19 Oct 18:00): the north
    # manager's own level; 250 % (Wed 21 Oct 14:00): the head office.
    first = sla_check(now=at(2026, 10, 15, 9, 30))
    assert [(a.level, a.recipient) for a in first] == [(0, "sales_n1")]
    second = sla_check(now=at(2026, 10, 16, 15, 0))
    assert [(a.level, a.recipient, a.skipped_to) for a in second] == [(1, "north_manager", 2)]
    third = sla_check(now=at(2026, 10, 20, 9, 30))
    assert [(a.level, a.recipient) for a in third] == [(2, "north_manager")]
    assert sla_check(now=at(2026, 10, 20, 9, 30)) == []  # run twice: no duplicates
    fourth = sla_check(now=at(2026, 10, 21, 15, 0))
    assert [(a.level, a.recipient) for a in fourth] == [(3, "hq_manager")]
    assert sla_check(now=at(2026, 10, 22, 15, 0)) == []
    assert sorted(CaseEscalation.objects.filter(case=case).values_list("level", flat=True)) == [-1, 0, 1, 2, 3]
    tasks = Task.objects.filter(source="sla", source_ref__case=case.pk)
    assert tasks.count() == 5
    assert set(tasks.values_list("assigned_to__username", flat=True)) == {"sales_n1", "north_manager", "hq_manager"}
    assert CaseEvent.objects.filter(case=case, kind="sla").count() == 5


def test_a_case_breached_before_the_first_check_climbs_all_due_levels_at_once(org, customers, clock):
    case = _breaching_case(org, customers, clock)
    case_assign(actor=org.users.sales_n1, case=case, assignee=None)
    steps = sla_check(now=at(2026, 10, 30, 9, 0))
    # no assignee: level 0 goes up to the first filled post
    assert [(a.level, a.recipient) for a in steps] == [
        (0, "north_manager"), (1, "north_manager"), (2, "north_manager"), (3, "hq_manager")]


def test_dry_run_writes_nothing(org, customers, clock):
    case = _breaching_case(org, customers, clock)
    steps = sla_check(now=at(2026, 10, 16, 15, 0), dry_run=True)
    assert [a.level for a in steps] == [0, 1]
    assert not CaseEscalation.objects.filter(case=case).exists()
    assert not Task.objects.filter(source="sla").exists()
    assert not CaseEvent.objects.filter(case=case, kind="sla").exists()


def test_a_waiting_or_resolved_case_is_not_escalated(org, customers, clock):
    case = _breaching_case(org, customers, clock)
    Case.objects.filter(pk=case.pk).update(status="resolved")
    assert sla_check(now=at(2026, 10, 30, 9, 0)) == []


def test_cli_sla_check_prints_what_it_escalated(org, customers, clock):
    from kehu.cli import main

    _breaching_case(org, customers, clock)
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["cases", "sla-check", "--now", "2026-10-15T09:30", "--dry-run"]) == 0
    assert "escalation level 0" in out.getvalue() and "Dry run" in out.getvalue()
    assert not CaseEscalation.objects.exists()
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["cases", "sla-check", "--now", "2026-10-15T09:30"]) == 0
    assert "sales_n1" in out.getvalue() and "1 escalation steps taken" in out.getvalue()
    assert CaseEscalation.objects.count() == 1


def test_api_sla_policies_and_the_case_clock(org, customers, clock, api_as):
    api = api_as(org.users.admin)
    r = api.post("/sla-policies", {"kind": "complaint", "tier": "", "severity": None, "resolution_minutes": 480})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["kind"] == "complaint" and body["severity"] is None and body["calendar_hours"] is False
    r = api.post("/sla-policies", {"kind": "complaint", "resolution_minutes": 60})
    assert r.status_code == 422 and "already exists" in r.content.decode()
    r = api.post("/sla-policies", {"kind": "repair"})
    assert r.status_code == 422 and "first-response time" in r.content.decode()
    case = make_case(org.users.sales_n1, customers.n1, kind="complaint")
    r = api.get(f"/cases/{case.pk}").json()
    assert r["resolution_due"] is not None and r["sla_status"] in ("ok", "warning", "breached")
    assert r["sla_paused"] is False
    r = api.patch(f"/sla-policies/{body['id']}", {"resolution_minutes": 120})
    assert r.status_code == 200 and r.json()["resolution_minutes"] == 120
    assert api.delete(f"/sla-policies/{body['id']}").status_code == 204
    assert not SlaPolicy.objects.exists()


def test_the_case_page_shows_the_stopped_clock_and_a_broken_promise(org, customers, clock, client_for, monkeypatch):
    from django.urls import reverse

    from kehu.service import views

    monkeypatch.setattr(views, "_suggested_articles", lambda case, viewer: [])  # the knowledge base: not here

    clock(at(2026, 10, 12, 9, 0))
    case = make_case(org.users.sales_n1, customers.n1, kind="complaint", assignee=org.users.sales_n1)
    client = client_for(org.users.sales_n1)
    clock(at(2026, 10, 20, 9, 0))
    html = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="sla-state"' in html and "Service level broken" in html
    for status in ("accepted", "in_progress", "waiting"):
        case_transition(actor=org.users.sales_n1, case=case, to_status=status)
    html = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="sla-paused"' in html


def test_the_worker_checks_every_five_minutes(org, customers, clock):
    from kehu import jobs
    from kehu.service.tasks import sla_check_periodic

    assert "kehu.service.tasks" in jobs.TASK_MODULES
    times = [datetime(2026, 10, 12, 9, m) for m in range(15)]
    due = [t for t in times if any(isinstance(task, sla_check_periodic.task_class)
                                   for task in jobs.huey.read_periodic(t))]
    assert due == [times[0], times[5], times[10]]
    _breaching_case(org, customers, clock)
    clock(at(2026, 10, 15, 9, 30))
    assert sla_check_periodic.call_local() == 1
    assert sla_check_periodic.call_local() == 0
