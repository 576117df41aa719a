"""Background jobs for real: a `kehu worker` process executes an analysis
queued by another process (as the web page does), through Huey's SQLite
store in var/, on a SQLite database file. Also `kehu demo` analyses once."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time

import pytest

from kehu import jobs
from kehu.cli import main
from kehu.insights.models import AnalysisRun, CustomerScore, RunStatus

ENQUEUE = """
import datetime as dt
from django.db import transaction
from kehu.cli import setup_django
setup_django()
from kehu.insights.services import run_start
with transaction.atomic():
    run = run_start(actor=None, as_of=dt.date(1998, 6, 30), trigger="web")
print(run.pk)
"""


def kehu(env, *args, timeout=120):
    return subprocess.run([sys.executable, "-m", "kehu.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=True)


@pytest.mark.slow
def test_a_run_started_elsewhere_is_executed_by_the_worker(tmp_path, cdnow_csv):
    env = {k: v for k, v in os.environ.items() if k not in ("KEHU_HUEY", "DJANGO_SETTINGS_MODULE")}
    db = tmp_path / "kehu.sqlite3"
    env.update(KEHU_HOME=str(tmp_path), DATABASE_URL=f"sqlite:///{db}", KEHU_LANGUAGE="en",
               KEHU_SECRET_KEY="test-secret")
    kehu(env, "migrate", "-v0")
    kehu(env, "createuser", "boss", "--role", "admin", "--password", "kehu-pass-123")
    kehu(env, "import", "orders", str(cdnow_csv), "-q")
    worker = subprocess.Popen([sys.executable, "-m", "kehu.cli", "worker"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out = subprocess.run([sys.executable, "-c", ENQUEUE], env=env, capture_output=True, text=True,
                             timeout=60, check=True)
        run_id = int(out.stdout.strip().splitlines()[-1])
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline:
            with sqlite3.connect(db) as con:
                status, progress = con.execute(
                    "SELECT status, progress FROM insights_analysisrun WHERE id = ?", (run_id,)).fetchone()
            if status in ("succeeded", "failed"):
                break
            time.sleep(0.5)
        assert status == "succeeded", (status, worker.poll())
        with sqlite3.connect(db) as con:
            n = con.execute("SELECT COUNT(*) FROM insights_customerscore WHERE run_id = ?", (run_id,)).fetchone()[0]
        assert n == 2357 and progress == 100
        assert (tmp_path / "var" / "huey.sqlite3").exists()
    finally:
        jobs.stop_worker_process(worker)
    assert worker.returncode is not None


def test_serve_starts_a_worker_unless_told_not_to(monkeypatch):
    assert jobs.huey.immediate and not jobs.serve_with_worker()  # tests run jobs at once
    monkeypatch.setattr(jobs.huey, "immediate", False)
    assert jobs.serve_with_worker()
    monkeypatch.setenv("KEHU_SERVE_WORKER", "0")
    assert not jobs.serve_with_worker()


def test_huey_storage_follows_kehu_huey(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    assert type(jobs.make_huey("")).__name__ == "SqliteHuey"
    assert (tmp_path / "huey.sqlite3").exists()
    assert type(jobs.make_huey("redis://127.0.0.1:6379/0")).__name__ == "RedisHuey"
    assert jobs.make_huey("immediate").immediate
    with pytest.raises(ValueError):
        jobs.make_huey("amqp://nowhere")


@pytest.mark.django_db
def test_demo_runs_one_analysis(capsys):
    assert main(["demo", "--customers", "60", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "Analysing customer value" in out
    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.SUCCEEDED and CustomerScore.objects.filter(run=run).count() == run.customers > 0
    assert main(["demo", "--customers", "60", "--seed", "3"]) == 0  # reused: no second analysis
    assert AnalysisRun.objects.count() == 1
