"""Request counters shared by every server process.

``kehu serve`` runs several processes; a counter kept in each process's memory
let the answer page take four times its limit. :func:`hit` counts in Redis when
the cache is Redis (``KEHU_CACHE=redis://…``; ``INCR`` is atomic), otherwise in
the database table :class:`~kehu.runtime.models.RateCount` with one atomic
upsert — the database cache's own ``incr`` reads and writes back, and loses
counts between processes.

Two kinds of window: :func:`hit` counts in fixed windows (``60`` seconds:
12:00:00–12:00:59, …), for request rates; :func:`take` counts ``amount`` at a
time in a window that begins with the key's first count and lasts ``seconds``
(the duplicate notices' hour, "counted from the first one"), and says when it
ends.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection

from kehu.runtime.models import RateCount

# The clock, a module attribute so that tests can hold it still (a window
# turning between two requests of a test must not reset its count).
clock = time.time


# The last window whose finished rows this process deleted, per window length.
_swept: dict[int, int] = {}


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
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # Its own transaction: committed without waiting for the WAL flush
        # (synchronous_commit off for this statement's transaction only). A
        # crash may forget the last counts of a minute — harmless for a rate
        # limit — and the answer page saves a disk flush per request.
        source = ("SELECT %s::varchar, 1, %s::bigint "
                  "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async")
    else:
        source = "VALUES (%s, 1, %s)"
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (bucket, n, expires) {source} "
            f"ON CONFLICT (bucket) DO UPDATE SET n = {table}.n + 1 RETURNING n",
            [bucket, expires],
        )
        count = int(cursor.fetchone()[0])
        if count == 1 and _swept.get(seconds) != window:
            # A new window began: forget the windows that are over — once per
            # window in each process, not at every new key (every token's first
            # request on the answer page: one DELETE each, all of them racing
            # for the same rows).
            _swept[seconds] = window
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [int(now) - seconds])
    return count


def take(name: str, amount: int = 1, *, seconds: int = 3600) -> tuple[int, float]:
    """Add ``amount`` to ``name``'s count in its current window — one that
    began with the first count after the previous window ended and lasts
    ``seconds`` — in one atomic statement; return the count so far (this
    ``amount`` included) and when the window ends (Unix time)."""
    now = clock()
    ends = now + seconds
    if _uses_redis():
        from django.core.cache import cache

        key, ends_key = f"kehu:take:{name}"[:240], f"kehu:take:{name}:ends"[:240]
        # SET NX of both (the window's first count), then INCRBY: atomic in Redis.
        if cache.add(key, 0, timeout=seconds):
            cache.set(ends_key, ends, timeout=seconds)
        try:
            count = int(cache.incr(key, amount))
        except ValueError:  # expired between add and incr
            cache.add(key, 0, timeout=seconds)
            cache.set(ends_key, ends, timeout=seconds)
            count = int(cache.incr(key, amount))
        return count, float(cache.get(ends_key) or ends)
    bucket = f"take:{name}"[:200]
    table = connection.ops.quote_name(RateCount._meta.db_table)
    with connection.cursor() as cursor:
        # A window that is over starts again at this count, ending ``seconds`` from now.
        cursor.execute(
            f"INSERT INTO {table} (bucket, n, expires) VALUES (%s, %s, %s) "
            f"ON CONFLICT (bucket) DO UPDATE SET "
            f"n = CASE WHEN {table}.expires <= %s THEN excluded.n ELSE {table}.n + excluded.n END, "
            f"expires = CASE WHEN {table}.expires <= %s THEN excluded.expires ELSE {table}.expires END "
            f"RETURNING n, expires",
            [bucket, amount, int(ends), int(now), int(now)],
        )
        count, window_ends = cursor.fetchone()
        if count == amount:
            # A new window began for this key: forget the windows that are over.
            cursor.execute(f"DELETE FROM {table} WHERE expires < %s", [int(now)])
    return int(count), float(window_ends)


def window_ends(name: str) -> float | None:
    """When ``name``'s current :func:`take` window ends (Unix time); None when it has none."""
    now = clock()
    if _uses_redis():
        from django.core.cache import cache

        ends = cache.get(f"kehu:take:{name}:ends"[:240])
        return float(ends) if ends and float(ends) > now else None
    ends = (RateCount.objects.filter(bucket=f"take:{name}"[:200], expires__gt=int(now))
            .values_list("expires", flat=True).first())
    return float(ends) if ends is not None else None


def over_limit(name: str, limit: int, *, seconds: int = 60) -> bool:
    """True when ``name`` has had more than ``limit`` requests in this window
    (``limit`` 0 or less: no limit, nothing counted)."""
    if limit <= 0:
        return False
    return hit(name, seconds=seconds) > limit
