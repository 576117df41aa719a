"""What the service desk tells a customer value run (``kehu.insights.signals``).

``open_complaints``: for each customer, the complaints open at the end of the
run's date, each weighed by its severity and its age, summed:

    weight = severity factor × age factor
    severity factor: 1 (most severe) → 2, 2 → 1.5, 3 → 1, 4 → 0.5
    age factor:      open up to 7 days → 1, up to 30 days → 1.5, longer → 2

so one new complaint of the usual severity (3) weighs 1, and an old, severe one
up to 4. The churn warning turns the sum *n* into a risk of ``1 - 0.5 ** n``
(:mod:`kehu.analytics.churn`) and the 360 page names it among the reasons
("open complaints weighing 2.5").

A complaint is open at the end of day *D* when it was registered by then, was
not judged invalid, and was neither resolved nor closed by then (its
``resolved_at`` or ``closed_at`` is empty or later; a case reopened since has
them cleared, so it counts as open for past dates too — the history of moves is
on its timeline, not read here). Customers without an open complaint are 0
(known: no complaint), customers the service desk never heard of too — the
signal is real for everybody once the desk is in use; with no complaint at all
the provider answers None and the churn score leaves the signal out.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.db.models import Q
from django.utils import timezone

SEVERITY_FACTOR = {1: 2.0, 2: 1.5, 3: 1.0, 4: 0.5}
AGE_STEPS = ((7, 1.0), (30, 1.5))
AGE_LONGER = 2.0


def complaint_weight(severity: int, age_days: float) -> float:
    """One open complaint's weight (see the module)."""
    factor = next((f for days, f in AGE_STEPS if age_days <= days), AGE_LONGER)
    return SEVERITY_FACTOR.get(int(severity), 1.0) * factor


def _end_of(day: dt.date) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz)


def open_complaints_as_of(*, customer_ids, as_of: dt.date):
    """The ``open_complaints`` provider (see the module docstring)."""
    from kehu.service.models import Case, CaseKind, Validity

    if not Case.objects.filter(kind=CaseKind.COMPLAINT).exists():
        return None
    cutoff = _end_of(as_of)
    rows = (Case.objects.filter(kind=CaseKind.COMPLAINT, customer__isnull=False, created_at__lt=cutoff)
            .exclude(validity=Validity.INVALID)
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=cutoff))
            .filter(Q(closed_at__isnull=True) | Q(closed_at__gte=cutoff))
            .values_list("customer_id", "severity", "created_at"))
    known: dict[int, float] = {}
    for cid, severity, created_at in rows.iterator(chunk_size=10000):
        age = (cutoff - created_at).total_seconds() / 86400.0
        known[cid] = known.get(cid, 0.0) + complaint_weight(severity, age)
    ids = np.asarray(customer_ids, dtype=np.int64)
    out = np.zeros(ids.shape)
    if known:
        keys = np.fromiter(known.keys(), dtype=np.int64, count=len(known))
        values = np.fromiter(known.values(), dtype=float, count=len(known))
        order = np.argsort(keys)
        keys, values = keys[order], values[order]
        pos = np.clip(np.searchsorted(keys, ids), 0, len(keys) - 1)
        hit = keys[pos] == ids
        out[hit] = values[pos[hit]]
    return out
