"""Triggers that keep copies of a customer's keys in other tables, installed the same way
on PostgreSQL and SQLite (kehu/sales/customer_keys.py, kehu/sales/scope_keys.py).

:class:`TriggerSet` holds one feature's SQL: the PostgreSQL functions and triggers, the
SQLite triggers, their drops and, optionally, the statement that fills the copies. Its
:meth:`~TriggerSet.ensure` is idempotent and also runs after every ``migrate``
(:meth:`~TriggerSet.ensure_after_migrate`, connected to post_migrate), because Django
rebuilds a SQLite table to alter it and a rebuilt table loses its triggers. On PostgreSQL
the functions are always replaced (their text may have changed) and the triggers are
created when one of them is missing.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TriggerSet:
    tables: frozenset[str]
    pg_names: tuple[str, ...]
    pg_create: tuple[str, ...]
    pg_drop: tuple[str, ...]
    sqlite_create: tuple[str, ...]
    sqlite_drop: tuple[str, ...]
    # (table, column) that must exist before the triggers can be made (a later migration adds it)
    needs_column: tuple[str, str] | None = None
    # fill the copies: on PostgreSQL when asked (``backfill``) or when a trigger was missing,
    # on SQLite every time (a rebuilt table may have lost updates)
    pg_fill: str | None = None
    sqlite_fill: str | None = None

    def ready(self, connection) -> bool:
        if not self.tables <= set(connection.introspection.table_names()):
            return False
        if self.needs_column is None:
            return True
        table, column = self.needs_column
        with connection.cursor() as cursor:
            columns = {c.name for c in connection.introspection.get_table_description(cursor, table)}
        return column in columns

    def ensure(self, connection, *, backfill: bool = False) -> None:
        """Create the triggers where they are missing, and fill the copies (see the class)."""
        if not self.ready(connection):
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal AND tgname = ANY(%s)",
                               [list(self.pg_names)])
                missing = cursor.fetchone()[0] < len(self.pg_names)
                if self.pg_fill and (backfill or missing):
                    cursor.execute(self.pg_fill)
                for sql in self.pg_create:
                    if sql.lstrip().startswith("CREATE OR REPLACE FUNCTION") or missing:
                        cursor.execute(sql)
            elif connection.vendor == "sqlite":
                if self.sqlite_fill:
                    cursor.execute(self.sqlite_fill)
                for sql in self.sqlite_create:
                    cursor.execute(sql)
            else:
                raise RuntimeError(f"Kehu runs on PostgreSQL or SQLite, not {connection.vendor}")

    def drop(self, connection) -> None:
        with connection.cursor() as cursor:
            for sql in self.pg_drop if connection.vendor == "postgresql" else self.sqlite_drop:
                cursor.execute(sql)

    def ensure_after_migrate(self, sender, using="default", **kwargs) -> None:
        from django.db import connections

        self.ensure(connections[using])
