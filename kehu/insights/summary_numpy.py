"""The per-customer summary grouped in NumPy from the orders' columns.

The same 21 columns as the summary SQL (kehu/insights/summary_sql.py, the
reference, which stays the path on SQLite and Spark), computed from arrays of
the orders — on PostgreSQL, one binary ``COPY`` of the needed columns read
straight into NumPy (kehu/insights/summary_fast.py). No database here.

Input: one entry per live order (not cancelled, dated on or before the as-of
date): customer id, day number, money in whole cents (int64; every amount has
two decimals, so sums of cents are exact and equal the SQL's rounded sums of
doubles), and the day the payment is due (the order day when none).

Two ways:

* :func:`summary_from_orders` — every order up to the as-of date: the whole
  summary (a run with a calibration window, or as of an earlier date);
* ``kept=`` — the run as of today: the columns that need no window (first and
  last day, purchase days, orders, revenue, cost, paid, first purchase's value)
  come from the kept summary (``sales.CustomerPurchaseSummary``), and only the
  orders that a window can see are given: those after ``window_start(window)``
  and those whose payment is due after the as-of date. Whole-history windowed
  figures follow by difference (``cal_days`` = purchase days - days after the
  split; ``cal_amount`` = revenue - value after the split; ``due_amount`` =
  revenue - value due later). ``cal_last_day`` of a customer who bought
  both before ``window_start`` and after the split, but not in between, is not
  in the given orders: :func:`needs_last_day_before` names those customers and
  the caller looks their day up (``last_day_before=``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from kehu.insights.summary_sql import EPOCH, SUMMARY_COLUMNS, OrderSummary, SummaryWindow

__all__ = ["OrderColumns", "KeptColumns", "summary_from_orders", "window_start", "needs_last_day_before",
           "KEPT_SUMMARY_COLUMNS"]

# The summary's columns the kept table holds (no date window).
KEPT_SUMMARY_COLUMNS = ("customer_id", "first_day", "last_day", "purchase_days", "orders", "revenue", "cost",
                        "paid", "first_amount")


def _day(d: dt.date) -> int:
    return (d - EPOCH).days


@dataclass(frozen=True)
class OrderColumns:
    """Live orders up to the as-of date, one entry each (int64 arrays, any order)."""

    customer_id: np.ndarray
    day: np.ndarray
    amount: np.ndarray          # cents
    paid: np.ndarray            # cents
    due_day: np.ndarray         # COALESCE(payment_due_on, order_date) as a day number
    cost: np.ndarray | None = None   # cents; needed without ``kept``


@dataclass(frozen=True)
class KeptColumns:
    """The kept summary's columns (int64 arrays, customers sorted by id)."""

    customer_id: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    purchase_days: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray
    cost: np.ndarray
    paid: np.ndarray
    first_amount: np.ndarray


def window_start(window: SummaryWindow) -> int:
    """The day number after which every window of the summary lies (the orders
    to give with ``kept``: day > this, or due after the as-of date)."""
    P, R = window.period_days, window.revenue_days
    return min(_day(window.split) - 2 * P, _day(window.as_of) - R)


def _days(orders: OrderColumns):
    """Orders sorted by (customer, day); boundaries of the (customer, day) groups and of the customers."""
    c, d = orders.customer_id, orders.day
    if len(c) > 1 and ((np.diff(c) < 0) | ((np.diff(c) == 0) & (np.diff(d) < 0))).any():
        span = int(d.max() - d.min()) + 1
        if int(c.max()) < (1 << 62) // span:   # one int64 key: a third of lexsort's time
            order = np.argsort(c * span + (d - d.min()))
        else:   # pragma: no cover - ids beyond 2**62 / days
            order = np.lexsort((d, c))
    else:
        order = None
    take = (lambda a: a) if order is None else (lambda a: None if a is None else a[order])
    c, d = take(c), take(d)
    new_day = np.ones(len(c), bool)
    new_day[1:] = (c[1:] != c[:-1]) | (d[1:] != d[:-1])
    day_start = np.flatnonzero(new_day)
    dc, dd = c[day_start], d[day_start]
    new_cust = np.ones(len(dc), bool)
    new_cust[1:] = dc[1:] != dc[:-1]
    cust_start = np.flatnonzero(new_cust)       # in day groups
    return take, c, d, day_start, dc, dd, cust_start


def _sum(values, starts):
    return np.add.reduceat(values, starts) if len(starts) else np.zeros(0, np.int64)


def summary_from_orders(orders: OrderColumns, window: SummaryWindow, *, kept: KeptColumns | None = None,
                        last_day_before: dict | None = None) -> OrderSummary:
    """The summary of ``window`` from the orders (and the kept columns, see the module)."""
    A, S, H = _day(window.as_of), _day(window.split), _day(window.holdout_end)
    P, R = window.period_days, window.revenue_days
    next_end = _day(min(window.split + dt.timedelta(days=P), window.as_of))
    take, c, d, day_start, dc, dd, cust_start = _days(orders)
    amount, paid, due = take(orders.amount), take(orders.paid), take(orders.due_day)
    day_amount = _sum(amount, day_start)
    ids = dc[cust_start]

    if kept is None:
        cust = ids
        n = len(cust)
        pos_day = np.repeat(np.arange(n), np.diff(np.append(cust_start, len(dc))))
    else:
        cust = kept.customer_id
        n = len(cust)
        pos_day = np.searchsorted(cust, dc)
        if len(dc) and ((pos_day >= n) | (cust[np.minimum(pos_day, n - 1)] != dc)).any():
            raise ValueError("orders of a customer without a kept summary")

    def per_customer(day_values, mask=None):
        w = day_values if mask is None else np.where(mask, day_values, 0)
        return np.bincount(pos_day, weights=w, minlength=n).astype(np.int64)

    def count(mask):
        return np.bincount(pos_day[mask], minlength=n).astype(np.int64)

    # bincount adds cents as doubles: exact below 2**53 cents
    order_pos = np.repeat(pos_day, np.diff(np.append(day_start, len(c)))) if len(c) else np.zeros(0, np.int64)

    def order_sum(values, mask=None):
        v = values if mask is None else np.where(mask, values, 0)
        return np.bincount(order_pos, weights=v, minlength=n).astype(np.int64)

    later_due = due > A
    windowed = dd > window_start(window) if kept is not None else np.ones(len(dd), bool)
    after_split = windowed & (dd > S)
    cols = {
        "customer_id": cust,
        "hold_days": count(after_split & (dd <= H)),
        "hold_amount": per_customer(day_amount, after_split & (dd <= H)),
        "next_days": count(after_split & (dd <= next_end)),
        "rev_cur": per_customer(day_amount, windowed & (dd > A - P)),
        "rev_prev": per_customer(day_amount, windowed & (dd > A - 2 * P) & (dd <= A - P)),
        "rev_cur_split": per_customer(day_amount, windowed & (dd > S - P) & (dd <= S)),
        "rev_prev_split": per_customer(day_amount, windowed & (dd > S - 2 * P) & (dd <= S - P)),
        "rev_recent": per_customer(day_amount, windowed & (dd > A - R)),
    }
    # the last purchase day up to the split, among the given days (-1: none)
    # (days are sorted within each customer: the last one up to S is at start + count(<= S) - 1)
    cal_last = np.full(n, -1, np.int64)
    if len(cust_start):
        n_le = np.add.reduceat((dd <= S).astype(np.int64), cust_start)
        at = cust_start + n_le - 1
        ok = (n_le > 0) & (windowed[np.maximum(at, 0)])
        cal_last[pos_day[cust_start][ok]] = dd[at[ok]]
    if kept is None:
        starts = day_start[cust_start] if len(cust_start) else cust_start
        first_day = dd[cust_start]
        first_of_order = np.repeat(first_day, np.diff(np.append(starts, len(c)))) if len(c) else first_day
        cols.update({
            "first_day": first_day,
            "last_day": np.maximum.reduceat(dd, cust_start) if n else np.zeros(0, np.int64),
            "purchase_days": np.diff(np.append(cust_start, len(dd))).astype(np.int64),
            "orders": np.diff(np.append(starts, len(c))).astype(np.int64),
            "revenue": order_sum(amount), "cost": order_sum(take(orders.cost)), "paid": order_sum(paid),
            "first_amount": order_sum(amount, d == first_of_order),
            "cal_last_day": cal_last,
            "cal_days": count(dd <= S),
            "cal_amount": per_customer(day_amount, dd <= S),
        })
    else:
        cols.update({k: getattr(kept, k) for k in KEPT_SUMMARY_COLUMNS[1:]})
        later = after_split   # every purchase day after the split is among the given days
        cal_last = np.where(kept.last_day <= S, kept.last_day, np.where(kept.first_day > S, -1, cal_last))
        if last_day_before:
            idx = np.searchsorted(cust, np.fromiter(last_day_before.keys(), np.int64, len(last_day_before)))
            cal_last[idx] = np.fromiter(last_day_before.values(), np.int64, len(last_day_before))
        if ((cal_last == -1) & (kept.first_day <= S)).any():
            raise ValueError("a customer's last purchase day before the split is missing")
        cols.update({
            "cal_last_day": cal_last,
            "cal_days": kept.purchase_days - count(later),
            "cal_amount": kept.revenue - per_customer(day_amount, later),
        })
    cols["due_amount"] = cols["revenue"] - order_sum(amount, later_due)
    cols["due_paid"] = cols["paid"] - order_sum(paid, later_due)
    return OrderSummary(**{k: np.asarray(cols[k], np.int64) for k in SUMMARY_COLUMNS})


def needs_last_day_before(orders: OrderColumns, window: SummaryWindow, kept: KeptColumns) -> np.ndarray:
    """Customer ids whose last purchase day up to the split is not among the given
    orders (they bought before ``window_start``, and after the split, not in between)."""
    S, lo = _day(window.split), window_start(window)
    c, d = orders.customer_id, orders.day
    m = (d > lo) & (d <= S)
    n = len(kept.customer_id)
    has_between = np.zeros(n, bool)
    pos = np.searchsorted(kept.customer_id, c[m])
    if len(pos) and ((pos >= n) | (kept.customer_id[np.minimum(pos, n - 1)] != c[m])).any():
        raise ValueError("orders of a customer without a kept summary")
    has_between[pos] = True
    need = (kept.first_day <= S) & (kept.last_day > S) & ~has_between
    return kept.customer_id[need]
