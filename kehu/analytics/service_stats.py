"""Figures of the service analytics (服务分析), pure: rates, the Pareto of causes,
backlog age buckets and working hours between many pairs of instants at once.

* **Rate per thousand**: ``1000 · x / n`` (None when ``n`` is 0) — complaints per
  1,000 orders.
* **Compliance**: ``met / (met + late)`` over the cases whose promise is decided
  (answered, or past due); None when none is.
* **Pareto of causes** (Juran's "vital few"): causes sorted by count, largest
  first; a cause is *vital* while the cumulative share *before* it is below 80 %
  (so the cause that crosses 80 % is still vital), the same rule as the ABC
  classes of :func:`kehu.analytics.pareto.abc_classes`, whose curve it reuses.
* **Age buckets**: open cases by whole days since they were registered, into
  ``AGE_BUCKETS`` (upper bounds in days, the last open-ended).
* **Working hours between instants**, vectorised: with the working windows
  ``[a_i, b_i)`` of every day in the span (from
  :class:`kehu.analytics.working_time.WorkingCalendar`) and ``C_i`` the working
  seconds before window *i*, the working seconds up to *t* are
  ``W(t) = C_j + clip(t − a_j, 0, b_j − a_j)`` with *j* the first window ending
  after *t*; the working time in ``[s, e)`` is ``W(e) − W(s)``. Equal to
  :meth:`WorkingCalendar.elapsed` without pauses (tested).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np

from kehu.analytics.pareto import pareto_curve

__all__ = [
    "AGE_BUCKETS",
    "CauseRow",
    "age_bucket_edges",
    "cause_pareto",
    "compliance",
    "grouped_medians",
    "per_thousand",
    "working_hours_between",
]

# Upper bounds (days) of the backlog's age buckets: ≤1, 2–3, 4–7, 8–14, 15–30, >30.
AGE_BUCKETS: tuple[int, ...] = (1, 3, 7, 14, 30)
VITAL_SHARE = 0.8


def per_thousand(count: int, base: int) -> float | None:
    """``1000 · count / base``; None when there is no base."""
    if not base:
        return None
    return 1000.0 * count / base


def compliance(met: int, late: int) -> float | None:
    """Share of decided promises that were kept; None when none is decided."""
    decided = met + late
    return met / decided if decided else None


@dataclass(frozen=True)
class CauseRow:
    key: Hashable
    count: int
    share: float  # of all complaints
    cumulative: float  # cumulative share up to and including this cause
    vital: bool  # one of the "vital few" that make the first 80 %


def cause_pareto(counts: dict) -> tuple[list[CauseRow], float | None]:
    """The causes, largest first, with their cumulative share and whether they are
    vital (module docstring); and the share of causes that are vital (None without
    complaints). Ties keep the order of ``counts``."""
    items = [(k, int(v)) for k, v in counts.items() if v and v > 0]
    if not items:
        return [], None
    curve = pareto_curve([v for _k, v in items])
    total = sum(v for _k, v in items)
    rows, before = [], 0.0
    for pos, idx in enumerate(curve.order):
        key, n = items[int(idx)]
        cum = float(curve.value_share[pos])
        rows.append(CauseRow(key, n, n / total, cum, before < VITAL_SHARE - 1e-12))
        before = cum
    return rows, sum(r.vital for r in rows) / len(rows)


def age_bucket_edges(now: datetime, buckets: Sequence[int] = AGE_BUCKETS) -> list[tuple[datetime | None, datetime | None]]:
    """For each bucket the registration-time interval ``(after, at_or_before)`` of the
    cases in it, newest bucket first: a case is in bucket *k* when its age in days
    (``now − registered``) is above ``buckets[k-1]`` and at most ``buckets[k]``."""
    edges: list[tuple[datetime | None, datetime | None]] = []
    lower = None  # newest bound: registered at or before now
    for days in buckets:
        start = now - timedelta(days=days)
        edges.append((start, lower))
        lower = start
    edges.append((None, lower))
    return edges


def grouped_medians(keys: Iterable[Hashable], values: Iterable[float]) -> dict:
    """Median of ``values`` per key (NaN values left out)."""
    groups: dict = defaultdict(list)
    for k, v in zip(keys, values, strict=True):
        if v == v:  # not NaN
            groups[k].append(v)
    return {k: float(np.median(v)) for k, v in groups.items() if v}


def _windows(calendar, first: date, last: date) -> tuple[np.ndarray, np.ndarray]:
    """Starts and ends (epoch seconds) of the working windows of the days ``first``..``last``."""
    starts, ends = [], []
    d = first
    while d <= last:
        for a, b in calendar._day_windows(d):
            starts.append(a.timestamp())
            ends.append(b.timestamp())
        d += timedelta(days=1)
    return np.asarray(starts, float), np.asarray(ends, float)


def working_hours_between(starts: Sequence[datetime], ends: Sequence[datetime], calendar) -> np.ndarray:
    """Working hours in ``[start, end)`` for each pair (0 when the end is not after the
    start), with ``calendar`` a :class:`~kehu.analytics.working_time.WorkingCalendar`;
    without pauses. Vectorised over the pairs (module docstring)."""
    s = np.asarray([x.timestamp() for x in starts], float)
    e = np.asarray([x.timestamp() for x in ends], float)
    if s.shape != e.shape:
        raise ValueError("as many ends as starts")
    if s.size == 0:
        return np.zeros(0)
    zone = calendar.zone
    lo = datetime.fromtimestamp(float(min(s.min(), e.min())), zone).date() - timedelta(days=1)
    hi = datetime.fromtimestamp(float(max(s.max(), e.max())), zone).date() + timedelta(days=1)
    a, b = _windows(calendar, lo, hi)
    if a.size == 0:
        return np.zeros(s.size)
    lengths = b - a
    before = np.concatenate([[0.0], np.cumsum(lengths)])

    def worked(t):
        j = np.searchsorted(b, t, side="right")  # first window ending after t
        jj = np.minimum(j, a.size - 1)
        inside = np.clip(t - a[jj], 0.0, lengths[jj])
        return np.where(j < a.size, before[j] + inside, before[-1])

    return np.maximum(worked(e) - worked(s), 0.0) / 3600.0
