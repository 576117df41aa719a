"""Interrupted work (issue 13, item 9): a job whose process dies is recognised
as dead, shown failed with the reason, and can be started again cleanly."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from kehu.runtime import liveness
from tests.processes import shared_database_url

ROOT = Path(__file__).resolve().parents[2]


def test_a_job_is_dead_when_its_process_is_gone_or_its_heartbeat_is_old(settings):
    settings.KEHU_JOB_STALE_SECONDS = 300
    now = timezone.now()
    fresh = now - dt.timedelta(seconds=5)
    assert not liveness.is_dead(heartbeat_at=fresh, host=liveness.HOST, pid=os.getpid(), now=now)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert liveness.is_dead(heartbeat_at=fresh, host=liveness.HOST, pid=gone.pid, now=now)
    # another host: only the heartbeat can tell
    assert not liveness.is_dead(heartbeat_at=fresh, host="elsewhere", pid=gone.pid, now=now)
    assert liveness.is_dead(heartbeat_at=now - dt.timedelta(seconds=301), host="elsewhere", pid=1, now=now)
    # a record from before heartbeats: its last update stands in
    assert liveness.is_dead(heartbeat_at=None, host="", pid=None, since=now - dt.timedelta(hours=1), now=now)
    assert not liveness.is_dead(heartbeat_at=None, host="", pid=None, since=fresh, now=now)


def test_a_zombie_process_counts_as_gone():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    for _ in range(200):  # exited, not yet collected
        if open(f"/proc/{child.pid}/stat").read().split(") ")[-1][0] == "Z":
            break
        import time

        time.sleep(0.05)
    assert not liveness.process_alive(child.pid)
    child.wait()


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_thread_beats_while_the_job_runs(org):
    from kehu.insights.models import AnalysisRun

    run = AnalysisRun.objects.create(as_of=dt.date(2026, 1, 1), status="running")
    AnalysisRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory test database is not shared with a second connection")
    import time

    with liveness.Heartbeat(AnalysisRun, run.pk, seconds=0.05):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.heartbeat_at > timezone.now() - dt.timedelta(minutes=1):
                break
            time.sleep(0.05)
    assert run.heartbeat_at > timezone.now() - dt.timedelta(minutes=1)


WORKER = textwrap.dedent("""
    import os, sys, time
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    import django
    django.setup()
    from kehu.insights import services
    from tests.factories import UserFactory, TeamFactory
    from tests.insights.factories import order_history

    admin = UserFactory(username="admin", role="admin", team=TeamFactory(name="HQ"), is_superuser=True)
    order_history(admin, customers=40)

    def stop_here(*args, **kwargs):
        print("STORING", run.pk, flush=True)
        time.sleep(600)  # killed here, at 85 %

    services.write_scores = stop_here
    run = services.run_create(actor=None, as_of=__import__("datetime").date(2025, 1, 1))
    services.run_execute(run)
""")

CHECK = textwrap.dedent("""
    import json, os, sys
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    import django
    django.setup()
    from django.conf import settings
    settings.ALLOWED_HOSTS = ["*"]
    from django.test import Client
    from kehu import jobs
    jobs.huey.immediate = True
    from kehu.insights.models import AnalysisRun
    from kehu.org.models import User

    run_id = int(sys.argv[1])
    out = {"before": AnalysisRun.objects.get(pk=run_id).status}
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(User.objects.get(username="admin"))
    page = client.get(f"/value/runs/{run_id}/").content.decode()
    run = AnalysisRun.objects.get(pk=run_id)
    out.update(after=run.status, error=run.error, progress=run.progress,
               page_says_interrupted="进程已停止" in page, page_offers_retry='data-testid="run-retry"' in page,
               notice_gone='data-testid="active-run"' not in client.get("/value/").content.decode())
    retried = client.post(f"/value/runs/{run_id}/retry/")
    run.refresh_from_db()
    out.update(retry_status=retried.status_code, final=run.status, customers=run.customers)
    print(json.dumps(out))
""")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_analysis_killed_at_85_percent_is_shown_failed_and_a_retry_succeeds(tmp_path):
    url = shared_database_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "KEHU_HOME": str(tmp_path),
           "KEHU_HUEY": "immediate", "KEHU_SECRET_KEY": "k" * 50}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, env=env)
    try:
        line = worker.stdout.readline()
        assert line.startswith("STORING"), worker.stderr.read()
        run_id = int(line.split()[1])
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    check = subprocess.run([sys.executable, "-c", CHECK, str(run_id)], capture_output=True, text=True, cwd=ROOT,
                           env=env, timeout=300)
    assert check.returncode == 0, check.stderr
    out = json.loads(check.stdout.strip().splitlines()[-1])
    assert out["before"] == "running"  # what the killed process left behind
    assert out["after"] == "failed" and out["error"] == liveness.INTERRUPTED and out["progress"] == 85
    assert out["page_says_interrupted"] and out["page_offers_retry"] and out["notice_gone"]
    assert out["retry_status"] == 302 and out["final"] == "succeeded" and out["customers"] > 0
