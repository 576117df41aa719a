"""Return visits (回访): on resolution a survey with a personal link (consent first; a
phone task when the survey may not or cannot be sent, saying why) or a phone task; a
satisfied answer closes the case, a dissatisfied one reopens it and escalates it once
(CaseEscalation + task + e-mail to the team's manager); API and case page."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.engagement.models import Task, TaskSource, TaskStatus
from kehu.service.models import (
    STEP_ORDER, Case, CaseEscalation, CaseStatus, EscalationKind, ReturnVisit, ServiceSettings,
)
from kehu.service.return_visits import on_response_submitted, return_visit_record, return_visit_start
from kehu.service.services import case_assign, case_judge, case_step, case_transition
from kehu.surveys.models import Invitation, InvitationStatus, Survey, Wave
from kehu.surveys.services.distribution import response_record
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401
from tests.service.conftest import make_case

pytestmark = pytest.mark.django_db
S = CaseStatus

GOOD = {"R1": "solved", "R3": 5, "R4": 5, "R5": 4, "R6": 5, "R7": "certainly", "R8": 9}
BAD = {"R1": "unsolved", "R2": "还是漏气", "R3": 2, "R4": 1, "R5": 2, "R6": 1, "R7": "probably_not", "R8": 2}


def consent(customer, email="buyer@n1.example"):
    type(customer).objects.filter(pk=customer.pk).update(consent_data_processing=True, email=email)
    customer.refresh_from_db()


def resolve(org, case, capture=None):
    """Take a complaint assigned to north_service through the six steps to resolved."""
    agent = org.users.north_service
    case_assign(actor=org.users.admin, case=case, assignee=agent)
    case_transition(actor=agent, case=case, to_status=S.ACCEPTED)
    case_judge(actor=agent, case=case, valid=True)
    for step in STEP_ORDER:
        case_step(actor=agent, case=case, step=step, note="ok")
    Case.objects.filter(pk=case.pk).update(resolution="Meter replaced, bill corrected.")
    case.refresh_from_db()
    case_transition(actor=agent, case=case, to_status=S.IN_PROGRESS)
    if capture is not None:
        with capture(execute=True):
            case_transition(actor=agent, case=case, to_status=S.RESOLVED)
    else:
        case_transition(actor=agent, case=case, to_status=S.RESOLVED)
    case.refresh_from_db()
    return case


@pytest.fixture
def managers(org):
    org.users.north_manager.email = "north.manager@example.com"
    org.users.north_manager.save()
    return org.users.north_manager


# -- by survey ------------------------------------------------------------------------------

def test_a_resolved_complaint_gets_the_survey_and_a_satisfied_answer_closes_it(
        org, customers, complaint, mailoutbox, django_capture_on_commit_callbacks):
    consent(customers.n1)
    case = resolve(org, complaint, django_capture_on_commit_callbacks)
    visit = ReturnVisit.objects.get(case=case)
    assert (visit.channel, visit.status, visit.number, visit.fallback_reason) == ("survey", "waiting", 1, "")
    inv = visit.invitation
    survey = inv.wave.survey
    # the shipped template, put in use, its answers acting on the case (no follow-up tasks of its own)
    assert survey.template == "complaint-return-visit" and survey.status == "active"
    assert (survey.follow_up_below, survey.follow_up_detractors) == (0, False)
    assert inv.wave.name == f"return-visits-{timezone.localdate():%Y-%m}" and inv.wave.status == "open"
    assert inv.customer == customers.n1 and inv.email == "buyer@n1.example"
    [mail] = mailoutbox
    assert mail.to == ["buyer@n1.example"] and f"/s/{inv.token}/" in mail.body
    inv.refresh_from_db()
    assert inv.status == InvitationStatus.SENT
    assert "return visit" in case.events.filter(kind="return_visit").get().note.lower()

    response = response_record(invitation=inv, answers=GOOD, submit=True)
    case.refresh_from_db()
    visit.refresh_from_db()
    assert visit.status == "satisfied" and visit.response == response and visit.score == pytest.approx(response.index)
    assert case.status == S.CLOSED and case.closed_at is not None
    moves = list(case.events.filter(kind="transition").values_list("from_status", "to_status"))
    assert moves[-2:] == [(S.RESOLVED, S.RETURN_VISITED), (S.RETURN_VISITED, S.CLOSED)]
    assert not Task.objects.filter(source=TaskSource.SURVEY).exists()
    assert not CaseEscalation.objects.filter(case=case).exists()
    assert AuditEvent.objects.filter(entity="case", entity_id=case.pk, action="return_visit.result").count() == 1
    # a second complaint of the same customer this month goes to a sibling wave (one invitation per wave)
    second = make_case(org.users.sales_n1, customers.n1, kind="complaint", subject="Second")
    resolve(org, second)
    assert second.return_visits.get().invitation.wave.name.endswith("-2")
    assert Survey.objects.filter(template="complaint-return-visit").count() == 1


def test_a_dissatisfied_answer_reopens_and_escalates_once(org, customers, complaint, managers, mailoutbox,
                                                          django_capture_on_commit_callbacks):
    consent(customers.n1)
    case = resolve(org, complaint)
    visit = case.return_visits.get()
    with django_capture_on_commit_callbacks(execute=True):
        response = response_record(invitation=visit.invitation, answers=BAD, submit=True)
    case.refresh_from_db()
    visit.refresh_from_db()
    assert response.index < response.wave.survey.satisfied_from
    assert visit.status == "dissatisfied" and case.status == S.IN_PROGRESS and case.resolved_at is None
    [esc] = CaseEscalation.objects.filter(case=case)
    assert (esc.kind, esc.level, esc.role, esc.recipient) == (EscalationKind.RETURN_VISIT, -2, "team_manager",
                                                              managers)
    assert esc.task.assigned_to == managers and esc.task.source == TaskSource.RETURN_VISIT
    assert visit.escalation == esc
    assert [m.to for m in mailoutbox if case.ref in m.subject] == [["north.manager@example.com"]]
    moves = list(case.events.filter(kind="transition").values_list("from_status", "to_status"))
    assert moves[-2:] == [(S.RESOLVED, S.RETURN_VISITED), (S.RETURN_VISITED, S.IN_PROGRESS)]
    assert case.events.filter(kind="return_visit", note__contains=str(managers)).exists()
    # the signal again (a retried submission): nothing more
    on_response_submitted(sender=None, response=response)
    assert CaseEscalation.objects.filter(case=case).count() == 1
    assert Task.objects.filter(source=TaskSource.RETURN_VISIT).count() == 1
    # the case is on the customer's 360 timeline too
    from kehu.engagement.selectors import customer_timeline

    notes = [i["obj"].note for i in customer_timeline(customer=customers.n1, viewer=org.users.admin) if i["kind"] == "case"]
    assert any("not satisfied" in n for n in notes)


# -- by phone ----------------------------------------------------------------------------------

def test_without_consent_the_survey_falls_back_to_a_phone_task_and_says_why(org, customers, complaint, mailoutbox):
    case = resolve(org, complaint)   # the customer never consented to be contacted
    visit = case.return_visits.get()
    assert visit.channel == "phone" and visit.invitation is None and "consented" in visit.fallback_reason
    assert visit.task.source == TaskSource.RETURN_VISIT and visit.task.assigned_to == org.users.north_service
    assert visit.task.status == TaskStatus.OPEN and visit.task.due_on is not None
    note = case.events.filter(kind="return_visit").get().note
    assert "No survey was sent" in note and "consented" in note
    assert not Invitation.objects.exists() and mailoutbox == []


def test_without_an_email_address_the_phone_task_says_so(org, customers, complaint):
    type(customers.n1).objects.filter(pk=customers.n1.pk).update(consent_data_processing=True, email="")
    case = resolve(org, complaint)
    visit = case.return_visits.get()
    assert visit.channel == "phone" and "no e-mail address" in visit.fallback_reason


def test_the_agent_records_a_satisfied_call_and_the_case_closes(org, customers, complaint):
    case = resolve(org, complaint)
    agent = org.users.north_service
    visit = return_visit_record(actor=agent, case=case, satisfied=True, note="很满意", score=90, version=case.version)
    case.refresh_from_db()
    visit.task.refresh_from_db()
    assert visit.status == "satisfied" and visit.score == 90 and visit.recorded_by == agent
    assert case.status == S.CLOSED and visit.task.status == TaskStatus.DONE and visit.task.outcome == "很满意"
    with pytest.raises(ValidationError):   # nothing waits any more
        return_visit_record(actor=agent, case=case, satisfied=True)


def test_a_dissatisfied_call_needs_a_note_reopens_escalates_and_each_visit_escalates_once(org, customers, complaint,
                                                                                         managers):
    case = resolve(org, complaint)
    agent = org.users.north_service
    with pytest.raises(ValidationError) as exc:
        return_visit_record(actor=agent, case=case, satisfied=False)
    assert "note" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        return_visit_record(actor=agent, case=case, satisfied=True, score=120)
    assert "score" in exc.value.message_dict
    return_visit_record(actor=agent, case=case, satisfied=False, note="Still leaking")
    case.refresh_from_db()
    assert case.status == S.IN_PROGRESS
    assert list(CaseEscalation.objects.filter(case=case).values_list("level", "recipient")) == [(-2, managers.pk)]
    # resolved again: a second return visit, and its own escalation
    case_transition(actor=agent, case=case, to_status=S.RESOLVED)
    case.refresh_from_db()
    second = case.return_visits.get(status="waiting")
    assert second.number == 2
    return_visit_record(actor=agent, case=case, satisfied=False, note="Still leaking, again")
    assert sorted(CaseEscalation.objects.filter(case=case).values_list("level", flat=True)) == [-3, -2]


def test_the_escalation_skips_an_empty_managers_post(org, customers, complaint):
    org.users.north_manager.is_active = False
    org.users.north_manager.save()
    case = resolve(org, complaint)
    return_visit_record(actor=org.users.north_service, case=case, satisfied=False, note="No")
    esc = CaseEscalation.objects.get(case=case)
    assert esc.recipient == org.users.hq_manager and esc.role == "head_office"


def test_a_move_by_hand_cancels_the_waiting_visit(org, customers, complaint):
    case = resolve(org, complaint)
    visit = case.return_visits.get()
    case_transition(actor=org.users.north_service, case=case, to_status=S.CLOSED)
    visit.refresh_from_db()
    visit.task.refresh_from_db()
    assert visit.status == "cancelled" and visit.task.status == TaskStatus.CANCELLED


def test_the_settings_decide_per_kind(org, customers, request_case):
    ServiceSettings.objects.create(return_visits={"service": "none", "complaint": "phone"})
    agent = org.users.sales_n1
    Case.objects.filter(pk=request_case.pk).update(status=S.IN_PROGRESS, resolution="Fixed")
    request_case.refresh_from_db()
    case_transition(actor=agent, case=request_case, to_status=S.RESOLVED)
    assert not request_case.return_visits.exists()
    # by hand, whatever the settings say
    visit = return_visit_start(actor=agent, case=request_case, channel="phone")
    assert visit.channel == "phone" and visit.number == 1
    with pytest.raises(ValidationError):
        return_visit_start(actor=agent, case=request_case, channel="phone")   # one waits already


# -- API ---------------------------------------------------------------------------------------------

def test_api_read_start_and_record(org, customers, complaint, api_as):
    ServiceSettings.objects.create(return_visits={"complaint": "none"})
    case = resolve(org, complaint)
    api = api_as(org.users.north_service)
    body = api.get(f"/cases/{case.pk}/return-visit").json()
    assert body == {"setting": "none", "waiting": None, "visits": []}
    r = api.post(f"/cases/{case.pk}/return-visit", {"channel": "survey"})
    assert r.status_code == 201, r.content
    assert r.json()["channel"] == "phone" and "consented" in r.json()["fallback_reason"]
    assert_error(api.post(f"/cases/{case.pk}/return-visit", {"channel": "phone"}), 422, "validation_error")
    assert_error(api.post(f"/cases/{case.pk}/return-visit", {"channel": "pigeon"}), 422, "validation_error")
    r = api.post(f"/cases/{case.pk}/return-visit/result", {"satisfied": False})
    assert_error(r, 422, "validation_error")
    assert "note" in r.content.decode()
    case.refresh_from_db()
    r = api.post(f"/cases/{case.pk}/return-visit/result", {"satisfied": True, "version": case.version - 1})
    assert_error(r, 409, "conflict")
    r = api.post(f"/cases/{case.pk}/return-visit/result", {"satisfied": True, "score": 88, "note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "satisfied" and r.json()["score"] == 88
    body = api.get(f"/cases/{case.pk}/return-visit").json()
    assert body["waiting"] is None and [v["status"] for v in body["visits"]] == ["satisfied"]
    assert api.get(f"/cases/{case.pk}").json()["status"] == "closed"
    # outside the caller's scope: 404
    other = api_as(org.users.east_manager)
    assert other.get(f"/cases/{case.pk}/return-visit").status_code == 404
    assert other.post(f"/cases/{case.pk}/return-visit/result", {"satisfied": True}).status_code == 404


# -- pages -----------------------------------------------------------------------------------------

def test_the_case_page_shows_the_visit_and_records_the_result(org, customers, complaint, client_for):
    case = resolve(org, complaint)
    client = client_for(org.users.north_service)
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="return-visits"' in page and 'data-testid="return-visit-form"' in page
    assert "consented" in page
    r = client.post(reverse("case_return_visit_result", args=[case.pk]),
                    {"version": case.version, "result": "dissatisfied", "note": ""})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == S.RESOLVED   # the note is needed: nothing changed
    r = client.post(reverse("case_return_visit_result", args=[case.pk]),
                    {"version": case.version, "result": "satisfied", "note": "好", "score": "95"})
    case.refresh_from_db()
    assert case.status == S.CLOSED
    page = client.get(reverse("case_detail", args=[case.pk])).content.decode()
    assert "Satisfied" in page and 'data-testid="return-visit-form"' not in page


def test_the_case_page_links_the_survey_answers(org, customers, complaint, client_for):
    consent(customers.n1)
    case = resolve(org, complaint)
    response_record(invitation=case.return_visits.get().invitation, answers=GOOD, submit=True)
    page = client_for(org.users.sales_n1).get(reverse("case_detail", args=[case.pk])).content.decode()
    assert 'data-testid="return-visit-response"' in page and 'data-testid="answers"' in page


def test_the_settings_page_is_for_administrators(org, client_for):
    assert client_for(org.users.north_service).get(reverse("case_settings")).status_code == 403
    client = client_for(org.users.admin)
    assert client.get(reverse("case_settings")).status_code == 200
    data = {"kind_complaint": "phone", "kind_service": "none", "kind_repair": "survey", "kind_enquiry": "none",
            "kind_suggestion": "none", "kind_praise": "none", "return_visit_survey": ""}
    assert client.post(reverse("case_settings"), data).status_code == 302
    row = ServiceSettings.objects.get()
    assert row.mode_for("complaint") == "phone" and row.mode_for("repair") == "survey"
    assert client.post(reverse("case_settings"), {**data, "kind_complaint": "pigeon"}).status_code == 200


def test_the_wave_of_the_month_is_reused(org, customers, complaint):
    consent(customers.n1)
    resolve(org, complaint)
    assert Wave.objects.filter(name__startswith="return-visits-").count() == 1


# -- command line ----------------------------------------------------------------------------------

def test_kehu_cases_return_visits(org, customers, complaint, capsys):
    from kehu.cli import main

    case = resolve(org, complaint)
    assert main(["cases", "return-visits", "--as", "north_service"]) == 0
    out = capsys.readouterr().out
    assert case.ref in out and "1 return visit waiting." in out
    visit = case.return_visits.get()
    Task.objects.filter(pk=visit.task_id).update(due_on=timezone.localdate() + dt.timedelta(days=1))
    assert main(["cases", "return-visits", "--due", "--as", "north_service"]) == 0
    assert case.ref not in capsys.readouterr().out   # the call is due tomorrow
    Task.objects.filter(pk=visit.task_id).update(due_on=timezone.localdate())
    assert main(["cases", "return-visits", "--due", "--as", "north_service"]) == 0
    assert case.ref in capsys.readouterr().out
    assert main(["cases", "return-visits", "--as", "sales_e1"]) == 0
    assert case.ref not in capsys.readouterr().out   # not a case they may see
