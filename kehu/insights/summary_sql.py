"""The per-customer order summary as SQL written once, run where the orders live.

One query (:data:`SUMMARY_SQL`), written in sqlglot's neutral dialect and
transpiled by sqlglot for each engine — SQLite (the embedded default),
PostgreSQL (production) and Apache Spark SQL (warehouse-scale histories,
through PySpark) — aggregates the orders into one row per customer. Only
those rows come back to Python; the models are fitted on NumPy arrays made
from them (``kehu.insights.pipeline``).

Semantics (the same as ``kehu.analytics.summary`` with ``freq="D"``):

* cancelled orders are left out, and so are orders after the as-of date;
* all orders of a customer on one day are one transaction (a *purchase day*)
  whose value is their sum;
* dates come back as day numbers (days since 1970-01-01), money as whole
  cents (``BIGINT``): amounts are summed as double precision (``numeric``
  aggregation made PostgreSQL's query twice as slow) and rounded once, on
  the customer's sums. Every amount has two decimals, so a sum is a whole
  number of cents and the floating-point error (about 1e-16 relative) is
  far below half a cent: SQLite, PostgreSQL and Spark give the same
  integers;
* the query only compares dates with literal dates and subtracts day numbers
  of aggregated dates, which every engine can do; ``MIN(...) OVER (PARTITION
  BY customer)`` (window functions: SQLite 3.25+, PostgreSQL, Spark) finds
  each customer's first purchase day.

Columns per customer (``S`` the split date — the end of calibration, or the
backtest date — ``H`` the end of the holdout, ``A`` the as-of date, ``P``
the churn period, ``R`` the revenue window, all in days):

===================  ==========================================================
``first_day``        first purchase day (day number)
``last_day``         last purchase day up to A
``purchase_days``    number of purchase days up to A
``orders``           number of orders up to A
``revenue``          order amounts, cents
``cost``             order costs, cents (gross margin = revenue - cost)
``paid``             paid amounts (as recorded on the orders), cents
``due_amount``       amounts of orders whose payment was due by A, cents
``due_paid``         what was paid of those, cents
``first_amount``     value of the first purchase day, cents
``cal_last_day``     last purchase day up to S (NULL when none)
``cal_days``         purchase days up to S
``cal_amount``       value of the purchase days up to S, cents
``hold_days``        purchase days in (S, H]
``hold_amount``      their value, cents
``next_days``        purchase days in (S, min(S + P, A)] (the churn backtest)
``rev_cur``          value in (A - P, A]
``rev_prev``         value in (A - 2P, A - P]
``rev_cur_split``    value in (S - P, S]
``rev_prev_split``   value in (S - 2P, S - P]
``rev_recent``       value in (A - R, A]
===================  ==========================================================

:data:`TRACKING_SQL` counts, per day, the repeat purchase days of the
customers whose first purchase was on or before S (the tracking plot of the
calibration/holdout diagnostics).
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, fields

import numpy as np
import sqlglot

__all__ = [
    "SummaryWindow",
    "OrderSummary",
    "SUMMARY_COLUMNS",
    "summary_sql",
    "tracking_sql",
    "summary_from_rows",
    "run_summary",
    "summary_from_binary_copy",
    "summary_from_arrow",
    "run_tracking",
    "run_summary_spark",
    "run_tracking_spark",
    "ORDERS_TABLE",
]

ORDERS_TABLE = "sales_order"
EPOCH = dt.date(1970, 1, 1)

# The neutral dialect's text; {placeholders} are filled with date literals and
# whole numbers made here (never with user text), then sqlglot writes the query
# for the engine.
_DAYS = """
SELECT
  o.customer_id AS customer_id,
  o.order_date AS d,
  COUNT(*) AS n_orders,
  SUM(CAST(o.amount AS DOUBLE)) AS amount,
  SUM(CAST(o.cost AS DOUBLE)) AS cost,
  SUM(CAST(o.paid_amount AS DOUBLE)) AS paid,
  SUM(CASE WHEN COALESCE(o.payment_due_on, o.order_date) <= {as_of} THEN CAST(o.amount AS DOUBLE) ELSE 0 END)
    AS due_amount,
  SUM(CASE WHEN COALESCE(o.payment_due_on, o.order_date) <= {as_of} THEN CAST(o.paid_amount AS DOUBLE) ELSE 0 END)
    AS due_paid
FROM {orders} AS o
WHERE o.status <> 'cancelled' AND o.order_date <= {as_of}
GROUP BY o.customer_id, o.order_date
"""

_WITH_FIRST = """
WITH days AS ({days}),
ranked AS (
  SELECT days.*, MIN(days.d) OVER (PARTITION BY days.customer_id) AS first_d
  FROM days
)
"""


def _cents(expr: str) -> str:
    return f"CAST(ROUND(SUM({expr}) * 100) AS BIGINT)"


def _window_sum(cond: str) -> str:
    return _cents(f"CASE WHEN {cond} THEN amount ELSE 0 END")


SUMMARY_SQL = _WITH_FIRST + """
SELECT
  customer_id,
  DATE_DIFF(MIN(d), {epoch}, DAY) AS first_day,
  DATE_DIFF(MAX(d), {epoch}, DAY) AS last_day,
  COUNT(*) AS purchase_days,
  SUM(n_orders) AS orders,
  """ + ",\n  ".join([
    _cents("amount") + " AS revenue",
    _cents("cost") + " AS cost",
    _cents("paid") + " AS paid",
    _cents("due_amount") + " AS due_amount",
    _cents("due_paid") + " AS due_paid",
    _window_sum("d = first_d") + " AS first_amount",
    "DATE_DIFF(MAX(CASE WHEN d <= {split} THEN d END), {epoch}, DAY) AS cal_last_day",
    "SUM(CASE WHEN d <= {split} THEN 1 ELSE 0 END) AS cal_days",
    _window_sum("d <= {split}") + " AS cal_amount",
    "SUM(CASE WHEN d > {split} AND d <= {holdout_end} THEN 1 ELSE 0 END) AS hold_days",
    _window_sum("d > {split} AND d <= {holdout_end}") + " AS hold_amount",
    "SUM(CASE WHEN d > {split} AND d <= {next_end} THEN 1 ELSE 0 END) AS next_days",
    _window_sum("d > {cur_start}") + " AS rev_cur",
    _window_sum("d > {prev_start} AND d <= {cur_start}") + " AS rev_prev",
    _window_sum("d > {cur_start_split} AND d <= {split}") + " AS rev_cur_split",
    _window_sum("d > {prev_start_split} AND d <= {cur_start_split}") + " AS rev_prev_split",
    _window_sum("d > {recent_start}") + " AS rev_recent",
]) + """
FROM ranked
GROUP BY customer_id
"""

TRACKING_SQL = _WITH_FIRST + """
SELECT DATE_DIFF(d, {epoch}, DAY) AS day, COUNT(*) AS repeat_days
FROM ranked
WHERE d > first_d AND first_d <= {split} AND d <= {holdout_end}
GROUP BY d
"""

SUMMARY_COLUMNS = (
    "customer_id", "first_day", "last_day", "purchase_days", "orders", "revenue", "cost", "paid",
    "due_amount", "due_paid", "first_amount", "cal_last_day", "cal_days", "cal_amount", "hold_days",
    "hold_amount", "next_days", "rev_cur", "rev_prev", "rev_cur_split", "rev_prev_split", "rev_recent",
)
# cal_last_day is NULL for customers whose first purchase is after the split:
# it comes back as -1 (no real day number is negative here).
_NULLABLE = {"cal_last_day"}


@dataclass(frozen=True)
class SummaryWindow:
    """The dates the summary is cut at. ``split`` <= ``holdout_end`` <= ``as_of``."""

    as_of: dt.date
    split: dt.date
    holdout_end: dt.date
    period_days: int = 90
    revenue_days: int = 365

    def __post_init__(self):
        for name in ("as_of", "split", "holdout_end"):
            if not isinstance(getattr(self, name), dt.date):
                raise TypeError(f"{name} must be a date")
        if not (self.split <= self.holdout_end <= self.as_of):
            raise ValueError("need split <= holdout_end <= as_of")
        if self.period_days < 1 or self.revenue_days < 1:
            raise ValueError("periods must be at least one day")

    def literals(self) -> dict[str, str]:
        P = dt.timedelta(days=self.period_days)

        def lit(d: dt.date) -> str:
            return f"DATE '{d.isoformat()}'"

        return {
            "epoch": lit(EPOCH), "as_of": lit(self.as_of), "split": lit(self.split),
            "holdout_end": lit(self.holdout_end), "next_end": lit(min(self.split + P, self.as_of)),
            "cur_start": lit(self.as_of - P), "prev_start": lit(self.as_of - 2 * P),
            "cur_start_split": lit(self.split - P), "prev_start_split": lit(self.split - 2 * P),
            "recent_start": lit(self.as_of - dt.timedelta(days=self.revenue_days)),
        }


def _render(template: str, window: SummaryWindow, dialect: str, orders_table: str) -> str:
    days = _DAYS.format(orders=orders_table, **window.literals())
    text = template.format(days=days, **window.literals())
    return sqlglot.transpile(text, read="", write=dialect)[0]


def summary_sql(window: SummaryWindow, *, dialect: str, orders_table: str = ORDERS_TABLE) -> str:
    """The summary query for ``dialect`` ("sqlite", "postgres", "spark", ...)."""
    return _render(SUMMARY_SQL, window, dialect, orders_table)


def tracking_sql(window: SummaryWindow, *, dialect: str, orders_table: str = ORDERS_TABLE) -> str:
    """The daily repeat-purchase counts of the calibration customers, for ``dialect``."""
    return _render(TRACKING_SQL, window, dialect, orders_table)


@dataclass(frozen=True)
class OrderSummary:
    """The summary's columns as NumPy arrays (int64), customers sorted by id."""

    customer_id: np.ndarray
    first_day: np.ndarray
    last_day: np.ndarray
    purchase_days: np.ndarray
    orders: np.ndarray
    revenue: np.ndarray
    cost: np.ndarray
    paid: np.ndarray
    due_amount: np.ndarray
    due_paid: np.ndarray
    first_amount: np.ndarray
    cal_last_day: np.ndarray
    cal_days: np.ndarray
    cal_amount: np.ndarray
    hold_days: np.ndarray
    hold_amount: np.ndarray
    next_days: np.ndarray
    rev_cur: np.ndarray
    rev_prev: np.ndarray
    rev_cur_split: np.ndarray
    rev_prev_split: np.ndarray
    rev_recent: np.ndarray

    def __len__(self) -> int:
        return len(self.customer_id)

    def rows(self) -> list[tuple]:
        """Plain tuples (for comparing engines)."""
        cols = [getattr(self, f.name).tolist() for f in fields(self)]
        return list(zip(*cols))


def summary_from_rows(rows) -> OrderSummary:
    """Arrays from the query's rows (tuples in :data:`SUMMARY_COLUMNS` order)."""
    n = len(rows)
    if n == 0:
        return OrderSummary(*(np.empty(0, np.int64) for _ in SUMMARY_COLUMNS))
    arr = np.array(rows, dtype=object)
    cols = {}
    for i, name in enumerate(SUMMARY_COLUMNS):
        col = arr[:, i]
        if name in _NULLABLE:
            col = np.where(col == None, -1, col)  # noqa: E711 (element-wise)
        cols[name] = col.astype(np.int64)
    order = np.argsort(cols["customer_id"], kind="stable")
    return OrderSummary(**{k: v[order] for k, v in cols.items()})


def _engine_dialect(connection) -> str:
    vendor = connection.vendor
    if vendor == "postgresql":
        return "postgres"
    if vendor == "sqlite":
        return "sqlite"
    raise ValueError(f"no summary SQL for the {vendor} database")


def _fetch(connection, sql: str) -> list[tuple]:
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # JIT compilation costs PostgreSQL about two seconds on this query
            # and saves nothing: it is one pass of plain aggregation.
            cur.execute("SET jit = off")
            try:
                cur.execute(sql)
                return cur.fetchall()
            finally:
                cur.execute("RESET jit")
        cur.execute(sql)
        return cur.fetchall()


def _binary_summary_dtype() -> np.dtype:
    fields_ = [("n", ">i2")]
    for name in SUMMARY_COLUMNS:
        fields_ += [(f"{name}_len", ">i4"), (name, ">i8")]
    return np.dtype(fields_)


_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00"


def summary_from_binary_copy(data: bytes) -> OrderSummary | None:
    """Arrays from PostgreSQL's binary ``COPY`` of the summary with every
    column cast to ``bigint`` and no NULL (:func:`_binary_copy_sql`): each row
    is then a fixed 266 bytes, read by NumPy in one go instead of building
    17 million Python integers. None when the data is not in that shape."""
    if not data.startswith(_BINARY_HEADER) or len(data) < 21:
        return None
    ext = int.from_bytes(data[15:19], "big")
    body = data[19 + ext:]
    if body[-2:] != b"\xff\xff":
        return None
    body = body[:-2]
    dtype = _binary_summary_dtype()
    if len(body) % dtype.itemsize:
        return None
    rows = np.frombuffer(body, dtype=dtype)
    if len(rows) and ((rows["n"] != len(SUMMARY_COLUMNS)).any()
                      or any((rows[f"{c}_len"] != 8).any() for c in SUMMARY_COLUMNS)):
        return None
    cols = {name: rows[name].astype(np.int64) for name in SUMMARY_COLUMNS}
    order = np.argsort(cols["customer_id"], kind="stable")
    return OrderSummary(**{k: v[order] for k, v in cols.items()})


def _binary_copy_sql(sql: str) -> str:
    cols = ", ".join(
        f"COALESCE(q.{c}, -1)::bigint" if c in _NULLABLE else f"q.{c}::bigint" for c in SUMMARY_COLUMNS)
    return f"COPY (SELECT {cols} FROM ({sql}) q) TO STDOUT (FORMAT binary)"


# Settings for the summary query on PostgreSQL, reset after it. The planner
# guesses far too few (customer, day) groups (a seventh of them on the
# benchmark's data) and picks a hash aggregate that spills to disk, then an
# external sort by customer for the window; sorting once by (customer, day),
# in parallel and in memory, feeds the day groups, the window and the customer
# groups in order: 1M customers / 3.3M orders went from 8.3 s to 5.0 s.
SUMMARY_SETTINGS = {"jit": "off", "enable_hashagg": "off", "work_mem": "128MB"}


def _fetch_summary_postgres(connection, sql: str) -> OrderSummary:
    with connection.cursor() as cur:
        for name, value in SUMMARY_SETTINGS.items():
            cur.execute(f"SET {name} = '{value}'")
        try:
            chunks = []
            with cur.cursor.copy(_binary_copy_sql(sql)) as copy:
                for chunk in copy:
                    chunks.append(bytes(chunk))
        finally:
            for name in SUMMARY_SETTINGS:
                cur.execute(f"RESET {name}")
    summary = summary_from_binary_copy(b"".join(chunks))
    if summary is None:  # a NULL where none was expected: the general (slower) path
        return summary_from_rows(_fetch(connection, sql))
    return summary


_SELECTED = "kehu_selected_orders"


@functools.lru_cache(maxsize=8)
def _selected_summary_sql(window: SummaryWindow, dialect: str) -> str:
    sql = summary_sql(window, dialect=dialect, orders_table=_SELECTED)
    if sql.count(_SELECTED) != 1:   # pragma: no cover - sqlglot writes a table name as given
        raise ValueError("unexpected summary SQL")
    return sql


def run_summary(window: SummaryWindow, *, using: str = "default", customer_ids=None) -> OrderSummary:
    """Run the summary in the Django database ``using`` and return its arrays
    (of the customers ``customer_ids`` only, when given: per-order rescoring).
    On PostgreSQL the rows come back as one binary ``COPY`` read straight into
    NumPy (771,218 customers: read in 0.7–0.9 s, where fetching them as
    Python tuples and converting those took 7.5 s); elsewhere as ordinary rows."""
    from django.db import connections

    connection = connections[using]
    if customer_ids is not None:
        # Transpiling takes sqlglot about 90 ms: the query is made once per day and engine with a
        # stand-in table name, which is then replaced by the subquery of these customers' orders.
        ids = sorted({int(i) for i in customer_ids}) or [0]   # whole numbers made here, never user text
        sql = _selected_summary_sql(window, _engine_dialect(connection)).replace(
            _SELECTED, f"(SELECT * FROM {ORDERS_TABLE} WHERE customer_id IN ({', '.join(map(str, ids))}))")
    else:
        sql = summary_sql(window, dialect=_engine_dialect(connection))
    if connection.vendor == "postgresql":
        return _fetch_summary_postgres(connection, sql)
    return summary_from_rows(_fetch(connection, sql))


def _tracking_arrays(rows) -> tuple[np.ndarray, np.ndarray]:
    if not rows:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    a = np.array(rows, dtype=np.int64)
    order = np.argsort(a[:, 0])
    return a[order, 0], a[order, 1]


def run_tracking(window: SummaryWindow, *, using: str = "default") -> tuple[np.ndarray, np.ndarray]:
    """(day numbers, repeat purchase days on that day) in the Django database ``using``."""
    from django.db import connections

    connection = connections[using]
    return _tracking_arrays(_fetch(connection, tracking_sql(window, dialect=_engine_dialect(connection))))


def summary_from_arrow(table) -> OrderSummary:
    """Arrays from a ``pyarrow.Table`` of the summary's columns (what Spark's
    ``DataFrame.toArrow()`` returns): column by column, no Python row objects."""
    import pyarrow.compute as pc

    cols = {}
    for name in SUMMARY_COLUMNS:
        col = table.column(name)
        if col.null_count:
            col = pc.fill_null(col, -1)
        cols[name] = col.to_numpy().astype(np.int64)
    order = np.argsort(cols["customer_id"], kind="stable")
    return OrderSummary(**{k: v[order] for k, v in cols.items()})


def run_summary_spark(spark, window: SummaryWindow, *, orders_table: str = ORDERS_TABLE) -> OrderSummary:
    """Run the summary on Spark: ``orders_table`` is a table or view with the
    columns of ``sales_order`` (customer_id, order_date, status, amount, cost,
    paid_amount, payment_due_on). Only the per-customer rows come back to the
    driver, as Arrow record batches (``DataFrame.toArrow``, pyarrow)."""
    df = spark.sql(summary_sql(window, dialect="spark", orders_table=orders_table))
    return summary_from_arrow(df.toArrow())


def run_tracking_spark(spark, window: SummaryWindow, *, orders_table: str = ORDERS_TABLE):
    rows = spark.sql(tracking_sql(window, dialect="spark", orders_table=orders_table)).collect()
    return _tracking_arrays([tuple(r) for r in rows])
