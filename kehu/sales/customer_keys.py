"""The customer's owner and team on each opportunity (``customer_owner_id``,
``customer_team_id``), kept by the database, never by Python.

Triggers copy them from the customer whenever an opportunity is inserted or updated,
and to the customer's opportunities whenever its owner or team changes — services,
imports, bulk updates and ``COPY`` alike. The one policy reads them
(:meth:`kehu.org.policies.CustomerPolicy.visible_opportunities`): a salesperson's board
and list of a million opportunities find theirs by index instead of joining the customers.

The migration ``0015_customer_keys`` fills them and creates the triggers; :func:`ensure`
is idempotent and also runs after every ``migrate`` (post_migrate), because Django
rebuilds a SQLite table to alter it and a rebuilt table loses its triggers (as
:mod:`kehu.kb.search_schema` does for the knowledge base's index). On SQLite it fills
the columns again each time, so a rebuild can never leave them stale.
"""

from __future__ import annotations

from kehu.dbtriggers import TriggerSet

PG_FILL = """UPDATE sales_opportunity o SET customer_owner_id = c.owner_id, customer_team_id = c.team_id
  FROM customers_customer c
 WHERE c.id = o.customer_id
   AND (o.customer_owner_id IS DISTINCT FROM c.owner_id OR o.customer_team_id IS DISTINCT FROM c.team_id)"""
PG_TRIGGERS = (
    """CREATE OR REPLACE FUNCTION sales_opportunity_customer_keys() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- a new row is not seen by a reassignment of its customer in flight: wait for that
        -- (FOR SHARE), then read the owner it left
        SELECT owner_id, team_id INTO NEW.customer_owner_id, NEW.customer_team_id
          FROM customers_customer WHERE id = NEW.customer_id FOR SHARE;
    ELSIF NEW.customer_id IS DISTINCT FROM OLD.customer_id THEN
        -- nor is a row moved to another customer (the reassignment looks for that customer's rows)
        SELECT owner_id, team_id INTO NEW.customer_owner_id, NEW.customer_team_id
          FROM customers_customer WHERE id = NEW.customer_id FOR SHARE;
    ELSE
        -- an existing row: a reassignment in flight updates it after this write commits
        -- (it waits for the row), so no lock here — and no deadlock with that update
        SELECT owner_id, team_id INTO NEW.customer_owner_id, NEW.customer_team_id
          FROM customers_customer WHERE id = NEW.customer_id;
    END IF;
    RETURN NEW;
END
$$""",
    "DROP TRIGGER IF EXISTS sales_opportunity_customer_keys ON sales_opportunity",
    """CREATE TRIGGER sales_opportunity_customer_keys BEFORE INSERT OR UPDATE ON sales_opportunity
    FOR EACH ROW EXECUTE FUNCTION sales_opportunity_customer_keys()""",
    """CREATE OR REPLACE FUNCTION customers_customer_keys_to_opportunities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sales_opportunity SET customer_owner_id = NEW.owner_id, customer_team_id = NEW.team_id
     WHERE customer_id = NEW.id;
    RETURN NULL;
END
$$""",
    "DROP TRIGGER IF EXISTS customers_customer_keys_to_opportunities ON customers_customer",
    """CREATE TRIGGER customers_customer_keys_to_opportunities AFTER UPDATE OF owner_id, team_id ON customers_customer
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.team_id IS DISTINCT FROM NEW.team_id)
    EXECUTE FUNCTION customers_customer_keys_to_opportunities()""",
)
PG_DROP = (
    "DROP TRIGGER IF EXISTS customers_customer_keys_to_opportunities ON customers_customer",
    "DROP FUNCTION IF EXISTS customers_customer_keys_to_opportunities()",
    "DROP TRIGGER IF EXISTS sales_opportunity_customer_keys ON sales_opportunity",
    "DROP FUNCTION IF EXISTS sales_opportunity_customer_keys()",
)
PG_NAMES = ("sales_opportunity_customer_keys", "customers_customer_keys_to_opportunities")

# SQLite cannot change NEW in a BEFORE trigger: the row is corrected right after it is written.
_SQLITE_ROW = """UPDATE sales_opportunity
   SET customer_owner_id = (SELECT owner_id FROM customers_customer WHERE id = NEW.customer_id),
       customer_team_id = (SELECT team_id FROM customers_customer WHERE id = NEW.customer_id)
 WHERE id = NEW.id;"""
SQLITE_FILL = """UPDATE sales_opportunity
   SET customer_owner_id = (SELECT owner_id FROM customers_customer c WHERE c.id = customer_id),
       customer_team_id = (SELECT team_id FROM customers_customer c WHERE c.id = customer_id)"""
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER IF NOT EXISTS sales_opportunity_customer_keys_insert AFTER INSERT ON sales_opportunity
    BEGIN {_SQLITE_ROW} END""",
    f"""CREATE TRIGGER IF NOT EXISTS sales_opportunity_customer_keys_update AFTER UPDATE ON sales_opportunity
    WHEN NEW.customer_owner_id IS NOT (SELECT owner_id FROM customers_customer WHERE id = NEW.customer_id)
      OR NEW.customer_team_id IS NOT (SELECT team_id FROM customers_customer WHERE id = NEW.customer_id)
    BEGIN {_SQLITE_ROW} END""",
    """CREATE TRIGGER IF NOT EXISTS customers_customer_keys_to_opportunities
    AFTER UPDATE OF owner_id, team_id ON customers_customer
    WHEN NEW.owner_id IS NOT OLD.owner_id OR NEW.team_id IS NOT OLD.team_id
    BEGIN
        UPDATE sales_opportunity SET customer_owner_id = NEW.owner_id, customer_team_id = NEW.team_id
         WHERE customer_id = NEW.id;
    END""",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS customers_customer_keys_to_opportunities",
    "DROP TRIGGER IF EXISTS sales_opportunity_customer_keys_update",
    "DROP TRIGGER IF EXISTS sales_opportunity_customer_keys_insert",
)


TRIGGERS = TriggerSet(
    tables=frozenset({"sales_opportunity", "customers_customer"}),
    needs_column=("sales_opportunity", "customer_owner_id"),
    pg_names=PG_NAMES, pg_create=PG_TRIGGERS, pg_drop=PG_DROP,
    sqlite_create=SQLITE_TRIGGERS, sqlite_drop=SQLITE_DROP,
    pg_fill=PG_FILL, sqlite_fill=SQLITE_FILL)
ensure = TRIGGERS.ensure
drop = TRIGGERS.drop
ensure_after_migrate = TRIGGERS.ensure_after_migrate
