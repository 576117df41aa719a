"""The summary the nightly run reads: the kept summary and one binary ``COPY``.

Where the kept per-customer summary (``sales.CustomerPurchaseSummary``, kept
by the order services) serves — the run is as of today, has no calibration
window, and no live order is dated after today — the columns the models need
come from it instead of from aggregating every order:

* on PostgreSQL, the kept rows are read as one binary ``COPY`` into NumPy,
  and the windowed figures (the backtest split, the churn periods' revenue,
  the payments due) from one binary ``COPY`` of the orders a window can see
  (those of the last year or so, and those due after today), grouped in
  NumPy (kehu/insights/summary_numpy.py);
* on SQLite the summary SQL still computes the windowed figures (the
  embedded database holds a company's demo-sized data), and the model inputs
  are the kept table's.

Otherwise (an earlier as-of date, a calibration window) PostgreSQL reads
every live order up to the as-of date in one binary ``COPY`` and groups it in
NumPy; SQLite runs the summary SQL. The summary SQL (kehu/insights/summary_sql.py)
stays the reference, the Spark path and what ``kehu summary check`` compares
the kept table with; the tests require the identical rows on both databases.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from contextlib import contextmanager

import numpy as np

from kehu.insights.summary_numpy import (
    KEPT_SUMMARY_COLUMNS, KeptColumns, OrderColumns, needs_last_day_before, summary_from_orders, window_start,
)
from kehu.insights.summary_sql import EPOCH, ORDERS_TABLE, OrderSummary, SummaryWindow, run_summary

__all__ = ["kept_summary_serves", "run_summary_fast", "read_binary_columns", "read_kept"]

logger = logging.getLogger(__name__)
KEPT_TABLE = "sales_customerpurchasesummary"
_HEADER = b"PGCOPY\n\xff\r\n\x00"


def read_binary_columns(data: bytes | bytearray, types: list[str]) -> list[np.ndarray] | None:
    """Columns (int64) of a binary ``COPY`` whose columns are all NOT NULL
    integers of the given widths (``"i4"`` or ``"i8"``): every row then has the
    same size and NumPy reads them in one go. None when the data is not in that shape."""
    if not data.startswith(_HEADER) or len(data) < 21:
        return None
    ext = int.from_bytes(data[15:19], "big")
    if data[-2:] != b"\xff\xff" or len(data) < 21 + ext:
        return None
    body = memoryview(data)[19 + ext:len(data) - 2]    # no copy
    spec = [("n", ">i2")]
    for i, t in enumerate(types):
        spec += [(f"l{i}", ">i4"), (f"c{i}", ">" + t)]
    dtype = np.dtype(spec)
    if len(body) % dtype.itemsize:
        return None
    rows = np.frombuffer(body, dtype=dtype)
    if len(rows) and ((rows["n"] != len(types)).any()
                      or any((rows[f"l{i}"] != int(t[1])).any() for i, t in enumerate(types))):
        return None
    return [rows[f"c{i}"].astype(np.int64) for i in range(len(types))]


def _copy_columns(cursor, select_sql: str, types: list[str], params=None) -> list[np.ndarray]:
    # libpq hands a COPY out one row at a time: ``read()`` into one growing buffer costs
    # about a third of iterating over the rows as Python objects (775,000 rows: 1.0 s / 2.6 s).
    data = bytearray()
    with cursor.copy(f"COPY ({select_sql}) TO STDOUT (FORMAT binary)", params) as copy:
        while chunk := copy.read():
            data += chunk
    cols = read_binary_columns(data, types)
    if cols is None:   # pragma: no cover - the queries below cast every column and leave no NULL
        raise ValueError("unexpected binary COPY")
    return cols


def _day_sql(column: str) -> str:
    return f"({column} - DATE '{EPOCH.isoformat()}')"


def _cents_sql(column: str) -> str:
    return f"({column} * 100)::bigint"


def kept_summary_serves(window: SummaryWindow, *, explicit: bool, using: str = "default") -> bool:
    """Whether the kept summary holds the orders this run reads: as of today, no
    calibration window, and no live order dated after the as-of date."""
    from django.db import connections
    from django.utils import timezone

    if explicit or window.as_of != timezone.localdate():
        return False
    with connections[using].cursor() as cur:
        cur.execute(f"SELECT 1 FROM {ORDERS_TABLE} WHERE order_date > %s AND status <> 'cancelled' LIMIT 1",
                    [window.as_of])
        return cur.fetchone() is None


def read_kept(using: str = "default") -> KeptColumns:
    """The kept summary's rows as arrays, customers sorted by id (dates as day numbers)."""
    from django.db import connections

    connection = connections[using]
    cols = ["customer_id", _day_sql("first_order"), _day_sql("last_order"), "purchase_days", "orders",
            "revenue_cents", "cost_cents", "paid_cents", "first_amount_cents"]
    widths = ["i8", "i4", "i4", "i4", "i4", "i8", "i8", "i8", "i8"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            casts = ", ".join(f"({c})::{'bigint' if w == 'i8' else 'int'}" for c, w in zip(cols, widths))
            arrays = _copy_columns(cur.cursor, f"SELECT {casts} FROM {KEPT_TABLE}", widths)
    else:
        cols[1:3] = [f"CAST(julianday({c}) - 2440587.5 AS INTEGER)" for c in ("first_order", "last_order")]
        with connection.cursor() as cur:
            cur.execute(f"SELECT {', '.join(cols)} FROM {KEPT_TABLE}")
            a = np.array(cur.fetchall(), dtype=np.int64).reshape(-1, len(cols))
        arrays = [a[:, i] for i in range(len(cols))]
    order = np.argsort(arrays[0], kind="stable")
    return KeptColumns(**{k: v[order] for k, v in zip(KEPT_SUMMARY_COLUMNS, arrays)})


def _copy_orders(cur, where: str, params: list, *, cost: bool) -> OrderColumns:
    cols = ["customer_id::bigint", _day_sql("order_date") + "::int", _cents_sql("amount"),
            _cents_sql("paid_amount"), _day_sql("COALESCE(payment_due_on, order_date)") + "::int"]
    types = ["i8", "i4", "i8", "i8", "i4"]
    if cost:
        cols.append(_cents_sql("cost"))
        types.append("i8")
    sql = f"SELECT {', '.join(cols)} FROM {ORDERS_TABLE} WHERE status <> 'cancelled' AND {where}"
    a = _copy_columns(cur, sql, types, params)
    return OrderColumns(customer_id=a[0], day=a[1], amount=a[2], paid=a[3], due_day=a[4],
                        cost=a[5] if cost else None)


@contextmanager
def _snapshot(connection):
    """One snapshot for several reads (REPEATABLE READ) when this is the outermost transaction."""
    from django.db import transaction

    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cur:
            cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def run_summary_fast(window: SummaryWindow, *, explicit: bool, using: str = "default",
                     timings: dict | None = None) -> OrderSummary:
    """The run's summary, the fastest correct way for this database (see the module);
    the same rows as :func:`kehu.insights.summary_sql.run_summary`. ``timings``
    receives the steps in seconds and ``summary_source``."""
    from django.db import connections

    timings = {} if timings is None else timings
    connection = connections[using]
    t = time.perf_counter()

    def lap(name):
        nonlocal t
        now = time.perf_counter()
        timings[name] = round(now - t, 4)
        t = now

    if connection.vendor != "postgresql":
        serves = kept_summary_serves(window, explicit=explicit, using=using)
        s = run_summary(window, using=using)
        lap("summary_query")
        if serves:
            kept = read_kept(using)
            if not np.array_equal(kept.customer_id, s.customer_id):   # not kept, or a write between the reads
                logger.warning("the kept purchase summary does not hold the orders' customers: "
                               "the summary SQL's figures are used (run `kehu summary check`)")
                timings["summary_source"] = "sql"
                return s
            s = OrderSummary(**{**{f: getattr(s, f) for f in s.__dataclass_fields__},
                                **{k: getattr(kept, k) for k in KEPT_SUMMARY_COLUMNS}})
            lap("summary_kept")
        timings["summary_source"] = "kept+sql" if serves else "sql"
        return s
    A = window.as_of
    with _snapshot(connection), connection.cursor() as cur:
        serves = kept_summary_serves(window, explicit=explicit, using=using)
        lap("summary_check_kept")
        s = None
        if serves:
            try:
                s = _kept_and_copy(cur, window, using=using, lap=lap)
            except ValueError:   # the kept summary does not hold the orders' customers
                logger.warning("the kept purchase summary does not hold the orders' customers: the "
                               "orders are read whole (run `kehu summary check`)", exc_info=True)
                serves = False
        if s is None:
            orders = _copy_orders(cur.cursor, "order_date <= %s", [A], cost=True)
            lap("summary_orders_copy")
            s = summary_from_orders(orders, window)
    lap("summary_group")
    timings["summary_source"] = "kept+copy" if serves else "copy"
    return s


def _kept_and_copy(cur, window, *, using, lap):
    A = window.as_of
    kept = read_kept(using)
    lap("summary_kept")
    lo = EPOCH + dt.timedelta(days=window_start(window))
    orders = _copy_orders(cur.cursor, "order_date <= %s AND (order_date > %s OR "
                          "COALESCE(payment_due_on, order_date) > %s)", [A, lo, A], cost=False)
    lap("summary_orders_copy")
    need = needs_last_day_before(orders, window, kept)
    before = {}
    if len(need):
        cur.execute(f"SELECT customer_id, {_day_sql('MAX(order_date)')} FROM {ORDERS_TABLE} "
                    f"WHERE customer_id = ANY(%s) AND status <> 'cancelled' AND order_date <= %s "
                    f"GROUP BY customer_id", [need.tolist(), window.split])
        before = dict(cur.fetchall())
    lap("summary_last_days")
    return summary_from_orders(orders, window, kept=kept, last_day_before=before)
