"""Background work of backups: write a queued backup, and the scheduled backups.

The periodic task ``scheduled_backup`` wakes every minute and starts a backup
when ``KEHU_BACKUP_SCHEDULE`` (cron, in the server's time zone — Huey's own
crontab would read it in UTC) matches the minute, unless one was already
started by the schedule in this minute.
"""

from __future__ import annotations

import logging

from django.db import close_old_connections, connection
from django.utils import timezone
from huey import crontab

from kehu.jobs import huey

logger = logging.getLogger(__name__)


def _fresh_connections() -> None:
    if not connection.in_atomic_block:
        close_old_connections()


@huey.task()
def execute_backup(backup_id: int) -> str | None:
    from kehu.backup.models import Backup
    from kehu.backup.services import backup_execute

    from kehu.runtime.maintenance import RestoreRunning

    _fresh_connections()
    try:
        backup = Backup.objects.filter(pk=backup_id).first()
        if backup is None:
            logger.warning("backup %s no longer exists", backup_id)
            return None
        return backup_execute(backup).status
    except RestoreRunning as exc:  # the restore marks the backups it finds queued failed
        logger.warning("backup %s not made: %s", backup_id, exc)
        return None
    finally:
        _fresh_connections()


def scheduled_run(now=None):
    """Make the scheduled backup if it is due; returns the backup or None."""
    from kehu.backup import schedule
    from kehu.backup.models import Backup, BackupTrigger
    from kehu.backup.services import backup_create, backup_execute

    now = timezone.localtime(now)
    if not schedule.due(now):
        return None
    minute = now.replace(second=0, microsecond=0)
    if Backup.objects.filter(trigger=BackupTrigger.SCHEDULE, created_at__gte=minute).exists():
        return None
    backup = backup_create(actor=None, trigger=BackupTrigger.SCHEDULE)
    return backup_execute(backup)


@huey.periodic_task(crontab())
def scheduled_backup():
    from kehu.runtime.maintenance import RestoreRunning

    _fresh_connections()
    try:
        backup = scheduled_run()
        return None if backup is None else backup.status
    except RestoreRunning as exc:
        logger.warning("scheduled backup skipped: %s", exc)
        return None
    finally:
        _fresh_connections()
