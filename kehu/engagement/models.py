"""Touch points with customers (客户接触) and their summaries (联系纪要)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Contact, Customer
from kehu.org.models import TimeStamped
from kehu.validators import REMARKS_MAX, SUMMARY_MAX, text_limit


class Channel(models.TextChoices):
    PHONE = "phone", _("Phone call")
    VISIT = "visit", _("Visit")
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat message")
    MEETING = "meeting", _("Meeting")
    SERVICE = "service", _("Service call")
    COMPLAINT = "complaint", _("Complaint")
    SURVEY = "survey", _("Survey answer")
    LETTER = "letter", _("Letter")
    WEBSITE = "website", _("Website")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("We contacted them")
    INBOUND = "inbound", _("They contacted us")


class Interaction(TimeStamped):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="interactions")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions")
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices, default=Direction.OUTBOUND)
    occurred_at = models.DateTimeField(_("when"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("logged by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="interactions")
    participants = models.CharField(_("participants"), max_length=300, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=200, blank=True, default="")
    summary = models.TextField(_("summary"), max_length=SUMMARY_MAX, validators=[text_limit(SUMMARY_MAX)])
    next_step = models.CharField(_("next step"), max_length=300, blank=True, default="")
    next_step_on = models.DateField(_("next step due"), null=True, blank=True)
    # Values of the custom fields (kehu.customfields), validated by its clean_custom_values.
    custom = models.JSONField(_("custom fields"), default=dict, db_default={}, blank=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="inter_customer_time"),
            models.Index(fields=["user", "-occurred_at"], name="inter_user_time"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} {self.occurred_at:%Y-%m-%d}"


class TaskStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task", "Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class TaskSource(models.TextChoices):
    MANUAL = "manual", _("Added by hand")
    SURVEY = "survey", _("Survey answer")
    CHURN = "churn", _("Churn warning")
    COMPLAINT = "complaint", _("Complaint")
    CARE = "care", _("Care reminder")
    SLA = "sla", _("Service-level warning")
    RETURN_VISIT = "return_visit", _("Return visit")


class Task(TimeStamped):
    """Something a person must do, usually about one customer: call back a
    detractor, answer a complaint, visit an account at risk. ``source`` and
    ``source_ref`` (e.g. ``{"response": 123}``) say what set it off."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="tasks")
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="tasks")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("task"), max_length=200)
    description = models.TextField(_("details"), blank=True, default="", max_length=REMARKS_MAX,
                                   validators=[text_limit(REMARKS_MAX)])
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    source = models.CharField(_("source"), max_length=16, choices=TaskSource.choices, default=TaskSource.MANUAL)
    source_ref = models.JSONField(_("source reference"), default=dict, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True, default="", max_length=REMARKS_MAX,
                               validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        ordering = ["status", "due_on", "id"]
        indexes = [
            models.Index(fields=["assigned_to", "status", "due_on"], name="task_assignee_status_due"),
            models.Index(fields=["customer", "status"], name="task_customer_status"),
        ]
        constraints = [
            # A survey response sets off at most one follow-up task, however
            # often its signal is sent (a re-sent or retried submission).
            models.UniqueConstraint(KT("source_ref__response"), condition=Q(source="survey"),
                                    name="task_one_per_survey_response"),
        ]

    def __str__(self) -> str:
        return self.title
