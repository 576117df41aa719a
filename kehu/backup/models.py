"""A backup made by Kehu (帐套备份): the archive in ``KEHU_BACKUP_DIR`` and how it went.

The archive itself is described in :mod:`kehu.backup.archive`; the record
keeps what the list of backups shows (size, dates, a summary of the
manifest) and, while it runs, its progress and signs of life — the shared
:class:`~kehu.runtime.liveness.ProgressJob` fields the value analyses use —
so the page can follow it, and a backup whose process was killed is shown
failed ("interrupted: the process stopped") instead of running for ever.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import TimeStamped
from kehu.runtime.liveness import ProgressJob


class BackupStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class BackupTrigger(models.TextChoices):
    WEB = "web", _("Started in the browser")
    API = "api", _("Started through the API")
    CLI = "cli", _("Started from the command line")
    SCHEDULE = "schedule", pgettext_lazy("backup started by", "Schedule")


class Backup(ProgressJob, TimeStamped):
    status = models.CharField(_("status"), max_length=10, choices=BackupStatus.choices,
                              default=BackupStatus.QUEUED)
    trigger = models.CharField(_("started by"), max_length=10, choices=BackupTrigger.choices,
                               default=BackupTrigger.WEB)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    filename = models.CharField(_("file"), max_length=200, unique=True,
                                help_text=_("The archive's name in the backup directory."))
    size = models.BigIntegerField(_("size (bytes)"), null=True, blank=True)
    include_secret_key = models.BooleanField(_("with the secret key"), default=False)
    # ``error`` is an English msgid and these its placeholders: shown translated
    # (kehu.backup.archive.BackupError).
    error_params = models.JSONField(_("error details"), default=dict, blank=True)
    summary = models.JSONField(_("manifest summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("backup")
        verbose_name_plural = _("backups")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"], name="backup_status_created")]
        constraints = [models.CheckConstraint(condition=Q(progress__lte=100), name="backup_progress_0_100",
                                              violation_error_message=_("The progress must be between 0 and 100."))]

    def __str__(self):
        return self.filename

    @property
    def path(self):
        from pathlib import Path

        return Path(settings.KEHU_BACKUP_DIR) / self.filename

    @property
    def running(self) -> bool:
        return self.status in (BackupStatus.QUEUED, BackupStatus.RUNNING)

    def error_message(self) -> str:
        from django.utils.translation import gettext

        if not self.error:
            return ""
        text = gettext(self.error)
        try:
            return text % self.error_params if self.error_params else text
        except (KeyError, TypeError, ValueError):
            return text
