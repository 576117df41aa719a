"""RFM: recency, frequency, monetary; quintile scores and the eight value groups.

* Recency = days from the last purchase to the as-of date (lower is better),
  frequency = number of purchase days (same-day orders count once), monetary =
  average spend per purchase day (or the total, ``monetary="total"``).
* Quintile score (1-5) of a value v among n customers::

      score(v) = 1 + floor(5 * #{customers strictly worse than v} / n)

  capped at 5, "worse" meaning smaller (larger for recency). Ties always share
  a score, the score never decreases as the value improves, and it does not
  depend on the order of the rows; a value shared by many customers keeps all
  of them in the quintile where the tie starts, so a score can be skipped
  (e.g. when 60% of customers bought once, they all score 1 and the next
  frequency scores 4).
* The eight RFM value groups commonly used in China compare each score with a
  threshold (default: the mean of that score over the customers, 均值法);
  a score at or above its threshold is high (高), below it low (低):

      R F M   group                       R F M   group
      H H H   重要价值 important value       H H L   一般价值 general value
      H L H   重要发展 important develop     H L L   一般发展 general develop
      L H H   重要保持 important keep        L H L   一般保持 general keep
      L L H   重要挽留 important retain      L L L   一般挽留 general retain

  With ``basis="value"`` the thresholds apply to the raw values instead (high
  recency meaning a recency at or below the threshold, i.e. recent).
"""

from __future__ import annotations

import numpy as np

from .summary import to_day_numbers

__all__ = [
    "quintile_breakpoints",
    "RFM_GROUPS",
    "RFM_GROUP_NAMES_ZH",
    "rfm_from_transactions",
    "quintile_scores",
    "RFM",
    "period_comparison",
    "period_totals",
]

# index = 4*(1-M) + 2*(1-R) + (1-F) over high(1)/low(0) flags; see the table above
RFM_GROUPS = (
    "important_value", "important_develop", "important_keep", "important_retain",
    "general_value", "general_develop", "general_keep", "general_retain",
)
RFM_GROUP_NAMES_ZH = dict(zip(RFM_GROUPS, (
    "重要价值", "重要发展", "重要保持", "重要挽留", "一般价值", "一般发展", "一般保持", "一般挽留",
)))


def rfm_from_transactions(customer_ids, dates, amounts, *, as_of=None, monetary="mean"):
    """Per-customer (ids, recency_days, frequency, monetary) from a transaction log.

    Frequency counts purchase days; ``monetary`` is the mean spend per purchase
    day ("mean") or the total ("total"). ``as_of`` defaults to the last date;
    transactions after it are ignored.
    """
    ids = np.asarray(customer_ids)
    days = to_day_numbers(dates)
    amt = np.asarray(amounts, float)
    as_of_day = int(days.max()) if as_of is None else int(to_day_numbers(np.asarray([as_of]))[0])
    keep = days <= as_of_day
    ids, days, amt = ids[keep], days[keep], amt[keep]
    uniq, cust = np.unique(ids, return_inverse=True)
    cust = cust.ravel()
    if len(cust) == 0:
        e = np.empty(0)
        return uniq, e, e, e
    order = np.lexsort((days, cust))
    cs, ds = cust[order], days[order]
    ends = np.r_[np.flatnonzero(cs[1:] != cs[:-1]), len(cs) - 1]
    last = ds[ends]
    new_day = np.r_[True, (cs[1:] != cs[:-1]) | (ds[1:] != ds[:-1])]
    freq = np.bincount(cs[new_day], minlength=len(uniq)).astype(float)
    total = np.bincount(cust, weights=amt, minlength=len(uniq))
    if monetary == "mean":
        mon = total / np.maximum(freq, 1)
    elif monetary == "total":
        mon = total
    else:
        raise ValueError("monetary must be 'mean' or 'total'")
    return uniq, (as_of_day - last).astype(float), freq, mon


def quintile_breakpoints(values, *, higher_is_better=True) -> np.ndarray:
    """The four values that cut :func:`quintile_scores` of ``values``: a value
    ``v`` (negated when lower is better) scores 1 + the number of breakpoints
    it is strictly above. Kept with a run, they score a customer later exactly
    as the run would have among the run's customers (issue 17, per-order
    rescoring). Empty when no value is known."""
    v = np.asarray(values, float)
    vv = v[~np.isnan(v)]
    vv = np.sort(vv if higher_is_better else -vv)
    n = vv.size
    if n == 0:
        return np.empty(0)
    # score >= k  <=>  (number strictly worse) >= ceil((k - 1) n / 5)  <=>  v > sorted[that - 1]
    return np.array([vv[-(-(k - 1) * n // 5) - 1] for k in range(2, 6)])


def quintile_scores(values, *, higher_is_better=True, breakpoints=None):
    """Scores 1-5: 1 + floor(5 * (number of customers strictly worse) / n), capped at 5.

    With ``breakpoints`` (:func:`quintile_breakpoints` of a population) the
    scores are those the values get among that population. NaN values get
    score 0 (not scored).
    """
    v = np.asarray(values, float)
    out = np.zeros(v.shape, dtype=np.int64)
    ok = ~np.isnan(v)
    vv = v[ok] if higher_is_better else -v[ok]
    if breakpoints is not None:
        bp = np.asarray(breakpoints, float)
        if bp.size:
            out[ok] = 1 + (vv[:, None] > bp[None, :]).sum(axis=1)
        return out
    n = vv.size
    if n == 0:
        return out
    worse = np.searchsorted(np.sort(vv), vv, side="left")
    out[ok] = np.minimum(1 + (5 * worse) // n, 5)
    return out


class RFM:
    """RFM scoring and the eight value groups.

    Parameters
    ----------
    thresholds : optional (r, f, m) thresholds; default the mean of each
        score (or of each value with ``basis="value"``) over the fitted customers.
    basis : "score" (quintile scores, default) or "value" (raw values).

    ``fit(recency, frequency, monetary)`` sets ``r_score_``, ``f_score_``,
    ``m_score_`` (1-5), ``rfm_score_`` (e.g. 545 = 100 R + 10 F + M),
    ``thresholds_``, ``high_`` ((n, 3) booleans R, F, M), ``group_index_``
    (0-7 into ``RFM_GROUPS``), ``groups_`` (names) and ``group_counts_``.
    """

    def __init__(self, thresholds=None, basis="score", breakpoints=None):
        self.thresholds = thresholds
        self.basis = basis
        # (r, f, m) quintile breakpoints of another population (quintile_breakpoints): score
        # against it instead of among the fitted customers
        self.breakpoints = breakpoints

    def fit(self, recency, frequency, monetary):
        r, f, m = (np.asarray(v, float) for v in (recency, frequency, monetary))
        if not (r.shape == f.shape == m.shape) or r.ndim != 1:
            raise ValueError("recency, frequency and monetary must be 1-D arrays of equal length")
        if np.isnan(r).any() or np.isnan(f).any() or np.isnan(m).any():
            raise ValueError("RFM values must not be NaN")
        if self.basis not in ("score", "value"):
            raise ValueError("basis must be 'score' or 'value'")
        bp = self.breakpoints
        if bp is None:
            self.breakpoints_ = (quintile_breakpoints(r, higher_is_better=False), quintile_breakpoints(f),
                                 quintile_breakpoints(m))
        else:
            self.breakpoints_ = tuple(np.asarray(b, float) for b in bp)
        self.r_score_ = quintile_scores(r, higher_is_better=False, breakpoints=self.breakpoints_[0])
        self.f_score_ = quintile_scores(f, breakpoints=self.breakpoints_[1])
        self.m_score_ = quintile_scores(m, breakpoints=self.breakpoints_[2])
        self.rfm_score_ = 100 * self.r_score_ + 10 * self.f_score_ + self.m_score_
        if self.basis == "score":
            cols = np.stack([self.r_score_, self.f_score_, self.m_score_], axis=1).astype(float)
        else:
            cols = np.stack([r, f, m], axis=1)
        th = cols.mean(axis=0) if self.thresholds is None else np.asarray(self.thresholds, float)
        self.thresholds_ = th
        high = cols >= th
        if self.basis == "value":
            high[:, 0] = cols[:, 0] <= th[0]  # recent = high R
        self.high_ = high
        idx = 4 * (~high[:, 2]) + 2 * (~high[:, 0]) + (~high[:, 1])
        self.group_index_ = idx.astype(np.int64)
        self.groups_ = np.asarray(RFM_GROUPS, dtype=object)[self.group_index_]
        counts = np.bincount(self.group_index_, minlength=8)
        self.group_counts_ = dict(zip(RFM_GROUPS, counts.tolist()))
        return self


def period_totals(customer_ids, dates, amounts, *, as_of, period_days, customers=None):
    """Spend per customer in the current period (as_of - period_days, as_of] and the
    one before it; returns (customers, current, previous)."""
    ids = np.asarray(customer_ids)
    days = to_day_numbers(dates)
    amt = np.asarray(amounts, float)
    end = int(to_day_numbers(np.asarray([as_of]))[0])
    cur = (days > end - period_days) & (days <= end)
    prev = (days > end - 2 * period_days) & (days <= end - period_days)
    custs = np.unique(ids) if customers is None else np.asarray(customers)
    order = np.argsort(custs, kind="stable")
    sc = custs[order]
    pos = np.searchsorted(sc, ids)
    pos_c = np.minimum(pos, len(sc) - 1)
    found = (pos < len(sc)) & (sc[pos_c] == ids)
    out = []
    for mask in (cur, prev):
        sel = mask & found
        tot = np.bincount(pos_c[sel], weights=amt[sel], minlength=len(sc))
        res = np.empty(len(sc))
        res[order] = tot
        out.append(res)
    return custs, out[0], out[1]


def period_comparison(current, previous, *, drop_threshold=0.3):
    """Change from the previous period; flags a drop of at least ``drop_threshold``.

    Returns (change ratio (current - previous) / previous, NaN when previous is 0;
    drop flag; drop fraction max(0, -change) in [0, 1], 0 when previous is 0).
    """
    cur, prev = np.asarray(current, float), np.asarray(previous, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(prev > 0, (cur - prev) / prev, np.nan)
    drop = np.where(prev > 0, np.clip(-change, 0.0, 1.0), 0.0)
    flag = (prev > 0) & (drop >= drop_threshold)
    return change, flag, drop
