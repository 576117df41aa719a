"""Who changed what and when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=40)
    entity = models.CharField(_("record type"), max_length=40)
    entity_id = models.BigIntegerField(_("record id"))
    # The customer the change belongs to, so the 360 page can list it in one query.
    customer_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True, default="")
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer_id", "-created_at"], name="audit_customer_time"),
            models.Index(fields=["entity", "entity_id"], name="audit_entity"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.entity}#{self.entity_id}"
