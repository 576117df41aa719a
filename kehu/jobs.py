"""Background jobs and schedules (Huey): one queue for the whole product.

Storage: a SQLite file ``var/huey.sqlite3`` by default (nothing to install,
survives restarts), Redis when ``KEHU_HUEY=redis://host:6379/0`` is set (for
several app servers and workers). ``KEHU_HUEY=immediate`` runs every task at
once in the calling process, with no worker (the test suite does this).

A consumer (``kehu worker``; ``kehu serve`` and ``kehu demo --serve`` start
one beside the web server) runs the queued tasks and the periodic ones.
Apps define their tasks in ``kehu/<app>/tasks.py``; :func:`discover` imports
them so that the consumer knows every task.
"""

from __future__ import annotations

import importlib
import os

from django.conf import settings
from huey import MemoryHuey, RedisHuey, SqliteHuey

TASK_MODULES = ["kehu.insights.tasks"]


def make_huey(url: str | None = None):
    url = (settings.HUEY_URL if url is None else url).strip()
    if url == "immediate":
        return MemoryHuey("kehu", immediate=True)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey("kehu", url=url)
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///"):]
    elif url:
        raise ValueError(f"KEHU_HUEY must be redis://..., sqlite:///PATH or immediate, not {url!r}")
    else:
        path = str(settings.VAR_DIR / "huey.sqlite3")
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    return SqliteHuey("kehu", filename=path)


huey = make_huey()


def discover() -> None:
    """Import every app's tasks so the consumer registers them."""
    for name in TASK_MODULES:
        importlib.import_module(name)
