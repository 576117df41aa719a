"""Each customer's own purchase rhythm and the expected date of their next order.

The rice merchant of DOMAIN.md section 2: know how fast each household empties
its rice jar and deliver before it is empty. From a customer's purchase days
d_1 < ... < d_k (same-day orders count once) the gaps g_j = d_{j+1} - d_j give

* ``median_gap`` (the typical rhythm, robust to one long pause), ``mean_gap``,
  ``gap_std`` (population standard deviation) and ``gap_cv`` = std / mean;
* ``expected_next`` = d_k + median_gap (day number, see ``summary.to_day_numbers``);
* ``days_since_last`` = as_of - d_k and ``overdue_ratio`` = days_since_last /
  median_gap: 1 means "due now", 2 "twice the usual gap without an order".

Customers with a single purchase day have no rhythm: their gap statistics,
expected date and overdue ratio are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .summary import to_day_numbers

__all__ = ["PurchaseRhythm", "purchase_rhythm"]


@dataclass(frozen=True)
class PurchaseRhythm:
    customer_id: np.ndarray
    n_purchase_days: np.ndarray
    last_day: np.ndarray
    median_gap: np.ndarray
    mean_gap: np.ndarray
    gap_std: np.ndarray
    gap_cv: np.ndarray
    expected_next: np.ndarray  # day number (float, NaN when unknown)
    days_since_last: np.ndarray
    overdue_ratio: np.ndarray

    def expected_next_date(self):
        """Expected next order as datetime64[D] (NaT when unknown)."""
        out = np.full(len(self.customer_id), np.datetime64("NaT"), dtype="datetime64[D]")
        ok = ~np.isnan(self.expected_next)
        out[ok] = np.round(self.expected_next[ok]).astype(np.int64).astype("datetime64[D]")
        return out


def purchase_rhythm(customer_ids, dates, *, as_of=None) -> PurchaseRhythm:
    """Rhythm per customer (sorted by id), vectorised: one sort, no per-customer loop."""
    ids = np.asarray(customer_ids)
    days = to_day_numbers(dates)
    as_of_day = int(days.max()) if as_of is None else int(to_day_numbers(np.asarray([as_of]))[0])
    keep = days <= as_of_day
    ids, days = ids[keep], days[keep]
    uniq, cust = np.unique(ids, return_inverse=True)
    cust = cust.ravel().astype(np.int64)
    n = len(uniq)
    order = np.lexsort((days, cust))
    cs, ds = cust[order], days[order]
    new = np.r_[True, (cs[1:] != cs[:-1]) | (ds[1:] != ds[:-1])]
    cs, ds = cs[new], ds[new]
    n_days = np.bincount(cs, minlength=n)
    ends = np.r_[np.flatnonzero(cs[1:] != cs[:-1]), len(cs) - 1] if len(cs) else np.empty(0, int)
    last = ds[ends].astype(float) if len(cs) else np.empty(0)
    same = cs[1:] == cs[:-1]
    gaps = (ds[1:] - ds[:-1])[same].astype(float)
    gcust = cs[1:][same]
    m = np.bincount(gcust, minlength=n).astype(float)  # number of gaps
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(gcust, weights=gaps, minlength=n) / m
        var = np.bincount(gcust, weights=gaps**2, minlength=n) / m - mean**2
        std = np.sqrt(np.maximum(var, 0.0))
        cv = std / mean
    # median: sort gaps within customer, take the middle one(s)
    o = np.lexsort((gaps, gcust))
    sg = gaps[o]
    start = np.r_[0, np.cumsum(m)[:-1]].astype(np.int64)
    has = m > 0
    mi = m.astype(np.int64)
    lo = start + (mi - 1) // 2
    hi = start + mi // 2
    median = np.full(n, np.nan)
    median[has] = (sg[lo[has]] + sg[hi[has]]) / 2
    since = as_of_day - last
    with np.errstate(invalid="ignore", divide="ignore"):
        overdue = np.where(has & (median > 0), since / median, np.nan)
    expected = np.where(has, last + median, np.nan)
    return PurchaseRhythm(uniq, n_days, last, median, mean, std, cv, expected, since, overdue)
