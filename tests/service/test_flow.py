"""The status flow (every from/to pair), the LSPCAS gate, validity, numbering, audit."""

import itertools

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.service.models import STEP_ORDER, Case, CaseEvent, CaseStatus, Validity
from kehu.service.services import (
    TRANSITIONS, CaseConflict, TransitionNotAllowed, case_assign, case_comment, case_from_interaction, case_judge,
    case_step, case_transition, case_update,
)
from tests.factories import InteractionFactory
from tests.service.conftest import make_case

pytestmark = pytest.mark.django_db

S = CaseStatus
EXPECTED = {
    (S.NEW, S.ACCEPTED), (S.NEW, S.CLOSED),
    (S.ACCEPTED, S.IN_PROGRESS), (S.ACCEPTED, S.CLOSED),
    (S.IN_PROGRESS, S.WAITING), (S.IN_PROGRESS, S.RESOLVED),
    (S.WAITING, S.IN_PROGRESS), (S.WAITING, S.RESOLVED),
    (S.RESOLVED, S.RETURN_VISITED), (S.RESOLVED, S.CLOSED), (S.RESOLVED, S.IN_PROGRESS),
    (S.RETURN_VISITED, S.CLOSED), (S.RETURN_VISITED, S.IN_PROGRESS),
    (S.CLOSED, S.IN_PROGRESS),
}


def test_the_table_is_the_documented_flow():
    assert {(a, b) for a, bs in TRANSITIONS.items() for b in bs} == EXPECTED
    assert set(TRANSITIONS) == set(S.values)


def _ready(case, status):
    """Put ``case`` (an invalid-judged-ready service request) straight into ``status``."""
    Case.objects.filter(pk=case.pk).update(status=status, resolution="Replaced the valve.")
    case.refresh_from_db()
    return case


@pytest.mark.parametrize("pair", list(itertools.product(S.values, S.values)), ids=lambda p: f"{p[0]}->{p[1]}")
def test_every_pair_is_allowed_or_refused_as_the_table_says(org, customers, pair):
    from_status, to_status = pair
    case = make_case(org.users.sales_n1, customers.n1, kind="service")
    _ready(case, from_status)
    if from_status in (S.NEW, S.ACCEPTED) and to_status == S.CLOSED:
        Case.objects.filter(pk=case.pk).update(kind="complaint", validity="invalid", invalid_explanation="Not ours")
        case.refresh_from_db()
    version = case.version
    if (from_status, to_status) in EXPECTED:
        case_transition(actor=org.users.sales_n1, case=case, to_status=to_status, note="Called back", version=version)
        case.refresh_from_db()
        assert case.status == to_status and case.version == version + 1
        event = case.events.filter(kind="transition").get()
        assert (event.from_status, event.to_status, event.note, event.actor) == (
            from_status, to_status, "Called back", org.users.sales_n1)
        assert AuditEvent.objects.filter(entity="case", entity_id=case.pk, action="transition").count() == 1
    else:
        with pytest.raises(TransitionNotAllowed):
            case_transition(actor=org.users.sales_n1, case=case, to_status=to_status, note="x", version=version)
        case.refresh_from_db()
        assert case.status == from_status and case.version == version
        assert not case.events.filter(kind="transition").exists()


def test_case_numbers_are_cs_date_and_five_digits(org, customers):
    today = timezone.localdate()
    a = make_case(org.users.sales_n1, customers.n1)
    b = make_case(org.users.sales_n1, customers.n1)
    assert a.ref == f"CS{today:%Y%m%d}00001" and b.ref == f"CS{today:%Y%m%d}00002"
    assert a.events.get().kind == "created"


def test_a_complaint_has_six_steps_and_a_request_none(complaint, request_case):
    assert sorted(complaint.steps.values_list("step", flat=True)) == sorted(STEP_ORDER)
    assert not request_case.steps.exists()


def _walk_to_progress(actor, case):
    case_transition(actor=actor, case=case, to_status=S.ACCEPTED)
    case_transition(actor=actor, case=case, to_status=S.IN_PROGRESS)


def test_a_complaint_is_judged_before_it_is_resolved(org, complaint):
    actor = org.users.sales_n1
    _walk_to_progress(actor, complaint)
    case_update(actor=actor, case=complaint, data={"resolution": "Refunded the overcharge."}, version=complaint.version)
    with pytest.raises(ValidationError) as caught:
        case_transition(actor=actor, case=complaint, to_status=S.RESOLVED)
    assert "validity" in caught.value.message_dict


def test_lspcas_gate(org, complaint, settings):
    actor = org.users.sales_n1
    _walk_to_progress(actor, complaint)
    case_judge(actor=actor, case=complaint, valid=True)
    case_update(actor=actor, case=complaint, data={"resolution": "Refunded."}, version=complaint.version)
    for step in STEP_ORDER[:-1]:
        case_step(actor=actor, case=complaint, step=step, note=f"{step} done")
    with pytest.raises(ValidationError) as caught:
        case_transition(actor=actor, case=complaint, to_status=S.RESOLVED)
    assert "steps" in caught.value.message_dict and "Satisfy" in caught.value.message_dict["steps"][0]
    # the settings decide which steps are needed
    settings.KEHU_COMPLAINT_REQUIRED_STEPS = ["listen", "act"]
    case_transition(actor=actor, case=complaint, to_status=S.RESOLVED)
    complaint.refresh_from_db()
    assert complaint.status == S.RESOLVED and complaint.resolved_at is not None


def test_all_steps_done_resolves(org, complaint):
    actor = org.users.sales_n1
    _walk_to_progress(actor, complaint)
    case_judge(actor=actor, case=complaint, valid=True)
    case_update(actor=actor, case=complaint, data={"resolution": "Refunded."}, version=complaint.version)
    for step in STEP_ORDER:
        case_step(actor=actor, case=complaint, step=step, note="ok")
    case_transition(actor=actor, case=complaint, to_status=S.RESOLVED)
    case_transition(actor=actor, case=complaint, to_status=S.RETURN_VISITED, note="Happy now")
    case_transition(actor=actor, case=complaint, to_status=S.CLOSED)
    complaint.refresh_from_db()
    assert complaint.status == S.CLOSED and complaint.closed_at
    case_transition(actor=actor, case=complaint, to_status=S.IN_PROGRESS, note="Fault came back")
    complaint.refresh_from_db()
    assert complaint.status == S.IN_PROGRESS and complaint.closed_at is None and complaint.resolved_at is None


def test_an_invalid_complaint_needs_the_explanation(org, complaint):
    actor = org.users.sales_n1
    with pytest.raises(ValidationError) as caught:
        case_judge(actor=actor, case=complaint, valid=False, explanation="  ")
    assert "invalid_explanation" in caught.value.message_dict
    case_judge(actor=actor, case=complaint, valid=False, explanation="The bill follows the meter reading.")
    complaint.refresh_from_db()
    assert complaint.validity == Validity.INVALID
    # an invalid complaint may be closed at once, without the six steps
    case_transition(actor=actor, case=complaint, to_status=S.CLOSED)
    assert Case.objects.get(pk=complaint.pk).status == S.CLOSED


def test_only_an_invalid_case_closes_before_resolution(org, request_case):
    with pytest.raises(ValidationError) as caught:
        case_transition(actor=org.users.sales_n1, case=request_case, to_status=S.CLOSED)
    assert "validity" in caught.value.message_dict


def test_validity_is_for_complaints_only(org, request_case):
    with pytest.raises(ValidationError):
        case_judge(actor=org.users.sales_n1, case=request_case, valid=True)


def test_return_visit_and_reopen_need_a_note(org, request_case):
    actor = org.users.sales_n1
    _ready(request_case, S.RESOLVED)
    with pytest.raises(ValidationError) as caught:
        case_transition(actor=actor, case=request_case, to_status=S.RETURN_VISITED)
    assert "note" in caught.value.message_dict
    with pytest.raises(ValidationError):
        case_transition(actor=actor, case=request_case, to_status=S.IN_PROGRESS)


def test_waiting_records_a_paused_interval(org, request_case):
    actor = org.users.sales_n1
    _walk_to_progress(actor, request_case)
    case_transition(actor=actor, case=request_case, to_status=S.WAITING)
    request_case.refresh_from_db()
    assert len(request_case.sla_paused) == 1 and request_case.sla_paused[0][1] is None
    case_transition(actor=actor, case=request_case, to_status=S.IN_PROGRESS)
    request_case.refresh_from_db()
    assert request_case.sla_paused[0][1] is not None and request_case.first_responded_at is not None


def test_a_stale_version_is_a_conflict_and_changes_nothing(org, request_case):
    actor = org.users.sales_n1
    v = request_case.version
    case_update(actor=actor, case=request_case, data={"severity": 1}, version=v)
    with pytest.raises(CaseConflict):
        case_update(actor=actor, case=Case.objects.get(pk=request_case.pk), data={"subject": "Other"}, version=v)
    with pytest.raises(CaseConflict):
        case_transition(actor=actor, case=request_case, to_status=S.ACCEPTED, version=v)
    request_case.refresh_from_db()
    assert request_case.subject == "Boiler makes a noise" and request_case.severity == 1
    assert request_case.status == S.NEW


def test_read_only_and_invisible_users_may_not_change(org, request_case):
    for user in (org.users.analyst, org.users.sales_e1):
        with pytest.raises(PermissionDenied):
            case_transition(actor=user, case=request_case, to_status=S.ACCEPTED)
        with pytest.raises(PermissionDenied):
            case_comment(actor=user, case=request_case, note="hi")


def test_assignment_makes_the_case_visible_and_workable(org, customers):
    from kehu.org.policies import policy_for
    from kehu.service.selectors import case_visible

    case = make_case(org.users.admin, customers.e1)
    agent = org.users.north_service
    assert not case_visible(viewer=agent).filter(pk=case.pk).exists()
    case_assign(actor=org.users.admin, case=case, assignee=agent)
    assert case_visible(viewer=agent).filter(pk=case.pk).exists()
    assert policy_for(agent).can_change_case(case)
    # the case took the assignee's team: the team's manager sees it too
    assert case.team == org.users.north_service.team
    assert case_visible(viewer=org.users.north_manager).filter(pk=case.pk).exists()
    assert not case_visible(viewer=org.users.sales_n1b).filter(pk=case.pk).exists()


def test_an_unknown_caller_needs_a_name_phone_or_email(org):
    from kehu.service.services import case_create

    with pytest.raises(ValidationError) as caught:
        case_create(actor=org.users.north_service, data={"subject": "No heating"})
    assert "customer" in caught.value.message_dict
    case = case_create(actor=org.users.north_service, data={"subject": "No heating", "caller_phone": "13800138001"})
    assert case.customer is None
    from kehu.service.selectors import case_visible

    assert case_visible(viewer=org.users.north_service).filter(pk=case.pk).exists()
    assert not case_visible(viewer=org.users.sales_n1).filter(pk=case.pk).exists()


def test_caller_matching_by_phone_and_pinyin(org, customers):
    from kehu.service.selectors import caller_matches

    assert customers.n1 in caller_matches(viewer=org.users.admin, phone="13800138001")
    assert customers.n1b in caller_matches(viewer=org.users.admin, name="zhangsan")
    assert customers.e1 in caller_matches(viewer=org.users.admin, email="buyer@huadong.example")
    assert customers.e1 not in caller_matches(viewer=org.users.sales_n1, email="buyer@huadong.example")


def test_linking_a_caller_to_a_customer(org, customers):
    from kehu.service.services import case_create

    case = case_create(actor=org.users.admin, data={"subject": "Meter broken", "caller_name": "张三"})
    case_update(actor=org.users.admin, case=case, data={"customer": customers.n1b}, version=case.version)
    assert Case.objects.get(pk=case.pk).customer == customers.n1b


def test_a_complaint_interaction_becomes_a_case_once(org, customers):
    interaction = InteractionFactory(customer=customers.n1, channel="complaint", subject="Rude fitter",
                                     summary="The fitter shouted.")
    case = case_from_interaction(actor=org.users.sales_n1, interaction=interaction)
    assert (case.kind, case.customer, case.source_interaction, case.subject) == (
        "complaint", customers.n1, interaction, "Rude fitter")
    with pytest.raises(ValidationError):
        case_from_interaction(actor=org.users.sales_n1, interaction=interaction)


def test_compensation_rules(org, request_case):
    actor = org.users.sales_n1
    with pytest.raises(ValidationError) as caught:
        case_update(actor=actor, case=request_case, data={"compensation_amount": 50}, version=request_case.version)
    assert "compensation_kind" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        case_update(actor=actor, case=request_case, data={"compensation_kind": "cash", "compensation_amount": 50,
                                                          "compensation_approved_by": org.users.sales_n1b},
                    version=request_case.version)
    assert "compensation_approved_by" in caught.value.message_dict
    case_update(actor=actor, case=request_case, data={"compensation_kind": "cash", "compensation_amount": 50,
                                                      "compensation_approved_by": org.users.north_manager},
                version=request_case.version)


def test_merge_moves_the_cases(org, customers, request_case):
    from kehu.customers.services import customer_merge

    customer_merge(actor=org.users.admin, keep=customers.n1b, drop=customers.n1)
    assert Case.objects.get(pk=request_case.pk).customer_id == customers.n1b.pk


def test_comment_goes_on_the_timeline(org, request_case):
    case_comment(actor=org.users.sales_n1, case=request_case, note="Customer called again")
    assert CaseEvent.objects.filter(case=request_case, kind="comment", note="Customer called again").exists()


def test_an_assignee_who_cannot_see_the_customer_still_works_the_case(org, customers):
    case = make_case(org.users.admin, customers.e1)
    agent = org.users.north_service
    case_assign(actor=org.users.admin, case=case, assignee=agent)
    case_update(actor=agent, case=case, data={"resolution": "Replaced the valve."}, version=case.version)
    assert Case.objects.get(pk=case.pk).resolution == "Replaced the valve."
    # but they may not move it to a customer they cannot see
    with pytest.raises(PermissionDenied):
        case_update(actor=org.users.sales_n1, case=make_case(org.users.sales_n1, customers.n1),
                    data={"customer": customers.e1}, version=1)
