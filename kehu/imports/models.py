"""A record of every import: who imported which file, what came of it.

The web flow also keeps the uploaded file between preview and confirm here
(``stored_name`` under ``MEDIA_ROOT/imports/``); only the user who uploaded it
may confirm it. The customer and order imports (:class:`ImportKind`) and the
all-or-nothing table imports (:class:`TableImportKind`: quotas, partners, staff)
share it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportKind(models.TextChoices):
    CUSTOMERS = "customers", _("Customers")
    ORDERS = "orders", _("Orders")


class TableImportKind(models.TextChoices):
    """The all-or-nothing table imports (kehu/imports/tables.py)."""

    QUOTAS = "quotas", _("Sales quotas")
    PARTNERS = "partners", _("Partners")
    EMPLOYEES = "employees", _("Staff without a login")


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Checked, waiting for confirmation")
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused: bad rows")
    CANCELLED = "cancelled", _("Cancelled")


class ImportRun(models.Model):
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="import_runs")
    kind = models.CharField(_("kind"), max_length=10, choices=ImportKind.choices + TableImportKind.choices)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    filename = models.CharField(_("file name"), max_length=255, blank=True, default="")
    stored_name = models.CharField(max_length=100, blank=True, default="", editable=False)
    skip_bad = models.BooleanField(_("skip bad rows"), default=False)
    dry_run = models.BooleanField(_("dry run"), default=False)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    created = models.PositiveIntegerField(_("created"), default=0)
    updated = models.PositiveIntegerField(_("updated"), default=0)
    skipped = models.PositiveIntegerField(_("skipped"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    warning_count = models.PositiveIntegerField(_("warnings"), default=0)
    # The report as JSON (first errors and warnings, header mapping, counts).
    report = models.JSONField(_("report"), default=dict, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "-created_at"], name="importrun_user_time")]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} ({self.status})"
