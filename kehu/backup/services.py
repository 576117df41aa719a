"""Writes of backups: make one (now or in the background), run a failed one
again, delete one, keep the latest ``KEHU_BACKUP_KEEP``, and restore (the
command line's).

A running backup shows signs of life like the value analyses
(:mod:`kehu.runtime.liveness`): its worker's host and process id, a heartbeat
refreshed by its progress and a thread. :func:`backups_reap_dead`, called by
every list of backups (page, API, ``kehu backup --list``), marks one whose
process died (``kill -9``, out of memory, a power cut) failed, "interrupted:
the process stopped", and removes its half-written archive;
:func:`backup_retry` runs it again.

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
from kehu.runtime import liveness, maintenance

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
    """Record a queued backup (its archive name fixed now); ``backup_start`` also runs it.
    Refused (:class:`~kehu.runtime.maintenance.RestoreRunning`) while a restore runs."""
    _require(actor)
    maintenance.check()
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
    write it twice), with this process's signs of life
    (:func:`kehu.runtime.liveness.claim`); a heartbeat thread keeps them fresh
    while it runs. A failure is recorded on the backup (a message for users)
    and logged with its stack trace. A finished backup prunes the old ones.
    Refused (:class:`~kehu.runtime.maintenance.RestoreRunning`, nothing
    written) while a restore runs.
    """
    maintenance.check()
    claimed = liveness.claim(Backup, backup.pk, waiting=[BackupStatus.QUEUED], status=BackupStatus.RUNNING,
                             progress=1, stage=archive.STAGE_DATABASE, error="", error_params={})
    backup.refresh_from_db()
    if not claimed:
        logger.info("backup %s is %s: not executed", backup.pk, backup.status)
        return backup

    def report(pct, stage):
        liveness.report_progress(Backup, backup.pk, pct, stage)
        if progress:
            progress(pct, stage)

    try:
        with liveness.Heartbeat(Backup, backup.pk):
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


def backups_reap_dead() -> list[int]:
    """Mark the backups whose process died failed, "interrupted: the process
    stopped", and delete what they left half-written, so that no list shows
    them running for ever and they can be run again (:func:`backup_retry`)."""
    now = timezone.now()
    dead = liveness.reap(Backup, running=[BackupStatus.RUNNING], failed={
        "status": BackupStatus.FAILED, "stage": STAGE_FAILED, "error": liveness.INTERRUPTED, "error_params": {},
        "finished_at": now, "updated_at": now}, now=now)
    for backup in Backup.objects.filter(pk__in=dead, status=BackupStatus.FAILED):
        archive.remove_leftovers(backup.path)
    return dead


def backup_retry(*, actor, backup: Backup, enqueue: bool = True) -> Backup:
    """Queue a failed backup again (same archive name and options) and, unless
    ``enqueue=False`` (the command line runs it itself), hand it to the worker."""
    _require(actor)
    maintenance.check()
    backups_reap_dead()
    backup.refresh_from_db()
    if backup.status != BackupStatus.FAILED:
        raise ValidationError({"status": [_("Only a failed backup can be run again.")]})
    with transaction.atomic():
        archive.remove_leftovers(backup.path)
        Backup.objects.filter(pk=backup.pk, status=BackupStatus.FAILED).update(
            status=BackupStatus.QUEUED, progress=0, stage=STAGE_QUEUED, error="", error_params={},
            started_at=None, finished_at=None, heartbeat_at=None, worker_host="", worker_pid=None,
            updated_at=timezone.now())
        audit_record(actor=actor, action="retry", instance=backup, summary=f"backup {backup.filename} run again")
        backup.refresh_from_db()
        if enqueue:
            backup_enqueue(backup)
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

    Holds the restore lock throughout (:func:`kehu.runtime.maintenance.restore_lock`):
    meanwhile the server answers 503 and another restore or a backup is
    refused; raises :class:`~kehu.runtime.maintenance.RestoreRunning` when
    another restore holds it.

    Afterwards the backup records are made true again: the restored database
    holds the record of the backup that made the archive as "running" (it
    was copied while running) — it is marked finished — and any other
    backup that was running then is marked failed.
    """
    archive_path = Path(archive_path)
    with maintenance.restore_lock(archive=archive_path.resolve()):
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
