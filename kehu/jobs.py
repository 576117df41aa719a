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

TASK_MODULES = ["kehu.insights.tasks", "kehu.surveys.tasks", "kehu.privacy.tasks", "kehu.backup.tasks",
                "kehu.service.tasks", "kehu.engagement.tasks", "kehu.sales.tasks",
                "kehu.marketing.coupons.tasks",
                "kehu.marketing.membership.tasks",
                "kehu.marketing.outreach.tasks",
                "kehu.marketing.care.tasks",
                "kehu.marketing.referrals.tasks",
                "kehu.marketing.campaigns.tasks", "kehu.partners.tasks"]

# An idle consumer polls the queue at most this many seconds apart (Huey's default, 10 s, would
# delay the rescoring queued after an order by up to ten seconds; issue 17 wants it within one).
# Redis queues block instead of polling.
WORKER_MAX_DELAY = 0.5


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


def serve_with_worker() -> bool:
    """Should ``kehu serve`` start a worker beside the web server?

    Yes, unless ``KEHU_SERVE_WORKER=0`` (workers run elsewhere, e.g. on Redis)
    or jobs run at once (``KEHU_HUEY=immediate``).
    """
    if os.environ.get("KEHU_SERVE_WORKER", "1").strip().lower() in ("0", "no", "false", "off"):
        return False
    return not getattr(huey, "immediate", False)


def start_worker_process():
    """Start ``kehu worker`` as a child process (same environment); returns the Popen."""
    import subprocess
    import sys

    return subprocess.Popen([sys.executable, "-m", "kehu.cli", "worker"])


def stop_worker_process(process, timeout: float = 15.0) -> None:
    """Stop the worker gracefully (SIGINT lets the running job finish), else kill it."""
    import signal
    import subprocess

    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
