"""Return visits (回访) of resolved cases (DOMAIN.md §6).

When a case becomes resolved, the company's settings
(:class:`~kehu.service.models.ServiceSettings`, by kind of case; a complaint
gets a survey, a repair or service request a phone call, the others nothing by
default) decide its return visit:

- **survey**: the return-visit survey (the one chosen in the settings, else the
  survey made from the shipped template ``complaint-return-visit``, made the
  first time it is needed) is sent to the customer with a personal link,
  through the survey distribution: an invitation in the survey's wave of the
  month (``return-visits-2026-12``), e-mailed once the case is saved, reminded
  like any other. The consent gate (:mod:`kehu.privacy.consent`) is asked
  first; without consent, without a customer or without an e-mail address the
  visit falls back to a phone call and the case's timeline says why;
- **phone**: a task (source ``return_visit``) for the case's assignee (else the
  team's manager) to call the customer and record the result on the case page.

The answer decides: a survey answer whose index is below the survey's
"satisfied from" score (or that the survey counts as not satisfied), or a call
recorded as dissatisfied, **reopens** the case and **escalates** it once — a
:class:`~kehu.service.models.CaseEscalation` (kind ``revisit``, level ``-1 - n``
for the case's *n*-th return visit), a task and an e-mail to the team's manager
(the next person up the escalation chain of :mod:`kehu.service.sla` when the
post is empty). A satisfied answer moves the case to return-visited, then
closed. Every step is on the case's timeline (and so on the customer's 360
timeline) and audited. A move by hand out of "resolved" cancels a visit still
waiting for its answer; an answer that comes later is kept with the visit but
moves nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.service.models import (
    Case, CaseEscalation, CaseStatus, EscalationKind, EventKind, ReturnVisit, ReturnVisitChannel, ReturnVisitMode,
    ReturnVisitStatus, ServiceSettings,
)

logger = logging.getLogger(__name__)

TEMPLATE = "complaint-return-visit"
S = CaseStatus


# -- settings ----------------------------------------------------------------------------

def service_settings() -> ServiceSettings:
    """The company's service settings (an unsaved row with the defaults when none were saved)."""
    return ServiceSettings.objects.order_by("id").first() or ServiceSettings()


def service_settings_save(*, actor, return_visits: dict, survey=None) -> ServiceSettings:
    """Save which return visit each kind of case gets, and the survey sent. Administrators only."""
    from kehu.org.policies import policy_for
    from kehu.service.models import CaseKind

    if not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only an administrator may change the service settings."))
    errors = {}
    for kind, mode in return_visits.items():
        if kind not in CaseKind.values:
            errors[kind] = _("Unknown kind of case.")
        elif mode not in ReturnVisitMode.values:
            errors[kind] = _("Choose no return visit, a survey or a phone call.")
    if survey is not None and (survey.kind != "customer" or survey.status != "active"):
        errors["return_visit_survey"] = _("Choose a customer survey that is in use.")
    if errors:
        raise ValidationError(errors)
    row = service_settings()
    before = {"return_visits": dict(row.return_visits or {}), "survey": row.return_visit_survey_id}
    with transaction.atomic():
        row.return_visits = dict(return_visits)
        row.return_visit_survey = survey
        row.updated_by = actor if getattr(actor, "pk", None) else None
        row.full_clean()
        row.save()
        audit_record(actor=actor, action="update", instance=row, summary=str(row), changes={
            "return_visits": [before["return_visits"], row.return_visits],
            "survey": [before["survey"], row.return_visit_survey_id]})
    return row


def return_visit_survey():
    """The survey a return visit sends: the one chosen in the settings when it is in
    use, else the customer survey made from the shipped template, else one made now
    from it (in use at once; its answers act on the case, so it makes no follow-up
    tasks of its own)."""
    from kehu.surveys.models import Survey, SurveyKind, SurveyStatus
    from kehu.surveys.services.definitions import survey_install_template

    chosen = service_settings().return_visit_survey
    if chosen is not None and chosen.status == SurveyStatus.ACTIVE:
        return chosen
    found = (Survey.objects.filter(template=TEMPLATE, kind=SurveyKind.CUSTOMER, status=SurveyStatus.ACTIVE)
             .order_by("id").first())
    if found is not None:
        return found
    code, n = TEMPLATE, 1
    while Survey.objects.filter(code=code).exists():
        n += 1
        code = f"{TEMPLATE}-{n}"
    return survey_install_template(template=TEMPLATE, code=code,
                                   settings={"follow_up_below": 0, "follow_up_detractors": False})


# -- helpers --------------------------------------------------------------------------------

def _event(case: Case, actor, note: str) -> None:
    from kehu.service.services import _event as case_event

    case_event(case, actor, EventKind.RETURN_VISIT, note=note)


def _audit(actor, action: str, case: Case, changes: dict | None = None) -> None:
    audit_record(actor=actor, action=action, instance=case, customer_id=case.customer_id, changes=changes,
                 summary=f"{case.ref} {case.subject}")


def _wave_for(survey, customer_id: int, today: dt.date):
    """The survey's open wave of return visits of this month that has no invitation of
    the customer yet (a second case of the month goes to ``…-2``)."""
    from kehu.surveys.models import Wave, WaveStatus

    base = f"return-visits-{today:%Y-%m}"
    n = 1
    while True:
        name = base if n == 1 else f"{base}-{n}"
        wave, _created = Wave.objects.get_or_create(survey=survey, name=name, defaults={
            "status": WaveStatus.OPEN, "opens_on": today.replace(day=1)})
        if wave.status == WaveStatus.OPEN and not wave.invitations.filter(customer_id=customer_id).exists():
            return wave
        n += 1


def _address(case: Case) -> str:
    """Where the survey goes: the case's contact, the caller's address given on the
    case, the customer's own, else the customer's first contact's."""
    from kehu.customers.models import Contact

    if case.contact_id and case.contact.email:
        return case.contact.email
    if case.caller_email:
        return case.caller_email
    if case.customer.email:
        return case.customer.email
    return (Contact.objects.filter(customer_id=case.customer_id).exclude(email="").order_by("id")
            .values_list("email", flat=True).first()) or ""


def _why_not_survey(case: Case) -> str:
    """Why no survey can be sent for ``case`` (empty: it can)."""
    from kehu.privacy.consent import hold_reason
    from kehu.surveys.models import HoldReason

    if case.customer_id is None:
        return _("the caller is not matched to a customer")
    reason = hold_reason(case.customer, channel="email")
    if reason:
        return str(HoldReason(reason).label)
    if not _address(case):
        return _("the customer has no e-mail address")
    return ""


def _caller(case: Case):
    """Who makes the phone return visit: the case's assignee, else the team's manager
    (the next person up the escalation chain when that post is empty)."""
    from kehu.service.sla import escalation_chain

    if case.assignee_id and case.assignee.is_active:
        return case.assignee
    return next((p.person for p in escalation_chain(case) if p.person is not None), None)


def _due(now) -> dt.date:
    from kehu.surveys.services.loop import working_day_due

    return working_day_due(now)


def waiting_visit(case: Case) -> ReturnVisit | None:
    return case.return_visits.filter(status=ReturnVisitStatus.WAITING).first()


# -- starting a return visit -------------------------------------------------------------------

def _start_survey(actor, case: Case, number: int) -> ReturnVisit:
    from kehu.surveys.services.distribution import invitation_for_customer, invitation_send, public_link

    survey = return_visit_survey()
    wave = _wave_for(survey, case.customer_id, timezone.localdate())
    email = _address(case)
    invitation = invitation_for_customer(wave=wave, customer=case.customer,
                                         contact=case.contact if case.contact_id else None, email=email)
    visit = ReturnVisit.objects.create(case=case, number=number, channel=ReturnVisitChannel.SURVEY,
                                       invitation=invitation)
    transaction.on_commit(lambda: invitation_send(invitation.pk))
    _event(case, actor, _("Return visit: the survey “%(survey)s” is sent to %(email)s with a personal link: "
                          "%(link)s") % {"survey": survey.code, "email": email, "link": public_link(invitation.token)})
    return visit


def _start_phone(actor, case: Case, number: int, reason: str = "") -> ReturnVisit:
    from kehu.engagement.models import TaskSource
    from kehu.engagement.services import task_create_from_source

    caller = _caller(case)
    now = timezone.now()
    title = _("Return visit: call the customer of case %(ref)s") % {"ref": case.ref}
    lines = [_("Case %(ref)s “%(subject)s” was resolved: %(resolution)s") % {
        "ref": case.ref, "subject": case.subject, "resolution": case.resolution or "—"}]
    phone = case.caller_phone or (case.contact.phone if case.contact_id else "") or (
        case.customer.phone if case.customer_id else "")
    if phone or case.who:
        lines.append(_("Call: %(who)s %(phone)s") % {"who": case.who, "phone": phone})
    lines.append(_("Ask whether the problem is solved and whether the customer is satisfied, then record the "
                   "result on the case page."))
    task, _created = task_create_from_source(
        customer=case.customer if case.customer_id else None, assigned_to=caller, source=TaskSource.RETURN_VISIT,
        source_ref={"case": case.pk, "return_visit": number}, title=title, description="\n".join(lines),
        due_on=_due(now))
    visit = ReturnVisit.objects.create(case=case, number=number, channel=ReturnVisitChannel.PHONE, task=task,
                                       fallback_reason=(reason or "")[:200])
    note = _("Return visit by phone: a task for %(who)s.") % {"who": caller or _("the team (nobody assigned)")}
    if reason:
        note += " " + _("No survey was sent: %(reason)s.") % {"reason": reason}
    _event(case, actor, note)
    return visit


def _start(actor, case: Case, channel: str) -> ReturnVisit:
    """A return visit of the (locked) resolved ``case`` on ``channel``, falling back
    from survey to phone when no survey may or can be sent."""
    number = (case.return_visits.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    if channel == ReturnVisitChannel.SURVEY:
        reason = _why_not_survey(case)
        visit = _start_phone(actor, case, number, reason) if reason else _start_survey(actor, case, number)
    else:
        visit = _start_phone(actor, case, number)
    _audit(actor, "return_visit.start", case, {"return_visit": [None, f"{visit.number} {visit.channel}"]})
    return visit


def return_visit_on_resolved(*, actor, case: Case) -> ReturnVisit | None:
    """Called when ``case`` (locked, in the caller's transaction) becomes resolved:
    the return visit its kind gets by the settings, if any."""
    mode = service_settings().mode_for(case.kind)
    if mode == ReturnVisitMode.NONE or waiting_visit(case) is not None:
        return None
    return _start(actor, case, mode)


def return_visit_start(*, actor, case: Case, channel: str) -> ReturnVisit:
    """Start a return visit of a resolved case by hand (``survey`` or ``phone``),
    whatever the settings say; one at a time."""
    from kehu.service.services import _locked, _require_change

    _require_change(actor, case)
    if channel not in ReturnVisitChannel.values:
        raise ValidationError({"channel": _("Choose survey or phone.")})
    with transaction.atomic():
        fresh = _locked(case, None)
        if fresh.status != S.RESOLVED:
            raise ValidationError({"status": _("Only a resolved case gets a return visit.")})
        if waiting_visit(fresh) is not None:
            raise ValidationError({"channel": _("A return visit of this case is already waiting for its answer.")})
        return _start(actor, fresh, channel)


def return_visits_cancel_waiting(*, actor, case: Case) -> None:
    """A move by hand out of "resolved": the visit still waiting is cancelled (its task too)."""
    from kehu.engagement.models import TaskStatus

    for visit in case.return_visits.select_for_update().filter(status=ReturnVisitStatus.WAITING):
        visit.status = ReturnVisitStatus.CANCELLED
        visit.save(update_fields=["status", "updated_at"])
        if visit.task_id and visit.task.status == TaskStatus.OPEN:
            _close_task(visit.task, TaskStatus.CANCELLED, _("The case was moved on by hand."))
        _event(case, actor, _("Return visit %(number)d cancelled: the case was moved on by hand.")
               % {"number": visit.number})


def _close_task(task, status: str, outcome: str) -> None:
    task.status = status
    task.outcome = outcome[:5000]
    task.completed_at = timezone.now()
    task.save(update_fields=["status", "outcome", "completed_at", "updated_at"])
    audit_record(actor=None, action="complete" if status == "done" else "cancel", instance=task,
                 customer_id=task.customer_id, summary=task.title)


# -- the result -------------------------------------------------------------------------------

def return_visit_record(*, actor, case: Case, satisfied: bool, note: str = "", score: float | None = None,
                        version: int | None = None) -> ReturnVisit:
    """A service agent records the result of the waiting return visit (usually the
    phone call): satisfied or not, a note (needed when not satisfied), a score
    0–100 if the customer gave one."""
    from kehu.service.services import _locked, _require_change

    _require_change(actor, case)
    note = (note or "").strip()
    errors = {}
    if not satisfied and not note:
        errors["note"] = _("Write what the customer is not satisfied with.")
    if score is not None and not 0 <= score <= 100:
        errors["score"] = _("Give a score from 0 to 100.")
    if len(note) > 5000:
        errors["note"] = _("Write at most 5000 characters.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        fresh = _locked(case, version)
        visit = waiting_visit(fresh)
        if visit is None:
            raise ValidationError({"status": _("No return visit of this case is waiting for its result.")})
        return _conclude(actor, fresh, visit, satisfied=satisfied, note=note, score=score)


def _conclude(actor, case: Case, visit: ReturnVisit, *, satisfied: bool, note: str, score: float | None,
              response=None) -> ReturnVisit:
    """Record the result on the locked ``case`` and move it: satisfied → return-visited
    → closed; not satisfied → return-visited → reopened, and escalated once."""
    from kehu.engagement.models import TaskStatus
    from kehu.service.services import REOPEN_FROM, apply_transition

    visit = ReturnVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status != ReturnVisitStatus.WAITING:
        return visit  # answered already: each return visit acts once
    now = timezone.now()
    visit.status = ReturnVisitStatus.SATISFIED if satisfied else ReturnVisitStatus.DISSATISFIED
    visit.score = None if score is None else round(float(score), 2)
    visit.note = note
    visit.recorded_by = actor if getattr(actor, "pk", None) else None
    visit.recorded_at = now
    if response is not None:
        visit.response = response
    visit.full_clean(exclude=["case", "invitation", "response", "task", "recorded_by", "escalation"])
    visit.save()
    if visit.task_id and visit.task.status == TaskStatus.OPEN:
        _close_task(visit.task, TaskStatus.DONE, note or visit.get_status_display())
    summary = (_("Return visit: the customer is satisfied.") if satisfied
               else _("Return visit: the customer is not satisfied."))
    if score is not None:
        summary += " " + _("Score %(score).0f of 100.") % {"score": score}
    if note:
        summary += " " + note
    _audit(actor, "return_visit.result", case, {"return_visit": [visit.number, visit.status]})
    if case.status == S.RESOLVED:
        apply_transition(actor, case, S.RETURN_VISITED, summary)
    else:
        _event(case, actor, summary)
    if satisfied:
        if case.status == S.RETURN_VISITED:
            apply_transition(actor, case, S.CLOSED, _("Closed: the customer is satisfied with the return visit."))
    else:
        if case.status in REOPEN_FROM:
            apply_transition(actor, case, S.IN_PROGRESS,
                             _("Reopened: the customer is not satisfied at the return visit."))
        _escalate(actor, case, visit)
    return visit


def _escalate(actor, case: Case, visit: ReturnVisit) -> None:
    """The escalation of a dissatisfied return visit, once: a task and an e-mail to the
    team's manager (the next person up the chain when the post is empty)."""
    from kehu.engagement.models import TaskSource
    from kehu.engagement.services import task_create_from_source
    from kehu.service.sla import escalation_chain, role_label

    level = -1 - visit.number
    if visit.escalation_id or CaseEscalation.objects.filter(case=case, level=level).exists():
        return
    chain = escalation_chain(case)
    post = next((p for p in chain[1:] if p.person is not None), None)
    if post is None:
        logger.warning("case %s: nobody to escalate the dissatisfied return visit to", case.ref)
        _event(case, actor, _("Nobody to escalate to: no manager and no administrator is set up."))
        return
    recipient = post.person
    now = timezone.now()
    title = _("Dissatisfied return visit: case %(ref)s reopened") % {"ref": case.ref}
    body = _("The customer of case %(ref)s “%(subject)s” is not satisfied at the return visit, so the case is "
             "reopened. %(note)s") % {"ref": case.ref, "subject": case.subject, "note": visit.note}
    task, _created = task_create_from_source(
        customer=case.customer if case.customer_id else None, assigned_to=recipient,
        source=TaskSource.RETURN_VISIT, source_ref={"case": case.pk, "return_visit_escalation": visit.number},
        title=title, description=body, due_on=timezone.localdate(now))
    escalation = CaseEscalation.objects.create(case=case, kind=EscalationKind.RETURN_VISIT, level=level,
                                               role=post.role, recipient=recipient, task=task, at=now)
    visit.escalation = escalation
    visit.save(update_fields=["escalation", "updated_at"])
    if recipient.email:
        address = recipient.email
        transaction.on_commit(lambda: send_mail(title, body, None, [address], fail_silently=True))
    _event(case, actor, _("Escalated to %(who)s (%(role)s): the customer is not satisfied at the return visit.")
           % {"who": recipient, "role": role_label(post.role)})
    _audit(actor, "return_visit.escalate", case, {"escalated_to": [None, recipient.pk]})


def survey_satisfied(response) -> bool:
    """Whether a return-visit survey answer counts as satisfied: its index reaches the
    survey's "satisfied from" score; an answer without an index counts as the survey
    scored it (``Response.satisfied``), satisfied when it says nothing."""
    survey = response.wave.survey
    if response.index is not None:
        return response.index >= survey.satisfied_from
    return response.satisfied is not False


def on_response_submitted(sender, response, **kwargs) -> None:
    """Receiver of ``kehu.surveys.signals.response_submitted``: the answer of a
    return-visit survey concludes its return visit (inside the submission's
    transaction; a visit no longer waiting keeps the answer and moves nothing)."""
    if not response.invitation_id:
        return
    visit = ReturnVisit.objects.filter(invitation_id=response.invitation_id).first()
    if visit is None:
        return
    if visit.status != ReturnVisitStatus.WAITING:
        if visit.response_id is None:
            ReturnVisit.objects.filter(pk=visit.pk).update(response=response, updated_at=timezone.now())
        return
    case = Case.objects.select_for_update().get(pk=visit.case_id)
    survey = response.wave.survey
    satisfied = survey_satisfied(response)
    if response.index is not None:
        note = _("Answered the return-visit survey: index %(index).0f of 100 (satisfied from %(threshold)d).") % {
            "index": response.index, "threshold": survey.satisfied_from}
    else:
        note = _("Answered the return-visit survey.")
    _conclude(None, case, visit, satisfied=satisfied, note=note, score=response.index, response=response)


__all__ = ["return_visit_on_resolved", "return_visit_record", "return_visit_start", "return_visit_survey",
           "service_settings", "service_settings_save", "on_response_submitted"]
