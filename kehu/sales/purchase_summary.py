"""The per-customer purchase summary kept as orders are written (issue 17, item 1).

Design (docs/architecture.md, "The kept purchase summary"): the service layer,
not database triggers. Every writer of orders calls :func:`summary_refresh`
with the customers it touched, inside its own transaction; the function
*recomputes* those customers' rows from their orders with one set-based
``INSERT ... SELECT ... GROUP BY ... ON CONFLICT DO UPDATE`` per batch of
customer ids (and deletes the rows of customers left without orders). Nothing
is incremented, so a writer cannot get the arithmetic of a change, a
cancellation or a moved order wrong: it only has to name the customers.

On PostgreSQL the customers' rows are first locked (``FOR NO KEY UPDATE``, in
id order): two transactions writing orders of one customer then refresh one
after the other, and the second, whose statement starts after the first has
committed, sees both's orders (READ COMMITTED). SQLite has one writer at a time.

The same SQL is the same on both databases (``ON CONFLICT`` needs SQLite 3.24).
Bulk writers (``kehu generate``, the demo) call :func:`summary_rebuild`: one
statement over all orders.

:func:`summary_check` is the nightly check: it recomputes the summary with the
value analysis' summary query (kehu/insights/summary_sql.py, the reference),
compares, repairs with ``repair=True`` and returns what differed.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import connections, transaction
from django.utils import timezone

from kehu.sales import sales_days

__all__ = ["orders_written", "summary_refresh", "summary_rebuild", "summary_check", "CheckResult", "KEPT_COLUMNS"]

logger = logging.getLogger(__name__)

# kept column -> the summary query's column (kehu.insights.summary_sql.SUMMARY_COLUMNS)
KEPT_COLUMNS = {
    "first_order": "first_day", "last_order": "last_day", "purchase_days": "purchase_days",
    "orders": "orders", "revenue_cents": "revenue", "cost_cents": "cost", "paid_cents": "paid",
    "first_amount_cents": "first_amount",
}
BATCH = {"postgresql": 20_000, "sqlite": 5_000}
# Far enough ahead that every order counts, including ones dated in the future.
CHECK_AS_OF = dt.date(9000, 1, 1)


def _tables():
    from kehu.customers.models import Customer
    from kehu.sales.models import CustomerPurchaseSummary, Order

    return (CustomerPurchaseSummary._meta.db_table, Order._meta.db_table, Customer._meta.db_table)


def _upsert_sql(filter_sql: str) -> str:
    summary, orders, _customers = _tables()
    cols = ", ".join(KEPT_COLUMNS) + ", updated_at"
    updates = ", ".join(f"{c} = excluded.{c}" for c in list(KEPT_COLUMNS) + ["updated_at"])
    live = f"status <> 'cancelled'{filter_sql}"
    return f"""
INSERT INTO {summary} (customer_id, {cols})
SELECT w.customer_id, MIN(w.d), MAX(w.d), COUNT(*), SUM(w.n),
  CAST(ROUND(SUM(w.a) * 100) AS BIGINT), CAST(ROUND(SUM(w.c) * 100) AS BIGINT),
  CAST(ROUND(SUM(w.p) * 100) AS BIGINT),
  CAST(ROUND(SUM(CASE WHEN w.d = w.fd THEN w.a ELSE 0 END) * 100) AS BIGINT), %s
FROM (SELECT g.customer_id, g.d, g.n, g.a, g.c, g.p, MIN(g.d) OVER (PARTITION BY g.customer_id) AS fd
      FROM (SELECT customer_id, order_date AS d, COUNT(*) AS n, SUM(amount) AS a, SUM(cost) AS c,
                   SUM(paid_amount) AS p
            FROM {orders} WHERE {live} GROUP BY customer_id, order_date) AS g) AS w
WHERE 1 = 1
GROUP BY w.customer_id
ON CONFLICT (customer_id) DO UPDATE SET {updates}
"""


def _id_filter(connection, ids: list[int], column: str = "customer_id") -> tuple[str, list]:
    if connection.vendor == "postgresql":
        return f" AND {column} = ANY(%s)", [ids]
    return f" AND {column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def summary_refresh(customer_ids: Iterable[int], *, using: str = "default") -> int:
    """Recompute the kept summary of ``customer_ids`` from their orders, in the
    caller's transaction (opened here when there is none). Returns the number
    of customers refreshed."""
    ids = sorted({int(i) for i in customer_ids if i is not None})
    if not ids:
        return 0
    connection = connections[using]
    summary, orders, customers = _tables()
    now = timezone.now()
    step = BATCH.get(connection.vendor, 5_000)
    touched: set = set()
    with transaction.atomic(using=using), connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # JIT costs this grouping query ~0.1 s of compiling and saves nothing (for this transaction)
            cur.execute("SET LOCAL jit = off")
        for start in range(0, len(ids), step):
            chunk = ids[start:start + step]
            if connection.vendor == "postgresql":
                cur.execute(f"SELECT id FROM {customers} WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE", [chunk])
            flt, params = _id_filter(connection, chunk)
            cur.execute(_upsert_sql(flt), [now] + params)
            touched.update(sales_days.refresh_chunk(cur, (flt, params), _id_filter(connection, chunk)))
            dflt, dparams = _id_filter(connection, chunk, "s.customer_id")
            cur.execute(f"DELETE FROM {summary} WHERE customer_id IN (SELECT s.customer_id FROM {summary} AS s "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {orders} AS o WHERE o.customer_id = s.customer_id "
                        f"AND o.status <> 'cancelled'){dflt})", dparams)
        sales_days.compact_later(touched, using=using)
    return len(ids)


def summary_rebuild(*, using: str = "default", with_sales_days: bool = True) -> int:
    """Recompute every customer's row in one statement (after bulk writes), and the
    sales per day (``with_sales_days=False`` only for the migration that runs before
    their tables exist). Returns the row count."""
    connection = connections[using]
    summary, _orders, _customers = _tables()
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {summary}")
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute(_upsert_sql(""), [timezone.now()])
        cur.execute(f"SELECT COUNT(*) FROM {summary}")
        count = cur.fetchone()[0]
    if with_sales_days:
        sales_days.rebuild(using=using)
    return count


def orders_written(customer_ids: Iterable[int], *, order=None, rescore: bool = True) -> None:
    """What every order writer calls in its transaction: refresh the customers'
    summaries now, and once the transaction commits queue the rescoring of
    their value scores from the last run's parameters (item 2,
    kehu/insights/rescoring.py). ``order``: the order written (shown on the 360 page)."""
    ids = sorted({int(i) for i in customer_ids if i is not None})
    summary_refresh(ids)
    if rescore and ids:
        from kehu.insights.rescoring import rescore_later

        rescore_later(ids, order_id=getattr(order, "pk", None))


@dataclass
class CheckResult:
    """What the nightly check found: customers whose kept row differed from the orders."""

    customers: int = 0              # customers with orders (the reference's rows)
    missing: int = 0                # a reference row with no kept row
    extra: int = 0                  # a kept row for a customer without orders
    different: int = 0              # both exist, some column differs
    repaired: bool = False
    examples: list = field(default_factory=list)   # up to ten customer ids
    sales_days: int = 0             # customers whose kept sales per day differ (kehu/sales/sales_days.py)
    days_differ: bool = False       # some day's total differs from its customers' rows

    @property
    def differences(self) -> int:
        return self.missing + self.extra + self.different + self.sales_days + int(self.days_differ)


def _reference(using: str):
    """The summary query's columns (customer ids sorted) as an (n, 9) int64 array."""
    import numpy as np

    from kehu.insights.summary_sql import SummaryWindow, run_summary

    window = SummaryWindow(as_of=CHECK_AS_OF, split=CHECK_AS_OF, holdout_end=CHECK_AS_OF)
    s = run_summary(window, using=using)
    return np.column_stack([s.customer_id] + [getattr(s, c) for c in KEPT_COLUMNS.values()]).astype(np.int64)


def _kept(using: str):
    """The kept rows in the same shape (dates as day numbers), sorted by customer id."""
    import numpy as np

    connection = connections[using]
    summary = _tables()[0]
    if connection.vendor == "postgresql":
        day = "({} - DATE '1970-01-01')"
    else:
        day = "CAST(julianday({}) - 2440587.5 AS INTEGER)"
    cols = ["customer_id"] + [day.format(c) if c in ("first_order", "last_order") else c for c in KEPT_COLUMNS]
    with connection.cursor() as cur:
        cur.execute(f"SELECT {', '.join(cols)} FROM {summary} ORDER BY customer_id")
        rows = cur.fetchall()
    return np.array(rows, dtype=np.int64).reshape(len(rows), len(cols))


def summary_check(*, repair: bool = False, using: str = "default") -> CheckResult:
    """Compare the kept summary with the summary query over the orders (the reference).
    Differences are logged as an error (they are a bug to investigate); with
    ``repair`` the differing customers are refreshed, and the sales per day compacted
    (kehu/sales/sales_days.py: each day's rows of differences replaced by their sum)."""
    import numpy as np

    ref = _reference(using)
    kept = _kept(using)
    result = CheckResult(customers=len(ref))
    in_kept = np.isin(ref[:, 0], kept[:, 0], assume_unique=True)
    in_ref = np.isin(kept[:, 0], ref[:, 0], assume_unique=True)
    both_ref, both_kept = ref[in_kept], kept[in_ref]          # the same customers, both sorted by id
    differ = (both_ref != both_kept).any(axis=1)
    result.missing = int((~in_kept).sum())
    result.extra = int((~in_ref).sum())
    result.different = int(differ.sum())
    bad = np.concatenate([ref[~in_kept, 0], kept[~in_ref, 0], both_ref[differ, 0]]).tolist()
    day_bad, result.days_differ = sales_days.check(using=using)
    result.sales_days = len(day_bad)
    bad = sorted(set(bad) | set(day_bad))
    result.examples = bad[:10]
    if bad or result.days_differ:
        logger.error("kept purchase summary differs from the orders for %d customers "
                     "(missing %d, extra %d, different %d, sales per day %d%s; e.g. %s)%s", len(bad),
                     result.missing, result.extra, result.different, result.sales_days,
                     ", day totals differ" if result.days_differ else "", result.examples,
                     " — repaired" if repair else "")
        if repair:
            summary_refresh(bad, using=using)
            if result.days_differ:
                sales_days.repair_days(using=using)
            result.repaired = True
    if repair:
        sales_days.compact(using=using)
    return result
