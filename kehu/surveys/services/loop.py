"""Closing the loop (DOMAIN.md §5, the last step of the measurement
workflow): what a submitted response sets off.

:func:`on_response_submitted` receives ``kehu.surveys.signals.response_submitted``
(connected in ``SurveysConfig.ready``), inside the submission's transaction:

1. the customer's attitude (:class:`CustomerAttitude`, 0–100, defined in
   :mod:`kehu.surveys.attitude`) is set from the response, unless a later
   response already set it;
2. a detractor (NPS 0–6, when the survey follows up detractors) or a
   response whose index is below ``survey.follow_up_below`` creates one
   follow-up :class:`~kehu.engagement.models.Task` for the customer's owner
   (or, when ``survey.follow_up_as`` is ``case``, one complaint case on the
   channel "survey follow-up", linked to the response)
   — never two for one response — due the same working day when the answer
   arrives before :data:`SAME_DAY_BEFORE`, else the next working day, in
   the assignee's language, with the answers on the task's page; the
   assignee gets an e-mail after the transaction commits.

A partner survey's response (``Response.partner``; partner answers are not
anonymous) that needs a follow-up by the same rule creates one task about the
partner (``Task.partner``, no customer) for its channel manager — else the
nearest one up the partner tree, else the survey's creator — naming the
partner and the partner user who answered. It is always a task: a complaint
case is about a customer. Employee responses (neither customer nor partner)
set off nothing.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.engagement.models import TaskSource
from kehu.engagement.services import task_create_from_source
from kehu.engagement.services import task_notify as _notify
from kehu.org.models import Role, Team, User
from kehu.org.policies import policy_for
from kehu.surveys import texts
from kehu.surveys.attitude import answers_attitude, response_attitude
from kehu.surveys.models import CustomerAttitude, FollowUpAs, Response, ResponseStatus

log = logging.getLogger(__name__)

# An answer that arrives before this local time on a working day is followed
# up the same day ("a low score reaches the customer's owner the same day");
# later ones the next working day.
SAME_DAY_BEFORE = dt.time(15, 0)
DETRACTOR_MAX = 6


# -- attitude -------------------------------------------------------------------------

def attitude_record(*, response: Response, questions=None, answers=None) -> float | None:
    """Set the customer's attitude from ``response`` (see
    :mod:`kehu.surveys.attitude`). A response older than the one that set
    the present attitude (answers imported late) leaves it alone. Returns
    the response's attitude (None when it measures none).

    ``questions`` and ``answers`` (question code → value), when the sender
    has them in memory, spare reading the stored answers back. The attitude
    is written by one upsert (``INSERT … ON CONFLICT (customer_id) DO UPDATE
    … WHERE measured_at <=``), atomic on PostgreSQL and SQLite alike: two
    submissions of one customer at once leave the later measurement."""
    if response.customer_id is None:
        return None
    if questions is not None and answers is not None:
        score = answers_attitude(questions, answers, likert_scores=response.wave.survey.likert_scores,
                                 index=response.index)
    else:
        score = response_attitude(response)
    if score is None:
        return None
    measured_at = response.submitted_at or timezone.now()
    _attitude_upsert(customer_id=response.customer_id, score=round(score, 2), measured_at=measured_at,
                     response_id=response.pk)
    return score


def _attitude_upsert(*, customer_id: int, score: float, measured_at, response_id: int) -> None:
    # score is within 0–100 (kehu.surveys.attitude clamps it; the table's check constraint holds it too)
    qn = connection.ops.quote_name
    table = qn(CustomerAttitude._meta.db_table)
    value = connection.ops.adapt_datetimefield_value(measured_at)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({qn('customer_id')}, {qn('score')}, {qn('measured_at')}, {qn('response_id')}) "
            f"VALUES (%s, %s, %s, %s) ON CONFLICT ({qn('customer_id')}) DO UPDATE SET "
            f"{qn('score')} = excluded.{qn('score')}, {qn('measured_at')} = excluded.{qn('measured_at')}, "
            f"{qn('response_id')} = excluded.{qn('response_id')} "
            f"WHERE {table}.{qn('measured_at')} <= excluded.{qn('measured_at')}",
            [customer_id, score, value, response_id])


# -- follow-up tasks --------------------------------------------------------------------

def needs_follow_up(response: Response) -> list[str]:
    """Why ``response`` needs a follow-up: ``"detractor"`` and/or ``"low_index"``
    (empty when it does not)."""
    survey = response.wave.survey
    reasons = []
    if survey.follow_up_detractors and response.nps is not None and response.nps <= DETRACTOR_MAX:
        reasons.append("detractor")
    if response.index is not None and response.index < survey.follow_up_below:
        reasons.append("low_index")
    return reasons


def working_day_due(submitted_at: dt.datetime) -> dt.date:
    """The day a follow-up is due: the same day for an answer before
    :data:`SAME_DAY_BEFORE` on a working day (Monday–Friday, local time),
    else the next working day. Public holidays are not modelled."""
    local = timezone.localtime(submitted_at)
    day = local.date()
    if day.weekday() < 5 and local.time() < SAME_DAY_BEFORE:
        return day
    day += dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def team_manager(user) -> User | None:
    """The manager who answers for ``user``: the first active sales manager
    in their team, else in the team above, up to head office (lowest id
    first where a team has several)."""
    if user is None or not user.team_id:
        return None
    team = Team.objects.only("path").get(pk=user.team_id)
    ancestors = [int(p) for p in team.path.strip("/").split("/") if p][::-1]
    managers = (User.objects.filter(team_id__in=ancestors, role=Role.SALES_MANAGER, is_active=True)
                .exclude(pk=user.pk).order_by("id"))
    by_team: dict[int, User] = {}
    for m in managers:
        by_team.setdefault(m.team_id, m)
    for team_id in ancestors:
        if team_id in by_team:
            return by_team[team_id]
    return None


def _assignee_candidates(response: Response):
    """The customer's owner, the owner's team manager (or, for a customer
    without owner, its team's manager), then the survey's creator — looked
    up one at a time, so the usual case (the owner) costs no more queries."""
    customer = response.customer
    owner = customer.owner
    yield owner
    if owner is not None:
        yield team_manager(owner)
    elif customer.team_id:
        # a customer without an owner still belongs to a team
        yield team_manager(User(team_id=customer.team_id))
    yield response.wave.survey.created_by


def follow_up_assignee(response: Response) -> User | None:
    """Who follows up: the customer's owner; when there is none (or they have
    left), the owner's team manager; else the survey's creator — the first of
    them who is active and may see the customer. None when nobody qualifies
    (the task is then unassigned and managers find it on their team's list)."""
    customer = response.customer
    for user in _assignee_candidates(response):
        if user is not None and user.is_active and policy_for(user).can_view(customer):
            return user
    return None


def partner_follow_up_assignee(response: Response) -> User | None:
    """Who follows up a partner's answers: the partner's channel manager, else the
    nearest one up the partner tree (:func:`kehu.partners.selectors.channel_manager`),
    else the survey's creator when active; None when neither."""
    from kehu.partners.selectors import channel_manager

    manager = channel_manager(response.partner)
    if manager is not None:
        return manager
    creator = response.wave.survey.created_by
    return creator if creator is not None and creator.is_active else None


def _score_lines(response: Response, reasons: list[str]) -> list[str]:
    lines = []
    if "detractor" in reasons:
        lines.append(_("Likelihood to recommend: %(nps)s of 10 — a detractor.") % {"nps": response.nps})
    if response.index is not None:
        lines.append(_("Satisfaction index: %(index).0f of 100 (follow-up below %(threshold)s).") % {
            "index": response.index, "threshold": response.wave.survey.follow_up_below})
    return lines


def _partner_task_texts(response: Response, reasons: list[str], language: str) -> tuple[str, str]:
    """The task about a partner's answers, in ``language``: the partner, the partner
    user who answered (partner answers are not anonymous), the survey and the scores."""
    survey = response.wave.survey
    partner = response.partner
    invitation = response.invitation
    person = invitation.partner_user if invitation is not None else None
    with translation.override(language):
        title = _("Follow up on the survey answers of the partner %(partner)s") % {"partner": partner.name}
        values = {"partner": f"{partner.code} {partner.name}",
                  "survey": texts.pick(survey.title, language) or survey.code, "wave": response.wave.name}
        if person is not None:
            values["person"] = str(person)
            lines = [_("%(person)s of the partner %(partner)s answered the survey “%(survey)s” (%(wave)s).")
                     % values]
        else:
            lines = [_("The partner %(partner)s answered the survey “%(survey)s” (%(wave)s).") % values]
        lines += _score_lines(response, reasons)
        lines.append(_("Talk with the partner, find out what makes selling our products hard for them, "
                       "agree what we will do, and record the outcome. The answers are below."))
    return title, "\n".join(lines)


def _task_texts(response: Response, reasons: list[str], language: str) -> tuple[str, str]:
    survey = response.wave.survey
    customer = response.customer
    with translation.override(language):
        title = _("Follow up on the survey answers of %(customer)s") % {"customer": customer.name}
        lines = [_("%(customer)s answered the survey “%(survey)s” (%(wave)s).") % {
            "customer": customer.name, "survey": texts.pick(survey.title, language) or survey.code,
            "wave": response.wave.name}]
        lines += _score_lines(response, reasons)
        lines.append(_("Call the customer, listen, find out what went wrong, agree what we will do, "
                       "and record the outcome. The answers are below."))
    return title, "\n".join(lines)


def follow_up_create(*, response: Response):
    """The follow-up task for ``response`` when it needs one: ``(task,
    created)``, or ``(None, False)``. At most one task per response. When the
    survey follows up as a case (``Survey.follow_up_as``), the follow-up is a
    complaint case instead (:func:`kehu.service.services.case_from_survey_response`):
    ``(case, created)``, at most one per response. A partner's response: a task
    about the partner (:func:`_partner_follow_up`)."""
    if response.customer_id is None and response.partner_id is None:
        return None, False
    reasons = needs_follow_up(response)
    if not reasons:
        return None, False
    if response.customer_id is None:
        return _partner_follow_up(response, reasons)
    if response.wave.survey.follow_up_as == FollowUpAs.CASE:
        from kehu.service.services import case_from_survey_response

        return case_from_survey_response(response=response, reasons=reasons)
    if not Response._meta.get_field("customer").is_cached(response):
        from kehu.customers.models import Customer

        # the customer and its owner in one query (both are needed below)
        response.customer = Customer.objects.select_related("owner").get(pk=response.customer_id)
    assignee = follow_up_assignee(response)
    title, description = _task_texts(response, reasons, _language(assignee))
    return _task_for(response, reasons, assignee, title, description, customer=response.customer)


def _language(user) -> str:
    return user.language if user is not None and user.language else settings.LANGUAGE_CODE


def _partner_follow_up(response: Response, reasons: list[str]):
    """The follow-up task about a partner's response (see the module's docstring)."""
    from kehu.org.models import Partner

    if not Response._meta.get_field("partner").is_cached(response):
        response.partner = Partner.objects.get(pk=response.partner_id)
    assignee = partner_follow_up_assignee(response)
    title, description = _partner_task_texts(response, reasons, _language(assignee))
    return _task_for(response, reasons, assignee, title, description, partner=response.partner)


def _task_for(response: Response, reasons: list[str], assignee, title: str, description: str, *,
              customer=None, partner=None):
    task, created = task_create_from_source(
        customer=customer, partner=partner, assigned_to=assignee, source=TaskSource.SURVEY,
        source_ref={"response": response.pk, "survey": response.wave.survey_id, "reasons": reasons},
        title=title, description=description, due_on=working_day_due(response.submitted_at or timezone.now()),
        created_by=None,
    )
    if created and assignee is not None and assignee.email:
        transaction.on_commit(lambda: _notify(task.pk))
    if created and assignee is None:
        log.warning("follow-up task %s for response %s has nobody to assign it to", task.pk, response.pk)
    return task, created


# -- the receiver -------------------------------------------------------------------------

def on_response_submitted(sender, response: Response, questions=None, answers=None, **kwargs) -> None:
    """Receiver of ``response_submitted``: attitude, then the follow-up task;
    a partner's response, its follow-up task. Employee surveys (neither
    customer nor partner: anonymous) and incomplete responses set off nothing.
    ``questions`` and ``answers``, when sent, are the response's questions
    and answers in memory."""
    if response.status != ResponseStatus.COMPLETE:
        return
    if response.customer_id is not None:
        attitude_record(response=response, questions=questions, answers=answers)
    elif response.partner_id is None:
        return
    follow_up_create(response=response)


# -- improvement actions -----------------------------------------------------------------

ACTION_FIELDS = {"indicator", "title", "description", "owner", "due_on", "status", "baseline_wave", "target"}


def _action_checks(action) -> None:
    from django.core.exceptions import ValidationError

    errors = {}
    if action.indicator_id and action.indicator.survey_id != action.survey_id:
        errors["indicator"] = _("This indicator belongs to another survey.")
    if action.baseline_wave_id and action.baseline_wave.survey_id != action.survey_id:
        errors["baseline_wave"] = _("This wave belongs to another survey.")
    if action.target is not None and not 0 <= action.target <= 100:
        errors["target"] = _("Enter a score between 0 and 100.")
    if action.owner_id and not action.owner.is_active:
        errors["owner"] = _("This user is no longer active.")
    if errors:
        raise ValidationError(errors)


def _set_baseline(action) -> None:
    """The baseline is the indicator's score in the chosen wave (None when
    nobody answered under it there, or no wave was chosen)."""
    from kehu.surveys.selectors_loop import indicator_wave_score

    if action.baseline_wave_id is None or action.indicator_id is None:
        action.baseline = None
        return
    score = indicator_wave_score(survey=action.survey, wave=action.baseline_wave, indicator=action.indicator)
    action.baseline = round(score, 2) if score is not None else None


def action_create(*, actor, survey, data: dict):
    """Record an improvement action (改进措施) against an indicator."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.audit.services import audit_record
    from kehu.surveys.models import ImprovementAction
    from kehu.surveys.selectors_loop import may_manage_actions

    if not may_manage_actions(actor):
        raise PermissionDenied(_("You may not plan improvement actions."))
    unknown = set(data) - ACTION_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    action = ImprovementAction(survey=survey, **data)
    with transaction.atomic():
        action.full_clean(exclude=["baseline"])
        _action_checks(action)
        _set_baseline(action)
        action.save()
        audit_record(actor=actor, action="create", instance=action, summary=action.title)
    return action


def action_update(*, actor, action, data: dict):
    """Change an action; choosing another baseline wave or indicator takes
    the baseline again."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.audit.services import audit_record, diff, snapshot
    from kehu.surveys.selectors_loop import may_change_action, may_manage_actions

    if not may_change_action(actor, action):
        raise PermissionDenied(_("You may not change this improvement action."))
    unknown = set(data) - ACTION_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    if not may_manage_actions(actor) and set(data) - {"status", "description"}:
        # the owner reports progress; the plan itself is the designers'
        raise PermissionDenied(_("As the action's owner you may change its status and description only."))
    before = snapshot(action)
    remeasure = any(k in data and data[k] != getattr(action, k) for k in ("baseline_wave", "indicator"))
    for k, v in data.items():
        setattr(action, k, v)
    with transaction.atomic():
        action.full_clean(exclude=["baseline"])
        _action_checks(action)
        if remeasure:
            _set_baseline(action)
        action.save()
        changes = diff(before, snapshot(action))
        if changes:
            audit_record(actor=actor, action="update", instance=action, changes=changes, summary=action.title)
    return action


def action_delete(*, actor, action) -> None:
    from django.core.exceptions import PermissionDenied

    from kehu.audit.services import audit_record, snapshot
    from kehu.surveys.selectors_loop import may_manage_actions

    if not may_manage_actions(actor):
        raise PermissionDenied(_("You may not delete improvement actions."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=action, changes=snapshot(action), summary=action.title)
        action.delete()
