"""Cases (服务单 / 投诉单): every kind of customer request in one model.

A case is a complaint, a service request, a repair, an enquiry, a suggestion
or praise (DOMAIN.md §6). It moves through a status flow that only
:func:`kehu.service.services.case_transition` changes, each move recorded as
a :class:`CaseEvent` (who, when, from, to, note) and an audit event.
Complaints carry the six handling steps (LSPCAS, :class:`CaseStep`) and a
validity judgement (受理 / 识别).

The SLA fields (``first_response_due``, ``resolution_due``,
``first_responded_at``, ``sla_paused``) are stored here and filled by the
SLA clock (kehu/analytics/working_time.py), not computed by this app.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Contact, Customer
from kehu.insights.models import ValueTier
from kehu.org.models import Team, TimeStamped
from kehu.validators import REMARKS_MAX, SUMMARY_MAX, text_limit


class CaseKind(models.TextChoices):
    COMPLAINT = "complaint", _("Complaint")
    SERVICE = "service", _("Service request")
    REPAIR = "repair", _("Repair")
    ENQUIRY = "enquiry", _("Enquiry")
    SUGGESTION = "suggestion", _("Suggestion")
    PRAISE = "praise", _("Praise")


class CaseChannel(models.TextChoices):
    HOTLINE = "hotline", _("Hotline")
    WEBSITE = "website", _("Website form")
    EMAIL = "email", _("Email")
    VISIT = "visit", pgettext_lazy("case channel", "Visit")
    SERVICE_CENTRE = "service_centre", _("Service centre")
    SURVEY = "survey", _("Survey follow-up")
    IMPORT = "import", _("Import")
    API = "api", _("API")


class CaseStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("case status", "New")
    ACCEPTED = "accepted", pgettext_lazy("case status", "Accepted")
    IN_PROGRESS = "in_progress", pgettext_lazy("case status", "In progress")
    WAITING = "waiting", pgettext_lazy("case status", "Waiting for customer")
    RESOLVED = "resolved", pgettext_lazy("case status", "Resolved")
    RETURN_VISITED = "return_visited", pgettext_lazy("case status", "Return-visited")
    CLOSED = "closed", pgettext_lazy("case status", "Closed")


OPEN_STATUSES = (CaseStatus.NEW, CaseStatus.ACCEPTED, CaseStatus.IN_PROGRESS, CaseStatus.WAITING)


class CustomerWant(models.TextChoices):
    LISTENING = "listening", _("To be listened to")
    RESPECT = "respect", _("Respect")
    FIX = "fix", _("A fix")
    COMPENSATION = "compensation", _("Compensation")


class Validity(models.TextChoices):
    PENDING = "", _("Not judged yet")
    VALID = "valid", _("Valid")
    INVALID = "invalid", _("Invalid")


class CauseCategory(models.TextChoices):
    NONE = "", _("Not known yet")
    PRODUCT = "product", _("Product")
    SERVICE = "service", _("Our service")
    PROCESS = "process", _("Process or rule")
    PARTNER = "partner", _("Partner or supplier")
    CUSTOMER = "customer", _("Customer's use")
    OTHER = "other", pgettext_lazy("cause", "Other")


class CompensationKind(models.TextChoices):
    NONE = "", _("None")
    REFUND = "refund", _("Refund")
    REPLACEMENT = "replacement", _("Replacement")
    REPAIR = "repair", _("Free repair")
    VOUCHER = "voucher", _("Voucher")
    CASH = "cash", _("Cash")
    OTHER = "other", pgettext_lazy("compensation", "Other")


class CaseCategory(TimeStamped):
    """A node of the configurable category tree (product quality › meter reading …)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    name_en = models.CharField(_("name (English)"), max_length=100)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language."""
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en

    @property
    def full_name(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class Case(TimeStamped):
    ref = models.CharField(_("case number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=CaseKind.choices, default=CaseKind.SERVICE)
    channel = models.CharField(_("channel"), max_length=16, choices=CaseChannel.choices,
                               default=CaseChannel.HOTLINE)
    status = models.CharField(_("status"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.NEW)
    severity = models.PositiveSmallIntegerField(
        _("severity"), default=3, validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("1 is the most severe, 4 the least."))
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="cases")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="cases")
    caller_name = models.CharField(_("caller's name"), max_length=100, blank=True, default="")
    caller_phone = models.CharField(_("caller's phone"), max_length=30, blank=True, default="")
    caller_email = models.EmailField(_("caller's email"), max_length=254, blank=True, default="")
    order = models.ForeignKey("sales.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="cases")
    product = models.ForeignKey("sales.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="cases")
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True, default="")
    category = models.ForeignKey(CaseCategory, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="cases")
    wants = models.CharField(_("the customer asks for"), max_length=12, choices=CustomerWant.choices,
                             blank=True, default="")
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="", max_length=SUMMARY_MAX,
                                   validators=[text_limit(SUMMARY_MAX)])
    team = models.ForeignKey(Team, verbose_name=_("owner team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="cases")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="assigned_cases")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("registered by"), null=True,
                                   blank=True, on_delete=models.SET_NULL, related_name="+")
    validity = models.CharField(_("validity"), max_length=8, choices=Validity.choices, blank=True, default="")
    invalid_explanation = models.TextField(
        _("explanation given to the customer"), blank=True, default="", max_length=REMARKS_MAX,
        validators=[text_limit(REMARKS_MAX)])
    cause_category = models.CharField(_("cause category"), max_length=10, choices=CauseCategory.choices,
                                      blank=True, default="")
    root_cause = models.TextField(_("root cause"), blank=True, default="", max_length=REMARKS_MAX,
                                  validators=[text_limit(REMARKS_MAX)])
    resolution = models.TextField(_("resolution"), blank=True, default="", max_length=REMARKS_MAX,
                                  validators=[text_limit(REMARKS_MAX)])
    compensation_kind = models.CharField(_("compensation"), max_length=12, choices=CompensationKind.choices,
                                         blank=True, default="")
    compensation_amount = models.DecimalField(_("compensation amount"), max_digits=12, decimal_places=2,
                                              null=True, blank=True, validators=[MinValueValidator(0)])
    compensation_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("compensation approved by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+")
    source_interaction = models.ForeignKey(
        "engagement.Interaction", verbose_name=_("from interaction"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="cases")
    # Optimistic concurrency: every write adds one; a write that read an older
    # version is refused (CaseConflict), so two agents never overwrite each other.
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # Filled by the SLA clock (not computed here).
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    sla_paused = models.JSONField(_("paused intervals"), default=list, blank=True,
                                  help_text=_("[[paused at, resumed at or null], …] in ISO 8601."))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["team", "status"], name="case_team_status"),
            models.Index(fields=["customer", "-created_at"], name="case_customer_time"),
            models.Index(fields=["status", "-created_at"], name="case_status_time"),
            # The queue pages (kehu bench service, docs/benchmarks.md): open cases newest
            # first, read in index order and stopped after a page — no sort of every open case.
            models.Index(fields=["-created_at", "-id"], name="case_open_newest",
                         condition=Q(status__in=["new", "accepted", "in_progress", "waiting"])),
            models.Index(fields=["assignee", "-created_at", "-id"], name="case_open_assignee_newest",
                         condition=Q(status__in=["new", "accepted", "in_progress", "waiting"])),
            # "breaching soon" and the sort by due time
            models.Index(fields=["resolution_due", "id"], name="case_open_due",
                         condition=Q(status__in=["new", "accepted", "in_progress", "waiting"])),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="case_severity_1_4",
                                   violation_error_message=_("Severity is 1 (most severe) to 4.")),
            models.CheckConstraint(condition=Q(compensation_amount__isnull=True) | Q(compensation_amount__gte=0),
                                   name="case_compensation_not_negative",
                                   violation_error_message=_("A compensation amount cannot be negative.")),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.subject}"

    @property
    def is_complaint(self) -> bool:
        return self.kind == CaseKind.COMPLAINT

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def who(self) -> str:
        """The customer's name, else the caller's."""
        if self.customer_id:
            return self.customer.name
        return self.caller_name or self.caller_phone or self.caller_email


class EventKind(models.TextChoices):
    CREATED = "created", _("Registered")
    TRANSITION = "transition", _("Status changed")
    COMMENT = "comment", _("Comment")
    ASSIGN = "assign", _("Assigned")
    UPDATE = "update", _("Changed")
    VALIDITY = "validity", _("Validity judged")
    STEP = "step", _("Handling step")
    SLA = "sla", _("Service level")


class CaseEvent(models.Model):
    """One entry of a case's timeline: who, when, from, to, note."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"), auto_now_add=True)
    kind = models.CharField(_("kind"), max_length=12, choices=EventKind.choices)
    from_status = models.CharField(_("from status"), max_length=16, choices=CaseStatus.choices, blank=True, default="")
    to_status = models.CharField(_("to status"), max_length=16, choices=CaseStatus.choices, blank=True, default="")
    note = models.TextField(_("note"), blank=True, default="", max_length=REMARKS_MAX,
                            validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class Step(models.TextChoices):
    """The six steps of handling a complaint (LSPCAS)."""

    LISTEN = "listen", _("Listen (倾听)")
    SHARE = "share", _("Share (分担)")
    PROBE = "probe", _("Probleming (询问)")
    CHECK = "check", _("Check (确认)")
    ACT = "act", _("Action (行动)")
    SATISFY = "satisfy", _("Satisfy (满意)")


STEP_ORDER = [s.value for s in Step]


class CaseStep(models.Model):
    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("step"), max_length=8, choices=Step.choices)
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True, default="", max_length=REMARKS_MAX,
                            validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("handling step")
        verbose_name_plural = _("handling steps")
        constraints = [models.UniqueConstraint(fields=["case", "step"], name="case_step_once")]

    def __str__(self) -> str:
        return self.get_step_display()

    @property
    def position(self) -> int:
        return STEP_ORDER.index(self.step)


class SlaPolicy(TimeStamped):
    """A service-level promise for cases of a kind × severity × customer value tier
    (any of the three empty: any). Which one applies: :mod:`kehu.analytics.sla`."""

    kind = models.CharField(_("kind"), max_length=12, choices=CaseKind.choices, blank=True, default="",
                            help_text=_("Empty: any kind."))
    severity = models.PositiveSmallIntegerField(
        _("severity"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(4)],
        help_text=_("Empty: any severity."))
    tier = models.CharField(_("value tier"), max_length=12, blank=True, default="",
                            choices=ValueTier.choices,
                            help_text=_("The customer's value tier in the latest analysis. Empty: any tier."))
    first_response_minutes = models.PositiveIntegerField(
        _("first response within (minutes)"), null=True, blank=True, validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(
        _("resolution within (minutes)"), null=True, blank=True, validators=[MinValueValidator(1)])
    calendar_hours = models.BooleanField(
        _("calendar hours"), default=False,
        help_text=_("Count every hour of every day instead of working hours."))

    class Meta:
        verbose_name = _("service-level policy")
        verbose_name_plural = _("service-level policies")
        ordering = ["kind", "severity", "tier", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(severity__isnull=True) | Q(severity__gte=1, severity__lte=4),
                                   name="sla_severity_1_4",
                                   violation_error_message=_("Severity is 1 (most severe) to 4.")),
            models.CheckConstraint(condition=Q(first_response_minutes__isnull=False)
                                   | Q(resolution_minutes__isnull=False),
                                   name="sla_some_promise",
                                   violation_error_message=_(
                                       "Give a first-response time, a resolution time or both.")),
        ]

    def __str__(self) -> str:
        parts = [self.get_kind_display() if self.kind else str(_("any kind")),
                 str(self.severity) if self.severity else str(_("any severity")),
                 self.get_tier_display() if self.tier else str(_("any tier"))]
        return " × ".join(str(p) for p in parts)

    def clean(self):
        super().clean()
        if self.first_response_minutes is None and self.resolution_minutes is None:
            raise ValidationError({"resolution_minutes": _("Give a first-response time, a resolution time or both.")})
        same = SlaPolicy.objects.filter(kind=self.kind, severity=self.severity, tier=self.tier)
        if self.pk:
            same = same.exclude(pk=self.pk)
        if same.exists():
            raise ValidationError({"kind": _("A policy for this kind, severity and tier already exists.")})


class EscalationKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    ESCALATION = "escalation", _("Escalation")


class CaseEscalation(models.Model):
    """One step of a case's SLA warning or escalation, taken once: the warning
    (level -1) or escalation level *k* of the chain (0 the assignee, then each
    manager up the team tree, the head office last)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="escalations")
    kind = models.CharField(_("kind"), max_length=10, choices=EscalationKind.choices)
    level = models.SmallIntegerField(_("escalation level"))
    role = models.CharField(_("role"), max_length=20, blank=True, default="")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recipient"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    task = models.ForeignKey("engagement.Task", verbose_name=_("task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("when"))

    class Meta:
        verbose_name = _("case escalation")
        verbose_name_plural = _("case escalations")
        ordering = ["case", "level"]
        constraints = [models.UniqueConstraint(fields=["case", "level"], name="case_escalation_once")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.level}"
