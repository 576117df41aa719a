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
- ``SalesDay`` — one row per day, the sum of that day's customer rows. A refresh
  adds, per day, the difference between the customers' new rows and their old
  ones in one ``INSERT ... ON CONFLICT DO UPDATE`` in day order (one statement,
  locks taken in one order: two refreshes cannot deadlock on the days). It is
  the only incremented figure, and it is incremented from rows that are
  themselves recomputed, so a writer still only names customers.

Per chunk of customer ids: difference into ``SalesDay``, then the customers' rows
replaced. The same SQL runs on SQLite (3.24+, ``ON CONFLICT``) and PostgreSQL.
"""

from __future__ import annotations

from django.db import connections, transaction

__all__ = ["refresh_chunk", "rebuild", "check"]


def _tables():
    from kehu.sales.models import CustomerSalesDay, Order, SalesDay

    return CustomerSalesDay._meta.db_table, SalesDay._meta.db_table, Order._meta.db_table


def _new_rows_sql(orders: str, flt: str) -> str:
    return (f"SELECT customer_id, order_date AS day, COUNT(*) AS orders, "
            f"CAST(ROUND(SUM(amount) * 100) AS BIGINT) AS revenue_cents "
            f"FROM {orders} WHERE status <> 'cancelled'{flt} GROUP BY customer_id, order_date")


def refresh_chunk(cur, flt_orders: tuple[str, list], flt_kept: tuple[str, list]) -> None:
    """Recompute the customer rows named by the filters (``" AND customer_id = ANY(%s)"``
    and the same over the kept table) and move the day totals by the difference."""
    kept, days, orders = _tables()
    of, op = flt_orders
    kf, kp = flt_kept
    cur.execute(f"""
INSERT INTO {days} (day, orders, revenue_cents)
SELECT d.day, SUM(d.orders), SUM(d.revenue_cents)
FROM (SELECT day, orders, revenue_cents FROM ({_new_rows_sql(orders, of)}) AS n
      UNION ALL
      SELECT day, -orders, -revenue_cents FROM {kept} WHERE 1 = 1{kf}) AS d
WHERE 1 = 1
GROUP BY d.day
ORDER BY d.day
ON CONFLICT (day) DO UPDATE SET orders = {days}.orders + excluded.orders,
                                revenue_cents = {days}.revenue_cents + excluded.revenue_cents
""", op + kp)
    cur.execute(f"DELETE FROM {kept} WHERE 1 = 1{kf}", kp)
    cur.execute(f"INSERT INTO {kept} (customer_id, day, orders, revenue_cents) {_new_rows_sql(orders, of)}", op)


def drop_empty_days(cur) -> None:
    kept, days, _orders = _tables()
    cur.execute(f"DELETE FROM {days} WHERE orders = 0 AND revenue_cents = 0")


def rebuild(*, using: str = "default") -> int:
    """Every customer's rows and every day's total from the orders (after bulk writes)."""
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
    whether any day total differs from the sum of that day's recomputed rows."""
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
FULL OUTER JOIN (SELECT * FROM {days} WHERE orders <> 0 OR revenue_cents <> 0) AS k ON k.day = n.day
WHERE n.day IS NULL OR k.day IS NULL OR n.orders <> k.orders OR n.revenue_cents <> k.revenue_cents""")
        days_differ = cur.fetchone()[0] > 0
    return bad, days_differ


def repair_days(*, using: str = "default") -> None:
    """Every day's total again from the customers' rows."""
    connection = connections[using]
    kept, days, _orders = _tables()
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {days}")
        cur.execute(f"INSERT INTO {days} (day, orders, revenue_cents) "
                    f"SELECT day, SUM(orders), SUM(revenue_cents) FROM {kept} GROUP BY day")
