"""Back up a database full of records, restore it into a fresh database, and
compare every table's rows (every model, ordered by primary key), on
SQLite and on PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connections

from kehu.backup import archive
from kehu.backup.archive import BackupError, restore_archive, write_archive
from kehu.backup.services import backup_restore

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


def table_rows(alias: str) -> dict[str, list]:
    out = {}
    for model in apps.get_models(include_auto_created=True):
        if not model._meta.managed or model._meta.proxy:
            continue
        out[model._meta.db_table] = list(model._base_manager.using(alias).order_by("pk").values_list())
    return out


# The backup app's migrations as the code has them (the manifest lists what was applied).
BACKUP_MIGRATIONS = sorted(p.stem for p in (Path(__file__).resolve().parents[2] / "kehu" / "backup" / "migrations")
                           .glob("0*.py"))


def test_round_trip_restores_every_row_and_the_files(filled, var, scratch, tmp_path, settings):
    path = tmp_path / "full.tar.gz"
    manifest = write_archive(path)

    assert manifest["database"]["vendor"] == connections["default"].vendor
    assert manifest["migrations"]["backup"] == BACKUP_MIGRATIONS
    assert manifest["row_counts"]["customers_customer"] == 3 + 25
    assert manifest["row_counts"]["insights_customerscore"] > 0
    assert "var/media/attachments/合同.pdf" in manifest["files"]
    assert "var/settings.json" in manifest["files"]
    # the secret key only on request; caches never
    assert "var/secret_key" not in manifest["files"] and not manifest["includes_secret_key"]
    assert not any(name.startswith("var/cache") for name in manifest["files"])

    target = scratch()
    settings.VAR_DIR = tmp_path / "restored-var"
    settings.MEDIA_ROOT = settings.VAR_DIR / "media"
    result = restore_archive(path, using=target)

    assert result["migrated"] == []
    before, after = table_rows("default"), table_rows(target)
    assert sorted(before) == sorted(after)
    for table in before:
        assert after[table] == before[table], table
    assert sum(len(rows) for rows in after.values()) > 500
    assert (settings.MEDIA_ROOT / "attachments" / "合同.pdf").read_bytes() == b"%PDF-1.4 contract\x00\xff"
    assert not (settings.VAR_DIR / "secret_key").exists()


def test_an_archive_written_under_var_does_not_contain_itself(org, var):
    manifest = write_archive(var / "exports" / "backup.tar.gz")
    assert not any(name.startswith("var/exports/") for name in manifest["files"])


def test_secret_key_is_included_on_request(org, var, scratch, tmp_path, settings):
    path = tmp_path / "with-key.tar.gz"
    assert write_archive(path, include_secret_key=True)["includes_secret_key"]
    settings.VAR_DIR = tmp_path / "elsewhere"
    restore_archive(path, using=scratch())
    assert (settings.VAR_DIR / "secret_key").read_text() == "not-in-a-backup-by-default"


def test_an_older_schema_is_migrated_after_restoring(org, customers, var, scratch, tmp_path):
    # An archive of a database one migration behind the code: backup.0001 not applied.
    old = scratch()
    restore_archive(write_archive(tmp_path / "now.tar.gz") and tmp_path / "now.tar.gz", using=old)
    call_command("migrate", "backup", "zero", database=old, verbosity=0)
    older = tmp_path / "older.tar.gz"
    manifest = write_archive(older, using=old)
    assert "backup" not in manifest["migrations"]

    target = scratch()
    result = restore_archive(older, using=target)

    assert result["migrated"] == [f"backup.{name}" for name in BACKUP_MIGRATIONS]
    assert "backup_backup" in connections[target].introspection.table_names()
    assert table_rows(target)["customers_customer"] == table_rows("default")["customers_customer"]


def test_a_newer_schema_is_refused(org, var, scratch, tmp_path):
    from tests.backup.conftest import rewrite_archive

    path = write_archive(tmp_path / "a.tar.gz") and tmp_path / "a.tar.gz"
    future = rewrite_archive(path, tmp_path / "future.tar.gz",
                             manifest=lambda m: m["migrations"]["customers"].append("0999_from_the_future"))
    target = scratch()
    with pytest.raises(BackupError) as err:
        restore_archive(future, using=target)
    assert err.value.msgid == archive.E_NEWER_SCHEMA
    assert "customers.0999_from_the_future" in err.value.message
    assert connections[target].introspection.table_names() == []  # nothing restored


def test_a_database_with_data_is_not_overwritten_without_force(org, customers, var, scratch, tmp_path):
    path = write_archive(tmp_path / "a.tar.gz") and tmp_path / "a.tar.gz"
    target = scratch()
    restore_archive(path, using=target)
    with connections[target].cursor() as cur:
        cur.execute("DELETE FROM customers_customer WHERE name = %s", ["张三"])

    with pytest.raises(BackupError) as err:
        restore_archive(path, using=target)
    assert err.value.msgid == archive.E_NOT_EMPTY
    assert "customers_customer" in err.value.message
    assert table_rows(target)["customers_customer"] != table_rows("default")["customers_customer"]

    restore_archive(path, using=target, force=True)
    assert table_rows(target)["customers_customer"] == table_rows("default")["customers_customer"]


def test_a_damaged_member_is_refused_before_anything_is_restored(org, customers, var, scratch, tmp_path):
    from tests.backup.conftest import rewrite_archive

    path = write_archive(tmp_path / "a.tar.gz") and tmp_path / "a.tar.gz"
    database = "database.sqlite3" if connections["default"].vendor == "sqlite" else "database.pgdump"
    damaged = rewrite_archive(path, tmp_path / "damaged.tar.gz",
                              member=(database, lambda b: b[:1000] + bytes(x ^ 0xFF for x in b[1000:1100]) + b[1100:]))
    target = scratch()
    with pytest.raises(BackupError) as err:
        restore_archive(damaged, using=target)
    assert err.value.msgid == archive.E_CHECKSUM
    assert database in err.value.message
    assert connections[target].introspection.table_names() == []

    media = rewrite_archive(path, tmp_path / "media.tar.gz",
                            member=("var/media/attachments/合同.pdf", lambda b: b + b"x"))
    with pytest.raises(BackupError) as err:
        restore_archive(media, using=target)
    assert err.value.msgid == archive.E_CHECKSUM


def test_a_truncated_or_foreign_file_is_refused_clearly(org, var, scratch, tmp_path):
    path = write_archive(tmp_path / "a.tar.gz") and tmp_path / "a.tar.gz"
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(BackupError) as err:
        restore_archive(truncated, using=scratch())
    assert err.value.msgid == archive.E_UNREADABLE

    foreign = tmp_path / "foreign.tar.gz"
    import tarfile

    with tarfile.open(foreign, "w:gz") as tar:
        tar.add(var / "settings.json", arcname="settings.json")
    with pytest.raises(BackupError) as err:
        restore_archive(foreign, using=scratch())
    assert err.value.msgid == archive.E_NOT_AN_ARCHIVE


def test_another_vendors_archive_is_refused(org, var, scratch, tmp_path):
    from tests.backup.conftest import rewrite_archive

    path = write_archive(tmp_path / "a.tar.gz") and tmp_path / "a.tar.gz"
    other = "postgresql" if connections["default"].vendor == "sqlite" else "sqlite"
    moved = rewrite_archive(path, tmp_path / "other.tar.gz",
                            manifest=lambda m: m["database"].update(vendor=other))
    with pytest.raises(BackupError) as err:
        restore_archive(moved, using=scratch())
    assert err.value.msgid == archive.E_CROSS_VENDOR


def test_restore_marks_the_backup_that_made_the_archive_finished(org, var, scratch):
    from kehu.backup.models import Backup, BackupStatus
    from kehu.backup.services import backup_create, backup_execute

    made = backup_execute(backup_create(actor=org.users.admin))
    assert made.status == BackupStatus.SUCCEEDED, made.error_message()
    other = backup_create(actor=org.users.admin)  # queued, never run
    target = scratch()
    backup_restore(archive_path=made.path, using=target)
    restored = {b.pk: b for b in Backup.objects.using(target).all()}
    # in the copy it was "running"; now it is the finished backup it became
    assert restored[made.pk].status == BackupStatus.SUCCEEDED and restored[made.pk].size == made.size
    assert other.pk not in restored


def test_a_backup_while_another_connection_keeps_writing_is_consistent(org, customers, var, scratch, tmp_path):
    """The manifest's row counts are those of the copied database even while
    writes go on (the restore checks every count against the manifest)."""
    import sqlite3
    import threading

    source = scratch()
    restore_archive(write_archive(tmp_path / "seed.tar.gz") and tmp_path / "seed.tar.gz", using=source)
    conn = connections[source]
    with conn.cursor() as cur:
        key = "INTEGER PRIMARY KEY" if conn.vendor == "sqlite" else "SERIAL PRIMARY KEY"
        cur.execute(f"CREATE TABLE busy_writes (id {key}, note VARCHAR(20))")
    stop, written, failed = threading.Event(), threading.Event(), []

    def writer():
        try:
            write()
        except Exception as exc:  # reported by the test, not lost in the thread
            failed.append(exc)
            written.set()

    def write():
        if conn.vendor == "sqlite":
            db = sqlite3.connect(conn.settings_dict["NAME"], timeout=30, isolation_level=None)
            insert = "INSERT INTO busy_writes (note) VALUES (?)"
        else:
            from kehu.backup.archive import _pg_connect

            db = _pg_connect(conn.settings_dict)
            db.autocommit = True
            insert = "INSERT INTO busy_writes (note) VALUES (%s)"
        n = 0
        while not stop.is_set() or n < 20:
            db.execute(insert, (f"row {n}",))
            n += 1
            if n == 20:
                written.set()
        db.close()

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        written.wait()
        assert not failed, failed
        manifest = write_archive(tmp_path / "busy.tar.gz", using=source)
    finally:
        stop.set()
        thread.join()
    assert not failed, failed
    target = scratch()
    restore_archive(tmp_path / "busy.tar.gz", using=target)  # raises when a count differs
    with connections[target].cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM busy_writes")
        assert cur.fetchone()[0] == manifest["row_counts"]["busy_writes"] >= 20
