"""Which customers a salesperson should visit in a week, and on which day.

Pure Python (no Django): :func:`due_visits` takes one row per customer and a
week and returns the visits due with their reason, its evidence and a
priority; :func:`assign_days` spreads them over the working days of the week
up to the day target ("7 + 3": seven visits to existing customers and three to
new ones, DOMAIN.md §2). ``kehu.engagement.visits`` reads the rows from the
database and writes the plan.

Reasons, strongest first (one per customer, the first that applies):

1. ``churn`` — the value engine warns of churn (risk at or above its
   threshold) and the customer was not visited in the last
   :data:`CHURN_QUIET_DAYS` days;
2. ``next_order`` — the predicted next order falls between the week's start
   and :data:`NEXT_ORDER_AHEAD_DAYS` days after its end (the rice merchant of
   the documents: be there before the jar is empty);
3. ``tier`` — the value tier's visit policy (``visit_every_days``) falls due
   by the end of the week; with no tier, the ABC class's interval
   (:data:`ABC_EVERY_DAYS`); never visited counts as due;
4. ``new`` — a new customer (a lead or prospect, no order yet) not visited in
   the last :data:`NEW_EVERY_DAYS` days.

Besides, :func:`add_next_steps`: an open opportunity whose next step falls in the
week gives its owner a visit to the customer on the next step's day (reason
``opportunity``, the next step as the purpose, the opportunity as evidence). When
the customer already has a visit that week — planned by this run or before — the
reasons merge instead: the opportunity is added to that visit's evidence, and a
visit planned by this run moves to the next step's day (an appointment is fixed, a
visit due by the tier is not). Several next steps for one customer make one visit,
on the earliest day. These visits are appointments: they do not count against the
day target.

Priority = the reason's base (churn 40, next order 30, tier 20, new 10)
+ the ABC class (A 3, B 2, C 1) + how overdue the visit is, capped
(``min(days overdue / interval, 1) × 5``): most urgent first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

CHURN_QUIET_DAYS = 7
NEXT_ORDER_AHEAD_DAYS = 7
NEW_EVERY_DAYS = 14
ABC_EVERY_DAYS = {"A": 30, "B": 60, "C": 180}
REASON_BASE = {"churn": 40.0, "opportunity": 35.0, "next_order": 30.0, "tier": 20.0, "new": 10.0}
ABC_BONUS = {"A": 3.0, "B": 2.0, "C": 1.0}
WORKING_DAYS = 5


@dataclass(frozen=True)
class CustomerRow:
    """What the planner knows of one customer on the week's Monday."""

    customer_id: int
    owner_id: int | None
    tier: str = ""
    abc_class: str = ""
    days_since_visit: int | None = None      # None: never visited or called
    next_order_date: dt.date | None = None
    churn_warning: bool = False
    is_new: bool = False                     # a lead or prospect, no order yet


@dataclass(frozen=True)
class DueVisit:
    customer_id: int
    owner_id: int | None
    reason: str
    priority: float
    is_new: bool
    evidence: dict = field(default_factory=dict)


def week_start(week: str) -> dt.date:
    """The Monday of an ISO week ``2026-W50``; ValueError when it is not one."""
    try:
        year, number = week.upper().split("-W")
        return dt.date.fromisocalendar(int(year), int(number), 1)
    except (ValueError, AttributeError) as exc:
        raise ValueError(f"not an ISO week: {week!r}") from exc


def week_of(day: dt.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


def _interval(row: CustomerRow, visit_every_days: dict) -> tuple[int | None, str]:
    if row.tier:
        return visit_every_days.get(row.tier), "tier"
    if row.abc_class in ABC_EVERY_DAYS:
        return ABC_EVERY_DAYS[row.abc_class], "abc"
    return None, ""


def due_visit(row: CustomerRow, monday: dt.date, visit_every_days: dict) -> DueVisit | None:
    """The visit due for one customer in the week starting ``monday``, or None."""
    sunday = monday + dt.timedelta(days=6)
    since = row.days_since_visit
    bonus = ABC_BONUS.get(row.abc_class, 0.0)
    common = {"tier": row.tier, "abc": row.abc_class, "since": since}

    def make(reason: str, overdue: float = 0.0, **evidence) -> DueVisit:
        return DueVisit(customer_id=row.customer_id, owner_id=row.owner_id, reason=reason, is_new=row.is_new,
                        priority=round(REASON_BASE[reason] + bonus + overdue, 4), evidence={**common, **evidence})

    if row.churn_warning and (since is None or since >= CHURN_QUIET_DAYS):
        return make("churn")
    if row.next_order_date is not None and \
            monday <= row.next_order_date <= sunday + dt.timedelta(days=NEXT_ORDER_AHEAD_DAYS):
        return make("next_order", next_order=row.next_order_date.isoformat())
    every, basis = _interval(row, visit_every_days)
    if every:
        # Due by Sunday: the days since the last visit will then be since + 6.
        if since is None or since + 6 >= every:
            overdue = 1.0 if since is None else min(max(since - every, 0) / every, 1.0)
            return make("tier", overdue=round(overdue * 5, 4), every=every, basis=basis)
    if row.is_new and (since is None or since >= NEW_EVERY_DAYS):
        return make("new", every=NEW_EVERY_DAYS)
    return None


def due_visits(rows, week: str, visit_every_days: dict) -> list[DueVisit]:
    """The visits due in ``week`` for ``rows`` (:class:`CustomerRow`), most urgent
    first (priority descending, then customer id)."""
    monday = week_start(week)
    due = [v for v in (due_visit(r, monday, visit_every_days) for r in rows) if v is not None]
    return sorted(due, key=lambda v: (-v.priority, v.customer_id))


def assign_days(due: list[DueVisit], week: str, *, existing_per_day: int, new_per_day: int,
                taken: dict[dt.date, tuple[int, int]] | None = None,
                working_days: int = WORKING_DAYS) -> list[tuple[DueVisit, dt.date]]:
    """Give each due visit (in the order given) a day of ``week``, Monday first,
    filling each day up to its target of visits to existing customers and to new
    ones. ``taken`` counts the visits already planned on a day
    (``{day: (existing, new)}``). Visits beyond the week's capacity are left out."""
    monday = week_start(week)
    days = [monday + dt.timedelta(days=i) for i in range(working_days)]
    used = {d: list((taken or {}).get(d, (0, 0))) for d in days}
    out = []
    for visit in due:
        slot, limit = (1, new_per_day) if visit.is_new else (0, existing_per_day)
        for d in days:
            if used[d][slot] < limit:
                used[d][slot] += 1
                out.append((visit, d))
                break
    return out


@dataclass(frozen=True)
class NextStep:
    """An open opportunity's next step: whose, at which customer, on which day."""

    opportunity_id: int
    customer_id: int
    owner_id: int | None
    name: str
    step: str
    day: dt.date
    is_new: bool = False


def _evidence(step: NextStep) -> dict:
    return {"id": step.opportunity_id, "name": step.name, "step": step.step, "on": step.day.isoformat()}


def add_next_steps(assigned: list[tuple[DueVisit, dt.date]], steps: list[NextStep], week: str,
                   planned: set[int] = frozenset()) -> tuple[list[tuple[DueVisit, dt.date]], dict[int, list[dict]]]:
    """Merge the opportunities' next steps falling in ``week`` into the visits
    ``assigned`` by :func:`assign_days`. Returns the visits (those of ``assigned``,
    a merged one moved to its next step's day, then one new ``opportunity`` visit
    per remaining customer) and, for the customers in ``planned`` (a visit already
    planned that week), the evidence to add to that visit ``{customer id: [...]}``."""
    monday = week_start(week)
    sunday = monday + dt.timedelta(days=6)
    by_customer: dict[int, list[NextStep]] = {}
    for step in sorted(steps, key=lambda s: (s.day, s.opportunity_id)):
        if monday <= step.day <= sunday:
            by_customer.setdefault(step.customer_id, []).append(step)
    out = []
    for visit, day in assigned:
        mine = by_customer.pop(visit.customer_id, None)
        if mine:
            visit = DueVisit(customer_id=visit.customer_id, owner_id=visit.owner_id, reason=visit.reason,
                             priority=visit.priority, is_new=visit.is_new,
                             evidence={**visit.evidence, "opportunities": [_evidence(s) for s in mine]})
            day = mine[0].day
        out.append((visit, day))
    existing: dict[int, list[dict]] = {}
    for customer_id, mine in by_customer.items():
        if customer_id in planned:
            existing[customer_id] = [_evidence(s) for s in mine]
            continue
        first = mine[0]
        out.append((DueVisit(customer_id=customer_id, owner_id=first.owner_id, reason="opportunity",
                             priority=REASON_BASE["opportunity"], is_new=first.is_new,
                             evidence={"opportunities": [_evidence(s) for s in mine]}), first.day))
    return out, existing
