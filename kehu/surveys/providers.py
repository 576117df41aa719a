"""What the surveys tell a customer value run (``kehu.insights.signals``).

* ``attitude``: the customer's relative attitude (0–100, defined in
  :mod:`kehu.surveys.attitude`) as of the run's date — the stored
  :class:`CustomerAttitude` when it was measured by then, else (it was
  measured later: a run for a past date) the attitude of the customer's last
  complete response submitted by the end of that day. Feeds Dick & Basu.
* ``satisfaction``: the satisfaction index (``Response.index``) of the
  customer's last complete response submitted by the end of the run's date.
  Feeds the churn warning's satisfaction signal.

Both read only the surveyed customers (a few per cent of a million) and map
them onto the run's ``customer_ids`` with a sorted search, never an
``IN (…a million ids…)``. Customers never surveyed are NaN: nothing is
invented.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
from django.utils import timezone

from kehu.surveys.attitude import response_attitudes
from kehu.surveys.models import CustomerAttitude, Response, ResponseStatus


def _end_of(day: dt.date) -> dt.datetime:
    tz = timezone.get_current_timezone()
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()), tz)


def _align(customer_ids: np.ndarray, known: dict[int, float]) -> np.ndarray | None:
    ids = np.asarray(customer_ids, dtype=np.int64)
    out = np.full(ids.shape, np.nan)
    if not known:
        return None
    keys = np.fromiter(known.keys(), dtype=np.int64, count=len(known))
    values = np.fromiter(known.values(), dtype=float, count=len(known))
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    pos = np.searchsorted(keys, ids)
    pos_ok = np.clip(pos, 0, len(keys) - 1)
    hit = keys[pos_ok] == ids
    out[hit] = values[pos_ok[hit]]
    return out


def _latest_responses(cutoff: dt.datetime, customer_ids=None, *, with_index: bool = False
                      ) -> dict[int, tuple[int, float | None]]:
    """customer → (id, index) of their last complete response before ``cutoff``
    (the last one with an index when ``with_index``)."""
    qs = Response.objects.filter(customer__isnull=False, status=ResponseStatus.COMPLETE,
                                 submitted_at__lt=cutoff)
    if with_index:
        qs = qs.filter(index__isnull=False)
    if customer_ids is not None:
        qs = qs.filter(customer_id__in=list(customer_ids))
    latest: dict[int, tuple[int, float | None]] = {}
    rows = qs.order_by("customer_id", "submitted_at", "id").values_list("customer_id", "id", "index")
    for cid, rid, index in rows.iterator(chunk_size=10000):
        latest[cid] = (rid, index)  # ordered, so the last one wins
    return latest


def attitude_as_of(*, customer_ids, as_of: dt.date):
    """The ``attitude`` provider (see the module docstring)."""
    cutoff = _end_of(as_of)
    known: dict[int, float] = {}
    later: list[int] = []
    for cid, score, measured_at in CustomerAttitude.objects.values_list("customer_id", "score", "measured_at"):
        if measured_at < cutoff:
            known[cid] = float(score)
        else:
            later.append(cid)
    if later:
        latest = _latest_responses(cutoff, later)
        attitudes = response_attitudes([rid for rid, _index in latest.values()])
        for cid, (rid, _index) in latest.items():
            if rid in attitudes:
                known[cid] = attitudes[rid]
    return _align(customer_ids, known)


def satisfaction_as_of(*, customer_ids, as_of: dt.date):
    """The ``satisfaction`` provider (see the module docstring)."""
    latest = _latest_responses(_end_of(as_of), with_index=True)
    known = {cid: float(index) for cid, (_rid, index) in latest.items() if index is not None}
    return _align(customer_ids, known)
