"""The backups page, the API, the schedule with retention and the commands."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import tarfile

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.backup import tasks
from kehu.backup.models import Backup, BackupStatus, BackupTrigger
from kehu.backup.services import backup_create, backup_execute, backup_prune
from tests.api.conftest import api_as  # noqa: F401  (fixture)

# The backup reads what is committed (pg_dump, SQLite's backup API): no test transaction around it.
pytestmark = pytest.mark.django_db(transaction=True)


def archive_names(content: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(content), mode="r:gz") as tar:
        return tar.getnames()


def test_back_up_now_from_the_page_then_download_and_delete(client_for, org, customers, var):
    client = client_for(org.users.admin)
    page = client.get(reverse("backup_list"))
    assert page.status_code == 200 and b'data-testid="no-backups"' in page.content
    assert reverse("backup_list").encode() in page.content  # the navigation link

    response = client.post(reverse("backup_create"))
    assert response.status_code == 302
    backup = Backup.objects.get()
    assert backup.status == BackupStatus.SUCCEEDED, backup.error_message()
    assert backup.trigger == BackupTrigger.WEB and backup.requested_by == org.users.admin
    assert backup.size == backup.path.stat().st_size and backup.summary["rows"] > 0

    html = client.get(reverse("backup_list")).content.decode()
    assert backup.filename in html and 'data-status="succeeded"' in html
    download = client.get(reverse("backup_download", args=[backup.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/gzip"
    names = archive_names(b"".join(download.streaming_content))
    assert names[-1] == "manifest.json" and "var/media/attachments/合同.pdf" in names

    assert client.get(reverse("backup_delete", args=[backup.pk])).status_code == 200  # the confirmation
    assert client.post(reverse("backup_delete", args=[backup.pk])).status_code == 302
    assert not Backup.objects.exists() and not backup.path.exists()


def test_a_running_backup_is_followed_and_cannot_be_deleted(client_for, org, var):
    backup = backup_create(actor=org.users.admin)
    client = client_for(org.users.admin)
    table = client.get(reverse("backup_table")).content.decode()
    assert 'hx-trigger="every 2s"' in table and 'data-status="queued"' in table
    client.post(reverse("backup_delete", args=[backup.pk]))
    assert Backup.objects.filter(pk=backup.pk).exists()
    backup_execute(backup)
    assert 'hx-trigger' not in client.get(reverse("backup_table")).content.decode()


def test_the_page_in_chinese(client_for, org, var, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client = client_for(org.users.admin)
    org.users.admin.language = "zh-hans"
    org.users.admin.save()
    backup_execute(backup_create(actor=org.users.admin))
    html = client.get(reverse("backup_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "立即备份" in html and "备份" in html and "已完成" in html


def test_a_failed_backup_shows_why_without_a_stack_trace(client_for, org, var, monkeypatch):
    from kehu.backup import archive

    def broken(*args, **kwargs):
        raise archive.BackupError(archive.E_TOOL_MISSING, tool="pg_dump", major=15)

    monkeypatch.setattr(archive, "write_archive", broken)
    backup = backup_execute(backup_create(actor=org.users.admin))
    assert backup.status == BackupStatus.FAILED
    html = client_for(org.users.admin).get(reverse("backup_list")).content.decode()
    assert "pg_dump was not found" in html and "Traceback" not in html


def test_the_api_makes_lists_and_downloads_backups(org, customers, var, api_as):
    api = api_as(org.users.admin)
    r = api.post("/backups", {})
    assert r.status_code == 202, r.content
    made = r.json()
    assert made["trigger"] == "api"  # the worker runs at once in the tests
    detail = api.get(f"/backups/{made['id']}").json()
    assert detail["finished"] and detail["status"] == "succeeded" and detail["summary"]["tables"] > 10
    listed = api.get("/backups").json()["items"]
    assert [b["id"] for b in listed] == [made["id"]]
    download = api.get(f"/backups/{made['id']}/download")
    assert download.status_code == 200
    assert "manifest.json" in archive_names(b"".join(download.streaming_content))
    assert api.delete(f"/backups/{made['id']}").status_code == 204
    assert api.get(f"/backups/{made['id']}").status_code == 404


def test_schedule_starts_one_backup_in_its_minute_and_keeps_the_latest(org, var, settings):
    settings.KEHU_BACKUP_SCHEDULE = "30 2 * * *"
    settings.KEHU_BACKUP_KEEP = 2
    local = timezone.get_current_timezone()
    at = dt.datetime(2026, 3, 1, 2, 30, 5, tzinfo=local)
    assert tasks.scheduled_run(at - dt.timedelta(minutes=1)) is None
    made = []
    for day in range(3):
        when = at + dt.timedelta(days=day)
        backup = tasks.scheduled_run(when)
        assert backup is not None and backup.status == BackupStatus.SUCCEEDED
        Backup.objects.filter(pk=backup.pk).update(created_at=when)
        made.append(backup)
        assert tasks.scheduled_run(when + dt.timedelta(seconds=20)) is None or day < 2  # once per minute
    backup_prune(keep=2)
    kept = list(Backup.objects.order_by("created_at"))
    assert [b.pk for b in kept] == [made[1].pk, made[2].pk]
    assert not made[0].path.exists() and made[2].path.exists()
    settings.KEHU_BACKUP_SCHEDULE = "off"
    assert tasks.scheduled_run(at) is None


def test_a_bad_schedule_is_reported_by_the_checks(settings):
    from kehu.backup.schedule import check_schedule

    settings.KEHU_BACKUP_SCHEDULE = "every night"
    assert [e.id for e in check_schedule()] == ["kehu.backup.E001"]
    settings.KEHU_BACKUP_SCHEDULE = "0 3 * * 1-5"
    assert check_schedule() == []


def test_the_commands(org, customers, var, capsys, tmp_path):
    from kehu.cli import main

    assert main(["backup"]) == 0
    out = capsys.readouterr().out
    backup = Backup.objects.get()
    assert backup.trigger == BackupTrigger.CLI and str(backup.path) in out
    assert "--with-secret-key" in out

    target = tmp_path / "out.tar.gz"
    assert main(["backup", str(target), "--with-secret-key"]) == 0
    assert "var/secret_key" in archive_names(target.read_bytes())

    assert main(["restore", str(target)]) == 1
    err = capsys.readouterr().err
    assert "--force" in err and "Traceback" not in err
    assert main(["restore", str(target), "--force"]) == 0
    assert "Restored" in capsys.readouterr().out

    broken = tmp_path / "broken.tar.gz"
    broken.write_bytes(gzip.compress(b"not a tar"))
    assert main(["restore", str(broken), "--force"]) == 1
    assert "cannot be read" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "missing.tar.gz")]) == 2
