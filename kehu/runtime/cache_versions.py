"""Versions in the cache that writers bump when their transaction commits, and
aggregates kept in the cache under them (the dashboard's sales figures,
kehu/sales/dashboard_figures.py; the pages' kept aggregates, kehu/insights/figure_cache.py).

A version is written to the cache only when the writer's transaction commits,
once per transaction, never inside it: with the database cache (the default)
the version's row would otherwise stay locked until the commit, and every other
writer would wait for it (an order typed in while an import of 50,000 lines
runs). With ``own_reads``, the writer's transaction reads under a mark of its
own until then (the shared version plus a mark kept on its connection), so it
sees its own writes while nobody else's entries change.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.db import transaction

_MISSING = object()


class CommitVersion:
    """The version under ``key``; ``flag`` names the attribute that marks its commit
    callback (one per transaction)."""

    def __init__(self, key: str, *, flag: str, own_reads: bool = False):
        self.key = key
        self.own_reads = own_reads
        self._mark = f"{flag}_mark"

        def write() -> None:
            try:
                cache.set(key, time.time_ns(), None)
            except Exception:  # the cache is down: the entries still expire after their TTL
                pass

        setattr(write, flag, True)
        self.write = write

    def _pending(self, conn) -> bool:
        return any(entry[1] is self.write for entry in conn.run_on_commit)

    def bump(self, **_kwargs) -> None:
        """At once outside a transaction; inside one, for everyone when it commits (and at
        once for the transaction itself with ``own_reads``)."""
        conn = transaction.get_connection()
        if not conn.in_atomic_block:
            self.write()
            return
        if self.own_reads:
            setattr(conn, self._mark, time.time_ns())
        if not self._pending(conn):
            transaction.on_commit(self.write)

    def current(self) -> str:
        """The version as this connection sees it; raises when the cache is down."""
        version = cache.get(self.key)
        if version is None:
            version = time.time_ns()
            cache.add(self.key, version, None)
            version = cache.get(self.key, version)
        if self.own_reads:
            conn = transaction.get_connection()
            if conn.in_atomic_block and self._pending(conn):   # dropped after a commit or rollback
                mark = getattr(conn, self._mark, None)
                if mark is not None:
                    return f"{version}.{mark}"
        return str(version)


def cached(key: Callable[[], str], compute: Callable[[], Any], ttl: int) -> Any:
    """``compute()``, from the cache under ``key()`` (which reads the versions) for ``ttl``
    seconds; computed when the cache is down."""
    try:
        k = key()
        hit = cache.get(k, _MISSING)
    except Exception:  # the cache is down: compute
        return compute()
    if hit is not _MISSING:
        return hit
    value = compute()
    try:
        cache.set(k, value, ttl)
    except Exception:
        pass
    return value
