"""Writes of backups: make one (now or in the background), delete one, keep
the latest ``KEHU_BACKUP_KEEP``, and restore (the command line's).

Only administrators (or the system: ``actor=None``) may do any of it.
"""

from __future__ import annotations

import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.audit.services import audit_record
from kehu.backup import archive
from kehu.backup.models import Backup, BackupStatus, BackupTrigger
from kehu.backup.permissions import can_manage_backups

logger = logging.getLogger(__name__)

STAGE_QUEUED = gettext_noop("Waiting for the background worker")
STAGE_FAILED = gettext_noop("Failed")
UNEXPECTED_FAILURE = gettext_noop("The backup failed unexpectedly; the server's log has the details.")
INTERRUPTED_BY_RESTORE = gettext_noop(
    "This backup was still running when the database was copied into the backup that was restored later.")


def _require(actor) -> None:
    if not can_manage_backups(actor):
        raise PermissionDenied(_("Only an administrator may see or make backups."))


def backup_create(*, actor, trigger: str = BackupTrigger.WEB, include_secret_key: bool = False) -> Backup:
    """Record a queued backup (its archive name fixed now); ``backup_start`` also runs it."""
    _require(actor)
    if trigger not in BackupTrigger.values:
        raise ValidationError({"trigger": [_("Unknown trigger.")]})
    with transaction.atomic():
        now = timezone.now()
        base = archive.timestamp_name(now)
        name, n = base, 1
        while Backup.objects.filter(filename=name).exists() or (Path(settings.KEHU_BACKUP_DIR) / name).exists():
            n += 1
            name = archive.timestamp_name(now, suffix=f"-{n}")
        backup = Backup(trigger=trigger, requested_by=actor if getattr(actor, "pk", None) else None,
                        filename=name, include_secret_key=include_secret_key, stage=STAGE_QUEUED)
        backup.full_clean()
        backup.save()
        audit_record(actor=actor, action="create", instance=backup, summary=f"backup {name}")
    return backup


def backup_enqueue(backup: Backup) -> None:
    """Hand the backup to the background worker once the current transaction commits."""
    from kehu.backup.tasks import execute_backup

    backup_id = backup.pk
    transaction.on_commit(lambda: execute_backup(backup_id))


def backup_start(**kwargs) -> Backup:
    """``backup_create`` then ``backup_enqueue``: what the page and the API call."""
    backup = backup_create(**kwargs)
    backup_enqueue(backup)
    return backup


def backup_execute(backup: Backup, *, progress=None) -> Backup:
    """Write the archive of a queued backup here and now; returns it finished or failed.

    Claims it first (``queued → running`` in one UPDATE, so two workers never
    write it twice). A failure is recorded on the backup (a message for users)
    and logged with its stack trace. A finished backup prunes the old ones.
    """
    claimed = Backup.objects.filter(pk=backup.pk, status=BackupStatus.QUEUED).update(
        status=BackupStatus.RUNNING, progress=1, stage=archive.STAGE_DATABASE, started_at=timezone.now(),
        updated_at=timezone.now())
    backup.refresh_from_db()
    if not claimed:
        logger.info("backup %s is %s: not executed", backup.pk, backup.status)
        return backup

    def report(pct, stage):
        Backup.objects.filter(pk=backup.pk).update(progress=min(100, int(pct)), stage=stage,
                                                   updated_at=timezone.now())
        if progress:
            progress(pct, stage)

    try:
        manifest = archive.write_archive(backup.path, include_secret_key=backup.include_secret_key,
                                         backup_id=backup.pk, progress=report)
    except Exception as exc:  # recorded on the backup; never shown to users as a stack trace
        if isinstance(exc, archive.BackupError):
            logger.error("backup %s failed: %s", backup.pk, exc)
            error, params = exc.msgid, exc.params
        else:
            logger.exception("backup %s failed", backup.pk)
            error, params = UNEXPECTED_FAILURE, {}
        Backup.objects.filter(pk=backup.pk).update(
            status=BackupStatus.FAILED, stage=STAGE_FAILED, error=error, error_params=_jsonable(params),
            finished_at=timezone.now(), updated_at=timezone.now())
    else:
        Backup.objects.filter(pk=backup.pk).update(
            status=BackupStatus.SUCCEEDED, progress=100, stage=archive.STAGE_DONE,
            size=backup.path.stat().st_size, summary=archive.manifest_summary(manifest),
            finished_at=timezone.now(), updated_at=timezone.now())
        backup_prune(keep=settings.KEHU_BACKUP_KEEP)
    backup.refresh_from_db()
    return backup


def _jsonable(params: dict) -> dict:
    return {k: v if isinstance(v, (int, float, str, bool)) or v is None else str(v) for k, v in params.items()}


def backup_delete(*, actor, backup: Backup) -> None:
    """Delete a backup's archive and record (not while it runs)."""
    _require(actor)
    if backup.running:
        raise ValidationError({"status": [_("A backup that is still running cannot be deleted.")]})
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=backup, summary=f"backup {backup.filename}")
        path = backup.path
        backup.delete()
        path.unlink(missing_ok=True)


def backup_prune(*, keep: int) -> list[str]:
    """Keep the ``keep`` latest finished backups; delete older ones (archives and
    records, failed ones older than the oldest kept too). Returns the deleted names."""
    keep = max(1, int(keep))
    kept = list(Backup.objects.filter(status=BackupStatus.SUCCEEDED).order_by("-created_at", "-id")
                .values_list("pk", "created_at")[:keep])
    if len(kept) < keep:
        return []
    oldest = kept[-1][1]
    old = Backup.objects.filter(created_at__lte=oldest, status__in=[BackupStatus.SUCCEEDED, BackupStatus.FAILED]
                                ).exclude(pk__in=[pk for pk, _c in kept])
    deleted = []
    for backup in old:
        backup.path.unlink(missing_ok=True)
        deleted.append(backup.filename)
        audit_record(actor=None, action="delete", instance=backup, summary=f"backup {backup.filename} (retention)")
        backup.delete()
    return deleted


def backup_restore(*, archive_path, using: str = "default", force: bool = False, progress=None) -> dict:
    """Restore an archive (``kehu restore``): see :func:`kehu.backup.archive.restore_archive`.

    Afterwards the backup records are made true again: the restored database
    holds the record of the backup that made the archive as "running" (it
    was copied while running) — it is marked finished — and any other
    backup that was running then is marked failed.
    """
    archive_path = Path(archive_path)
    result = archive.restore_archive(archive_path, using=using, force=force, progress=progress)
    manifest = result["manifest"]
    records = Backup.objects.using(using)
    if manifest.get("backup_id"):
        records.filter(pk=manifest["backup_id"]).update(
            status=BackupStatus.SUCCEEDED, progress=100, stage=archive.STAGE_DONE,
            size=archive_path.stat().st_size, summary=archive.manifest_summary(manifest),
            finished_at=timezone.now(), updated_at=timezone.now())
    records.filter(status__in=[BackupStatus.QUEUED, BackupStatus.RUNNING]).update(
        status=BackupStatus.FAILED, stage=STAGE_FAILED, error=INTERRUPTED_BY_RESTORE, error_params={},
        finished_at=timezone.now(), updated_at=timezone.now())
    return result
