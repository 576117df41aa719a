"""``field__any=[…]``: ``field IN (…)`` for long lists, as one array parameter on PostgreSQL.

Django writes ``pk__in=ids`` as ``IN (%s, %s, …)`` with one parameter per value;
for a batch of thousands of ids most of the query's time goes to building,
quoting and parsing that text, on both sides (a batch of 2,000 ids: about
100 ms on a loaded machine, against a few for the index scan). ``__any``
sends the values (a set: Django copies a list value by value before
the lookup sees it) as one array (``= ANY(%s::bigint[])``, the array typed as the
column so the index is used) on PostgreSQL and is ``IN`` elsewhere. Importing
this module registers it on every field (foreign keys too).
"""

from __future__ import annotations

from django.db.models import Field, ForeignObject, Lookup
from django.db.models.lookups import In


def array_literal(texts) -> str:
    """PostgreSQL's text form of an array of texts: each element in double quotes, with its
    backslashes and double quotes escaped (so an empty text, a comma, a brace or ``NULL`` stay texts)."""
    return "{" + ",".join('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in texts) + "}"


@Field.register_lookup
class AnyOf(Lookup):
    lookup_name = "any"

    def get_prep_lookup(self):
        values = list(self.rhs)
        if all(type(v) is int for v in values):   # ids: nothing to prepare
            return values
        field = self.lhs.output_field
        return [field.get_prep_value(v) for v in values]

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        field = self.lhs.output_field
        values = self.rhs
        if all(type(v) is int for v in values):   # ids: the array's text, cheaper than adapting each
            values = "{" + ",".join(map(str, values)) + "}"
        else:
            values = [field.get_db_prep_value(v, connection, prepared=True) for v in values]
            if all(type(v) is str for v in values):   # texts too: one literal, not a quoted value each
                values = array_literal(values)
        return f"{lhs} = ANY(%s::{field.cast_db_type(connection)}[])", [*lhs_params, values]


ForeignObject.register_lookup(AnyOf)   # related fields keep lookups of their own
