"""The per-customer summary SQL: lifetimes semantics, on this database and on Spark.

The suite runs on SQLite and on PostgreSQL; each run checks the rows the
database computes against a NumPy reference computed from the raw orders
(kehu.analytics.summary, which itself matches lifetimes 0.11.3), so both
engines give the same rows. The Spark test loads the same orders into Spark
(local mode) and requires the identical rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from kehu.analytics.summary import calibration_and_holdout, summary_from_transactions
from kehu.insights.summary_sql import (
    EPOCH, SummaryWindow, run_summary, run_summary_spark, run_tracking, run_tracking_spark, summary_sql,
)
from kehu.sales.models import Order
from tests.insights.factories import order_history, orders_as_arrays

WINDOW = SummaryWindow(as_of=dt.date(2024, 10, 31), split=dt.date(2024, 3, 31), holdout_end=dt.date(2024, 9, 30),
                       period_days=90, revenue_days=365)


def day(d) -> int:
    return (d - EPOCH).days


def cents(a) -> np.ndarray:
    return np.rint(np.asarray(a) * 100).astype(np.int64)


@pytest.fixture
def history(org):
    return order_history(org.users.sales_n1, customers=80, seed=11)


def reference(window: SummaryWindow):
    """The summary computed in NumPy from the raw orders."""
    ids, dates, amount, cost, paid, due, status = orders_as_arrays()
    keep = (status != "cancelled") & (dates <= np.datetime64(window.as_of))
    ids, dates, amount, cost, paid, due = (a[keep] for a in (ids, dates, amount, cost, paid, due))
    s = summary_from_transactions(ids, dates, amount, observation_end=window.as_of)
    cust = s.customer_id
    pos = np.searchsorted(cust, ids)
    n = len(cust)

    def total(values, mask=None):
        m = np.ones(len(ids), bool) if mask is None else mask
        return cents(np.bincount(pos[m], weights=values[m], minlength=n))

    d = dates.astype(np.int64)
    A, S, H = day(window.as_of), day(window.split), day(window.holdout_end)
    P, R = window.period_days, window.revenue_days
    ch = calibration_and_holdout(ids, dates, amount, calibration_end=window.split,
                                 observation_end=window.holdout_end)
    cal_pos = np.searchsorted(cust, ch.calibration.customer_id)
    cal_days = np.zeros(n, np.int64)
    cal_days[cal_pos] = ch.calibration.frequency + 1
    hold_days = np.zeros(n, np.int64)
    hold_days[cal_pos] = ch.frequency_holdout
    # lifetimes counts holdout purchases of calibration customers only; the SQL
    # counts every customer's: add those of customers who first bought after S.
    late = np.setdiff1d(np.arange(n), cal_pos)
    for i in late:
        hold_days[i] = len(np.unique(d[(pos == i) & (d > S) & (d <= H)]))
    due_mask = due <= np.datetime64(window.as_of)
    first_day = s.first_period
    return {
        "customer_id": cust, "first_day": first_day, "last_day": s.last_period,
        "purchase_days": (s.frequency + 1).astype(np.int64),
        "orders": np.bincount(pos, minlength=n), "revenue": total(amount), "cost": total(cost),
        "paid": total(paid), "due_amount": total(amount, due_mask), "due_paid": total(paid, due_mask),
        "first_amount": total(amount, d == first_day[pos]),
        "cal_days": cal_days, "hold_days": hold_days,
        "next_days": np.array([len(np.unique(d[(pos == i) & (d > S) & (d <= min(S + P, A))])) for i in range(n)]),
        "rev_cur": total(amount, d > A - P), "rev_prev": total(amount, (d > A - 2 * P) & (d <= A - P)),
        "rev_recent": total(amount, d > A - R),
    }


@pytest.mark.django_db
def test_summary_matches_the_numpy_reference(history):
    s = run_summary(WINDOW)
    ref = reference(WINDOW)
    assert len(s) == len(ref["customer_id"]) > 50
    for name, expected in ref.items():
        np.testing.assert_array_equal(getattr(s, name), expected, err_msg=name)
    # Money is exact to the cent and cancelled orders are out.
    total = sum(o.amount for o in Order.objects.exclude(status="cancelled").filter(order_date__lte=WINDOW.as_of))
    assert int(s.revenue.sum()) == int(total * 100)
    # Customers whose first purchase is after the split have no calibration.
    late = s.first_day > day(WINDOW.split)
    assert (s.cal_last_day[late] == -1).all() and (s.cal_days[late] == 0).all()


@pytest.mark.django_db
def test_same_day_orders_are_one_purchase_and_tracking_counts_repeat_days(history):
    s = run_summary(WINDOW)
    assert (s.orders >= s.purchase_days).all() and (s.orders > s.purchase_days).any()
    days, counts = run_tracking(WINDOW)
    # Every repeat purchase day of a calibration customer up to the holdout end, once.
    in_cal = s.first_day <= day(WINDOW.split)
    expected = (s.cal_days[in_cal] - 1).sum() + s.hold_days[in_cal].sum()
    assert counts.sum() == expected
    assert (np.diff(days) > 0).all()


def test_the_query_is_written_once_for_each_engine():
    for dialect in ("sqlite", "postgres", "spark"):
        sql = summary_sql(WINDOW, dialect=dialect)
        assert "sales_order" in sql and "cancelled" in sql and "PARTITION BY" in sql
    assert "JULIANDAY" in summary_sql(WINDOW, dialect="sqlite")
    with pytest.raises(ValueError):
        SummaryWindow(as_of=dt.date(2024, 1, 1), split=dt.date(2024, 2, 1), holdout_end=dt.date(2024, 1, 1))


@pytest.mark.slow
@pytest.mark.django_db
def test_spark_gives_the_identical_rows(history, spark):
    from pyspark.sql.types import DateType, DecimalType, LongType, StringType, StructField, StructType

    schema = StructType([
        StructField("customer_id", LongType()), StructField("order_date", DateType()),
        StructField("status", StringType()), StructField("amount", DecimalType(16, 2)),
        StructField("cost", DecimalType(16, 2)), StructField("paid_amount", DecimalType(16, 2)),
        StructField("payment_due_on", DateType()),
    ])
    rows = list(Order.objects.values_list("customer_id", "order_date", "status", "amount", "cost", "paid_amount",
                                          "payment_due_on"))
    spark.createDataFrame(rows, schema).createOrReplaceTempView("kehu_orders")
    here = run_summary(WINDOW)
    there = run_summary_spark(spark, WINDOW, orders_table="kehu_orders")
    assert there.rows() == here.rows()
    d1, c1 = run_tracking(WINDOW)
    d2, c2 = run_tracking_spark(spark, WINDOW, orders_table="kehu_orders")
    assert d1.tolist() == d2.tolist() and c1.tolist() == c2.tolist()


@pytest.mark.django_db
def test_postgres_binary_copy_gives_the_same_arrays_as_rows(history):
    """On PostgreSQL the summary comes back as a binary COPY read by NumPy;
    it must equal the ordinary rows of the same query, NULLs (no
    calibration) included."""
    from dataclasses import fields

    from django.db import connection

    from kehu.insights.summary_sql import _fetch, summary_from_rows

    if connection.vendor != "postgresql":
        pytest.skip("the binary COPY is PostgreSQL's")
    first = Order.objects.order_by("order_date").values_list("order_date", flat=True).first()
    window = SummaryWindow(as_of=WINDOW.as_of, split=first + dt.timedelta(days=20),
                           holdout_end=WINDOW.holdout_end)   # early: many customers start after it
    fast = run_summary(window)
    slow = summary_from_rows(_fetch(connection, summary_sql(window, dialect="postgres")))
    assert (slow.cal_last_day == -1).any()
    for f in fields(slow):
        np.testing.assert_array_equal(getattr(fast, f.name), getattr(slow, f.name), err_msg=f.name)


def test_binary_copy_reader_refuses_what_it_cannot_read():
    from kehu.insights.summary_sql import SUMMARY_COLUMNS, summary_from_binary_copy

    header = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
    assert summary_from_binary_copy(b"not a copy") is None
    assert len(summary_from_binary_copy(header + b"\xff\xff")) == 0
    n = len(SUMMARY_COLUMNS)
    row = n.to_bytes(2, "big") + b"".join((8).to_bytes(4, "big") + (k).to_bytes(8, "big") for k in range(n))
    s = summary_from_binary_copy(header + row + b"\xff\xff")
    assert len(s) == 1 and int(s.customer_id[0]) == 0 and int(s.rev_recent[0]) == n - 1
    # a NULL (length -1) breaks the fixed shape: the caller falls back to rows
    null = row[:2] + (-1).to_bytes(4, "big", signed=True) + row[14:]
    assert summary_from_binary_copy(header + null + b"\xff\xff") is None
