"""The rate counters shared by the server's processes (kehu/runtime/ratelimit.py)
and the default cache (the database's, made by `kehu migrate`)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from kehu.runtime import ratelimit
from kehu.runtime.models import RateCount
from tests.processes import shared_database_url

ROOT = Path(__file__).resolve().parents[2]
NOW = 1_700_000_000.0  # a fixed instant; the window turns at multiples of 60


def test_the_default_cache_is_the_database_and_migrate_made_its_table(db):
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert "kehu_cache" in connection.introspection.table_names()
    cache.set("kehu:test", {"a": 1}, 30)
    assert cache.get("kehu:test") == {"a": 1}


@pytest.mark.parametrize("value, backend", [
    ("", "db.DatabaseCache"), ("db", "db.DatabaseCache"), ("locmem", "locmem.LocMemCache"),
    ("redis://127.0.0.1:6379/6", "redis.RedisCache")])
def test_kehu_cache_setting(value, backend):
    code = "import kehu.settings as s; print(s.CACHES['default']['BACKEND'])"
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "KEHU_CACHE": value, "PYTHONPATH": str(ROOT)},
                         capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert out.strip() == f"django.core.cache.backends.{backend}"


def test_counts_in_one_window_and_starts_again_in_the_next(db, monkeypatch):
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW)
    monkeypatch.setattr(ratelimit, "_swept", {})
    assert [ratelimit.hit("t:a") for _ in range(3)] == [1, 2, 3]
    assert ratelimit.hit("t:b") == 1
    assert [ratelimit.over_limit("t:c", 2) for _ in range(3)] == [False, False, True]
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW + 60)
    assert ratelimit.hit("t:a") == 1
    # the windows that are over were forgotten when a new one began
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW + 240)
    assert ratelimit.hit("t:z") == 1
    assert list(RateCount.objects.values_list("n", flat=True)) == [1]
    # once per window in a process: another new key in the same window does not sweep again
    RateCount.objects.create(bucket="t:old:60:1", n=1, expires=60)
    assert ratelimit.hit("t:y") == 1
    assert RateCount.objects.filter(bucket="t:old:60:1").exists()
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW + 300)
    assert ratelimit.hit("t:y") == 1
    assert not RateCount.objects.filter(bucket="t:old:60:1").exists()


def test_no_limit_counts_nothing(db):
    assert not ratelimit.over_limit("t:none", 0)
    assert not RateCount.objects.exists()


def test_redis_counts_when_the_cache_is_redis(settings, monkeypatch):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis(host="127.0.0.1", port=6379, db=6, socket_connect_timeout=1).ping()
    except Exception:  # noqa: BLE001
        pytest.skip("no Redis at 127.0.0.1:6379")
    from django.core.cache import caches

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:6379/6"}}
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW)
    name = f"t:redis:{os.getpid()}"
    try:
        assert [ratelimit.hit(name) for _ in range(3)] == [1, 2, 3]
    finally:
        caches["default"].delete(f"kehu:rate:{name}:60:{int(NOW // 60)}")


WORKER = textwrap.dedent("""
    import os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    import django
    django.setup()
    from kehu.runtime import ratelimit
    ratelimit.clock = lambda: %r
    print(" ".join(str(ratelimit.hit("t:shared")) for _ in range(int(sys.argv[1]))))
""") % NOW


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_count_and_lose_none(tmp_path):
    """Two server processes counting the same key at once: every count from 1
    to the total is seen exactly once (none lost, none twice)."""
    url = shared_database_url(tmp_path, "runtime")
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "KEHU_CACHE": ""}
    per_process = 150
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(per_process)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env) for _ in range(2)]
    seen = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        seen.extend(int(n) for n in out.split())
    assert sorted(seen) == list(range(1, 2 * per_process + 1))


def test_take_counts_from_the_first_count_for_its_length(db, monkeypatch):
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW)
    assert ratelimit.take("t:take", 3, seconds=3600) == (3, NOW + 3600)
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW + 3599)
    assert ratelimit.take("t:take", 2, seconds=3600) == (5, NOW + 3600)  # the window began with the first
    assert ratelimit.window_ends("t:take") == NOW + 3600
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW + 3600)
    assert ratelimit.window_ends("t:take") is None
    assert ratelimit.take("t:take", 1, seconds=3600) == (1, NOW + 7200)  # over: a new one from now
    assert ratelimit.window_ends("t:none") is None


TAKER = textwrap.dedent("""
    import os, sys, types
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    import django
    django.setup()
    from django.conf import settings
    settings.KEHU_DUPLICATE_NOTICES_PER_HOUR = int(sys.argv[2])
    from kehu.customers.duplicates import take_notices
    from kehu.runtime import ratelimit
    user = types.SimpleNamespace(pk=424242)
    print(" ".join(str(take_notices(user, 1)) + ":" + str(ratelimit.take("t:seen", 1)[0])
                   for _ in range(int(sys.argv[1]))))
""")


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_the_duplicate_notice_allowance(tmp_path):
    """issue 13, item 1: two server processes taking one user's duplicate
    notices at once grant the allowance exactly once between them."""
    url = shared_database_url(tmp_path, "runtime")
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "KEHU_CACHE": ""}
    per_process, limit = 150, 100
    procs = [subprocess.Popen([sys.executable, "-c", TAKER, str(per_process), str(limit)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env) for _ in range(2)]
    granted, seen = 0, []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        for pair in out.split():
            got, n = pair.split(":")
            granted += int(got)
            seen.append(int(n))
    assert sorted(seen) == list(range(1, 2 * per_process + 1))  # the counter lost nothing
    assert granted == limit  # the allowance was given exactly once, not once per process


@pytest.mark.django_db(transaction=True)
def test_a_count_outside_a_transaction_leaves_the_connection_as_it_was(monkeypatch):
    """On PostgreSQL the count commits without waiting for the disk
    (synchronous_commit off for its own transaction only)."""
    monkeypatch.setattr(ratelimit, "clock", lambda: NOW)
    assert not connection.in_atomic_block
    assert [ratelimit.hit("t:async") for _ in range(2)] == [1, 2]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"
