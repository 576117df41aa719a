"""A backup whose process is killed (issue 13, item 9): it is shown failed,
"interrupted: the process stopped", on the page, in the API and in
`kehu backup --list`, its half-written archive is removed, and it runs again."""

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
from django.utils import timezone

from kehu.runtime import liveness
from tests.processes import shared_database_url

ROOT = Path(__file__).resolve().parents[2]

WORKER = textwrap.dedent("""
    import os, sys, time
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    import django
    django.setup()
    from kehu.backup import archive, services
    from kehu.backup.models import BackupTrigger
    from tests.factories import CustomerFactory, TeamFactory, UserFactory

    admin = UserFactory(username="admin", role="admin", team=TeamFactory(name="HQ"), is_superuser=True)
    CustomerFactory(owner=admin)
    (archive.settings.VAR_DIR / "media").mkdir(parents=True, exist_ok=True)
    (archive.settings.VAR_DIR / "media" / "a.txt").write_text("a file to back up")
    original = archive._add_file

    def stop_here(tar, path, name, files):
        original(tar, path, name, files)
        print("WRITING", backup.pk, flush=True)
        time.sleep(600)  # killed here, half-way through the archive

    archive._add_file = stop_here
    backup = services.backup_create(actor=None, trigger=BackupTrigger.CLI)
    services.backup_execute(backup)
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
    from kehu.backup.models import Backup
    from kehu.org.models import User
    from kehu.org.services import token_create

    backup_id = int(sys.argv[1])
    before = Backup.objects.get(pk=backup_id)
    part = before.path.with_name(before.path.name + ".part")
    out = {"before": before.status, "pid": before.worker_pid, "part_before": part.exists()}
    admin = User.objects.get(username="admin")
    _token, raw = token_create(user=admin, name="check")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_ACCEPT_LANGUAGE="en")
    item = api.get(f"/api/v1/backups/{backup_id}").json()
    listed = [b for b in api.get("/api/v1/backups").json()["items"] if b["id"] == backup_id][0]
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    page = client.get("/backups/").content.decode()
    backup = Backup.objects.get(pk=backup_id)
    out.update(after=backup.status, error=backup.error, progress=backup.progress, api_status=item["status"],
               api_error=item["error"], api_finished=item["finished"], listed_status=listed["status"],
               page_says_interrupted="进程已停止" in page, page_offers_retry=f'data-testid="retry-{backup_id}"' in page,
               page_stopped_polling="hx-trigger" not in page.split('id="backup-table"')[1].split(">")[0],
               part_after=part.exists(),
               work_left=[p.name for p in backup.path.parent.glob(".kehu-backup-*")])
    retried = client.post(f"/backups/{backup_id}/retry/")
    backup.refresh_from_db()
    out.update(retry_status=retried.status_code, final=backup.status, size=backup.size,
               archive=backup.path.is_file(), error_after=backup.error)
    print(json.dumps(out))
""")


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_backup_killed_half_way_is_shown_interrupted_everywhere_and_runs_again(tmp_path):
    url = shared_database_url(tmp_path)
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT), "KEHU_HOME": str(tmp_path),
           "KEHU_HUEY": "immediate", "KEHU_SECRET_KEY": "k" * 50, "KEHU_BACKUP_DIR": str(tmp_path / "backups")}
    worker = subprocess.Popen([sys.executable, "-c", WORKER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, cwd=ROOT, env=env)
    try:
        line = worker.stdout.readline()
        assert line.startswith("WRITING"), worker.stderr.read()
        backup_id = int(line.split()[1])
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    listing = subprocess.run([sys.executable, "-m", "kehu.cli", "backup", "--list"], capture_output=True, text=True,
                             cwd=ROOT, env={**env, "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}, timeout=300)
    assert listing.returncode == 0, listing.stderr
    row = [r for r in listing.stdout.splitlines() if r.split()[0] == str(backup_id)][0]
    assert liveness.INTERRUPTED in row and "Failed" in row, listing.stdout
    check = subprocess.run([sys.executable, "-c", CHECK, str(backup_id)], capture_output=True, text=True, cwd=ROOT,
                           env=env, timeout=300)
    assert check.returncode == 0, check.stderr
    out = json.loads(check.stdout.strip().splitlines()[-1])
    # `kehu backup --list` reaped it first; what the killed process left behind was "running"
    assert out["before"] == "failed" and out["pid"] == worker.pid
    assert out["after"] == "failed" and out["error"] == liveness.INTERRUPTED and out["progress"] >= 50
    assert out["api_status"] == out["listed_status"] == "failed" and out["api_finished"]
    assert out["api_error"] == "interrupted: the process stopped"
    assert out["page_says_interrupted"] and out["page_offers_retry"] and out["page_stopped_polling"]
    assert not out["part_before"] and not out["part_after"] and out["work_left"] == []
    assert out["retry_status"] == 302 and out["final"] == "succeeded" and out["archive"] and out["size"] > 0
    assert out["error_after"] == ""


@pytest.mark.django_db(transaction=True)
def test_a_running_backup_of_a_dead_process_is_reaped_by_the_list(org, settings, tmp_path):
    """Without a subprocess: a record that says running, of a process id that no longer exists."""
    from kehu.backup import selectors
    from kehu.backup.models import Backup

    settings.KEHU_BACKUP_DIR = tmp_path
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    backup = Backup.objects.create(filename="kehu-backup-dead.tar.gz", status="running", progress=40,
                                   heartbeat_at=timezone.now(), worker_host=liveness.HOST, worker_pid=gone.pid)
    alive = Backup.objects.create(filename="kehu-backup-alive.tar.gz", status="running", progress=10,
                                  heartbeat_at=timezone.now(), worker_host=liveness.HOST, worker_pid=os.getpid())
    (tmp_path / "kehu-backup-dead.tar.gz.part").write_bytes(b"half")
    (tmp_path / ".kehu-backup-kehu-backup-dead.tar.gz-x1").mkdir()
    statuses = {b.pk: b.status for b in selectors.backup_list(viewer=org.users.admin)}
    assert statuses == {backup.pk: "failed", alive.pk: "running"}
    backup.refresh_from_db()
    assert backup.error == liveness.INTERRUPTED and backup.finished_at is not None
    assert list(tmp_path.iterdir()) == []
    # another host: only an old heartbeat tells
    Backup.objects.filter(pk=alive.pk).update(worker_host="elsewhere",
                                              heartbeat_at=timezone.now() - dt.timedelta(hours=1))
    assert selectors.backup_get(viewer=org.users.admin, pk=alive.pk).status == "failed"
