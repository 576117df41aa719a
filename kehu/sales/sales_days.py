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

``ScopeSalesDay`` — the same rows of differences per (owner, team) key and day: the
refresh inserts the customers' change under their *current* owner and team (the
customers read in the same statement), and a change of a customer's owner or team moves
its rows from the old key to the new one (a trigger, kehu/sales/scope_keys.py). A
salesperson's or a manager's year and twelve months are summed from their key's rows
(kehu/sales/dashboard_figures.py). Compacted (:func:`compact_scope`), checked and
repaired (:func:`check_scope`, :func:`repair_scope`) and rebuilt like ``SalesDay``; the
key's columns are compared through ``COALESCE(…, 0)`` (ids are positive), so a customer
without an owner or team has a key like any other.

Per chunk of customer ids: differences into ``SalesDay`` and ``ScopeSalesDay``, then the
customers' rows replaced. The same SQL runs on SQLite (3.35+, ``RETURNING``) and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, connections, transaction

__all__ = ["refresh_chunk", "rebuild", "check", "repair_days", "compact", "compact_later", "COMPACT_AFTER",
           "check_scope", "repair_scope", "compact_scope"]

logger = logging.getLogger(__name__)

# After a writer's commit, the days it touched with more rows than this are compacted.
COMPACT_AFTER = 32
_INSERT_ROWS = 500       # sums per INSERT statement of a compaction


def _tables():
    from kehu.sales.models import CustomerSalesDay, Order, SalesDay

    return CustomerSalesDay._meta.db_table, SalesDay._meta.db_table, Order._meta.db_table


def _scope_tables():
    from kehu.customers.models import Customer
    from kehu.sales.models import ScopeSalesDay

    return ScopeSalesDay._meta.db_table, Customer._meta.db_table


_NONZERO = "HAVING SUM(d.orders) <> 0 OR SUM(d.revenue_cents) <> 0"


def _keyed_kept_sql(kept: str, customers: str) -> str:
    """The customers' rows under their current key (owner and team, 0 for none)."""
    return (f"SELECT COALESCE(c.owner_id, 0) AS o, COALESCE(c.team_id, 0) AS t, k.day, k.orders, "
            f"k.revenue_cents FROM {kept} AS k JOIN {customers} AS c ON c.id = k.customer_id")


def _scope_rows_sql(scope: str, sign: str = "") -> str:
    return (f"SELECT COALESCE(owner_id, 0) AS o, COALESCE(team_id, 0) AS t, day, {sign}orders AS orders, "
            f"{sign}revenue_cents AS revenue_cents FROM {scope}")


def _new_rows_sql(orders: str, flt: str) -> str:
    return (f"SELECT customer_id, order_date AS day, COUNT(*) AS orders, "
            f"CAST(ROUND(SUM(amount) * 100) AS BIGINT) AS revenue_cents "
            f"FROM {orders} WHERE status <> 'cancelled'{flt} GROUP BY customer_id, order_date")


def _day_sums_sql(days: str) -> str:
    """Each day's total (the sum of its rows), days whose rows add up to nothing left out."""
    return (f"SELECT day, SUM(orders) AS orders, SUM(revenue_cents) AS revenue_cents FROM {days} "
            f"GROUP BY day HAVING SUM(orders) <> 0 OR SUM(revenue_cents) <> 0")


def refresh_chunk(cur, flt_orders: tuple[str, list], flt_kept: tuple[str, list],
                  scope_touched: set | None = None) -> list:
    """Recompute the customer rows named by the filters (``" AND customer_id = ANY(%s)"``
    and the same over the kept table) and insert each day's difference as a row of its
    own (no conflict, nothing another writer holds), and the same per the customers'
    current owner and team into ``ScopeSalesDay``. Returns the days that got a row;
    ``scope_touched`` gets the (owner, team, day) keys that got one."""
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
    scope, customers = _scope_tables()
    cur.execute(f"""
INSERT INTO {scope} (owner_id, team_id, day, orders, revenue_cents)
SELECT c.owner_id, c.team_id, d.day, SUM(d.orders), SUM(d.revenue_cents)
FROM (SELECT customer_id, day, orders, revenue_cents FROM ({_new_rows_sql(orders, of)}) AS n
      UNION ALL
      SELECT customer_id, day, -orders, -revenue_cents FROM {kept} WHERE 1 = 1{kf}) AS d
JOIN {customers} AS c ON c.id = d.customer_id
GROUP BY c.owner_id, c.team_id, d.day
{_NONZERO}
RETURNING owner_id, team_id, day
""", op + kp)
    keys = cur.fetchall()
    touched.extend(row[2] for row in keys)
    if scope_touched is not None:
        scope_touched.update(tuple(row) for row in keys)
    cur.execute(f"DELETE FROM {kept} WHERE 1 = 1{kf}", kp)
    cur.execute(f"INSERT INTO {kept} (customer_id, day, orders, revenue_cents) {_new_rows_sql(orders, of)}", op)
    return touched


def rebuild(*, using: str = "default", with_scope: bool = True) -> int:
    """Every customer's rows, every day's total (one row per day) and every owner's and
    team's day from the orders (after bulk writes, with no other writer;
    ``with_scope=False`` only for the migration that runs before that table exists)."""
    connection = connections[using]
    kept, days, orders = _tables()
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {kept}")
        cur.execute(f"DELETE FROM {days}")
        scope, customers = _scope_tables()
        if with_scope:
            cur.execute(f"DELETE FROM {scope}")
        if connection.vendor == "postgresql":
            cur.execute("SET LOCAL work_mem = '128MB'")
        cur.execute(f"INSERT INTO {kept} (customer_id, day, orders, revenue_cents) {_new_rows_sql(orders, '')}")
        cur.execute(f"INSERT INTO {days} (day, orders, revenue_cents) "
                    f"SELECT day, SUM(orders), SUM(revenue_cents) FROM {kept} GROUP BY day")
        if with_scope:
            cur.execute(f"INSERT INTO {scope} (owner_id, team_id, day, orders, revenue_cents) "
                        f"SELECT c.owner_id, c.team_id, k.day, SUM(k.orders), SUM(k.revenue_cents) "
                        f"FROM {kept} AS k JOIN {customers} AS c ON c.id = k.customer_id "
                        f"GROUP BY c.owner_id, c.team_id, k.day")
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


def check_scope(*, using: str = "default") -> bool:
    """Whether the rows per owner, team and day (summed) differ from the customers' rows
    summed under the customers' current owner and team."""
    kept, _days, _orders = _tables()
    scope, customers = _scope_tables()
    with connections[using].cursor() as cur:
        cur.execute(f"""
SELECT COUNT(*)
FROM (SELECT o, t, day, SUM(orders) AS orders, SUM(revenue_cents) AS revenue_cents
      FROM ({_keyed_kept_sql(kept, customers)}) AS d GROUP BY o, t, day) AS n
FULL OUTER JOIN (SELECT o, t, day, SUM(orders) AS orders, SUM(revenue_cents) AS revenue_cents
                 FROM ({_scope_rows_sql(scope)}) AS d GROUP BY o, t, day {_NONZERO}) AS s
  ON s.o = n.o AND s.t = n.t AND s.day = n.day
WHERE n.day IS NULL OR s.day IS NULL OR n.orders <> s.orders OR n.revenue_cents <> s.revenue_cents""")
        return cur.fetchone()[0] > 0


def repair_scope(*, using: str = "default") -> None:
    """Each key's days again from the customers' rows under their current key: one row
    of correction per key and day that differs (both read by the one statement, as in
    :func:`repair_days`; nothing deleted, writers do not wait)."""
    connection = connections[using]
    kept, _days, _orders = _tables()
    scope, customers = _scope_tables()
    with transaction.atomic(using=using), connection.cursor() as cur:
        cur.execute(f"""
INSERT INTO {scope} (owner_id, team_id, day, orders, revenue_cents)
SELECT NULLIF(d.o, 0), NULLIF(d.t, 0), d.day, SUM(d.orders), SUM(d.revenue_cents)
FROM ({_keyed_kept_sql(kept, customers)} UNION ALL {_scope_rows_sql(scope, "-")}) AS d
GROUP BY d.o, d.t, d.day
{_NONZERO}""")


def _in(connection, column: str, values: list) -> tuple[str, list]:
    if not values:
        return "1 = 0", []
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _keys_filter(connection, keys: Iterable) -> tuple[str, list]:
    """`` AND (…)`` for the rows of the given (owner, team, day) keys' owners (or, without
    an owner, teams) and days: read through the (owner, day) and (team, day) indexes.
    Keys with neither are left to the nightly compaction."""
    keys = list(keys)
    owners = sorted({o for o, _t, _d in keys if o is not None})
    teams = sorted({t for o, t, _d in keys if o is None and t is not None})
    days = sorted({d for _o, _t, d in keys})
    osql, op = _in(connection, "owner_id", owners)
    tsql, tp = _in(connection, "team_id", teams)
    dsql, dp = _in(connection, "day", days)
    return f" AND {dsql} AND ({osql} OR (owner_id IS NULL AND {tsql}))", dp + op + tp


def compact_scope(days: Iterable | None = None, *, min_rows: int = 1, using: str = "default",
                  lock_timeout: str | None = None, keys: Iterable | None = None) -> int:
    """:func:`compact` for ``ScopeSalesDay``: the rows of each owner, team and day with
    more than ``min_rows`` rows (of ``days``, or of every day) replaced by one row of
    their sum; keys' days that add up to nothing (an owner who handed their customers
    on) lose their rows. ``keys``: only those (owner, team, day) keys' owners or teams and
    days (after a commit). Returns the number of rows removed."""
    connection = connections[using]
    scope, _customers = _scope_tables()
    flt, fparams = "", []
    if keys is not None:
        flt, fparams = _keys_filter(connection, keys)
    elif days is not None:
        days = sorted(set(days))
        if not days:
            return 0
        flt, fparams = _in(connection, "day", days)
        flt = f" AND {flt}"
    key = "COALESCE(owner_id, 0), COALESCE(team_id, 0), day"
    # the filter outside too: the rows read through the indexes, not the whole table
    where = (f"1 = 1{flt} AND ({key}) IN (SELECT {key} FROM {scope} WHERE 1 = 1{flt} GROUP BY {key} "
             f"HAVING COUNT(*) > %s OR (SUM(orders) = 0 AND SUM(revenue_cents) = 0))")
    params = fparams + fparams + [min_rows]
    with transaction.atomic(using=using), connection.cursor() as cur:
        if lock_timeout and connection.vendor == "postgresql":
            cur.execute("SELECT set_config('lock_timeout', %s, true)", [lock_timeout])
        cur.execute(f"DELETE FROM {scope} WHERE {where} RETURNING owner_id, team_id, day, orders, revenue_cents",
                    params)
        removed = cur.fetchall()
        sums: dict = {}
        for owner, team, day, orders, cents in removed:
            o, c = sums.get((owner or 0, team or 0, day), (0, 0))
            sums[(owner or 0, team or 0, day)] = (o + orders, c + cents)
        rows = [(owner or None, team or None, day, o, c) for (owner, team, day), (o, c) in sorted(sums.items())
                if o or c]
        for start in range(0, len(rows), _INSERT_ROWS):
            chunk = rows[start:start + _INSERT_ROWS]
            cur.execute(f"INSERT INTO {scope} (owner_id, team_id, day, orders, revenue_cents) VALUES "
                        + ", ".join(["(%s, %s, %s, %s, %s)"] * len(chunk)), [v for row in chunk for v in row])
    return len(removed)


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


def _compact_touched(days: set, using: str, keys: set | None = None) -> None:
    try:
        connection = connections[using]
        _kept, table, _orders = _tables()
        ordered = sorted(days)
        with connection.cursor() as cur:     # a read first: most commits leave nothing to compact
            busy = []
            if ordered:
                flt, params = _in(connection, "day", ordered)
                cur.execute(f"SELECT day FROM {table} WHERE {flt} GROUP BY day HAVING COUNT(*) > %s",
                            params + [COMPACT_AFTER])
                busy = [row[0] for row in cur.fetchall()]
            busy_keys = []
            if keys:
                scope, _customers = _scope_tables()
                kflt, kparams = _keys_filter(connection, keys)
                cur.execute(f"SELECT owner_id, team_id, day FROM {scope} WHERE 1 = 1{kflt} "
                            f"GROUP BY owner_id, team_id, day HAVING COUNT(*) > %s", kparams + [COMPACT_AFTER])
                busy_keys = cur.fetchall()
        if busy:
            compact(busy, min_rows=COMPACT_AFTER, using=using, lock_timeout="2s")
        if busy_keys:
            compact_scope(keys=busy_keys, min_rows=COMPACT_AFTER, using=using, lock_timeout="2s")
    except DatabaseError:      # another compaction holds the rows, or SQLite is busy: the next one does it
        logger.info("sales per day: compaction after a commit skipped", exc_info=True)


def compact_later(days: Iterable, *, using: str = "default", keys: Iterable = ()) -> None:
    """When the caller's transaction commits (once per transaction), compact the given
    days that have more than :data:`COMPACT_AFTER` rows, and the given (owner, team, day)
    keys of ``ScopeSalesDay`` likewise. Losing this (a crash after the commit) changes no
    figure: the rows still add up; the nightly repair compacts."""
    days = set(days)
    keys = set(keys)
    if not days and not keys:
        return
    connection = connections[using]
    for entry in connection.run_on_commit:
        pending = getattr(entry[1], "kehu_sales_days", None)
        if pending is not None:
            pending.update(days)
            entry[1].kehu_scope_keys.update(keys)
            return

    def compact_touched() -> None:
        _compact_touched(days, using, keys)

    compact_touched.kehu_sales_days = days
    compact_touched.kehu_scope_keys = keys
    transaction.on_commit(compact_touched, using=using, robust=True)
