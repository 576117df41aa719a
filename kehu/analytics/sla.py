"""Service levels (SLA): which promise applies, where a case's clock stands, whom to escalate to.

Pure functions over plain values (no Django); the cases app stores policies,
cases and escalations and calls these. Time is counted by
:class:`kehu.analytics.working_time.WorkingCalendar` (working hours on China's
official calendar) or in calendar hours, as the policy says.

**Policy resolution** (:func:`resolve_policy`). A policy names a case kind, a
severity and a customer value tier, each of which may be left empty (``None``:
any). Among the policies whose named fields all match the case, the most
specific wins: the one naming more fields; between two naming as many, the one
naming the kind, then the severity, then the tier (kind > severity > tier).
Two policies with the same three fields are refused (:func:`validate_policies`).
When none matches, a complaint gets the default promise of the complaint
procedure (DOMAIN.md §6, "resolve any complaint within 24 hours"): resolution
within 24 working hours, no separate first-response promise
(:data:`DEFAULT_COMPLAINT_POLICY`); any other kind has no service level.

**The clock** (:func:`sla_clock`). A case's clock starts when the case is
created; pauses (waiting for the customer) stop it. A policy change during the
case (a new severity, the customer's tier) changes the promise from that
instant on; the time already used is kept, counted as the policy in force then
said (working or calendar hours). The status at an instant is

* ``breached`` once the instant is past the deadline (a case answered at the
  deadline itself is on time);
* ``warning`` once the used share of the promise reaches the warning share
  (default 0.8, i.e. 80 %);
* ``ok`` before that; ``paused`` is reported alongside while a pause runs.

**Escalation** (:func:`escalation_due`). At breach the case climbs the team
tree: the assignee, the team's manager, each parent team's manager, the head
office last. Level *k* of the chain is due once the used share reaches
``1 + k × every`` (default ``every`` = 0.5: the assignee at 100 %, the team
manager at 150 %, …; ``every=0`` raises every level at breach). Each level is
one step, done once (the caller records the levels done); a level whose post is
empty is not dropped: its step goes to the next level up with a person in it,
and the head office must have one. Steps are returned in order, lowest level
first, including any lower step still outstanding.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from kehu.analytics.working_time import (
    WorkingCalendar,
    _aware,
    calendar_deadline,
    calendar_elapsed,
    normalise_pauses,
)

__all__ = [
    "COMPLAINT",
    "DEFAULT_COMPLAINT_POLICY",
    "DEFAULT_WARNING_SHARE",
    "EscalationStep",
    "Post",
    "Promise",
    "SlaClock",
    "SlaPolicy",
    "escalation_due",
    "levels_due",
    "resolve_policy",
    "sla_clock",
    "validate_policies",
]

COMPLAINT = "complaint"
DEFAULT_WARNING_SHARE = 0.8


@dataclass(frozen=True)
class Promise:
    """A time limit: ``minutes`` of working time, or of clock time when ``calendar_hours``."""

    minutes: int
    calendar_hours: bool = False

    def __post_init__(self):
        if isinstance(self.minutes, bool) or not isinstance(self.minutes, int) or self.minutes <= 0:
            raise ValueError("a promised time is a whole number of minutes, more than zero")

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.minutes)


@dataclass(frozen=True)
class SlaPolicy:
    """Promises for cases of ``kind`` × ``severity`` × ``tier`` (``None``: any)."""

    kind: str | None
    severity: str | None
    tier: str | None
    first_response: Promise | None
    resolution: Promise | None

    @property
    def key(self) -> tuple[str | None, str | None, str | None]:
        return self.kind, self.severity, self.tier

    @property
    def specificity(self) -> tuple[int, bool, bool, bool]:
        named = (self.kind is not None, self.severity is not None, self.tier is not None)
        return (sum(named), *named)

    def matches(self, kind: str, severity: str | None, tier: str | None) -> bool:
        return all(want is None or want == have for want, have in zip(self.key, (kind, severity, tier), strict=True))


DEFAULT_COMPLAINT_POLICY = SlaPolicy(COMPLAINT, None, None, None, Promise(24 * 60))


def validate_policies(policies: Iterable[SlaPolicy]) -> None:
    """Refuse two policies for the same kind × severity × tier (the choice would be arbitrary)."""
    seen = set()
    for p in policies:
        if p.first_response is None and p.resolution is None:
            raise ValueError("a service-level policy needs a first-response or a resolution time")
        if p.key in seen:
            raise ValueError(f"two service-level policies for the same kind, severity and tier: {p.key}")
        seen.add(p.key)


def resolve_policy(
    policies: Iterable[SlaPolicy],
    *,
    kind: str,
    severity: str | None = None,
    tier: str | None = None,
    complaint_default: SlaPolicy | None = DEFAULT_COMPLAINT_POLICY,
) -> SlaPolicy | None:
    """The policy for a case (see the module docstring for the precedence), or None."""
    policies = list(policies)
    validate_policies(policies)
    matching = [p for p in policies if p.matches(kind, severity, tier)]
    if matching:
        return max(matching, key=lambda p: p.specificity)
    if kind == COMPLAINT:
        return complaint_default
    return None


# -- the clock ----------------------------------------------------------------


@dataclass(frozen=True)
class SlaClock:
    """Where one promise of one case stands at ``at``."""

    at: datetime
    promise: Promise
    elapsed: timedelta  # time used, under the policies in force as it ran
    share: float  # elapsed / promise (may exceed 1)
    deadline: datetime | None  # None while a running pause stops the clock before it
    warning_at: datetime | None
    status: str  # "ok", "warning" or "breached"
    paused: bool
    fallback_years: tuple[int, ...]  # years counted Monday–Friday (no official schedule)

    @property
    def remaining(self) -> timedelta:
        return max(self.promise.duration - self.elapsed, timedelta(0))


def _elapsed(promise: Promise, calendar: WorkingCalendar, a, b, pauses) -> timedelta:
    if promise.calendar_hours:
        return calendar_elapsed(a, b, pauses)
    return calendar.elapsed(a, b, pauses)


def _deadline(promise: Promise, calendar: WorkingCalendar, a, amount, pauses):
    if promise.calendar_hours:
        return calendar_deadline(a, amount, pauses)
    return calendar.deadline(a, amount, pauses)


def _reach(segments, calendar, target: timedelta, pauses):
    """First instant at which the time used across the policy segments reaches ``target``."""
    used = timedelta(0)
    for i, (since, promise) in enumerate(segments):
        if i + 1 < len(segments):
            until = segments[i + 1][0]
            part = _elapsed(promise, calendar, since, until, pauses)
            if used + part >= target:
                return _deadline(promise, calendar, since, target - used, pauses)
            used += part
        else:
            return _deadline(promise, calendar, since, target - used, pauses)


def sla_clock(
    *,
    start: datetime,
    promise: Promise | Sequence[tuple[datetime, Promise]],
    at: datetime,
    pauses=None,
    calendar: WorkingCalendar | None = None,
    warning_share: float = DEFAULT_WARNING_SHARE,
) -> SlaClock:
    """The clock of one promise at instant ``at``.

    ``promise`` is the promise, or the history of promises: ``(since, promise)``
    pairs in time order, the first ``since`` being ``start`` — a policy change
    during the case. Changes after ``at`` are ignored (not yet known then).
    ``pauses`` as in :mod:`kehu.analytics.working_time`; parts after ``at``
    are ignored and a pause running at ``at`` reports ``paused``.
    """
    calendar = calendar or WorkingCalendar()
    start, at_utc = _aware(start, "start"), _aware(at, "at")
    if not 0 < warning_share <= 1:
        raise ValueError("the warning share must be more than 0 and at most 1")
    history = [(start, promise)] if isinstance(promise, Promise) else [(_aware(s, "since"), p) for s, p in promise]
    if not history or history[0][0] != start:
        raise ValueError("the promise history must begin at the start of the case")
    for (a, _), (b, _) in zip(history, history[1:], strict=False):
        if not a < b:
            raise ValueError("promise changes must be in time order")
    if not all(isinstance(p, Promise) for _, p in history):
        raise TypeError("promises must be Promise values")
    segments = [(s, p) for s, p in history if s <= at_utc] or history[:1]
    current = segments[-1][1]

    closed, open_from = normalise_pauses(pauses)
    # What is known at ``at``: pauses cut at ``at``; one running then stays open.
    known: list = [(s, min(e, at_utc)) for s, e in closed if s < at_utc]
    paused = any(s <= at_utc < e for s, e in closed) or (open_from is not None and open_from <= at_utc)
    if open_from is not None and open_from <= at_utc:
        known.append((open_from, None))
    elif any(s <= at_utc < e for s, e in closed):
        s = next(s for s, e in closed if s <= at_utc < e)
        known = [(a, b) for a, b in known if a != s] + [(s, None)]
    if paused:
        # only closed ones before the running one
        running = next(s for s, e in known if e is None)
        known = [(a, b) for a, b in known if b is not None and b <= running] + [(running, None)]
    known_closed = [(a, b) for a, b in known if b is not None and a < b]
    known = known_closed + [(a, None) for a, b in known if b is None]

    used = timedelta(0)
    for i, (since, p) in enumerate(segments):
        until = segments[i + 1][0] if i + 1 < len(segments) else at_utc
        used += _elapsed(p, calendar, since, until, known)
    deadline = _reach(segments, calendar, current.duration, known)
    warn_target = _ceil_second(current.duration * warning_share)
    warning_at = _reach(segments, calendar, warn_target, known)
    share = used / current.duration
    if deadline is not None and at_utc > deadline:
        status = "breached"
    elif used >= warn_target:
        status = "warning"
    else:
        status = "ok"
    horizon = max([at_utc] + [d for d in (deadline,) if d is not None])
    fallback = () if all(p.calendar_hours for _, p in segments) else calendar.fallback_years(start, horizon)
    return SlaClock(at, current, used, share, deadline, warning_at, status, paused, fallback)


def sla_status(
    *,
    start: datetime,
    promise: Promise,
    at: datetime,
    calendar: WorkingCalendar | None = None,
    warning_share: float = DEFAULT_WARNING_SHARE,
) -> tuple[str, float]:
    """``(status, share)`` of :func:`sla_clock` for one promise and no pauses, from
    the time used alone (one :meth:`~WorkingCalendar.elapsed`, no deadline walks):
    used beyond the promise is a breach, used short of it is not, and only exactly
    the promise used needs the deadline. The periodic SLA check runs this on every
    open case that never waited for the customer; the property tests check it
    against :func:`sla_clock`."""
    calendar = calendar or WorkingCalendar()
    start, at_utc = _aware(start, "start"), _aware(at, "at")
    if not 0 < warning_share <= 1:
        raise ValueError("the warning share must be more than 0 and at most 1")
    duration = promise.duration
    # No pauses: the working time of [start, at) straight from the calendar's day sums.
    used = max(at_utc - start, timedelta(0)) if promise.calendar_hours else calendar._raw_elapsed(start, at_utc)
    if used > duration:
        status = "breached"
    elif used == duration:
        deadline = _deadline(promise, calendar, start, duration, [])
        status = "breached" if deadline is not None and at_utc > deadline else "warning"
    elif used >= _ceil_second(duration * warning_share):
        status = "warning"
    else:
        status = "ok"
    return status, used / duration


def _ceil_second(d: timedelta) -> timedelta:
    """A share of a promise, rounded up to the whole second (a warning never comes early)."""
    return timedelta(seconds=math.ceil(d.total_seconds() - 1e-9))


# -- escalation ---------------------------------------------------------------


@dataclass(frozen=True)
class Post:
    """A level of the escalation chain: a role ("assignee", "team_manager", "head_office", …) and who holds it."""

    role: str
    person: Hashable | None


@dataclass(frozen=True)
class EscalationStep:
    level: int  # index in the chain: the step's identity, done once
    role: str  # the level's role
    recipient: Hashable  # who receives the task and the e-mail
    recipient_level: int  # the level whose holder receives it (> level when posts were empty)

    @property
    def skipped(self) -> bool:
        return self.recipient_level != self.level


def levels_due(share: float, chain_length: int, every: float = 0.5) -> int:
    """How many levels of the chain are due at a used share (0 before breach)."""
    if every < 0:
        raise ValueError("the escalation interval must not be negative")
    if share < 1:
        return 0
    return sum(1 for k in range(chain_length) if share >= 1 + k * every - 1e-12)


def escalation_due(chain: Sequence[Post], *, due: int, done: Iterable[int] = ()) -> list[EscalationStep]:
    """The escalation steps to take now: levels ``0 … due-1`` not yet done, lowest first.

    ``chain``: the assignee, then each manager up the team tree, the head office
    last (a post with ``person=None`` is empty). An empty post's step goes to
    the next level up with a person; the head office's post must be filled.
    """
    chain = list(chain)
    if not chain:
        raise ValueError("the escalation chain is empty")
    if chain[-1].person is None:
        raise ValueError("the head office's post at the top of the escalation chain must be filled")
    done = set(done)
    if any(not isinstance(k, int) or not 0 <= k < len(chain) for k in done):
        raise ValueError("a step done is a level of the chain")
    if not 0 <= due <= len(chain):
        raise ValueError("the number of levels due must be between 0 and the chain's length")
    steps = []
    for level in range(due):
        if level in done:
            continue
        up = next(k for k in range(level, len(chain)) if chain[k].person is not None)
        steps.append(EscalationStep(level, chain[level].role, chain[up].person, up))
    return steps
