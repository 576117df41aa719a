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
    PARTNER = "partner", _("Partner performance")


class Task(TimeStamped):
    """Something a person must do, usually about one customer: call back a
    detractor, answer a complaint, visit an account at risk. ``source`` and
    ``source_ref`` (e.g. ``{"response": 123}``) say what set it off. A task
    about a partner of the channel (a partner's low survey answer, a partner
    behind its target; kehu/partners/followup.py) has ``partner`` and no
    customer."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="tasks")
    partner = models.ForeignKey("org.Partner", verbose_name=_("partner"), null=True, blank=True,
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
            models.Index(fields=["partner", "status"], name="task_partner_status"),
        ]
        constraints = [
            # A survey response sets off at most one follow-up task, however
            # often its signal is sent (a re-sent or retried submission).
            models.UniqueConstraint(KT("source_ref__response"), condition=Q(source="survey"),
                                    name="task_one_per_survey_response"),
        ]

    def __str__(self) -> str:
        return self.title


# -- visit plans (拜访计划) --------------------------------------------------------

class VisitMode(models.TextChoices):
    VISIT = "visit", pgettext_lazy("visit mode", "In person")
    CALL = "call", pgettext_lazy("visit mode", "Phone call")
    VIDEO = "video", pgettext_lazy("visit mode", "Video call")


class VisitReason(models.TextChoices):
    TIER = "tier", _("Due by the value tier's visit policy")
    NEXT_ORDER = "next_order", _("Next order predicted soon")
    CHURN = "churn", _("Churn warning")
    NEW = "new", _("New customer")
    MANUAL = "manual", _("Planned by hand")
    OPPORTUNITY = "opportunity", _("Opportunity next step")


class VisitStatus(models.TextChoices):
    PLANNED = "planned", pgettext_lazy("visit status", "Planned")
    DONE = "done", pgettext_lazy("visit status", "Done")
    SKIPPED = "skipped", pgettext_lazy("visit status", "Skipped")
    MOVED = "moved", pgettext_lazy("visit status", "Moved")


OPEN_VISIT_STATUSES = (VisitStatus.PLANNED, VisitStatus.MOVED)


class VisitSource(models.TextChoices):
    AUTO = "auto", _("Planned by Kehu")
    MANUAL = "manual", _("Added by hand")


class PlannedVisit(TimeStamped):
    """A visit in a salesperson's week with the five elements of the documents
    (DOMAIN.md §2): when (``planned_on``, ``planned_time``), what (``purpose``),
    who (``contacts``), how (``mode``) and why (``reason`` with the evidence in
    ``reason_data``). Planned by :func:`kehu.engagement.visits.plan_week` or by
    hand; moved, done (with an :class:`Interaction` on the customer's timeline),
    skipped with a reason, or checked in (time, and with the salesperson's
    permission the browser's location and its distance to the customer)."""

    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("salesperson"),
                                    on_delete=models.CASCADE, related_name="planned_visits")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="planned_visits")
    contacts = models.ManyToManyField(Contact, verbose_name=_("contacts"), blank=True, related_name="planned_visits")
    planned_on = models.DateField(_("planned date"))
    planned_time = models.TimeField(_("planned time"), null=True, blank=True)
    week = models.CharField(_("week"), max_length=8, help_text=_("ISO week, e.g. 2026-W50."))
    purpose = models.TextField(_("purpose and agenda"), blank=True, default="", max_length=REMARKS_MAX,
                               validators=[text_limit(REMARKS_MAX)])
    mode = models.CharField(_("how"), max_length=8, choices=VisitMode.choices, default=VisitMode.VISIT)
    reason = models.CharField(_("why"), max_length=12, choices=VisitReason.choices, default=VisitReason.MANUAL)
    # The evidence of the reason, as data so that it reads in each user's language
    # (kehu.engagement.visits.visit_evidence): {"every": 30, "since": 41, "tier": "gold"}.
    reason_data = models.JSONField(_("evidence"), default=dict, blank=True)
    priority = models.FloatField(_("priority"), default=0)
    status = models.CharField(_("status"), max_length=8, choices=VisitStatus.choices, default=VisitStatus.PLANNED)
    source = models.CharField(_("source"), max_length=8, choices=VisitSource.choices, default=VisitSource.MANUAL)
    skip_reason = models.CharField(_("reason for skipping"), max_length=300, blank=True, default="")
    result = models.TextField(_("result"), blank=True, default="", max_length=SUMMARY_MAX,
                              validators=[text_limit(SUMMARY_MAX)])
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    check_in_latitude = models.DecimalField(_("check-in latitude"), max_digits=9, decimal_places=6,
                                            null=True, blank=True)
    check_in_longitude = models.DecimalField(_("check-in longitude"), max_digits=9, decimal_places=6,
                                             null=True, blank=True)
    check_in_accuracy = models.FloatField(_("check-in accuracy (m)"), null=True, blank=True)
    check_in_distance = models.FloatField(_("distance to the customer (m)"), null=True, blank=True)
    interaction = models.ForeignKey(Interaction, verbose_name=_("interaction"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("planned visit")
        verbose_name_plural = _("planned visits")
        ordering = ["planned_on", "planned_time", "id"]
        indexes = [
            models.Index(fields=["salesperson", "planned_on"], name="visit_person_day"),
            models.Index(fields=["customer", "-planned_on"], name="visit_customer_day"),
            models.Index(fields=["week", "salesperson"], name="visit_week_person"),
        ]
        constraints = [
            # The planner never plans a customer twice while a visit is still open.
            models.UniqueConstraint(fields=["customer"], condition=Q(source="auto", status__in=["planned", "moved"]),
                                    name="visit_one_open_auto"),
            models.CheckConstraint(condition=~Q(status="skipped") | ~Q(skip_reason=""), name="visit_skip_has_reason",
                                   violation_error_message=_("Say why the visit was skipped.")),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.planned_on:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_VISIT_STATUSES


class VisitFeed(TimeStamped):
    """A salesperson's personal iCalendar feed: the secret in its address lets a
    phone's calendar read their planned visits without signing in; regenerating
    it revokes the old address."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE,
                                related_name="visit_feed")
    token = models.CharField(_("secret"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("visit calendar feed")
        verbose_name_plural = _("visit calendar feeds")

    def __str__(self) -> str:
        return str(self.user)
