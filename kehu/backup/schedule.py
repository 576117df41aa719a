"""The schedule of automatic backups: ``KEHU_BACKUP_SCHEDULE``, a cron expression
(minute hour day-of-month month day-of-week) in the server's time zone
(``KEHU_TIME_ZONE``), or ``off``. Checked when Kehu starts (``kehu check``)."""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.utils import timezone

OFF = ("", "off", "none", "0", "no", "false")


def parse(expression: str):
    """A function ``due(datetime) -> bool`` for the cron ``expression``, or None when off.

    Raises ``ValueError`` when it is not five cron fields.
    """
    from huey import crontab

    text = (expression or "").strip()
    if text.lower() in OFF:
        return None
    fields = text.split()
    if len(fields) != 5:
        raise ValueError(text)
    minute, hour, day, month, dow = fields
    try:
        test = crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=dow)
    except (ValueError, AssertionError):
        raise ValueError(text) from None
    return test


def due(now=None) -> bool:
    """Is a scheduled backup due in this minute (server time zone)?"""
    test = parse(settings.KEHU_BACKUP_SCHEDULE)
    if test is None:
        return False
    local = timezone.localtime(now).replace(tzinfo=None)
    return bool(test(local))


@checks.register()
def check_schedule(app_configs=None, **kwargs):
    try:
        parse(settings.KEHU_BACKUP_SCHEDULE)
    except ValueError:
        return [checks.Error(
            f"KEHU_BACKUP_SCHEDULE={settings.KEHU_BACKUP_SCHEDULE!r} is not a cron expression",
            hint="Five fields, minute hour day-of-month month day-of-week, e.g. '30 2 * * *', or 'off'.",
            id="kehu.backup.E001")]
    if int(settings.KEHU_BACKUP_KEEP) < 1:
        return [checks.Error("KEHU_BACKUP_KEEP must be at least 1", id="kehu.backup.E002")]
    return []
