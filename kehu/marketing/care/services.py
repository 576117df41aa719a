"""Writes of the care calendar: rules (marketing and administrators), the daily run, marking a moment.

**The daily run** :func:`care_run` — for each active rule, the moments due in
(the rule's last run, today] (``due = occasion − lead time``; a rule never run
starts today, so a missed day is caught up and no day twice), in the company's
zone (``settings.TIME_ZONE``): a run at 23:30 UTC on 16 February is a
17 February run in Shanghai.

1. the customers are selected in SQL (:mod:`.selection`), the moments are
   inserted with ``bulk_create(ignore_conflicts=True)`` (``ON CONFLICT DO
   NOTHING`` on the unique ``key``: never twice for one moment);
2. the planned moments due by today go out in batches of 2,000: a message
   channel through the one sending gate (``send_many``, source ``("care",
   rule id)``: consent, suppression, frequency caps and quiet hours apply, a
   held message is logged as held), the channel ``task`` as a reminder task
   to the one who acts (the rule's owner, else the customer's owner); the
   rice-merchant rule (``next_order``) **also** always reminds that person;
3. each moment records what it became: ``sent`` (the gate queued, sent or
   deferred it), ``held`` (the gate held it back or it failed), ``task``.

**Purpose**: a thank-you after a purchase is a *service* message (it follows
the customer's own purchase and sells nothing; it needs the consent to data
processing); birthdays, anniversaries, monthly cards, holiday greetings and the
rice merchant's reminder are *marketing* (unsolicited: they need the marketing
consent and count towards the frequency caps).

``dry_run`` counts what would be created and sent and writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import kehu.lookups  # noqa: F401 - field__any
from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Customer
from kehu.marketing.permissions import may_manage, require_marketing  # noqa: F401 (may_manage: the views')
from kehu.marketing.records import audited_delete, audited_save, take
from kehu.org.policies import policy_for

from . import dates, selection
from .models import MESSAGE_CHANNELS, CareChannel, CareKind, CareMoment, CareRule, MomentStatus

BATCH = 2000
RULE_FIELDS = ("name_zh", "name_en", "kind", "channel", "template", "lead_days", "days_after", "day_of_month",
               "holiday", "owner", "segment", "active")
SERVICE_KINDS = {CareKind.THANKS}


def purpose_of(rule: CareRule) -> str:
    return "service" if rule.kind in SERVICE_KINDS else "marketing"


# -- rules ----------------------------------------------------------------------------

def _check_rule(rule: CareRule) -> None:
    rule.targets_segment = rule.segment_id is not None
    rule.full_clean(exclude=["created_by"])
    errors = {}
    if rule.channel in MESSAGE_CHANNELS:
        if rule.template_id is None:
            errors["template"] = _("A message channel needs a message template.")
        elif rule.template.channel != rule.channel:
            errors["template"] = _("This template is written for another channel.")
    if rule.kind == CareKind.HOLIDAY and not rule.holiday:
        errors["holiday"] = _("Choose the holiday.")
    if errors:
        raise ValidationError(errors)


def rule_create(*, actor, data: dict[str, Any]) -> CareRule:
    require_marketing(actor, _("Only marketing and administrators may change care rules."))
    return audited_save(actor=actor, instance=CareRule(created_by=actor if getattr(actor, "pk", None) else None),
                        data=take(data, RULE_FIELDS), check=_check_rule, summary=lambda r: r.name_zh)


def rule_update(*, actor, rule: CareRule, data: dict[str, Any]) -> CareRule:
    require_marketing(actor, _("Only marketing and administrators may change care rules."))
    return audited_save(actor=actor, instance=rule, data=take(data, RULE_FIELDS), check=_check_rule,
                        summary=lambda r: r.name_zh)


def rule_delete(*, actor, rule: CareRule) -> None:
    require_marketing(actor, _("Only marketing and administrators may change care rules."))
    audited_delete(actor=actor, instance=rule, summary=rule.name_zh)


# -- the daily run --------------------------------------------------------------------

def today_local(now: dt.datetime | None = None) -> dt.date:
    return dates.local_date(now or timezone.now(), settings.TIME_ZONE)


def live_customers():
    return Customer.objects.filter(merged_into__isnull=True)


def rule_customers(rule: CareRule, base=None):
    """The customers a rule may reach: ``base`` (default every live customer), within its segment if it has one
    (the members as the rule's author sees them, :func:`kehu.insights.segments.segment_members`)."""
    base = live_customers() if base is None else base
    if not rule.targets_segment:
        return base
    if rule.segment_id is None or rule.created_by_id is None:
        return base.none()
    from kehu.insights.segments import segment_members

    members = segment_members(segment=rule.segment, viewer=rule.created_by)
    return base.filter(pk__in=members.values("pk"))


def rule_window(rule: CareRule, day: dt.date) -> tuple[dt.date, dt.date]:
    """The due dates a run on ``day`` covers for a rule: (last run, day]; [day, day] the first time."""
    start = day if rule.last_run_on is None else rule.last_run_on + dt.timedelta(days=1)
    return start, day


def _occasion_window(rule: CareRule, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    lead = dt.timedelta(days=rule.lead_days)
    return start + lead, end + lead


def _task_title(rule: CareRule, name: str) -> str:
    return (_("Care: %(rule)s — %(customer)s") % {"rule": rule.name, "customer": name})[:200]


def _tasks_for(rule: CareRule, moments: list[CareMoment], now: dt.datetime) -> dict[int, int]:
    """One reminder task per moment to the one who acts; moment id -> task id (bulk, no query per moment)."""
    from kehu.engagement.models import Task, TaskSource

    if not moments:
        return {}
    info = dict(Customer.objects.filter(pk__in={m.customer_id for m in moments})
                .values_list("pk", "owner_id"))
    names = dict(Customer.objects.filter(pk__in=info).values_list("pk", "name"))
    tasks = [Task(customer_id=m.customer_id, assigned_to_id=rule.owner_id or info.get(m.customer_id),
                  source=TaskSource.CARE, source_ref={"care_moment": m.pk},
                  title=_task_title(rule, names.get(m.customer_id, "")),
                  description=_("Occasion: %(date)s") % {"date": m.occasion.isoformat()}, due_on=m.due_on,
                  created_at=now, updated_at=now)
             for m in moments]
    Task.objects.bulk_create(tasks, batch_size=500)
    if tasks and tasks[0].pk is None:
        found = dict(Task.objects.filter(source=TaskSource.CARE, source_ref__care_moment__in=[m.pk for m in moments])
                     .values_list("source_ref__care_moment", "pk"))
        return {int(k): v for k, v in found.items()}
    return {m.pk: t.pk for m, t in zip(moments, tasks)}


def _send(rule: CareRule, moments: list[CareMoment], now: dt.datetime) -> Counter:
    from kehu.marketing.outreach import services as outreach
    from kehu.marketing.outreach.models import OutboundMessage, SourceKind, Status

    counts: Counter = Counter()
    ids = list(dict.fromkeys(m.customer_id for m in moments))
    outreach.send_many(customers=ids, channel=rule.channel, purpose=purpose_of(rule), template=rule.template,
                       source=(SourceKind.CARE, rule.pk), now=now)
    sent = {cid: (pk, status) for cid, pk, status in OutboundMessage.objects.filter(
        source_kind=SourceKind.CARE, source_id=rule.pk, created_at=now, customer_id__any=set(ids))
        .values_list("customer_id", "pk", "status")}
    for m in moments:
        pk, status = sent.get(m.customer_id, (None, Status.HELD))
        m.message_id = pk
        m.status = MomentStatus.HELD if status in (Status.HELD, Status.FAILED) else MomentStatus.SENT
        counts[m.status] += 1
    return counts


def run_rule(rule: CareRule, *, day: dt.date, now: dt.datetime, dry_run: bool = False) -> dict[str, int]:
    """One rule's part of the daily run; counts ``created``, ``sent``, ``held``, ``task``, ``reminders``."""
    start, end = rule_window(rule, day)
    occ_start, occ_end = _occasion_window(rule, start, end)
    lead = dt.timedelta(days=rule.lead_days)
    counts: Counter = Counter(created=0, sent=0, held=0, task=0, reminders=0)
    rows = selection.select(rule, rule_customers(rule), occ_start, occ_end)
    if dry_run:
        keys = {}
        for cid, _owner, occ in rows:
            keys[dates.moment_key(rule.pk, cid, occ)] = 1
        existing = set()
        keylist = list(keys)
        for i in range(0, len(keylist), BATCH):
            existing.update(CareMoment.objects.filter(key__any=set(keylist[i:i + BATCH])).values_list("key", flat=True))
        new = len(keys) - len(existing)
        pending = CareMoment.objects.filter(rule=rule, status=MomentStatus.PLANNED, due_on__lte=day).count()
        counts["created"] = new
        counts["task" if rule.channel == CareChannel.TASK else "to_send"] = new + pending
        return dict(counts)
    buffer: list[CareMoment] = []

    def flush():
        made = CareMoment.objects.bulk_create(buffer, batch_size=1000, ignore_conflicts=True)
        buffer.clear()
        return len(made)

    before = CareMoment.objects.filter(rule=rule).count()
    for cid, _owner, occ in rows:
        buffer.append(CareMoment(rule=rule, customer_id=cid, occasion=occ, due_on=occ - lead,
                                 key=dates.moment_key(rule.pk, cid, occ), created_at=now, updated_at=now))
        if len(buffer) >= BATCH:
            flush()
    if buffer:
        flush()
    counts["created"] = CareMoment.objects.filter(rule=rule).count() - before
    while True:
        batch = list(CareMoment.objects.filter(rule=rule, status=MomentStatus.PLANNED, due_on__lte=day)
                     .order_by("pk")[:BATCH])
        if not batch:
            break
        with transaction.atomic():
            if rule.channel == CareChannel.TASK:
                tasks = _tasks_for(rule, batch, now)
                for m in batch:
                    m.task_id, m.status = tasks.get(m.pk), MomentStatus.TASK
                counts["task"] += len(batch)
            else:
                counts.update(_send(rule, batch, now))
                if rule.kind == CareKind.NEXT_ORDER:   # the rice merchant always reminds the owner too
                    tasks = _tasks_for(rule, batch, now)
                    for m in batch:
                        m.task_id = tasks.get(m.pk)
                    counts["reminders"] += len(tasks)
            for m in batch:
                m.updated_at = now
            CareMoment.objects.bulk_update(batch, ["status", "message", "task", "updated_at"], batch_size=500)
    CareRule.objects.filter(pk=rule.pk).update(last_run_on=day)
    rule.last_run_on = day
    return dict(counts)


def care_run(*, date: dt.date | None = None, dry_run: bool = False, now: dt.datetime | None = None,
             rules=None) -> dict[int, dict[str, int]]:
    """The daily run over every active rule (module docstring); rule id -> counts."""
    now = now or timezone.now()
    day = date or today_local(now)
    out = {}
    qs = CareRule.objects.filter(active=True).select_related("template", "segment", "created_by").order_by("pk")
    if rules is not None:
        qs = qs.filter(pk__in=[getattr(r, "pk", r) for r in rules])
    for rule in qs:
        if rule.last_run_on is not None and rule.last_run_on >= day:
            out[rule.pk] = {"created": 0, "sent": 0, "held": 0, "task": 0, "reminders": 0}
            continue
        out[rule.pk] = run_rule(rule, day=day, now=now, dry_run=dry_run)
    return out


# -- marking a moment by hand ---------------------------------------------------------

def moment_mark(*, actor, rule: CareRule, customer: Customer, occasion: dt.date, status: str) -> CareMoment:
    """Mark one moment done or skipped (whoever may change the customer); creates it if the run has not yet."""
    if status not in (MomentStatus.DONE, MomentStatus.SKIPPED):
        raise ValidationError({"status": _("A moment is marked done or skipped.")})
    policy = policy_for(actor)
    if not policy.can_view(customer):
        raise Customer.DoesNotExist
    if not policy.can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    key = dates.moment_key(rule.pk, customer.pk, occasion)
    with transaction.atomic():
        moment, _created = CareMoment.objects.select_for_update().get_or_create(
            key=key, defaults={"rule": rule, "customer": customer, "occasion": occasion,
                               "due_on": occasion - dt.timedelta(days=rule.lead_days)})
        if moment.status not in (MomentStatus.PLANNED, MomentStatus.TASK, MomentStatus.HELD):
            raise ValidationError({"status": _("This moment has already been acted on.")})
        moment.status, moment.done_by = status, actor
        moment.save(update_fields=["status", "done_by", "updated_at"])
        audit_record(actor=actor, action="update", instance=moment, customer_id=customer.pk,
                     changes={"status": [None, status]}, summary=key)
    return moment
