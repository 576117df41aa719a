"""The sales per day kept beside the purchase summary (issue 17, item 5): the
dashboard's year, last-twelve-months and top-customer figures without
aggregating every order on each visit.

Two tables (kehu/sales/models.py):

- ``CustomerSalesDay`` — one row per customer and day with orders: recomputed
  from the orders for the customers a writer names, exactly as the purchase
  summary is (:func:`kehu.sales.purchase_summary.summary_refresh` calls
  :func:`refresh_chunk` in the same transaction, after locking the customers).
  Keyed by the customer, not by its owner or team, so that a reassignment or a
  share changes nothing here: the visibility policy joins the customers as for
  every other read.
- ``SalesDay`` — rows of *differences* per day (append-only deltas): a day's
  total is the sum of its rows. A refresh INSERTs, per day, the difference
  between the customers' new rows and their old ones (a plain ``INSERT``: no
  unique key, no conflict, no row that two writers share), so two writers of
  orders dated the same day never wait for each other — a long import no longer
  holds up every order of "today". It is the only incremented figure, and it is
  incremented from rows that are themselves recomputed, in the same transaction
  as the orders (exact and atomic with them), so a writer still only names
  customers.

Readers sum a day's rows (the dashboard's ``Sum`` over the window was already
a sum). :func:`compact` replaces the rows of days that have more than one by
their sum: ``DELETE ... RETURNING`` (one statement, so it removes exactly the
rows it sums, all of them committed) and one ``INSERT`` of the sums, in a short
transaction of its own. Writers only insert, so it never waits for them nor
they for it; a refresh that commits meanwhile keeps its own row. It runs in the
nightly check's repair (``kehu summary check --repair``) and, after a writer's
commit, for the days it touched that have more than :data:`COMPACT_AFTER` rows.
:func:`repair_days` inserts the correction (the customers' rows minus the day
rows, read in one statement) instead of deleting the rows, for the same reason.

Per chunk of customer ids: difference into ``SalesDay``, then the customers' rows
replaced. The same SQL runs on SQLite (3.35+, ``RETURNING``) and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, connections, transaction

__all__ = ["refresh_chunk", "rebuild", "check", "repair_days", "compact", "compact_later", "COMPACT_AFTER"]

logger = logging.getLogger(__name__)

# After a writer's commit, the days it touched with more rows than this are compacted.
COMPACT_AFTER = 32
_INSERT_ROWS = 500       # sums per INSERT statement of a compaction


def _tables():
    from kehu.sales.models import CustomerSalesDay, Order, SalesDay

    return CustomerSalesDay._meta.db_table, SalesDay._meta.db_table, Order._meta.db_table


def _new_rows_sql(orders: str, flt: str) -> str:
    return (f"SELECT customer_id, order_date AS day, COUNT(*) AS orders, "
            f"CAST(ROUND(SUM(amount) * 100) AS BIGINT) AS revenue_cents "
            f"FROM {orders} WHERE status <> 'cancelled'{flt} GROUP BY customer_id, order_date")


def _day_sums_sql(days: str) -> str:
    """Each day's total (the sum of its rows), days whose rows add up to nothing left out."""
    return (f"SELECT day, SUM(orders) AS orders, SUM(revenue_cents) AS revenue_cents FROM {days} "
            f"GROUP BY day HAVING SUM(orders) <> 0 OR SUM(revenue_cents) <> 0")


def refresh_chunk(cur, flt_orders: tuple[str, list], flt_kept: tuple[str, list]) -> list:
    """Recompute the customer rows named by the filters (``" AND customer_id = ANY(%s)"``
    and the same over the kept table) and insert each day's difference as a row of its
    own (no conflict, nothing another writer holds). Returns the days that got a row."""
    kept, days, orders = _tables()
    of, op = flt_orders
    kf, kp = flt_kept
    cur.execute(f"""
INSERT INTO {days} (day, orders, revenue_cents)
SELECT d.day, SUM(d.orders), SUM(d.revenue_cents)
FROM (SELECT day, orders, revenue_cents FROM ({_new_rows_sql(orders, of)}) AS n
      UNION ALL
      SELECT day, -orders, -revenue_cents FROM {kept} WHERE 1 = 1{kf}) AS d
GROUP BY d.day
HAVING SUM(d.orders) <> 0 OR SUM(d.revenue_cents) <> 0
RETURNING day
""", op + kp)
    touched = [row[0] for row in cur.fetchall()]
    cur.execute(f"DELETE FROM {kept} WHERE 1 = 1{kf}", kp)
    cur.execute(f"INSERT INTO {kept} (customer_id, day, orders, revenue_cents) {_new_rows_sql(orders, of)}", op)
    return touched


def rebuild(*, using: str = "default") -> int:
    """Every customer's rows and every day's total (one row per day) from the orders
    (after bulk writes, with no other writer)."""
    connection = connections[using]
    kept, days, orders = _tables()
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {kept}")
        cur.execute(f"DELETE FROM {days}")
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute(f"INSERT INTO {kept} (customer_id, day, orders, revenue_cents) {_new_rows_sql(orders, '')}")
        cur.execute(f"INSERT INTO {days} (day, orders, revenue_cents) "
                    f"SELECT day, SUM(orders), SUM(revenue_cents) FROM {kept} GROUP BY day")
        cur.execute(f"SELECT COUNT(*) FROM {kept}")
        return cur.fetchone()[0]


def check(*, using: str = "default") -> tuple[list[int], bool]:
    """Compare the kept rows with the orders: the customers whose rows differ, and
    whether any day total (the sum of the day's rows) differs from the sum of that
    day's recomputed customer rows."""
    connection = connections[using]
    kept, days, orders = _tables()
    with connection.cursor() as cur:
        cur.execute(f"""
SELECT COALESCE(n.customer_id, k.customer_id)
FROM ({_new_rows_sql(orders, '')}) AS n
FULL OUTER JOIN {kept} AS k ON k.customer_id = n.customer_id AND k.day = n.day
WHERE n.customer_id IS NULL OR k.customer_id IS NULL
   OR n.orders <> k.orders OR n.revenue_cents <> k.revenue_cents
GROUP BY COALESCE(n.customer_id, k.customer_id)
ORDER BY 1""")
        bad = [row[0] for row in cur.fetchall()]
        cur.execute(f"""
SELECT COUNT(*)
FROM (SELECT day, SUM(orders) AS orders, SUM(revenue_cents) AS revenue_cents
      FROM ({_new_rows_sql(orders, '')}) AS r GROUP BY day) AS n
FULL OUTER JOIN ({_day_sums_sql(days)}) AS k ON k.day = n.day
WHERE n.day IS NULL OR k.day IS NULL OR n.orders <> k.orders OR n.revenue_cents <> k.revenue_cents""")
        days_differ = cur.fetchone()[0] > 0
    return bad, days_differ


def repair_days(*, using: str = "default") -> None:
    """Every day's total again from the customers' rows: one row per day that differs
    with the correction (the customers' rows minus the day's rows, both read by the one
    statement, so a writer committing meanwhile is counted once; the check's repair then
    compacts). Nothing is deleted here, so writers do not wait."""
    connection = connections[using]
    kept, days, _orders = _tables()
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"""
INSERT INTO {days} (day, orders, revenue_cents)
SELECT d.day, SUM(d.orders), SUM(d.revenue_cents)
FROM (SELECT day, orders, revenue_cents FROM {kept}
      UNION ALL
      SELECT day, -orders, -revenue_cents FROM {days}) AS d
GROUP BY d.day
HAVING SUM(d.orders) <> 0 OR SUM(d.revenue_cents) <> 0""")


def compact(days: Iterable | None = None, *, min_rows: int = 1, using: str = "default",
            lock_timeout: str | None = None) -> int:
    """Replace the rows of each day with more than ``min_rows`` rows (of ``days``, or of
    every day) by one row of their sum; days that add up to nothing lose their rows.

    One ``DELETE ... RETURNING`` (one snapshot: it removes exactly the committed rows it
    returns) and the sums inserted, in a short transaction of its own. Writers only
    insert rows, so they never wait for it nor it for them; a refresh that commits
    meanwhile keeps its row beside the sum. Two compactions of one day take its rows in
    turn (``lock_timeout``: give up after that long on PostgreSQL). Returns the number of
    rows removed."""
    connection = connections[using]
    _kept, table, _orders = _tables()
    params: list = [min_rows]
    flt = ""
    if days is not None:
        days = sorted(set(days))
        if not days:
            return 0
        if connection.vendor == "postgresql":
            flt, params = " AND day = ANY(%s)", [days, min_rows]
        else:
            flt, params = f" AND day IN ({', '.join(['%s'] * len(days))})", days + [min_rows]
    where = (f"day IN (SELECT day FROM {table} WHERE 1 = 1{flt} GROUP BY day "
             f"HAVING COUNT(*) > %s OR (SUM(orders) = 0 AND SUM(revenue_cents) = 0))")
    with transaction.atomic(using=using), connection.cursor() as cur:
        if lock_timeout and connection.vendor == "postgresql":
            cur.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        cur.execute(f"DELETE FROM {table} WHERE {where} RETURNING day, orders, revenue_cents", params)
        removed = cur.fetchall()
        sums: dict = {}
        for day, orders, cents in removed:
            o, c = sums.get(day, (0, 0))
            sums[day] = (o + orders, c + cents)
        rows = [(day, o, c) for day, (o, c) in sorted(sums.items()) if o or c]
        for start in range(0, len(rows), _INSERT_ROWS):
            chunk = rows[start:start + _INSERT_ROWS]
            cur.execute(f"INSERT INTO {table} (day, orders, revenue_cents) VALUES "
                        + ", ".join(["(%s, %s, %s)"] * len(chunk)), [v for row in chunk for v in row])
    return len(removed)


def _compact_touched(days: set, using: str) -> None:
    try:
        connection = connections[using]
        _kept, table, _orders = _tables()
        ordered = sorted(days)
        with connection.cursor() as cur:     # a read first: most commits leave nothing to compact
            if connection.vendor == "postgresql":
                flt, params = "day = ANY(%s)", [ordered]
            else:
                flt, params = f"day IN ({', '.join(['%s'] * len(ordered))})", list(ordered)
            cur.execute(f"SELECT day FROM {table} WHERE {flt} GROUP BY day HAVING COUNT(*) > %s",
                        params + [COMPACT_AFTER])
            busy = [row[0] for row in cur.fetchall()]
        if busy:
            compact(busy, min_rows=COMPACT_AFTER, using=using, lock_timeout="2s")
    except DatabaseError:      # another compaction holds the rows, or SQLite is busy: the next one does it
        logger.info("sales per day: compaction after a commit skipped", exc_info=True)


def compact_later(days: Iterable, *, using: str = "default") -> None:
    """When the caller's transaction commits (once per transaction), compact the given
    days that have more than :data:`COMPACT_AFTER` rows. Losing this (a crash after the
    commit) changes no figure: the rows still add up; the nightly repair compacts."""
    days = set(days)
    if not days:
        return
    connection = connections[using]
    for entry in connection.run_on_commit:
        pending = getattr(entry[1], "kehu_sales_days", None)
        if pending is not None:
            pending.update(days)
            return

    def compact_touched() -> None:
        _compact_touched(days, using)

    compact_touched.kehu_sales_days = days
    transaction.on_commit(compact_touched, using=using, robust=True)
