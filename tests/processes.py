"""For tests that run Kehu in other processes (a worker killed half-way, several
processes sharing one rate limit): the database those processes reach."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def shared_database_url(tmp_path: Path, *apps: str) -> str:
    """A database URL another process can open: the test database itself on PostgreSQL;
    on SQLite (the test database lives in this process's memory) a file under ``tmp_path``,
    migrated (only ``apps`` when given)."""
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "postgresql":
        return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    subprocess.run([sys.executable, "-m", "kehu.cli", "migrate", *apps, "-v0"], check=True, cwd=ROOT,
                   env={**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)})
    return url
