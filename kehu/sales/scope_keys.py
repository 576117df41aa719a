"""A customer's kept sales per day moved to its new owner and team when they change
(``ScopeSalesDay``, kehu/sales/sales_days.py), kept by the database, never by Python —
as the copies on the opportunities are (kehu/sales/customer_keys.py).

``ScopeSalesDay`` holds the sales per day of each (owner, team) key: the refresh of a
customer's ``CustomerSalesDay`` rows inserts their change under the customer's current
owner and team. When the owner or the team of a customer changes — the customer's edit,
the bulk reassignment, a merge, an import's update, a deactivation with reassignment,
the pool's claim and assignment, a raw ``UPDATE`` — a trigger inserts, in the same
statement's transaction, the customer's rows negated under the old key and as they are
under the new one. One trigger on the customer's two columns covers every path, present
and future, which a helper called from each writer could not promise.

Concurrency (PostgreSQL, READ COMMITTED): the refresh locks its customers first
(``FOR NO KEY UPDATE``, kehu/sales/purchase_summary.py), and an ``UPDATE`` of the owner
takes the same row lock, so a refresh and a reassignment of one customer run one after
the other; the trigger's ``INSERT`` runs after the row lock is held and reads the
committed rows of the refresh before it, and a refresh after it reads the new owner.

:func:`ensure` is idempotent and also runs after every ``migrate`` (post_migrate): Django
rebuilds a SQLite table to alter it and a rebuilt table loses its triggers.
"""

from __future__ import annotations

from kehu.dbtriggers import TriggerSet

_MOVE = """INSERT INTO sales_scopesalesday (owner_id, team_id, day, orders, revenue_cents)
        SELECT OLD.owner_id, OLD.team_id, day, -orders, -revenue_cents
          FROM sales_customersalesday WHERE customer_id = OLD.id
        UNION ALL
        SELECT NEW.owner_id, NEW.team_id, day, orders, revenue_cents
          FROM sales_customersalesday WHERE customer_id = NEW.id;"""
PG_NAMES = ("customers_customer_keys_to_scope_sales",)
PG_TRIGGERS = (
    f"""CREATE OR REPLACE FUNCTION customers_customer_keys_to_scope_sales() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {_MOVE}
    RETURN NULL;
END
$$""",
    "DROP TRIGGER IF EXISTS customers_customer_keys_to_scope_sales ON customers_customer",
    """CREATE TRIGGER customers_customer_keys_to_scope_sales AFTER UPDATE OF owner_id, team_id ON customers_customer
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION customers_customer_keys_to_scope_sales()""",
)
PG_DROP = (
    "DROP TRIGGER IF EXISTS customers_customer_keys_to_scope_sales ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_customer_keys_to_scope_sales()",
)
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS customers_customer_keys_to_scope_sales
    AFTER UPDATE OF owner_id, team_id ON customers_customer
    WHEN NEW.owner_id IS NOT OLD.owner_id OR NEW.team_id IS NOT OLD.team_id
    BEGIN
        {_MOVE}
    END""",
)
SQLITE_DROP = ("DROP TRIGGER IF EXISTS customers_customer_keys_to_scope_sales",)


# A missing trigger means some moves were lost: the nightly check
# (``kehu summary check --repair``) finds and repairs the keys' rows.
TRIGGERS = TriggerSet(
    tables=frozenset({"sales_scopesalesday", "sales_customersalesday", "customers_customer"}),
    pg_names=PG_NAMES, pg_create=PG_TRIGGERS, pg_drop=PG_DROP,
    sqlite_create=SQLITE_TRIGGERS, sqlite_drop=SQLITE_DROP)
ensure = TRIGGERS.ensure
drop = TRIGGERS.drop
ensure_after_migrate = TRIGGERS.ensure_after_migrate
