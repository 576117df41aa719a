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

from kehu.attachments.models import attachment_path
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
    # The partner responsible (kehu/org Partner): a complaint caused by a partner, routed to it;
    # the partner's users see and work the case.
    partner = models.ForeignKey("org.Partner", verbose_name=_("responsible partner"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="cases")
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
    # A survey answer that opened the case (a detractor, Survey.follow_up_as = "case"); one case per answer.
    source_response = models.OneToOneField(
        "surveys.Response", verbose_name=_("from survey answer"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="follow_up_case")
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
    # The public form (kehu/service/intake.py): the link it came through, the
    # random token of its status-lookup page, and the digest of the normalised
    # description that finds a repeated submission.
    intake_link = models.ForeignKey("service.IntakeLink", verbose_name=_("intake link"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="cases")
    public_token = models.CharField(_("status-lookup token"), max_length=64, blank=True, default="",
                                    editable=False)
    submission_digest = models.CharField(_("submission digest"), max_length=64, blank=True, default="",
                                         editable=False)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            models.Index(fields=["team", "status"], name="case_team_status"),
            models.Index(fields=["customer", "-created_at"], name="case_customer_time"),
            models.Index(fields=["status", "-created_at"], name="case_status_time"),
            models.Index(fields=["submission_digest", "created_at"], name="case_submission_time",
                         condition=~Q(submission_digest="")),
            # The queue pages (kehu bench service, docs/benchmarks.md): open cases newest
            # first, read in index order and stopped after a page — no sort of every open case.
            models.Index(fields=["-created_at", "-id"], name="case_open_newest",
                         condition=Q(status__in=["new", "accepted", "in_progress", "waiting"])),
            models.Index(fields=["assignee", "-created_at", "-id"], name="case_open_assignee_newest",
                         condition=Q(status__in=["new", "accepted", "in_progress", "waiting"])),
            # "breaching soon" and the sort by due time
            models.Index(fields=["resolution_due", "id"], name="case_open_due",
                         condition=Q(status__in=["new", "accepted", "in_progress", "waiting"])),
            # The service analytics (docs/benchmarks.md): the cases of a range read from the
            # index alone (PostgreSQL: INCLUDE; elsewhere an index on the time), and the
            # latest resolved cases for the resolution-time medians.
            models.Index(fields=["created_at"], name="case_analytics_cover",
                         include=["kind", "channel", "category", "product", "customer", "cause_category",
                                  "team", "assignee", "compensation_amount", "first_response_due",
                                  "first_responded_at", "resolution_due", "resolved_at"]),
            models.Index(fields=["-resolved_at"], name="case_resolved_latest",
                         include=["created_at", "team", "assignee"], condition=Q(resolved_at__isnull=False)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(severity__gte=1, severity__lte=4), name="case_severity_1_4",
                                   violation_error_message=_("Severity is 1 (most severe) to 4.")),
            models.CheckConstraint(condition=Q(compensation_amount__isnull=True) | Q(compensation_amount__gte=0),
                                   name="case_compensation_not_negative",
                                   violation_error_message=_("A compensation amount cannot be negative.")),
            models.UniqueConstraint(fields=["public_token"], condition=~Q(public_token=""),
                                    name="case_public_token_unique"),
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
    ATTACHMENT = "attachment", _("Attachment")
    DUPLICATE = "duplicate", _("Duplicate submission merged")
    RETURN_VISIT = "return_visit", _("Return visit")
    REPAIR = "repair", _("Repair")


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
    internal = models.BooleanField(
        _("internal note"), default=False,
        help_text=_("Internal note: not shown to partners. Only the company's people see it."))

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
    RETURN_VISIT = "revisit", _("Dissatisfied return visit")


class CaseEscalation(models.Model):
    """One step of a case's SLA warning or escalation, taken once: the warning
    (level -1) or escalation level *k* of the chain (0 the assignee, then each
    manager up the team tree, the head office last). A dissatisfied return visit
    escalates too (kind ``revisit``), once per return visit: its level is
    ``-1 - n`` for the case's *n*-th return visit (-2, -3, …), apart from the
    SLA's levels."""

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


class CaseAttachment(models.Model):
    """A file attached to a case (a photo of the fault, a receipt). Its own model
    because a case may have no customer yet (an unknown caller), while
    :class:`kehu.attachments.models.Attachment` hangs on a customer; the checks
    and the storage are the attachments app's (:func:`kehu.attachments.services.checked_upload`,
    :func:`kehu.attachments.models.attachment_path`). Seen and changed by whoever
    sees and works the case (:mod:`kehu.org.policies`)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+",
                                    help_text=_("Empty: sent with the public form."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("case attachment")
        verbose_name_plural = _("case attachments")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["case", "created_at"], name="case_attachment_case_idx")]

    def __str__(self) -> str:
        return self.name


class IntakeLink(TimeStamped):
    """A public-form address (a link and its QR code) for the company, a product
    line or a service centre (a team): cases sent through it get its team and
    are counted per link. Deactivated links answer "no longer in use"."""

    slug = models.SlugField(_("address code"), max_length=40, unique=True,
                            help_text=_("The last part of the form's address: /service/form/<code>/."))
    name = models.CharField(_("name"), max_length=100)
    product_line = models.ForeignKey("sales.ProductLine", verbose_name=_("product line"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, verbose_name=_("service centre"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+",
                             help_text=_("Cases sent through this link go to this team's queue."))
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("intake link")
        verbose_name_plural = _("intake links")
        ordering = ["-active", "name", "id"]

    def __str__(self) -> str:
        return self.name


# -- return visits (回访) ----------------------------------------------------------------

class ReturnVisitMode(models.TextChoices):
    NONE = "none", _("No return visit")
    SURVEY = "survey", _("Survey with a personal link")
    PHONE = "phone", _("Phone call by a service agent")


class ReturnVisitChannel(models.TextChoices):
    SURVEY = "survey", _("Survey with a personal link")
    PHONE = "phone", _("Phone call")


class ReturnVisitStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the answer")
    SATISFIED = "satisfied", pgettext_lazy("return visit", "Satisfied")
    DISSATISFIED = "dissatisfied", pgettext_lazy("return visit", "Dissatisfied")
    CANCELLED = "cancelled", pgettext_lazy("return visit", "Cancelled")


#: What a resolved case gets when the company has not chosen (ServiceSettings.return_visits).
DEFAULT_RETURN_VISITS = {
    CaseKind.COMPLAINT: ReturnVisitMode.SURVEY,
    CaseKind.REPAIR: ReturnVisitMode.PHONE,
    CaseKind.SERVICE: ReturnVisitMode.PHONE,
    CaseKind.ENQUIRY: ReturnVisitMode.NONE,
    CaseKind.SUGGESTION: ReturnVisitMode.NONE,
    CaseKind.PRAISE: ReturnVisitMode.NONE,
}


class ServiceSettings(TimeStamped):
    """The company's service-desk settings (one row): which return visit a
    resolved case gets, by kind of case (``{"complaint": "survey", …}``; a kind
    not named takes :data:`DEFAULT_RETURN_VISITS`), and the survey sent (empty:
    the one made from the shipped template ``complaint-return-visit``)."""

    return_visits = models.JSONField(_("return visit by kind of case"), default=dict, blank=True)
    return_visit_survey = models.ForeignKey(
        "surveys.Survey", verbose_name=_("return-visit survey"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", help_text=_("Empty: the survey made from the shipped return-visit template."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("changed by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("service settings")
        verbose_name_plural = _("service settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    def mode_for(self, kind: str) -> str:
        mode = (self.return_visits or {}).get(kind)
        return mode if mode in ReturnVisitMode.values else DEFAULT_RETURN_VISITS.get(kind, ReturnVisitMode.NONE)


class ReturnVisit(TimeStamped):
    """The return visit (回访) of a resolved case: a survey sent with a personal
    link (its invitation and, once answered, its response) or a phone call (a
    task for a service agent, who records the result). ``number`` counts the
    case's return visits (a reopened case resolved again gets another)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="return_visits")
    number = models.PositiveSmallIntegerField(_("return visit number"), default=1)
    channel = models.CharField(_("channel"), max_length=8, choices=ReturnVisitChannel.choices)
    status = models.CharField(_("status"), max_length=12, choices=ReturnVisitStatus.choices,
                              default=ReturnVisitStatus.WAITING)
    invitation = models.OneToOneField("surveys.Invitation", verbose_name=_("survey invitation"), null=True,
                                      blank=True, on_delete=models.SET_NULL, related_name="return_visit")
    response = models.OneToOneField("surveys.Response", verbose_name=_("survey answer"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="return_visit")
    task = models.ForeignKey("engagement.Task", verbose_name=_("task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    fallback_reason = models.CharField(_("why by phone"), max_length=200, blank=True, default="")
    score = models.FloatField(_("score (0–100)"), null=True, blank=True,
                              validators=[MinValueValidator(0), MaxValueValidator(100)])
    note = models.TextField(_("note"), blank=True, default="", max_length=REMARKS_MAX,
                            validators=[text_limit(REMARKS_MAX)])
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), null=True, blank=True)
    escalation = models.OneToOneField(CaseEscalation, verbose_name=_("escalation"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="return_visit")

    class Meta:
        verbose_name = _("return visit")
        verbose_name_plural = _("return visits")
        ordering = ["case", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["case", "number"], name="return_visit_number_once"),
            models.UniqueConstraint(fields=["case"], condition=Q(status="waiting"),
                                    name="return_visit_one_waiting"),
            models.CheckConstraint(condition=Q(score__isnull=True) | (Q(score__gte=0) & Q(score__lte=100)),
                                   name="return_visit_score_0_100",
                                   violation_error_message=_("The score must be between 0 and 100.")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} #{self.number}"

    @property
    def is_waiting(self) -> bool:
        return self.status == ReturnVisitStatus.WAITING


class RepairResult(models.TextChoices):
    PENDING = "", _("Not finished yet")
    FIXED = "fixed", _("Fixed")
    PARTS_REPLACED = "parts_replaced", _("Fixed, parts replaced")
    UNIT_REPLACED = "unit_replaced", _("Item exchanged")
    RETURNED = "returned", _("Item taken back (returned)")
    NOT_FIXED = "not_fixed", _("Could not be fixed")
    NO_FAULT = "no_fault", _("No fault found")


class RepairRecord(TimeStamped):
    """One repair on a case (维修记录): the fault, the parts and labour, what it cost,
    who did it, when they went, how it ended, and whether the customer pays (an
    item out of warranty) or not (free repair under the 三包 rules)."""

    case = models.ForeignKey(Case, verbose_name=_("case"), on_delete=models.CASCADE, related_name="repairs")
    fault = models.TextField(_("fault"), max_length=REMARKS_MAX, validators=[text_limit(REMARKS_MAX)])
    parts = models.TextField(_("parts"), blank=True, default="", max_length=REMARKS_MAX,
                             validators=[text_limit(REMARKS_MAX)],
                             help_text=_("The parts used, one a line (part, quantity)."))
    labour_hours = models.DecimalField(_("labour hours"), max_digits=7, decimal_places=2, default=0,
                                       validators=[MinValueValidator(0)])
    parts_cost = models.DecimalField(_("parts cost"), max_digits=12, decimal_places=2, default=0,
                                     validators=[MinValueValidator(0)])
    labour_cost = models.DecimalField(_("labour cost"), max_digits=12, decimal_places=2, default=0,
                                      validators=[MinValueValidator(0)])
    total = models.DecimalField(_("total cost"), max_digits=13, decimal_places=2, default=0, editable=False)
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("technician"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="repairs")
    visited_on = models.DateField(_("first visit"), null=True, blank=True)
    revisited_on = models.DateField(_("last visit"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=16, choices=RepairResult.choices, blank=True, default="")
    in_warranty = models.BooleanField(_("in warranty"), default=False,
                                      help_text=_("Free repair under the warranty: the customer is not charged."))
    charged = models.BooleanField(_("charged to the customer"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("repair record")
        verbose_name_plural = _("repair records")
        ordering = ["case", "visited_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(labour_hours__gte=0), name="repair_hours_not_negative",
                                   violation_error_message=_("Hours and costs cannot be negative.")),
            models.CheckConstraint(condition=Q(parts_cost__gte=0), name="repair_parts_cost_not_negative",
                                   violation_error_message=_("Hours and costs cannot be negative.")),
            models.CheckConstraint(condition=Q(labour_cost__gte=0), name="repair_labour_cost_not_negative",
                                   violation_error_message=_("Hours and costs cannot be negative.")),
            models.CheckConstraint(condition=Q(revisited_on__isnull=True) | Q(visited_on__isnull=False)
                                   & Q(revisited_on__gte=models.F("visited_on")),
                                   name="repair_visits_in_order",
                                   violation_error_message=_("The last visit cannot be before the first.")),
            models.CheckConstraint(condition=Q(in_warranty=False) | Q(charged=False),
                                   name="repair_warranty_not_charged",
                                   violation_error_message=_("A repair under warranty is not charged.")),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.fault[:40]}"
