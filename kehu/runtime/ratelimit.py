"""Request counters shared by every server process.

``kehu serve`` runs several processes; a counter kept in each process's memory
let the answer page take four times its limit. :func:`hit` counts in Redis when
the cache is Redis (``KEHU_CACHE=redis://…``; ``INCR`` is atomic), otherwise in
the database table :class:`~kehu.runtime.models.RateCount` with one atomic
upsert — the database cache's own ``incr`` reads and writes back, and loses
counts between processes.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

from kehu.runtime.models import RateCount

# The clock, a module attribute so that tests can hold it still (a window
# turning between two requests of a test must not reset its count).
clock = time.time


def window_of(now: float, seconds: int) -> int:
    return int(now // seconds)


def _uses_redis() -> bool:
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()


def hit(name: str, *, seconds: int = 60) -> int:
    """Count one request for ``name`` in the current window of ``seconds``;
    return the count so far in this window, this request included."""
    now = clock()
    window = window_of(now, seconds)
    bucket = f"{name}:{seconds}:{window}"[:200]
    expires = (window + 1) * seconds
    if _uses_redis():
        from django.core.cache import cache

        key = f"kehu:rate:{bucket}"
        if cache.add(key, 1, timeout=seconds + 10):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=seconds + 10)
            return 1
    table = connection.ops.quote_name(RateCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, n, expires) VALUES (%s, 1, %s) "
            f"ON CONFLICT (bucket) DO UPDATE SET n = {table}.n + 1 RETURNING n",
            [bucket, expires],
        )
        count = int(cursor.fetchone()[0])
        if count == 1:
            # A new window began for this key: forget the windows that are over.
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [int(now) - seconds])
    return count


def over_limit(name: str, limit: int, *, seconds: int = 60) -> bool:
    """True when ``name`` has had more than ``limit`` requests in this window
    (``limit`` 0 or less: no limit, nothing counted)."""
    if limit <= 0:
        return False
    return hit(name, seconds=seconds) > limit
