"""Visit plans (拜访计划): planning a week, and the writes on a planned visit.

:func:`plan_week` asks the pure planner (:mod:`kehu.analytics.visit_plan`)
which customers of each salesperson are due — by the value tier's visit policy
(``visit_every_days`` in the value settings) or the ABC class, a predicted next
order, a churn warning (the latest analysis run's scores), or because they are
new — and fills the salesperson's working days up to the day target
(``KEHU_VISIT_DAY_TARGET``, "7 + 3" by default), never planning a customer
that already has an open planned visit.

A visit is then moved (:func:`visit_move`), done with its result
(:func:`visit_done`: an :class:`~kehu.engagement.models.Interaction` on the
customer's timeline), skipped with a reason (:func:`visit_skip`) or checked
in (:func:`visit_check_in`: the time and, with the salesperson's permission,
the browser's location and its distance to the customer's coordinates).
Every write is audited; the policy decides who may (kehu/org/policies.py).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.analytics.visit_plan import (
    CustomerRow, NextStep, add_next_steps, assign_days, due_visits, week_of, week_start,
)
from kehu.audit.services import audit_record
from kehu.customers.models import Contact, Customer, LifecycleStage
from kehu.engagement.models import (
    OPEN_VISIT_STATUSES, Channel, PlannedVisit, VisitFeed, VisitMode, VisitReason, VisitSource, VisitStatus,
)
from kehu.org.models import User
from kehu.org.policies import policy_for

NEW_STAGES = {LifecycleStage.RESERVE, LifecycleStage.TARGET, LifecycleStage.POTENTIAL, LifecycleStage.OPPORTUNITY}
CONTACT_CHANNELS = (Channel.VISIT, Channel.MEETING, Channel.PHONE)
MODE_CHANNEL = {VisitMode.VISIT: Channel.VISIT, VisitMode.CALL: Channel.PHONE, VisitMode.VIDEO: Channel.MEETING}
DEFAULT_DAY_TARGET = (7, 3)
EARTH_RADIUS_M = 6_371_008.8


# -- the day target ------------------------------------------------------------

def _parse_target(text: str) -> tuple[int, int]:
    existing, _plus, new = text.replace(" ", "").partition("+")
    return int(existing), int(new or 0)


def day_target(role: str = "") -> tuple[int, int]:
    """``(visits to existing customers, visits to new ones)`` per working day for
    ``role``, from ``KEHU_VISIT_DAY_TARGET``: ``7+3`` for everyone, or per role
    ``salesperson=7+3,sales_manager=2+1`` (roles not named get 7 + 3)."""
    raw = (getattr(settings, "VISIT_DAY_TARGET", "") or "").strip()
    if not raw:
        return DEFAULT_DAY_TARGET
    try:
        if "=" not in raw:
            return _parse_target(raw)
        per_role = dict(part.split("=", 1) for part in raw.split(",") if part.strip())
        per_role = {k.strip(): v for k, v in per_role.items()}
        if role in per_role:
            return _parse_target(per_role[role])
        if "*" in per_role:
            return _parse_target(per_role["*"])
    except ValueError:
        pass
    return DEFAULT_DAY_TARGET


# -- evidence in words -------------------------------------------------------------

def visit_evidence(visit: PlannedVisit) -> str:
    """Why the visit is planned, with its evidence, in the active language
    ("gold tier: every 30 days, last visit 41 days ago")."""
    from kehu.insights.models import ValueTier

    d = visit.reason_data or {}
    since = d.get("since")
    last = (_("never visited") if since is None else
            _("last visit %(days)s days ago") % {"days": since})
    if visit.reason == VisitReason.TIER:
        every = d.get("every")
        if d.get("basis") == "abc":
            text = _("ABC class %(abc)s: every %(every)s days, %(last)s") % {
                "abc": d.get("abc", ""), "every": every, "last": last}
        else:
            tier = dict(ValueTier.choices).get(d.get("tier", ""), d.get("tier", ""))
            text = _("value tier %(tier)s: every %(every)s days, %(last)s") % {
                "tier": tier, "every": every, "last": last}
    elif visit.reason == VisitReason.NEXT_ORDER:
        text = _("next order expected on %(date)s, %(last)s") % {"date": d.get("next_order", ""), "last": last}
    elif visit.reason == VisitReason.CHURN:
        text = _("churn warning from the latest analysis, %(last)s") % {"last": last}
    elif visit.reason == VisitReason.NEW:
        text = _("new customer, %(last)s") % {"last": last}
    elif visit.reason == VisitReason.OPPORTUNITY:
        text = ""
    else:
        return _next_steps_text(d)
    return "; ".join(t for t in (text, _next_steps_text(d)) if t)


def _next_steps_text(d: dict) -> str:
    return "; ".join(_("opportunity next step “%(name)s”: %(step)s on %(day)s") % {
        "name": o.get("name", ""), "step": o.get("step", ""), "day": o.get("on", "")}
        for o in d.get("opportunities") or [])


# -- planning ------------------------------------------------------------------

@dataclass
class PlannedLine:
    salesperson: User
    customer: Customer
    day: dt.date
    reason: str
    evidence: dict
    priority: float
    is_new: bool
    purpose: str = ""


def _purpose(evidence: dict) -> str:
    return "; ".join(o["step"] for o in evidence.get("opportunities") or [] if o.get("step"))


def _next_steps(monday: dt.date) -> list[NextStep]:
    """The open opportunities whose next step falls in the week starting ``monday``."""
    from kehu.sales.models import Opportunity, StageOutcome

    rows = (Opportunity.objects.filter(stage__outcome=StageOutcome.OPEN, owner__isnull=False, owner__is_active=True,
                                       next_step_on__gte=monday, next_step_on__lte=monday + dt.timedelta(days=6),
                                       customer__merged_into__isnull=True)
            .exclude(customer__lifecycle_stage=LifecycleStage.LOST)
            .values_list("pk", "customer_id", "owner_id", "name", "next_step", "next_step_on",
                         "customer__lifecycle_stage"))
    return [NextStep(opportunity_id=pk, customer_id=c, owner_id=o, name=name, step=step, day=day,
                     is_new=stage in NEW_STAGES) for pk, c, o, name, step, day, stage in rows]


def _merge_next_steps(merges: dict[int, list[dict]], week: str, actor) -> None:
    """Add the opportunities' next steps to the visits already planned that week."""
    for customer_id, opportunities in merges.items():
        visit = (PlannedVisit.objects.filter(customer_id=customer_id, week=week, status__in=OPEN_VISIT_STATUSES)
                 .order_by("planned_on", "id").first())
        if visit is None:
            continue
        data = dict(visit.reason_data or {})
        known = {o.get("id") for o in data.get("opportunities") or []}
        new = [o for o in opportunities if o["id"] not in known]
        if not new:
            continue
        data["opportunities"] = list(data.get("opportunities") or []) + new
        steps = [o["step"] for o in new if o.get("step") and o["step"] not in visit.purpose]
        visit.reason_data = data
        visit.purpose = "; ".join(p for p in [visit.purpose, *steps] if p)[:2000]
        with transaction.atomic():
            visit.save(update_fields=["reason_data", "purpose", "updated_at"])
            audit_record(actor=actor, action="update", instance=visit, customer_id=customer_id,
                         summary=_("Opportunity next step added to the visit on %(day)s") % {
                             "day": visit.planned_on.isoformat()})


def _visit_every_days() -> dict:
    from kehu.insights.config import value_settings

    levels = value_settings()["tiers"]["levels"]
    return {tier: level.get("visit_every_days") for tier, level in levels.items()}


PLAN_BATCH = 25    # salespeople whose customers are read in one round of queries


def _planning_rows(people_ids: list[int], monday: dt.date) -> dict[int, list[CustomerRow]]:
    """The planner's rows of every customer owned by ``people_ids``, per owner: the
    latest run's tier, ABC class, predicted next order and churn warning, and the days
    since the last visit, meeting or call — leaving out merged and lost customers and
    those with an open planned visit. A few set queries for the whole batch (not a query
    per salesperson or per customer), read as plain tuples: a week's plan for a hundred
    salespeople with ten thousand customers each reads a million rows."""
    from kehu.engagement.models import Interaction
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import churn_threshold, latest_run

    open_ids = set(PlannedVisit.objects.filter(status__in=OPEN_VISIT_STATUSES, customer__owner_id__in=people_ids)
                   .values_list("customer_id", flat=True))
    run = latest_run()
    threshold = churn_threshold(run)
    scores = {} if run is None else {
        row[0]: row[1:] for row in CustomerScore.objects.filter(run=run, customer__owner_id__in=people_ids)
        .values_list("customer_id", "tier", "abc_class", "next_order_date", "churn_risk").iterator(chunk_size=20000)}
    last = {cid: when for cid, when in Interaction.objects.filter(
        customer__owner_id__in=people_ids, channel__in=CONTACT_CHANNELS).order_by()
        .values_list("customer_id").annotate(last=Max("occurred_at")).iterator(chunk_size=20000)}
    no_score = ("", "", None, None)
    out: dict[int, list[CustomerRow]] = {pk: [] for pk in people_ids}
    for cid, owner_id, stage in (Customer.objects.filter(owner_id__in=people_ids, merged_into__isnull=True)
                                 .exclude(lifecycle_stage=LifecycleStage.LOST).order_by()
                                 .values_list("id", "owner_id", "lifecycle_stage").iterator(chunk_size=20000)):
        if cid in open_ids:
            continue
        tier, abc, next_order, risk = scores.get(cid, no_score)
        when = last.get(cid)
        since = None if when is None else max((monday - timezone.localtime(when).date()).days, 0)
        out[owner_id].append(CustomerRow(
            customer_id=cid, owner_id=owner_id, tier=tier or "", abc_class=abc or "", days_since_visit=since,
            next_order_date=next_order, churn_warning=risk is not None and risk >= threshold,
            is_new=stage in NEW_STAGES))
    return out


def plan_week(week: str, *, users=None, dry_run: bool = False, actor=None) -> dict[User, list[PlannedLine]]:
    """Plan ``week`` (``2026-W50``) for each salesperson in ``users`` (default:
    every active owner of customers): their customers due that week, most urgent
    first, on the working days up to their day target, leaving out customers with
    an open planned visit and counting the visits already planned that week.
    Returns the lines planned per salesperson; ``dry_run`` writes nothing."""
    monday = week_start(week)
    week = week_of(monday)
    every = _visit_every_days()
    steps = _next_steps(monday)
    people = User.objects.filter(Q(owned_customers__isnull=False) | Q(pk__in={s.owner_id for s in steps}),
                                 is_active=True).distinct().order_by("username")
    if users is not None:
        people = people.filter(pk__in=[u.pk for u in users])
    people = list(people)
    steps_of: dict[int | None, list[NextStep]] = {}
    for step in steps:
        steps_of.setdefault(step.owner_id, []).append(step)
    result: dict[User, list[PlannedLine]] = {}
    for start in range(0, len(people), PLAN_BATCH):
        batch = people[start:start + PLAN_BATCH]
        rows = _planning_rows([p.pk for p in batch], monday)
        for person in batch:
            lines = _plan_person(person, rows[person.pk], steps_of.get(person.pk, []), week, every,
                                 dry_run=dry_run, actor=actor)
            if lines:
                result[person] = lines
    return result


def _plan_person(person: User, rows: list[CustomerRow], mine: list[NextStep], week: str, every: dict, *,
                 dry_run: bool, actor) -> list[PlannedLine]:
    """Plan one salesperson's week from their customers' planner rows and their
    opportunities' next steps that week."""
    due = due_visits(rows, week, every)
    taken: dict[dt.date, list[int]] = {}
    for day, cust_stage in (PlannedVisit.objects.filter(salesperson=person, week=week,
                                                        status__in=OPEN_VISIT_STATUSES)
                            .values_list("planned_on", "customer__lifecycle_stage")):
        counts = taken.setdefault(day, [0, 0])
        counts[1 if cust_stage in NEW_STAGES else 0] += 1
    existing_per_day, new_per_day = day_target(person.role)
    assigned = assign_days(due, week, existing_per_day=existing_per_day, new_per_day=new_per_day,
                           taken={d: tuple(c) for d, c in taken.items()})
    step_customers = {s.customer_id for s in mine}
    this_week = set(PlannedVisit.objects.filter(customer_id__in=step_customers, week=week,
                                                status__in=OPEN_VISIT_STATUSES).values_list("customer_id",
                                                                                            flat=True))
    # a customer with an open automatic visit in another week keeps that one (one open per customer)
    elsewhere = set(PlannedVisit.objects.filter(customer_id__in=step_customers - this_week, source=VisitSource.AUTO,
                                                status__in=OPEN_VISIT_STATUSES).values_list("customer_id",
                                                                                            flat=True))
    assigned, merges = add_next_steps(assigned, [s for s in mine if s.customer_id not in elsewhere], week,
                                      planned=this_week)
    by_id = Customer.objects.only("id", "owner_id", "name").in_bulk({v.customer_id for v, _d in assigned})
    lines = [PlannedLine(salesperson=person, customer=by_id[v.customer_id], day=day, reason=v.reason,
                         evidence=v.evidence, priority=v.priority, is_new=v.is_new,
                         purpose=_purpose(v.evidence))
             for v, day in assigned]
    if not dry_run:
        lines = _write_plan(lines, week, actor)
        _merge_next_steps(merges, week, actor)
    return lines


def _write_plan(lines: list[PlannedLine], week: str, actor) -> list[PlannedLine]:
    written = []
    for line in lines:
        visit = PlannedVisit(salesperson=line.salesperson, customer=line.customer, planned_on=line.day, week=week,
                             reason=line.reason, reason_data=line.evidence, priority=line.priority,
                             purpose=line.purpose,
                             source=VisitSource.AUTO, mode=VisitMode.VISIT, created_by=actor)
        try:
            with transaction.atomic():
                visit.save()
                audit_record(actor=actor, action="create", instance=visit, customer_id=line.customer.pk,
                             summary=_("Visit planned for %(day)s") % {"day": line.day.isoformat()})
        except IntegrityError:
            continue    # planned meanwhile by another run: the open visit stands
        written.append(line)
    return written


# -- writes on one visit ---------------------------------------------------------

def _require_change(actor, visit: PlannedVisit) -> None:
    if not policy_for(actor).can_change_visit(visit):
        raise PermissionDenied(_("You may not change this visit."))


def _require_open(visit: PlannedVisit) -> None:
    if not visit.is_open:
        raise ValidationError({"status": [_("This visit is already %(status)s.") % {
            "status": visit.get_status_display()}]})


def _contacts(customer: Customer, contacts) -> list[Contact]:
    contacts = list(contacts or [])
    if any(c.customer_id != customer.pk for c in contacts):
        raise ValidationError({"contacts": [_("This contact works at another customer.")]})
    return contacts


def visit_create(*, actor, customer: Customer, data: dict[str, Any]) -> PlannedVisit:
    """Plan a visit by hand (for oneself, or — managers — for someone who may see
    the customer)."""
    policy = policy_for(actor)
    if policy.read_only or not policy.can_view(customer):
        raise PermissionDenied(_("You may not plan visits to this customer."))
    data = dict(data)
    salesperson = data.pop("salesperson", None) or actor
    if salesperson.pk != actor.pk and not (policy.may_plan_visits and policy.can_assign_to(salesperson)):
        raise ValidationError({"salesperson": [_("You may plan visits only for yourself or your team.")]})
    if salesperson.pk != actor.pk and not policy_for(salesperson).can_view(customer):
        raise ValidationError({"salesperson": [_("This person may not see the customer.")]})
    contacts = _contacts(customer, data.pop("contacts", None))
    unknown = set(data) - {"planned_on", "planned_time", "purpose", "mode"}
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    if not data.get("planned_on"):
        raise ValidationError({"planned_on": [_("This field is required.")]})
    visit = PlannedVisit(salesperson=salesperson, customer=customer, source=VisitSource.MANUAL,
                         reason=VisitReason.MANUAL, created_by=actor, week=week_of(data["planned_on"]), **data)
    with transaction.atomic():
        visit.full_clean()
        visit.save()
        visit.contacts.set(contacts)
        audit_record(actor=actor, action="create", instance=visit, customer_id=customer.pk,
                     summary=_("Visit planned for %(day)s") % {"day": visit.planned_on.isoformat()})
    return visit


def visit_move(*, actor, visit: PlannedVisit, planned_on: dt.date, planned_time: dt.time | None = None,
               note: str = "") -> PlannedVisit:
    """Move an open visit to another day (and time)."""
    _require_change(actor, visit)
    _require_open(visit)
    if planned_on is None:
        raise ValidationError({"planned_on": [_("This field is required.")]})
    before = visit.planned_on
    visit.planned_on, visit.planned_time, visit.week = planned_on, planned_time, week_of(planned_on)
    if planned_on != before:
        visit.status = VisitStatus.MOVED
    with transaction.atomic():
        visit.full_clean()
        visit.save()
        audit_record(actor=actor, action="update", instance=visit, customer_id=visit.customer_id,
                     changes={"planned_on": [before.isoformat(), planned_on.isoformat()]},
                     summary=note or _("Visit moved"))
    return visit


def visit_done(*, actor, visit: PlannedVisit, result: str, occurred_at: dt.datetime | None = None) -> PlannedVisit:
    """Record a visit as done with its result: the result becomes an interaction
    (visit, phone call or meeting, by the visit's mode) on the customer's timeline."""
    from kehu.engagement.services import interaction_log

    _require_change(actor, visit)
    _require_open(visit)
    result = (result or "").strip()
    if not result:
        raise ValidationError({"result": [_("Write what came of the visit.")]})
    now = timezone.now()
    with transaction.atomic():
        interaction = interaction_log(
            actor=actor, customer=visit.customer, check_permissions=False,
            data={"channel": MODE_CHANNEL.get(visit.mode, Channel.VISIT), "summary": result,
                  "occurred_at": occurred_at or visit.checked_in_at or now,
                  "subject": (visit.purpose or "")[:200],
                  "participants": ", ".join(c.name for c in visit.contacts.all())[:300]})
        visit.status, visit.result, visit.done_at, visit.interaction = VisitStatus.DONE, result, now, interaction
        visit.full_clean()
        visit.save()
        audit_record(actor=actor, action="update", instance=visit, customer_id=visit.customer_id,
                     changes={"status": ["planned", "done"]}, summary=_("Visit done"))
    return visit


def visit_skip(*, actor, visit: PlannedVisit, reason: str) -> PlannedVisit:
    """Skip an open visit; the reason is required."""
    _require_change(actor, visit)
    _require_open(visit)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"skip_reason": [_("Say why the visit was skipped.")]})
    visit.status, visit.skip_reason = VisitStatus.SKIPPED, reason[:300]
    with transaction.atomic():
        visit.full_clean()
        visit.save()
        audit_record(actor=actor, action="update", instance=visit, customer_id=visit.customer_id,
                     changes={"status": ["planned", "skipped"]}, summary=_("Visit skipped: %(reason)s") % {
                         "reason": visit.skip_reason})
    return visit


def _decimal(value, name: str, low: float, high: float) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: [_("Enter a number.")]}) from None
    if not number.is_finite() or not (low <= number <= high):
        raise ValidationError({name: [_("Enter a number between %(low)s and %(high)s.") % {
            "low": low, "high": high}]})
    return number.quantize(Decimal("0.000001"))


def customer_coordinates(customer: Customer) -> tuple[float, float] | None:
    """The customer's coordinates: the custom fields ``latitude`` and ``longitude``
    (kehu.customfields) when both are filled, else None."""
    custom = customer.custom or {}
    try:
        lat, lng = float(custom["latitude"]), float(custom["longitude"])
    except (KeyError, TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        return None
    return lat, lng


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    lat1, lng1, lat2, lng2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def visit_check_in(*, actor, visit: PlannedVisit, latitude=None, longitude=None, accuracy=None) -> PlannedVisit:
    """Check in on an open visit: the time, and — only when the browser sent them,
    which it does only with the salesperson's permission — the location, its
    accuracy and its distance to the customer's coordinates (none when the
    customer has none)."""
    _require_change(actor, visit)
    _require_open(visit)
    lat = _decimal(latitude, "latitude", -90, 90)
    lng = _decimal(longitude, "longitude", -180, 180)
    if (lat is None) != (lng is None):
        raise ValidationError({"latitude" if lat is None else "longitude": [_("Send both coordinates or neither.")]})
    acc = None
    if accuracy not in (None, "") and lat is not None:
        acc = float(_decimal(accuracy, "accuracy", 0, 1_000_000))
    visit.checked_in_at = timezone.now()
    visit.check_in_latitude, visit.check_in_longitude, visit.check_in_accuracy = lat, lng, acc
    target = customer_coordinates(visit.customer)
    visit.check_in_distance = (round(distance_m((float(lat), float(lng)), target), 1)
                               if lat is not None and target is not None else None)
    with transaction.atomic():
        visit.full_clean()
        visit.save()
        audit_record(actor=actor, action="update", instance=visit, customer_id=visit.customer_id,
                     summary=_("Checked in on the visit"))
    return visit


# -- the iCalendar feed ----------------------------------------------------------------

def feed_token(*, user, regenerate: bool = False) -> str:
    """The secret of ``user``'s calendar feed, made on first use; ``regenerate``
    replaces it (the old address stops working)."""
    with transaction.atomic():
        feed = VisitFeed.objects.select_for_update().filter(user=user).first()
        if feed is None:
            feed = VisitFeed.objects.create(user=user, token=secrets.token_urlsafe(32))
        elif regenerate:
            feed.token = secrets.token_urlsafe(32)
            feed.save(update_fields=["token", "updated_at"])
            audit_record(actor=user, action="update", instance=feed, summary=_("Calendar feed address renewed"))
    return feed.token


def feed_user(token: str):
    """The active user whose feed has this secret, or None."""
    if not token or len(token) > 64:
        return None
    feed = VisitFeed.objects.select_related("user").filter(token=token).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def _ics_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def _fold(line: str) -> list[str]:
    """RFC 5545 §3.1: lines of at most 75 octets, continued with a space."""
    out, current = [], ""
    for ch in line:
        limit = 75 if not out else 74
        if len((current + ch).encode("utf-8")) > limit:
            out.append(current)
            current = ch
        else:
            current += ch
    out.append(current)
    return [out[0]] + [" " + part for part in out[1:]]


def visits_ics(*, user, visits, host: str = "kehu") -> str:
    """The user's planned visits as an iCalendar document (RFC 5545): a VEVENT per
    visit, a one-hour event at its time, else an all-day event on its day."""
    stamp = timezone.now().astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Kehu//Visit plans//EN", "CALSCALE:GREGORIAN",
             "METHOD:PUBLISH", "X-WR-CALNAME:" + _ics_text(_("Visits of %(user)s") % {"user": user})]
    for v in visits:
        lines += ["BEGIN:VEVENT", f"UID:visit-{v.pk}@{host}", f"DTSTAMP:{stamp}"]
        if v.planned_time:
            start = timezone.make_aware(dt.datetime.combine(v.planned_on, v.planned_time))
            start_utc = start.astimezone(dt.timezone.utc)
            end_utc = start_utc + dt.timedelta(hours=1)
            lines += [f"DTSTART:{start_utc:%Y%m%dT%H%M%SZ}", f"DTEND:{end_utc:%Y%m%dT%H%M%SZ}"]
        else:
            lines += [f"DTSTART;VALUE=DATE:{v.planned_on:%Y%m%d}",
                      f"DTEND;VALUE=DATE:{v.planned_on + dt.timedelta(days=1):%Y%m%d}"]
        summary = _("%(mode)s: %(customer)s") % {"mode": v.get_mode_display(), "customer": v.customer.name}
        description = "\n".join(p for p in (v.purpose, visit_evidence(v)) if p)
        lines.append("SUMMARY:" + _ics_text(summary))
        if description:
            lines.append("DESCRIPTION:" + _ics_text(description))
        if v.customer.address:
            lines.append("LOCATION:" + _ics_text(v.customer.address))
        lines += ["STATUS:CONFIRMED", "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return "".join(part + "\r\n" for line in lines for part in _fold(line))


def due_week(today: dt.date | None = None) -> str:
    """Next week's ISO name (what the Sunday-evening task plans)."""
    today = today or timezone.localdate()
    return week_of(today + dt.timedelta(days=7 - today.weekday()))
