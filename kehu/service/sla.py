"""The SLA clock of cases: Django glue around the pure modules.

:mod:`kehu.analytics.sla` picks the policy and runs the clock and the
escalation chain; :mod:`kehu.analytics.working_time` counts working time. This
module reads the stored policies (:class:`~kehu.service.models.SlaPolicy`), the
customer's value tier (the latest finished analysis run,
:class:`kehu.insights.models.CustomerScore`), the settings
(``KEHU_WORKING_HOURS``, ``TIME_ZONE``, ``KEHU_SLA_WARNING_SHARE``,
``KEHU_SLA_ESCALATE_EVERY``) and the team tree, and writes:

- :func:`sla_refresh`: a case's ``first_response_due`` and ``resolution_due``
  (called by the case services on create, on a change of kind, severity or
  customer, and on every status move — a pause while waiting for the customer
  leaves ``resolution_due`` empty until the customer answers);
- :func:`sla_check`: the warnings and escalation steps due now, each once
  (:class:`~kehu.service.models.CaseEscalation` per case and level): a task for
  the person, an e-mail and a timeline entry. The Huey task
  ``kehu.service.tasks.sla_check_periodic`` runs it every five minutes;
  ``kehu cases sla-check`` on demand.

The clock starts at ``created_at``. A change of policy during the case uses the
new promise from the case's start (the time used is kept: in working hours the
result is the one of :func:`kehu.analytics.sla.sla_clock` with a history).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.analytics import sla as pure
from kehu.analytics.working_time import WorkingCalendar

logger = logging.getLogger(__name__)

WARNING_LEVEL = -1  # CaseEscalation.level of the warning


def working_calendar() -> WorkingCalendar:
    """The company's calendar: ``KEHU_WORKING_HOURS`` ("09:00-12:00,13:00-18:00") in ``TIME_ZONE``."""
    hours = []
    for part in str(getattr(settings, "KEHU_WORKING_HOURS", "09:00-12:00,13:00-18:00")).split(","):
        if part.strip():
            a, b = part.strip().split("-")
            hours.append((a.strip(), b.strip()))
    return WorkingCalendar(hours=tuple(hours), timezone=settings.TIME_ZONE)


def warning_share() -> float:
    return float(getattr(settings, "KEHU_SLA_WARNING_SHARE", pure.DEFAULT_WARNING_SHARE))


def escalate_every() -> float:
    return float(getattr(settings, "KEHU_SLA_ESCALATE_EVERY", 0.5))


def customer_tier(customer_id) -> str | None:
    """The customer's value tier in the latest finished analysis run (None: none)."""
    if customer_id is None:
        return None
    from kehu.insights.models import CustomerScore, RunStatus

    tier = (CustomerScore.objects.filter(customer_id=customer_id, run__status=RunStatus.SUCCEEDED)
            .order_by("-run__as_of", "-run_id").values_list("tier", flat=True).first())
    return tier or None


def customer_tiers(customer_ids) -> dict[int, str]:
    """:func:`customer_tier` of many customers at once (those with no tier are left out)."""
    from kehu.insights.models import CustomerScore, RunStatus

    if not CustomerScore.objects.filter(run__status=RunStatus.SUCCEEDED).exists():
        return {}
    ids = sorted({c for c in customer_ids if c is not None})
    if not ids:
        return {}
    found: dict[int, tuple] = {}
    for i in range(0, len(ids), 5000):
        rows = (CustomerScore.objects.filter(customer_id__in=ids[i:i + 5000], run__status=RunStatus.SUCCEEDED)
                .values_list("customer_id", "run__as_of", "run_id", "tier"))
        for cid, as_of, run_id, tier in rows:
            if cid not in found or (as_of, run_id) > found[cid][:2]:
                found[cid] = (as_of, run_id, tier)
    return {cid: v[2] for cid, v in found.items() if v[2]}


_NO_TIER = object()


def _pure_policy(p) -> pure.SlaPolicy:
    def promise(minutes):
        return pure.Promise(int(minutes), p.calendar_hours) if minutes else None

    return pure.SlaPolicy(p.kind or None, p.severity, p.tier or None,
                          promise(p.first_response_minutes), promise(p.resolution_minutes))


def policy_for_case(case, policies=None, *, tier=_NO_TIER) -> pure.SlaPolicy | None:
    """The policy of ``case``. ``policies``: the stored policies (or their pure
    forms) when the caller has them; ``tier``: the customer's tier when known."""
    from kehu.service.models import SlaPolicy

    rows = list(SlaPolicy.objects.all()) if policies is None else policies
    if tier is _NO_TIER:
        tier = customer_tier(case.customer_id)
    return pure.resolve_policy([p if isinstance(p, pure.SlaPolicy) else _pure_policy(p) for p in rows],
                               kind=case.kind, severity=case.severity, tier=tier)


def pauses(case) -> list:
    return [(datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None) for a, b in case.sla_paused or []]


def _clock(case, promise, at, calendar):
    return pure.sla_clock(start=case.created_at, promise=promise, at=at, pauses=pauses(case),
                          calendar=calendar, warning_share=warning_share())


def sla_refresh(case, *, now=None, policies=None, tier=_NO_TIER, calendar=None) -> None:
    """Set ``first_response_due`` and ``resolution_due`` (not saved; the caller saves)."""
    if case.created_at is None:
        case.created_at = timezone.now()
    now = now or timezone.now()
    at = max(now, case.created_at)
    policy = policy_for_case(case, policies, tier=tier)
    calendar = calendar or working_calendar()
    case.first_response_due = case.resolution_due = None
    if policy is None:
        return
    if policy.first_response is not None:
        case.first_response_due = _clock(case, policy.first_response, at, calendar).deadline
    if policy.resolution is not None:
        case.resolution_due = _clock(case, policy.resolution, at, calendar).deadline


@dataclass
class SlaState:
    status: str  # "ok", "warning", "breached" ("" when no service level)
    share: float
    paused: bool
    fallback_years: tuple[int, ...]
    which: str  # "first_response" or "resolution"


def case_sla(case, *, at=None, policies=None, tier=_NO_TIER, calendar=None) -> SlaState | None:
    """Where the case's clock stands: the first-response clock while nobody has
    answered, the resolution clock too; the one further along wins. None: no
    service level, or the case is no longer open."""
    if not case.is_open:
        return None
    policy = policy_for_case(case, policies, tier=tier)
    if policy is None:
        return None
    at = at or timezone.now()
    calendar = calendar or working_calendar()
    best = None
    clocks = []
    if policy.first_response is not None and case.first_responded_at is None:
        clocks.append(("first_response", policy.first_response))
    if policy.resolution is not None:
        clocks.append(("resolution", policy.resolution))
    for which, promise in clocks:
        c = _clock(case, promise, max(at, case.created_at), calendar)
        if best is None or c.share > best.share:
            best = SlaState(c.status, c.share, c.paused, c.fallback_years, which)
    return best


# -- the escalation chain ----------------------------------------------------------

def _manager_of(team):
    """The team's manager: its first active member with the sales-manager role (None: the post is empty)."""
    from kehu.org.models import Role, User

    return User.objects.filter(team=team, is_active=True, role=Role.SALES_MANAGER).order_by("id").first()


def head_office_person():
    """The head office's manager (a manager of the root team), else the first active administrator."""
    from kehu.org.models import Role, Team, User

    root = Team.objects.filter(parent__isnull=True).order_by("id").first()
    person = _manager_of(root) if root is not None else None
    if person is None:
        person = (User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(role=Role.ADMIN))
                  .order_by("id").first())
    return person


def escalation_chain(case, *, cache: dict | None = None) -> list[pure.Post]:
    """The assignee, the team's manager, each parent team's manager, the head office last.
    ``cache``: a dict kept by the caller across many cases (the managers up each team,
    looked up once per run)."""
    chain = [pure.Post("assignee", case.assignee if case.assignee_id else None)]
    key = ("team", case.team_id)
    if cache is not None and key in cache:
        return chain + cache[key]
    rest = []
    team = case.team
    first = True
    while team is not None and team.parent_id is not None:
        rest.append(pure.Post("team_manager" if first else "parent_manager", _manager_of(team)))
        first = False
        team = team.parent
    if cache is not None and "head_office" in cache:
        head = cache["head_office"]
    else:
        head = head_office_person()
        if cache is not None:
            cache["head_office"] = head
    rest.append(pure.Post("head_office", head))
    if cache is not None:
        cache[key] = rest
    return chain + rest


def role_label(role: str) -> str:
    labels = {"assignee": _("assignee"), "team_manager": _("team manager"),
              "parent_manager": _("parent team's manager"), "head_office": _("head office"),
              "warning": _("warning")}
    return str(labels.get(role, role))


@dataclass
class SlaAction:
    case_ref: str
    kind: str  # "warning" or "escalation"
    level: int
    role: str
    recipient: str
    skipped_to: int | None = None  # the level whose holder received it (an empty post)

    def line(self) -> str:
        what = _("warning") if self.kind == "warning" else _("escalation level %(level)d") % {"level": self.level}
        text = f"{self.case_ref}\t{what}\t{role_label(self.role)}\t{self.recipient}"
        if self.skipped_to is not None:
            text += "\t" + _("(post empty, sent up to level %(level)d)") % {"level": self.skipped_to}
        return text


def _notify(case, recipient, *, kind: str, level: int, role: str, at, share: float, email: bool = True):
    """The task, the e-mail and the timeline entry of one step."""
    from kehu.engagement.models import TaskSource
    from kehu.engagement.services import task_create_from_source
    from kehu.service.models import CaseEscalation, CaseEvent, EscalationKind, EventKind

    percent = int(round(share * 100))
    if kind == EscalationKind.WARNING:
        title = _("Service level at %(percent)d%%: case %(ref)s") % {"percent": percent, "ref": case.ref}
    else:
        title = _("Service level broken (%(percent)d%%): case %(ref)s") % {"percent": percent, "ref": case.ref}
    body = _("Case %(ref)s “%(subject)s”: %(percent)d%% of the promised time is used. "
             "Due: %(due)s.") % {
        "ref": case.ref, "subject": case.subject, "percent": percent,
        "due": timezone.localtime(case.resolution_due).strftime("%Y-%m-%d %H:%M") if case.resolution_due else "—"}
    task, _created = task_create_from_source(
        customer=case.customer, assigned_to=recipient, source=TaskSource.SLA,
        source_ref={"case": case.pk, "level": level}, title=title, description=body,
        due_on=timezone.localdate(at))
    if email and recipient is not None and recipient.email:
        send_mail(title, body, None, [recipient.email], fail_silently=True)
    CaseEscalation.objects.create(case=case, kind=kind, level=level, role=role, recipient=recipient, task=task,
                                  at=at)
    CaseEvent.objects.create(case=case, kind=EventKind.SLA, note=f"{title} → {recipient} ({role_label(role)})")


class _OpenCase:
    """What the SLA check reads of an open case (one row, no model instance)."""

    __slots__ = ("pk", "ref", "kind", "severity", "customer_id", "created_at", "first_responded_at", "sla_paused",
                 "assignee_id", "team_id", "assignee", "team")
    FIELDS = ("id", "ref", "kind", "severity", "customer_id", "created_at", "first_responded_at", "sla_paused",
              "assignee_id", "team_id")

    def __init__(self, row, users, teams):
        (self.pk, self.ref, self.kind, self.severity, self.customer_id, self.created_at, self.first_responded_at,
         self.sla_paused, self.assignee_id, self.team_id) = row
        self.assignee = users.get(self.assignee_id)
        self.team = teams.get(self.team_id)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _open_case_rows(open_cases):
    """The rows of :class:`_OpenCase` in time order. On PostgreSQL the instants come
    as whole microseconds since 1970 and the pauses only for the cases that have
    some (a third of the check's time went into parsing timestamps and JSON)."""
    from django.db import connection
    from django.db.models.expressions import RawSQL

    qs = open_cases.order_by("created_at", "id")
    if connection.vendor != "postgresql":
        yield from qs.values_list(*_OpenCase.FIELDS).iterator(chunk_size=10000)
        return
    table = connection.ops.quote_name(qs.model._meta.db_table)
    rows = qs.annotate(
        created_us=RawSQL(f"(EXTRACT(EPOCH FROM {table}.created_at) * 1000000)::bigint", ()),
        responded=RawSQL(f"{table}.first_responded_at IS NOT NULL", ()),
        waited=RawSQL(f"{table}.sla_paused <> '[]'::jsonb", ()),
    ).values_list("id", "ref", "kind", "severity", "customer_id", "created_us", "responded", "waited",
                  "assignee_id", "team_id")
    waited_ids = set()
    for row in rows.iterator(chunk_size=10000):
        pk, ref, kind, severity, customer_id, created_us, responded, waited, assignee_id, team_id = row
        if waited:
            waited_ids.add(pk)
        yield (pk, ref, kind, severity, customer_id, _EPOCH + timedelta(microseconds=created_us),
               _EPOCH if responded else None, [] if not waited else None, assignee_id, team_id)


def _state(case, policy, *, at, calendar, share) -> SlaState | None:
    """:func:`case_sla` of an open case whose policy is known: the shortcut
    :func:`kehu.analytics.sla.sla_status` when it never waited for the customer."""
    if policy is None:
        return None
    clocks = []
    if policy.first_response is not None and case.first_responded_at is None:
        clocks.append(("first_response", policy.first_response))
    if policy.resolution is not None:
        clocks.append(("resolution", policy.resolution))
    best = None
    for which, promise in clocks:
        when = max(at, case.created_at)
        if case.sla_paused:
            c = pure.sla_clock(start=case.created_at, promise=promise, at=when, pauses=pauses(case),
                               calendar=calendar, warning_share=share)
            status, used, paused = c.status, c.share, c.paused
        else:
            status, used = pure.sla_status(start=case.created_at, promise=promise, at=when, calendar=calendar,
                                           warning_share=share)
            paused = False
        if best is None or used > best.share:
            best = SlaState(status, used, paused, (), which)
    return best


def sla_check(*, now=None, dry_run: bool = False, email: bool = True) -> list[SlaAction]:
    """Take the warnings and escalation steps due at ``now`` (each once); return
    what was done (or, with ``dry_run``, what would be, writing nothing).
    ``email=False`` makes the tasks and timeline entries without sending mail
    (the demo company).

    Built for many open cases (100,000 in under 5 s, docs/benchmarks.md): the
    policies, the customers' tiers, the steps already taken, the people and the
    teams are read once per run; cases are read as plain rows; the clock of a case
    that never waited for the customer is the time used alone
    (:func:`kehu.analytics.sla.sla_status`); a model instance is loaded only for a
    case that gets a step."""
    from kehu.org.models import Team, User
    from kehu.service.models import OPEN_STATUSES, Case, CaseEscalation, EscalationKind, SlaPolicy

    now = now or timezone.now()
    policies = [_pure_policy(p) for p in SlaPolicy.objects.all()]
    calendar = working_calendar()
    share = warning_share()
    actions: list[SlaAction] = []
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES, created_at__lte=now)
    tiers = customer_tiers(open_cases.values_list("customer_id", flat=True).distinct())
    taken: dict[int, set] = {}
    for case_id, level in CaseEscalation.objects.filter(case__in=open_cases).values_list("case_id", "level"):
        taken.setdefault(case_id, set()).add(level)
    users = User.objects.in_bulk(list(open_cases.exclude(assignee__isnull=True)
                                      .values_list("assignee_id", flat=True).distinct()))
    teams = Team.objects.in_bulk()
    for t in teams.values():   # the tree in memory: walking up costs no query
        t.parent = teams.get(t.parent_id)
    resolved: dict = {}
    chains: dict = {}
    step_cache: dict = {}
    every = escalate_every()
    for row in _open_case_rows(open_cases):
        case = _OpenCase(row, users, teams)
        if case.sla_paused is None:   # it waited for the customer: its pauses, read now
            case.sla_paused = Case.objects.filter(pk=case.pk).values_list("sla_paused", flat=True).first() or []
        tier = tiers.get(case.customer_id)
        key = (case.kind, case.severity, tier)
        if key not in resolved:
            resolved[key] = pure.resolve_policy(policies, kind=case.kind, severity=case.severity, tier=tier)
        state = _state(case, resolved[key], at=now, calendar=calendar, share=share)
        if state is None or state.status == "ok":
            continue
        done = taken.get(case.pk, set())
        if state.status == "warning":
            if WARNING_LEVEL in done:
                continue
            recipient = case.assignee
            if recipient is None:
                chain = escalation_chain(case, cache=chains)
                recipient = next((p.person for p in chain if p.person is not None), None)
            if recipient is None:
                continue
            actions.append(SlaAction(case.ref, "warning", WARNING_LEVEL, "warning", str(recipient)))
            if not dry_run:
                with transaction.atomic():
                    _notify(Case.objects.select_related("customer").get(pk=case.pk), recipient,
                            kind=EscalationKind.WARNING, level=WARNING_LEVEL, role="assignee",
                            at=now, share=state.share, email=email)
            continue
        chain = escalation_chain(case, cache=chains)
        if chain[-1].person is None:
            logger.warning("case %s: nobody at the head office to escalate to", case.ref)
            continue
        due = pure.levels_due(state.share, len(chain), every)
        done_here = frozenset(k for k in done if 0 <= k < len(chain))
        # The steps depend on the chain (the assignee and the team), the levels due and
        # those taken: worked out once per combination, not once per case.
        step_key = (case.assignee_id, case.team_id, due, done_here)
        steps = step_cache.get(step_key)
        if steps is None:
            steps = step_cache[step_key] = [
                (step, str(step.recipient)) for step in pure.escalation_due(chain, due=due, done=done_here)]
        instance = None
        for step, recipient_name in steps:
            actions.append(SlaAction(case.ref, "escalation", step.level, step.role, recipient_name,
                                     step.recipient_level if step.skipped else None))
            if not dry_run:
                instance = instance or Case.objects.select_related("customer").get(pk=case.pk)
                with transaction.atomic():
                    _notify(instance, step.recipient, kind=EscalationKind.ESCALATION, level=step.level,
                            role=step.role, at=now, share=state.share, email=email)
    return actions


def parse_now(text: str) -> datetime:
    """``--now``: an ISO 8601 date-time, in ``TIME_ZONE`` when it names no offset."""
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        value = timezone.make_aware(value)
    return value


__all__ = ["SlaAction", "case_sla", "escalation_chain", "parse_now", "sla_check", "sla_refresh"]
