"""Files attached to a customer or to one of its records (附件).

One model with a foreign key per kind of record: ``customer`` is always set
(it decides visibility through :mod:`kehu.org.policies` and moves on a merge),
and at most one of ``interaction`` / ``order`` names the record the file
belongs to; none means the file is on the customer itself. A later record
type (service cases) adds its own nullable foreign key and joins the check
constraint — plain foreign keys keep cascades, joins and indexes that a
generic relation would lose.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.engagement.models import Interaction
from kehu.org.models import TimeStamped
from kehu.sales.models import Order

# The record kinds a file may be attached to, by the name used in URLs and the API.
KINDS = ("customer", "interaction", "order")


def attachment_path(instance: "Attachment", filename: str) -> str:
    """``attachments/2026/12/<random>.<ext>``: the user's file name never reaches the storage."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    now = timezone.now()
    return f"attachments/{now:%Y}/{now:%m}/{uuid.uuid4().hex}.{ext[:10]}"


class Attachment(TimeStamped):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="attachments")
    interaction = models.ForeignKey(Interaction, verbose_name=_("interaction"), null=True, blank=True,
                                    on_delete=models.CASCADE, related_name="attachments")
    order = models.ForeignKey(Order, verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "created_at"], name="attachment_customer_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(interaction__isnull=True) | Q(order__isnull=True),
                                   name="attachment_one_record",
                                   violation_error_message=_("A file belongs to an interaction or to an order, "
                                                             "not to both.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def kind(self) -> str:
        if self.interaction_id:
            return "interaction"
        if self.order_id:
            return "order"
        return "customer"
