"""Columns that sort and prefix-match byte by byte.

Search keys (name key, pinyin, initials), phone numbers and e-mail addresses
are searched by prefix *and* listed in their own order. On PostgreSQL an index
serves both ``LIKE 'zs%'`` and ``ORDER BY`` only when the column's collation
is ``C``: with a linguistic collation (``en_US.UTF-8``, ``zh_CN.UTF-8``) a
prefix search needs a ``varchar_pattern_ops`` index, which cannot give the
order, so every match would be read and sorted. SQLite compares with its
``BINARY`` collation by default, which is the same order; it gets no
``COLLATE`` clause (it has no collation named ``C``).
"""

from __future__ import annotations

from django.db import models


class _ByteOrder:
    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params


class ByteOrderCharField(_ByteOrder, models.CharField):
    """A ``CharField`` with the ``C`` collation on PostgreSQL."""


class ByteOrderEmailField(_ByteOrder, models.EmailField):
    """An ``EmailField`` with the ``C`` collation on PostgreSQL."""
