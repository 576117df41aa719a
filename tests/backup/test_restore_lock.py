"""`kehu restore` holds a lock (issue 13, item 12): meanwhile the web app and the
API answer 503 "maintenance: a restore is running" (the API's envelope, a
translated page), and a second restore or a backup is refused; a lock left by
a killed restore is stale."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.test import Client

from kehu.backup import archive
from kehu.backup.models import Backup, BackupStatus
from kehu.backup.services import backup_create, backup_execute, backup_restore
from kehu.runtime import liveness, maintenance
from kehu.runtime.maintenance import RestoreRunning

ROOT = Path(__file__).resolve().parents[2]

HOLDER = textwrap.dedent("""
    import os, sys, time
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    import django
    django.setup()
    from kehu.runtime import maintenance
    with maintenance.restore_lock(archive="elsewhere.tar.gz"):
        print("HOLDING", flush=True)
        time.sleep(600)
""")


@pytest.fixture
def lock(settings, tmp_path):
    settings.KEHU_RESTORE_LOCK = tmp_path / "var" / "restore.lock"
    return settings.KEHU_RESTORE_LOCK


@pytest.fixture
def other_restore(lock):
    """Another process (a real one) holding the restore lock; killed afterwards."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEHU_RESTORE_LOCK": str(lock), "DATABASE_URL": "sqlite:///:memory:"}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=ROOT, env=env)
    line = proc.stdout.readline()
    assert line.startswith("HOLDING"), proc.stderr.read()
    yield proc
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def test_the_server_answers_503_while_a_restore_runs(org, lock, client_for):
    admin = client_for(org.users.admin)
    assert admin.get("/").status_code == 200
    with maintenance.restore_lock(archive="x.tar.gz"):
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        page = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get("/customers/")
        assert page.status_code == 503 and page["Retry-After"] == "60"
        body = page.content.decode()
        assert "维护中：正在还原备份" in body and 'data-testid="maintenance"' in body and "<script" not in body
        assert "Content-Security-Policy" in page  # the strict policy still applies
        english = admin.get("/", HTTP_ACCEPT_LANGUAGE="en")
        assert english.status_code == 503 and "maintenance: a restore is running" in english.content.decode()
        api = Client(HTTP_ACCEPT_LANGUAGE="en").get("/api/v1/customers", HTTP_AUTHORIZATION="Bearer whatever")
        assert api.status_code == 503
        assert api.json() == {"error": {"code": "maintenance", "message": "maintenance: a restore is running"}}
        posted = admin.post("/backups/new/")
        assert posted.status_code == 503 and not Backup.objects.exists()
    assert not lock.exists()
    assert admin.get("/").status_code == 200


def test_a_second_restore_and_a_backup_are_refused(org, var, lock, other_restore, tmp_path):
    assert maintenance.holder()["pid"] == other_restore.pid
    with pytest.raises(RestoreRunning) as refused:
        backup_restore(archive_path=tmp_path / "any.tar.gz")
    assert str(other_restore.pid) in refused.value.message and "A restore is running" in refused.value.message
    with pytest.raises(RestoreRunning):
        backup_create(actor=org.users.admin)
    queued = Backup.objects.create(filename="kehu-backup-queued.tar.gz")
    with pytest.raises(RestoreRunning):
        backup_execute(queued)
    queued.refresh_from_db()
    assert queued.status == BackupStatus.QUEUED  # untouched: nothing written during the restore
    with pytest.raises(RestoreRunning):
        archive.write_archive(tmp_path / "out.tar.gz")
    assert not (tmp_path / "out.tar.gz").exists()
    # the lock stays the other process's
    assert json.loads(lock.read_text())["pid"] == other_restore.pid


def test_the_commands_refuse_clearly_while_a_restore_runs(lock, other_restore, tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KEHU_RESTORE_LOCK": str(lock), "KEHU_HOME": str(tmp_path),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'k.sqlite3'}", "LANG": "en_US.UTF-8", "LC_ALL": "en_US.UTF-8"}
    (tmp_path / "a.tar.gz").write_bytes(b"not read: refused before")
    for args, said in ((["backup", str(tmp_path / "b.tar.gz")], "Backup refused: A restore is running"),
                       (["restore", str(tmp_path / "a.tar.gz")], "Restore refused: A restore is running")):
        done = subprocess.run([sys.executable, "-m", "kehu.cli", *args], capture_output=True, text=True, cwd=ROOT,
                              env=env, timeout=300)
        assert done.returncode == 1 and said in done.stderr and str(other_restore.pid) in done.stderr, done.stderr
        assert "Traceback" not in done.stderr


def test_a_killed_restores_lock_is_stale(org, lock, other_restore, client_for):
    admin = client_for(org.users.admin)
    assert admin.get("/").status_code == 503
    os.kill(other_restore.pid, signal.SIGKILL)
    other_restore.wait(timeout=30)
    assert lock.exists() and maintenance.holder() is None  # left behind, but its process is gone
    assert admin.get("/").status_code == 200
    with maintenance.restore_lock() as mine:  # the next restore takes it over
        assert json.loads(lock.read_text()) == mine
    assert not lock.exists()


def test_a_lock_of_another_host_holds(org, lock):
    lock.parent.mkdir(parents=True, exist_ok=True)
    lock.write_text(json.dumps({"pid": 1, "host": "another-" + liveness.HOST, "started_at": "2026-12-05T04:00:00"}))
    assert maintenance.holder()["host"].startswith("another-")
    with pytest.raises(RestoreRunning):
        with maintenance.restore_lock():
            pass
    assert lock.exists()  # not ours to remove


@pytest.mark.django_db(transaction=True)
def test_a_restore_holds_the_lock_while_it_runs_and_releases_it(org, var, scratch, monkeypatch):
    made = backup_execute(backup_create(actor=org.users.admin))
    assert made.status == BackupStatus.SUCCEEDED, made.error_message()
    seen = {}
    restore_files = archive._restore_files

    def during(*args, **kwargs):
        seen["holder"] = maintenance.holder()
        seen["status"] = Client().get("/api/v1/customers").status_code
        return restore_files(*args, **kwargs)

    monkeypatch.setattr(archive, "_restore_files", during)
    backup_restore(archive_path=made.path, using=scratch())
    assert seen["holder"]["pid"] == os.getpid() and seen["holder"]["archive"] == str(made.path.resolve())
    assert seen["status"] == 503
    assert maintenance.holder() is None and not Path(maintenance.lock_path()).exists()


@pytest.mark.django_db(transaction=True)
def test_a_failed_restore_releases_the_lock(org, var, tmp_path):
    (tmp_path / "broken.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(archive.BackupError):
        backup_restore(archive_path=tmp_path / "broken.tar.gz")
    assert maintenance.holder() is None and not Path(maintenance.lock_path()).exists()
