"""Which customers have a moment of a rule in a window of occasion dates — set-based.

Every kind selects in SQL (a birthday by its month and day, a thank-you by the
order date, the rice merchant by the latest value analysis' expected next
order) and only the matching rows come back to Python, where
:mod:`kehu.marketing.care.dates` gives each its occasion date. Kinds that
concern everyone (the monthly card, the lunar holidays) return the whole base
queryset with each occasion date.

``select(rule, base, start, end)`` yields ``(customer_id, owner_id, occasion)``
for the occasions in [start, end]; ``base`` is a Customer queryset (all live
customers for the run, the visible ones for a person's calendar).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Iterator

from django.db.models import Q, QuerySet

from . import dates
from .models import CareKind

Row = tuple[int, int | None, dt.date]


def _days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def _month_day_map(start: dt.date, end: dt.date) -> dict[tuple[int, int], list[dt.date]]:
    """(month, day) of a recurring date -> its occasions in [start, end] (29 Feb on 28 Feb in common years)."""
    out: dict[tuple[int, int], list[dt.date]] = {}
    for d in _days(start, end):
        out.setdefault((d.month, d.day), []).append(d)
        if d.month == 2 and d.day == 28 and not calendar.isleap(d.year):
            out.setdefault((2, 29), []).append(d)
    return out


def _md_q(field: str, pairs) -> Q:
    # grouped by month: (month = m AND day IN (...)) OR ...
    by_month: dict[int, list[int]] = {}
    for m, d in pairs:
        by_month.setdefault(m, []).append(d)
    q = Q(pk__in=[])
    for m, ds in by_month.items():
        q |= Q(**{f"{field}__month": m, f"{field}__day__in": sorted(ds)})
    return q


def _everyone(base: QuerySet, occasions: list[dt.date]) -> Iterator[Row]:
    if not occasions:
        return
    for occasion in occasions:   # lazily: a calendar that stops at its limit reads no further
        for cid, owner in base.values_list("pk", "owner_id").order_by("pk").iterator(chunk_size=5000):
            yield cid, owner, occasion


def select(rule, base: QuerySet, start: dt.date, end: dt.date) -> Iterator[Row]:
    if end < start:
        return iter(())
    kind = rule.kind
    if kind == CareKind.BIRTHDAY:
        md = _month_day_map(start, end)
        qs = base.filter(birthday__isnull=False).filter(_md_q("birthday", md))
        return ((cid, owner, occ) for cid, owner, b in qs.values_list("pk", "owner_id", "birthday").iterator(5000)
                for occ in md.get((b.month, b.day), ()))
    if kind == CareKind.ANNIVERSARY:
        from kehu.customers.models import Anniversary

        md = _month_day_map(start, end)
        qs = (Anniversary.objects.filter(customer__in=base.values("pk")).filter(_md_q("date", md))
              .values_list("customer_id", "customer__owner_id", "date"))
        return ((cid, owner, occ) for cid, owner, d in qs.iterator(5000) for occ in md.get((d.month, d.day), ()))
    if kind == CareKind.MONTHLY:
        occ = [d for d in _days(start, end) if d == dates.monthly_card_date(d.year, d.month, rule.day_of_month)]
        return _everyone(base, occ)
    if kind == CareKind.HOLIDAY:
        return _everyone(base, dates.lunar_holidays_between(rule.holiday, start, end) if rule.holiday else [])
    if kind == CareKind.THANKS:
        from kehu.sales.models import Order, OrderStatus

        lo = start - dt.timedelta(days=rule.days_after)
        hi = end - dt.timedelta(days=rule.days_after)
        qs = (Order.objects.filter(customer__in=base.values("pk"), order_date__gte=lo, order_date__lte=hi)
              .exclude(status=OrderStatus.CANCELLED)
              .values_list("customer_id", "customer__owner_id", "order_date").distinct())
        return ((cid, owner, dates.thank_you_date(d, rule.days_after)) for cid, owner, d in qs.iterator(5000))
    if kind == CareKind.NEXT_ORDER:
        from kehu.insights.models import CustomerScore
        from kehu.insights.selectors import latest_run

        run = latest_run()
        if run is None:
            return iter(())
        qs = (CustomerScore.objects.filter(run=run, customer__in=base.values("pk"), next_order_date__gte=start,
                                           next_order_date__lte=end)
              .values_list("customer_id", "customer__owner_id", "next_order_date"))
        return iter(qs.iterator(5000))
    return iter(())


def customer_facts(customer, rules, *, since: dt.date) -> dict:
    """What the rules of ``rules`` need to know of one customer, read once (a query per kind of fact the
    rules use, not per rule): its birthday, anniversaries, order dates (from ``since`` less the longest
    thank-you delay) and expected next order."""
    kinds = {r.kind for r in rules}
    facts: dict = {"owner_id": customer.owner_id, "birthday": customer.birthday, "anniversaries": [],
                   "order_dates": [], "next_order": None}
    if CareKind.ANNIVERSARY in kinds:
        from kehu.customers.models import Anniversary

        facts["anniversaries"] = list(Anniversary.objects.filter(customer=customer).values_list("date", flat=True))
    if CareKind.THANKS in kinds:
        from kehu.sales.models import Order, OrderStatus

        longest = max(r.days_after or 0 for r in rules if r.kind == CareKind.THANKS)
        facts["order_dates"] = sorted(set(Order.objects.filter(customer=customer,
                                                               order_date__gte=since - dt.timedelta(days=longest))
                                          .exclude(status=OrderStatus.CANCELLED)
                                          .values_list("order_date", flat=True)))
    if CareKind.NEXT_ORDER in kinds:
        from kehu.insights.models import CustomerScore
        from kehu.insights.selectors import latest_run

        run = latest_run()
        if run is not None:
            facts["next_order"] = (CustomerScore.objects.filter(run=run, customer=customer)
                                   .values_list("next_order_date", flat=True).first())
    return facts


def select_one(rule, customer_id: int, facts: dict, start: dt.date, end: dt.date) -> Iterator[Row]:
    """:func:`select` for one customer from its :func:`customer_facts`, without a query."""
    if end < start:
        return iter(())
    owner = facts["owner_id"]
    kind = rule.kind
    if kind in (CareKind.BIRTHDAY, CareKind.ANNIVERSARY):
        md = _month_day_map(start, end)
        days = [facts["birthday"]] if kind == CareKind.BIRTHDAY and facts["birthday"] else (
            facts["anniversaries"] if kind == CareKind.ANNIVERSARY else [])
        return ((customer_id, owner, occ) for d in days for occ in md.get((d.month, d.day), ()))
    if kind == CareKind.MONTHLY:
        return ((customer_id, owner, d) for d in _days(start, end)
                if d == dates.monthly_card_date(d.year, d.month, rule.day_of_month))
    if kind == CareKind.HOLIDAY:
        return ((customer_id, owner, d) for d in
                (dates.lunar_holidays_between(rule.holiday, start, end) if rule.holiday else []))
    if kind == CareKind.THANKS:
        lo = start - dt.timedelta(days=rule.days_after)
        hi = end - dt.timedelta(days=rule.days_after)
        return ((customer_id, owner, dates.thank_you_date(d, rule.days_after)) for d in facts["order_dates"]
                if lo <= d <= hi)
    if kind == CareKind.NEXT_ORDER:
        d = facts["next_order"]
        return iter([(customer_id, owner, d)] if d is not None and start <= d <= end else [])
    return iter(())
