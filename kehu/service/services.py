"""Writes of cases (服务单 / 投诉单). Every write:

- asks the one policy (:meth:`~kehu.org.policies.CustomerPolicy.can_change_case`);
- locks the case's row (``SELECT … FOR UPDATE``) and, when the caller says which
  ``version`` it read, refuses a case changed since (:class:`CaseConflict`, the
  API's 409): two agents never overwrite each other, the second is told;
- adds one to ``version``, writes a :class:`~kehu.service.models.CaseEvent` for the
  case's timeline and an audit event.

The status flow is the table :data:`TRANSITIONS`; a move it does not list is a
:class:`TransitionNotAllowed` (409), a move it lists whose conditions are not met
(an unjudged complaint, handling steps not done, no resolution) a
``ValidationError`` naming the field (422).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from kehu.audit.services import audit_record, diff, snapshot
from kehu.org.models import Role
from kehu.org.policies import policy_for
from kehu.service.models import (
    STEP_ORDER, Case, CaseChannel, CaseEvent, CaseKind, CaseStatus, CaseStep, EventKind, Step, Validity,
)
from kehu.service.sla import sla_refresh

S = CaseStatus

# from → the statuses a case may move to. Reopening is the way back to work from
# resolved, return-visited or closed.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    S.NEW: (S.ACCEPTED, S.CLOSED),
    S.ACCEPTED: (S.IN_PROGRESS, S.CLOSED),
    S.IN_PROGRESS: (S.WAITING, S.RESOLVED),
    S.WAITING: (S.IN_PROGRESS, S.RESOLVED),
    S.RESOLVED: (S.RETURN_VISITED, S.CLOSED, S.IN_PROGRESS),
    S.RETURN_VISITED: (S.CLOSED, S.IN_PROGRESS),
    S.CLOSED: (S.IN_PROGRESS,),
}

REOPEN_FROM = (S.RESOLVED, S.RETURN_VISITED, S.CLOSED)

# What a button that makes the move says.
ACTION_LABELS = {
    (S.NEW, S.ACCEPTED): gettext_lazy("Accept"),
    (S.NEW, S.CLOSED): gettext_lazy("Close as invalid"),
    (S.ACCEPTED, S.IN_PROGRESS): gettext_lazy("Start work"),
    (S.ACCEPTED, S.CLOSED): gettext_lazy("Close as invalid"),
    (S.IN_PROGRESS, S.WAITING): gettext_lazy("Wait for the customer"),
    (S.IN_PROGRESS, S.RESOLVED): gettext_lazy("Resolve"),
    (S.WAITING, S.IN_PROGRESS): gettext_lazy("Customer answered"),
    (S.WAITING, S.RESOLVED): gettext_lazy("Resolve"),
    (S.RESOLVED, S.RETURN_VISITED): gettext_lazy("Record the return visit"),
    (S.RESOLVED, S.CLOSED): pgettext_lazy("close a case", "Close"),
    (S.RETURN_VISITED, S.CLOSED): pgettext_lazy("close a case", "Close"),
}


def action_label(from_status: str, to_status: str):
    if to_status == S.IN_PROGRESS and from_status in REOPEN_FROM:
        return pgettext_lazy("case", "Reopen")
    return ACTION_LABELS[(from_status, to_status)]


class CaseConflict(Exception):
    """The case was changed by someone else since the caller read it."""

    def __init__(self, case: Case):
        self.case = case
        super().__init__(_("Case %(ref)s was changed by someone else meanwhile (now version %(version)d); "
                           "reload it and make your change again.") % {"ref": case.ref, "version": case.version})


class TransitionNotAllowed(Exception):
    """A move the status flow does not allow from the case's current status."""

    def __init__(self, case: Case, to_status: str):
        self.case, self.to_status = case, to_status
        allowed = ", ".join(str(S(s).label) for s in TRANSITIONS[case.status]) or "—"
        to_label = S(to_status).label if to_status in S.values else to_status
        super().__init__(_("A case that is “%(current)s” cannot become “%(target)s”; it can become: "
                           "%(allowed)s.") % {"current": case.get_status_display(), "target": to_label,
                                              "allowed": allowed})


UPDATE_FIELDS = {
    "kind", "channel", "severity", "customer", "contact", "caller_name", "caller_phone", "caller_email",
    "order", "product", "serial_number", "category", "wants", "subject", "description", "team",
    "cause_category", "root_cause", "resolution", "compensation_kind", "compensation_amount",
    "compensation_approved_by", "partner",
}
CREATE_FIELDS = UPDATE_FIELDS | {"assignee", "source_interaction"}
APPROVER_ROLES = {Role.ADMIN, Role.SALES_MANAGER}
# A change of these sets the service-level due times again (kehu/service/sla.py).
SLA_FIELDS = {"kind", "severity", "customer"}


def required_steps() -> list[str]:
    """The handling steps a complaint needs done before it is resolved (setting
    ``KEHU_COMPLAINT_REQUIRED_STEPS``; all six by default)."""
    wanted = getattr(settings, "KEHU_COMPLAINT_REQUIRED_STEPS", STEP_ORDER)
    return [s for s in STEP_ORDER if s in wanted]


# -- helpers ------------------------------------------------------------------------

def _require_change(actor, case: Case) -> None:
    if not policy_for(actor).can_change_case(case):
        raise PermissionDenied(_("You may not change this case."))


def _unknown(data: dict, allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})


def _locked(case: Case, version: int | None) -> Case:
    """The case's row, locked until the transaction ends; :class:`CaseConflict` when
    ``version`` is given and the row has moved on."""
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    if version is not None and fresh.version != version:
        raise CaseConflict(fresh)
    return fresh


def _refresh(case: Case, fresh: Case) -> None:
    """The caller's object takes the saved row (it keeps using it)."""
    if case is not fresh:
        case.refresh_from_db()


def _event(case: Case, actor, kind: str, note: str = "", from_status: str = "", to_status: str = "",
           internal: bool = False) -> CaseEvent:
    event = CaseEvent(case=case, actor=actor if getattr(actor, "pk", None) else None, kind=kind,
                      from_status=from_status, to_status=to_status, note=note or "", internal=internal)
    event.full_clean(exclude=["case", "actor"])
    event.save()
    return event


def _audit(actor, action: str, case: Case, changes: dict | None = None) -> None:
    audit_record(actor=actor, action=action, instance=case, customer_id=case.customer_id, changes=changes,
                 summary=f"{case.ref} {case.subject}")


def _check_relations(actor, case: Case, *, customer_chosen: bool = True) -> None:
    """The contact, order and customer must fit together, and a customer the actor
    chooses must be visible to them (an assignee who sees the case but not its
    customer still works it); a case needs a customer or a caller."""
    errors = {}
    policy = policy_for(actor)
    if case.customer_id is None:
        if not (case.caller_name.strip() or case.caller_phone.strip() or case.caller_email.strip()):
            errors["customer"] = _("Choose the customer, or give the caller's name, phone or e-mail.")
        if case.contact_id is not None:
            errors["contact"] = _("A contact needs the customer it works at.")
        if case.order_id is not None:
            errors["order"] = _("An order needs the customer who placed it.")
    else:
        if customer_chosen and not policy.can_view(case.customer):
            raise PermissionDenied(_("You may not see this customer."))
        if case.contact_id is not None and case.contact.customer_id != case.customer_id:
            errors["contact"] = _("This contact works at another customer.")
        if case.order_id is not None and case.order.customer_id != case.customer_id:
            errors["order"] = _("This order is another customer's.")
    if policy.is_partner and case.partner_id is not None and case.partner_id not in policy.partner_ids:
        errors["partner"] = _("Choose your own partner or one of its sub-partners.")
    if case.compensation_amount is not None and case.compensation_amount > 0 and not case.compensation_kind:
        errors["compensation_kind"] = _("Say what kind of compensation this amount is.")
    approver = case.compensation_approved_by
    if approver is not None and (not approver.is_active or not (approver.is_superuser or approver.role in APPROVER_ROLES)):
        errors["compensation_approved_by"] = _("Compensation is approved by a manager or an administrator.")
    if errors:
        raise ValidationError(errors)


def _check_assignee(actor, assignee) -> None:
    if assignee is None:
        return
    if not assignee.is_active:
        raise ValidationError({"assignee": _("This user is no longer active.")})
    if assignee.pk != getattr(actor, "pk", None) and not policy_for(actor).can_assign_to(assignee):
        raise ValidationError({"assignee": _("You may not give cases to %(user)s.") % {"user": assignee}})


def _ensure_steps(case: Case) -> None:
    """A complaint carries the six handling steps (created once)."""
    if case.kind != CaseKind.COMPLAINT:
        return
    have = set(case.steps.values_list("step", flat=True))
    CaseStep.objects.bulk_create([CaseStep(case=case, step=s) for s in STEP_ORDER if s not in have])


# -- create -------------------------------------------------------------------------

def case_create(*, actor, data: dict[str, Any]) -> Case:
    """Register a case: about a customer the actor may see, or a caller not yet known
    (name, phone or e-mail). Numbered ``CS`` + today + 5 digits. A complaint gets its
    six handling steps."""
    policy = policy_for(actor)
    if not policy.can_register_cases:
        raise PermissionDenied(_("You may not register cases."))
    _unknown(data, CREATE_FIELDS)
    data = dict(data)
    assignee = data.pop("assignee", None)
    _check_assignee(actor, assignee)
    case = Case(created_by=actor if getattr(actor, "pk", None) else None, assignee=assignee, **data)
    if case.team_id is None and assignee is not None:
        case.team_id = assignee.team_id
    if "partner" not in data:
        # routing: the partner that serves the customer answers for it; a partner user's
        # case is their partner's
        if case.customer_id is not None and case.customer.partner_id:
            case.partner_id = case.customer.partner_id
        elif policy.is_partner:
            case.partner_id = actor.partner_id
    _check_relations(actor, case)
    return _insert(actor, case)


def _insert(actor, case: Case) -> Case:
    """Number, save and record a new case (checked by the caller)."""
    from kehu.numbering.services import case_series, next_code, save_numbered

    series = case_series(timezone.localdate())
    with transaction.atomic():
        case.ref = next_code(series)
        case.full_clean()
        save_numbered(case, series=series, taken=_("This case number is already in use."))
        sla_refresh(case)
        case.save(update_fields=["first_response_due", "resolution_due"])
        _ensure_steps(case)
        _event(case, actor, EventKind.CREATED, to_status=case.status)
        if case.assignee_id is not None:
            _event(case, actor, EventKind.ASSIGN, note=str(case.assignee))
        _audit(actor, "create", case)
    return case


def case_from_survey_response(*, response, reasons: list[str]) -> tuple[Case, bool]:
    """The complaint case a low survey answer opens when its survey follows up as a
    case (``Survey.follow_up_as``): about the respondent, on the channel "survey
    follow-up", linked to the response, in the customer's team's unassigned queue.
    The system acts (no permission check); one case per response, ``(case, created)``."""
    from kehu.surveys import texts
    from kehu.surveys.services.loop import DETRACTOR_MAX

    existing = Case.objects.filter(source_response=response).first()
    if existing is not None:
        return existing, False
    survey = response.wave.survey
    customer = response.customer
    language = settings.LANGUAGE_CODE
    lines = [_("%(customer)s answered the survey “%(survey)s” (%(wave)s).") % {
        "customer": customer.name, "survey": texts.pick(survey.title, language) or survey.code,
        "wave": response.wave.name}]
    if "detractor" in reasons:
        lines.append(_("Likelihood to recommend: %(nps)s of 10 — a detractor.") % {"nps": response.nps})
    if response.index is not None:
        lines.append(_("Satisfaction index: %(index).0f of 100 (follow-up below %(threshold)s).") % {
            "index": response.index, "threshold": survey.follow_up_below})
    severe = (response.nps is not None and response.nps <= DETRACTOR_MAX // 2) or (
        response.index is not None and response.index < 40)
    contact = response.invitation.contact if response.invitation_id else None
    case = Case(kind=CaseKind.COMPLAINT, channel=CaseChannel.SURVEY, customer=customer, contact=contact,
                severity=2 if severe else 3, team_id=customer.team_id, source_response=response,
                subject=(_("Low survey answer: %(survey)s") % {
                    "survey": texts.pick(survey.title, language) or survey.code})[:200],
                description="\n".join(lines))
    return _insert(None, case), True


def case_from_interaction(*, actor, interaction, data: dict[str, Any] | None = None) -> Case:
    """Turn an interaction (usually on the complaint channel) into a case about the
    same customer and contact, keeping the link; one case per interaction."""
    from kehu.engagement.models import Channel

    existing = Case.objects.filter(source_interaction=interaction).only("ref").first()
    if existing is not None:
        raise ValidationError({"source_interaction": _("Case %(ref)s was already made from this interaction.")
                               % {"ref": existing.ref}})
    channel = {Channel.PHONE: CaseChannel.HOTLINE, Channel.SERVICE: CaseChannel.HOTLINE,
               Channel.COMPLAINT: CaseChannel.HOTLINE, Channel.EMAIL: CaseChannel.EMAIL,
               Channel.VISIT: CaseChannel.VISIT, Channel.WEBSITE: CaseChannel.WEBSITE,
               Channel.SURVEY: CaseChannel.SURVEY}.get(interaction.channel, CaseChannel.HOTLINE)
    values = {
        "kind": CaseKind.COMPLAINT if interaction.channel == Channel.COMPLAINT else CaseKind.SERVICE,
        "channel": channel,
        "customer": interaction.customer,
        "contact": interaction.contact,
        "subject": (interaction.subject or (interaction.summary.strip().splitlines() or [""])[0])[:200]
        or _("Case from an interaction"),
        "description": interaction.summary,
    }
    values.update(data or {})
    values["source_interaction"] = interaction
    return case_create(actor=actor, data=values)


# -- update and assign ------------------------------------------------------------------

def case_update(*, actor, case: Case, data: dict[str, Any], version: int | None) -> Case:
    """Change a case's details (not its status, validity or assignee: they have their
    own calls). ``version`` is the version the caller read (see the module)."""
    _require_change(actor, case)
    _unknown(data, UPDATE_FIELDS)
    with transaction.atomic():
        fresh = _locked(case, version)
        before = snapshot(fresh)
        for k, v in data.items():
            setattr(fresh, k, v)
        _check_relations(actor, fresh, customer_chosen=fresh.customer_id != before.get("customer"))
        fresh.full_clean()
        changes = diff(before, snapshot(fresh))
        if changes:
            if SLA_FIELDS & set(changes):
                sla_refresh(fresh)
            fresh.version += 1
            fresh.save()
            _ensure_steps(fresh)
            _event(fresh, actor, EventKind.UPDATE, note=", ".join(
                str(Case._meta.get_field(k).verbose_name) for k in changes if k != "version"))
            _audit(actor, "update", fresh, changes)
    _refresh(case, fresh)
    return case


def case_assign(*, actor, case: Case, assignee, team=None, version: int | None = None) -> Case:
    """Give a case to ``assignee`` (None: back to the team's unassigned queue) and,
    when given, to ``team``; a case without a team takes the assignee's."""
    _require_change(actor, case)
    _check_assignee(actor, assignee)
    with transaction.atomic():
        fresh = _locked(case, version)
        before = snapshot(fresh, ["assignee", "team"])
        fresh.assignee = assignee
        if team is not None:
            fresh.team = team
        elif fresh.team_id is None and assignee is not None:
            fresh.team_id = assignee.team_id
        changes = diff(before, snapshot(fresh, ["assignee", "team"]))
        if changes:
            fresh.version += 1
            fresh.save()
            _event(fresh, actor, EventKind.ASSIGN, note=str(assignee) if assignee else _("Nobody"))
            _audit(actor, "assign", fresh, changes)
    _refresh(case, fresh)
    return case


# -- status flow ----------------------------------------------------------------------------

def allowed_transitions(case: Case) -> tuple[str, ...]:
    return TRANSITIONS.get(case.status, ())


def _gate(case: Case, to_status: str, note: str) -> None:
    """The conditions of a move the table allows (ValidationError naming the field)."""
    if to_status == S.CLOSED and case.status in (S.NEW, S.ACCEPTED) and case.validity != Validity.INVALID:
        raise ValidationError({"validity": _("Only a case judged invalid may be closed before it is resolved.")})
    if to_status == S.RESOLVED:
        if case.is_complaint and not case.validity:
            raise ValidationError({"validity": _("Judge the complaint valid or invalid before resolving it.")})
        if case.is_complaint and case.validity == Validity.VALID:
            done = set(case.steps.filter(done=True).values_list("step", flat=True))
            missing = [Step(s).label for s in required_steps() if s not in done]
            if missing:
                raise ValidationError({"steps": _("Complete these handling steps first: %(steps)s.")
                                       % {"steps": ", ".join(str(m) for m in missing)}})
        if case.validity != Validity.INVALID and not case.resolution.strip():
            raise ValidationError({"resolution": _("Write the resolution before resolving the case.")})
    if to_status == S.RETURN_VISITED and not note.strip():
        raise ValidationError({"note": _("Write what the customer said on the return visit.")})
    if to_status == S.IN_PROGRESS and case.status in REOPEN_FROM and not note.strip():
        raise ValidationError({"note": _("Say why the case is reopened.")})


def case_transition(*, actor, case: Case, to_status: str, note: str = "", version: int | None = None) -> Case:
    """Move a case to ``to_status``: checked against :data:`TRANSITIONS`
    (:class:`TransitionNotAllowed`) and its conditions (``ValidationError``), recorded
    on the timeline (who, when, from, to, note) and audited."""
    _require_change(actor, case)
    if to_status not in S.values:
        raise ValidationError({"to": _("Unknown status.")})
    note = (note or "").strip()
    with transaction.atomic():
        fresh = _locked(case, version)
        if to_status not in TRANSITIONS[fresh.status]:
            raise TransitionNotAllowed(fresh, to_status)
        if fresh.status in (S.RESOLVED, S.RETURN_VISITED):
            from kehu.service.return_visits import return_visits_cancel_waiting

            # a move by hand out of "resolved" ends a return visit still waiting for its answer
            return_visits_cancel_waiting(actor=actor, case=fresh)
        apply_transition(actor, fresh, to_status, note)
    _refresh(case, fresh)
    return case


def apply_transition(actor, fresh: Case, to_status: str, note: str) -> None:
    """Make the move on the locked row ``fresh`` (inside the caller's transaction):
    checked, recorded on the timeline and audited. The return visits use it to
    move a case on the customer's answer (the system acts, no permission check).
    A case that becomes resolved gets the return visit its kind is set to have."""
    if to_status not in TRANSITIONS[fresh.status]:
        raise TransitionNotAllowed(fresh, to_status)
    _gate(fresh, to_status, note)
    from_status = fresh.status
    now = timezone.now()
    fresh.status = to_status
    if from_status == S.NEW and fresh.first_responded_at is None:
        fresh.first_responded_at = now
    if to_status == S.WAITING:
        fresh.sla_paused = [*fresh.sla_paused, [now.isoformat(), None]]
    if from_status == S.WAITING and fresh.sla_paused and fresh.sla_paused[-1][1] is None:
        fresh.sla_paused = [*fresh.sla_paused[:-1], [fresh.sla_paused[-1][0], now.isoformat()]]
    if to_status == S.RESOLVED:
        fresh.resolved_at = now
    if to_status == S.CLOSED:
        fresh.closed_at = now
    if to_status == S.IN_PROGRESS and from_status in REOPEN_FROM:
        fresh.resolved_at = None
        fresh.closed_at = None
    sla_refresh(fresh, now=now)
    fresh.version += 1
    fresh.full_clean()
    fresh.save()
    _event(fresh, actor, EventKind.TRANSITION, note=note, from_status=from_status, to_status=to_status)
    _audit(actor, "transition", fresh, {"status": [from_status, to_status]})
    if to_status == S.RESOLVED:
        from kehu.service.return_visits import return_visit_on_resolved

        return_visit_on_resolved(actor=actor, case=fresh)


# -- complaints: validity and the six steps ---------------------------------------------------

def case_judge(*, actor, case: Case, valid: bool, explanation: str = "", version: int | None = None) -> Case:
    """Judge a complaint valid or invalid (受理 / 识别); an invalid one carries the
    explanation given to the customer."""
    _require_change(actor, case)
    explanation = (explanation or "").strip()
    with transaction.atomic():
        fresh = _locked(case, version)
        if not fresh.is_complaint:
            raise ValidationError({"validity": _("Only complaints are judged valid or invalid.")})
        if not fresh.is_open:
            raise ValidationError({"validity": _("Reopen the case to judge it again.")})
        if not valid and not explanation:
            raise ValidationError({"invalid_explanation": _(
                "An invalid complaint needs the explanation given to the customer.")})
        before = snapshot(fresh, ["validity", "invalid_explanation"])
        fresh.validity = Validity.VALID if valid else Validity.INVALID
        fresh.invalid_explanation = "" if valid else explanation
        fresh.version += 1
        fresh.full_clean()
        fresh.save()
        _event(fresh, actor, EventKind.VALIDITY, note=f"{fresh.get_validity_display()}"
               + (f": {explanation}" if not valid else ""))
        _audit(actor, "judge", fresh, diff(before, snapshot(fresh, ["validity", "invalid_explanation"])))
    _refresh(case, fresh)
    return case


def case_step(*, actor, case: Case, step: str, done: bool = True, note: str = "",
              version: int | None = None) -> CaseStep:
    """Tick (or untick) one handling step of a complaint, with its note."""
    _require_change(actor, case)
    if step not in STEP_ORDER:
        raise ValidationError({"step": _("Unknown step.")})
    with transaction.atomic():
        fresh = _locked(case, version)
        if not fresh.is_complaint:
            raise ValidationError({"step": _("Only complaints have handling steps.")})
        _ensure_steps(fresh)
        row = CaseStep.objects.select_for_update().get(case=fresh, step=step)
        row.done = bool(done)
        row.note = (note or "").strip()
        row.done_at = timezone.now() if done else None
        row.done_by = actor if done and getattr(actor, "pk", None) else None
        row.full_clean(exclude=["case", "done_by"])
        row.save()
        fresh.version += 1
        fresh.save(update_fields=["version", "updated_at"])
        label = row.get_step_display()
        _event(fresh, actor, EventKind.STEP, note=(f"✓ {label}" if done else f"✗ {label}")
               + (f": {row.note}" if row.note else ""))
        _audit(actor, "step", fresh, {step: [None, row.done]})
    _refresh(case, fresh)
    return row


def case_comment(*, actor, case: Case, note: str, internal: bool = False) -> CaseEvent:
    """A comment on the case's timeline (does not change the case, so no version).
    ``internal``: a note among the company's people, never shown to partner users
    (:meth:`~kehu.org.policies.CustomerPolicy.case_event_q`); a partner user may not
    write one."""
    _require_change(actor, case)
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": _("Write the comment.")})
    if internal and not policy_for(actor).may_write_internal_notes:
        raise ValidationError({"internal": _("Partner users cannot write internal notes.")})
    with transaction.atomic():
        event = _event(case, actor, EventKind.COMMENT, note=note, internal=bool(internal))
        _audit(actor, "comment", case, {"internal": [None, True]} if internal else None)
    return event


def case_draft_article(*, actor, case: Case):
    """Turn a resolved case into a draft knowledge-base article (知识库): its subject
    becomes the title, its description and resolution the body, linked to the case's
    category and naming the case (``case:<id>``). Only for a case that has been
    resolved and carries a resolution; the knowledge base decides who may write."""
    from kehu.kb.services import article_draft_from_text

    if case.status not in (CaseStatus.RESOLVED, CaseStatus.RETURN_VISITED, CaseStatus.CLOSED) \
            or not (case.resolution or "").strip():
        raise ValidationError({"resolution": _("Only a resolved case with a resolution can become an article.")})
    language = getattr(actor, "language", "") or settings.LANGUAGE_CODE
    with transaction.atomic():
        article = article_draft_from_text(
            actor=actor, title=case.subject, problem=case.description or case.subject,
            resolution=case.resolution, case_category_code=case.category.code if case.category_id else "",
            source_ref=f"case:{case.pk}", language=language)
        _event(case, actor, EventKind.COMMENT,
               note=_("Draft knowledge-base article %(id)s written from this case.") % {"id": article.pk})
        _audit(actor, "draft_article", case)
    return article


# -- service-level policies ----------------------------------------------------------------

SLA_POLICY_FIELDS = {"kind", "severity", "tier", "first_response_minutes", "resolution_minutes", "calendar_hours"}


def _require_admin(actor) -> None:
    if not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only an administrator may change service-level policies."))


def _refresh_open_cases() -> None:
    """The open cases' due times under the policies now in force."""
    from kehu.service.models import OPEN_STATUSES, SlaPolicy

    from kehu.service.sla import _pure_policy, customer_tiers, working_calendar

    policies = [_pure_policy(p) for p in SlaPolicy.objects.all()]
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    tiers = customer_tiers(open_cases.values_list("customer_id", flat=True).distinct())
    calendar = working_calendar()
    changed = []
    for case in open_cases.only("id", "kind", "severity", "customer_id", "created_at", "sla_paused", "status",
                                "first_response_due", "resolution_due").iterator(chunk_size=5000):
        before = (case.first_response_due, case.resolution_due)
        sla_refresh(case, policies=policies, tier=tiers.get(case.customer_id), calendar=calendar)
        if (case.first_response_due, case.resolution_due) != before:
            changed.append(case)
    Case.objects.bulk_update(changed, ["first_response_due", "resolution_due"], batch_size=2000)


def sla_policy_create(*, actor, data: dict[str, Any]):
    from kehu.service.models import SlaPolicy

    _require_admin(actor)
    _unknown(data, SLA_POLICY_FIELDS)
    policy = SlaPolicy(**data)
    with transaction.atomic():
        policy.full_clean()
        policy.save()
        audit_record(actor=actor, action="create", instance=policy, summary=str(policy))
        _refresh_open_cases()
    return policy


def sla_policy_update(*, actor, policy, data: dict[str, Any]):
    _require_admin(actor)
    _unknown(data, SLA_POLICY_FIELDS)
    with transaction.atomic():
        before = snapshot(policy)
        for k, v in data.items():
            setattr(policy, k, v)
        policy.full_clean()
        policy.save()
        audit_record(actor=actor, action="update", instance=policy, summary=str(policy),
                     changes=diff(before, snapshot(policy)))
        _refresh_open_cases()
    return policy


def sla_policy_delete(*, actor, policy) -> None:
    _require_admin(actor)
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=policy, summary=str(policy))
        policy.delete()
        _refresh_open_cases()


# -- attachments -------------------------------------------------------------------------------

def _store_attachment(case: Case, upload, *, actor, limit: int | None = None):
    """Check ``upload`` (kehu.attachments: size, allow-list, content sniffing) and
    store it on ``case``; the caller holds the transaction and writes the event."""
    from kehu.attachments.services import checked_upload
    from kehu.service.models import CaseAttachment

    name, content_type = checked_upload(upload, limit=limit)
    attachment = CaseAttachment(case=case, name=name, size=upload.size, content_type=content_type,
                                uploaded_by=actor if getattr(actor, "pk", None) else None)
    attachment.file.save(name, upload, save=False)
    try:
        attachment.full_clean(exclude=["case", "uploaded_by"])
        attachment.save()
    except Exception:
        attachment.file.delete(save=False)
        raise
    return attachment


def case_attachment_upload(*, actor, case: Case, upload):
    """Attach a file to a case: checked for size and type like every attachment
    (``ValidationError`` on ``file``, the API's 422), shown on the timeline, audited."""
    _require_change(actor, case)
    with transaction.atomic():
        attachment = _store_attachment(case, upload, actor=actor)
        _event(case, actor, EventKind.ATTACHMENT, note=_("Added %(name)s") % {"name": attachment.name})
        audit_record(actor=actor, action="attachment.upload", instance=attachment, customer_id=case.customer_id,
                     summary=f"{case.ref} {attachment.name}",
                     changes={"name": attachment.name, "size": attachment.size, "case": case.pk})
    return attachment


def case_attachment_delete(*, actor, attachment) -> None:
    """Delete a case's attachment and (once committed) its stored file; on the timeline, audited."""
    case = attachment.case
    _require_change(actor, case)
    with transaction.atomic():
        audit_record(actor=actor, action="attachment.delete", instance=attachment, customer_id=case.customer_id,
                     summary=f"{case.ref} {attachment.name}",
                     changes={"name": attachment.name, "size": attachment.size, "case": case.pk})
        _event(case, actor, EventKind.ATTACHMENT, note=_("Removed %(name)s") % {"name": attachment.name})
        path, storage = attachment.file.name, attachment.file.storage
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(path))


def case_attachment_open(*, actor, attachment):
    """The stored file, opened for reading; the download is audited. The caller
    fetched ``attachment`` through :func:`kehu.service.selectors.case_attachment_get`."""
    audit_record(actor=actor, action="attachment.download", instance=attachment,
                 customer_id=attachment.case.customer_id, summary=f"{attachment.case.ref} {attachment.name}")
    return attachment.file.open("rb")


# -- repair records (维修记录) ------------------------------------------------------------

REPAIR_FIELDS = {"fault", "parts", "labour_hours", "parts_cost", "labour_cost", "technician", "visited_on",
                 "revisited_on", "result", "in_warranty", "charged"}


def _check_technician(technician) -> None:
    if technician is not None and not technician.is_active:
        raise ValidationError({"technician": _("This user is no longer active.")})


def _repair_total(repair):
    """Parts plus labour (a cost that is not a number is left for full_clean to name)."""
    from decimal import Decimal, InvalidOperation

    try:
        return Decimal(str(repair.parts_cost or 0)) + Decimal(str(repair.labour_cost or 0))
    except (InvalidOperation, ValueError):
        return Decimal(0)


def _repair_note(repair) -> str:
    parts = [repair.fault.strip().splitlines()[0][:120] if repair.fault.strip() else ""]
    if repair.result:
        parts.append(str(repair.get_result_display()))
    parts.append(_("free under warranty") if not repair.charged else
                 _("charged %(total)s") % {"total": repair.total})
    return " · ".join(p for p in parts if p)


def repair_create(*, actor, case: Case, data: dict[str, Any]):
    """Record a repair on a case. Unless told, ``in_warranty`` is what the case's
    warranty says today (free repair, exchange or return applies) and a repair in
    warranty is not charged; the total is parts plus labour. On the case's timeline."""
    from kehu.service.models import RepairRecord
    from kehu.service.selectors import case_warranty

    _require_change(actor, case)
    _unknown(data, REPAIR_FIELDS)
    data = dict(data)
    if "in_warranty" not in data:
        state = case_warranty(case)
        data["in_warranty"] = bool(state and state.in_warranty)
    if "charged" not in data:
        data["charged"] = not data["in_warranty"]
    _check_technician(data.get("technician"))
    repair = RepairRecord(case=case, created_by=actor if getattr(actor, "pk", None) else None, **data)
    repair.total = _repair_total(repair)
    with transaction.atomic():
        repair.full_clean()
        repair.save()
        _event(case, actor, EventKind.REPAIR, note=_("Repair recorded: %(what)s") % {"what": _repair_note(repair)})
        audit_record(actor=actor, action="create", instance=repair, customer_id=case.customer_id,
                     changes=snapshot(repair), summary=f"{case.ref} {repair.fault[:80]}")
    return repair


def repair_update(*, actor, repair, data: dict[str, Any]):
    """Change a repair record (only the fields given); the total follows the costs."""
    case = repair.case
    _require_change(actor, case)
    _unknown(data, REPAIR_FIELDS)
    if "technician" in data:
        _check_technician(data["technician"])
    before = snapshot(repair)
    for k, v in data.items():
        setattr(repair, k, v)
    if data.get("in_warranty") and "charged" not in data:
        repair.charged = False
    repair.total = _repair_total(repair)
    with transaction.atomic():
        repair.full_clean()
        repair.save()
        changes = diff(before, snapshot(repair))
        if changes:
            _event(case, actor, EventKind.REPAIR, note=_("Repair changed: %(what)s") % {"what": _repair_note(repair)})
            audit_record(actor=actor, action="update", instance=repair, customer_id=case.customer_id,
                         changes=changes, summary=f"{case.ref} {repair.fault[:80]}")
    return repair


def repair_delete(*, actor, repair) -> None:
    """Delete a repair record (the case's timeline keeps that it was deleted)."""
    case = repair.case
    _require_change(actor, case)
    with transaction.atomic():
        note = _repair_note(repair)
        audit_record(actor=actor, action="delete", instance=repair, customer_id=case.customer_id,
                     changes=snapshot(repair), summary=f"{case.ref} {repair.fault[:80]}")
        repair.delete()
        _event(case, actor, EventKind.REPAIR, note=_("Repair deleted: %(what)s") % {"what": note})
