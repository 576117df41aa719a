"""Satisfaction measurement (顾客满意度测评): surveys, their indicator hierarchy and
weights, questions, latent constructs and the path model; waves of
measurement with their sample, invitations and responses; what the answers
set off (the customer's attitude, improvement actions) and the figures the
company compares itself with (benchmarks, 定点超越).

Texts shown to respondents and users are stored in both languages as a
``{"zh-hans": "...", "en": "..."}`` dictionary (:class:`I18nText`); the
``kehu.surveys.texts`` helpers pick the language.

A wave (one measurement period) holds the invitations and responses; a survey
is measured again wave after wave, so trends and the effect of improvement
actions show. Responses of customers are seen through the visibility policy
(``policy_for(viewer).visible(qs, prefix="customer__")``); employee-survey
responses are anonymous to everyone but the aggregates.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Contact, Customer
from kehu.org.models import TimeStamped
from kehu.validators import ANSWER_TEXT_MAX, REMARKS_MAX, text_limit


def I18nText(verbose_name, **kwargs):  # noqa: N802 - a field factory, named like a field
    """A text in both languages: ``{"zh-hans": "...", "en": "..."}``."""
    kwargs.setdefault("default", dict)
    kwargs.setdefault("blank", True)
    return models.JSONField(verbose_name, **kwargs)


class SurveyKind(models.TextChoices):
    CUSTOMER = "customer", _("Customer satisfaction")
    EMPLOYEE = "employee", _("Employee satisfaction")
    # The channel's partners (dealers, agents) on what makes them glad to sell our products
    # (Honda's "joy of selling"); answers record the partner, they are not anonymous.
    PARTNER = "partner", _("Partner satisfaction")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("In use")
    ARCHIVED = "archived", _("Archived")


class FollowUpAs(models.TextChoices):
    TASK = "task", _("A task for the customer's owner")
    CASE = "case", _("A complaint case for the service desk")


class WeightMethod(models.TextChoices):
    MANUAL = "manual", _("Set by hand")
    AHP = "ahp", _("AHP pairwise comparison")
    ENTROPY = "entropy", _("Entropy weights from the answers")
    EQUAL = "equal", _("Equal weights")


class Survey(TimeStamped):
    """A questionnaire with its indicator hierarchy and structural model."""

    code = models.SlugField(_("code"), max_length=50, unique=True,
                            help_text=_("Short name used in links, files and the command line, e.g. csi-2026."))
    kind = models.CharField(_("kind"), max_length=10, choices=SurveyKind.choices, default=SurveyKind.CUSTOMER)
    status = models.CharField(_("status"), max_length=10, choices=SurveyStatus.choices, default=SurveyStatus.DRAFT)
    title = I18nText(_("title"))
    description = I18nText(_("description"))
    intro = I18nText(_("introduction shown to respondents"))
    thanks = I18nText(_("thank-you text"))
    template = models.CharField(_("made from template"), max_length=50, blank=True, default="")
    # The five-level Likert scores of the weighted-average method:
    # {"5": 100, "4": 80, "3": 60, "2": 40, "1": 20} (满意 … 不满意).
    likert_scores = models.JSONField(_("Likert scores"), default=dict, blank=True)
    # Which answers count as satisfied for the satisfaction rate (满意率):
    # a score on 0–100 at or above this value (default 80: 满意 and 较满意).
    satisfied_from = models.PositiveSmallIntegerField(_("satisfied from score"), default=80,
                                                      validators=[MaxValueValidator(100)])
    # Closing the loop: a response whose index is below this, or an NPS
    # detractor, creates a follow-up task for the customer's owner.
    follow_up_below = models.PositiveSmallIntegerField(_("follow up when the index is below"), default=60,
                                                       validators=[MaxValueValidator(100)])
    follow_up_detractors = models.BooleanField(_("follow up detractors (NPS 0–6)"), default=True)
    # What the follow-up is: a task for the customer's owner, or a complaint case
    # (channel "survey follow-up", linked to the response) for the service desk.
    follow_up_as = models.CharField(_("follow up as"), max_length=4, choices=FollowUpAs.choices,
                                    default=FollowUpAs.TASK)
    resurvey_days = models.PositiveIntegerField(
        _("do not survey a customer again within (days)"), default=90,
    )
    # The structural model's options as the survey file gives them (its ``model:``
    # mapping; kehu.surveys.definitions.MODEL_DEFAULTS for the rest).
    model_options = models.JSONField(_("structural model options"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(satisfied_from__lte=100), name="survey_satisfied_0_100",
                                   violation_error_message=_("The satisfied-from score must be between 0 and 100.")),
            models.CheckConstraint(condition=Q(follow_up_below__lte=100), name="survey_follow_up_0_100",
                                   violation_error_message=_("The follow-up score must be between 0 and 100.")),
        ]

    def __str__(self) -> str:
        return self.code


class Indicator(models.Model):
    """A node of the indicator hierarchy (指标体系), up to four levels: level 1 is
    the index itself (CSI), the leaves are measured by questions. A node's
    ``weight`` is its share among its siblings; ``child_weight_method`` (and,
    for AHP, the pairwise matrix and its consistency) says how its children's
    weights were set, and is shown in the report."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="indicators")
    parent = models.ForeignKey("self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.CASCADE,
                               related_name="children")
    code = models.CharField(_("code"), max_length=40)
    name = I18nText(_("name"))
    level = models.PositiveSmallIntegerField(_("level"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    weight = models.FloatField(_("weight"), default=1.0, validators=[MinValueValidator(0)])
    child_weight_method = models.CharField(_("weights of the children"), max_length=10, choices=WeightMethod.choices,
                                           default=WeightMethod.MANUAL)
    # AHP: {"matrix": [[1, 3, ...], ...], "order": [child codes], "lambda_max": .., "ci": .., "cr": ..}
    ahp = models.JSONField(_("AHP judgements"), default=dict, blank=True)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["survey", "level", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=Q(level__gte=1) & Q(level__lte=4), name="indicator_level_1_4",
                                   violation_error_message=_("An indicator's level must be 1 to 4.")),
            models.CheckConstraint(condition=Q(weight__gte=0), name="indicator_weight_not_negative",
                                   violation_error_message=_("An indicator's weight cannot be negative.")),
        ]

    def __str__(self) -> str:
        return self.code


class ConstructMode(models.TextChoices):
    REFLECTIVE = "A", _("Reflective (mode A)")
    FORMATIVE = "B", _("Formative (mode B)")


class Construct(models.Model):
    """A latent variable of the structural model (ACSI/ECSI: expectations,
    perceived quality, perceived value, satisfaction, complaints, loyalty,
    image; SERVQUAL's five dimensions)."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="constructs")
    code = models.CharField(_("code"), max_length=40)
    name = I18nText(_("name"))
    mode = models.CharField(_("measurement"), max_length=1, choices=ConstructMode.choices,
                            default=ConstructMode.REFLECTIVE)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("construct")
        verbose_name_plural = _("constructs")
        ordering = ["survey", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="construct_code_unique")]

    def __str__(self) -> str:
        return self.code


class ConstructPath(models.Model):
    """An arrow of the path model: ``source`` drives ``target``."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="paths")
    source = models.ForeignKey(Construct, verbose_name=_("from"), on_delete=models.CASCADE, related_name="paths_out")
    target = models.ForeignKey(Construct, verbose_name=_("to"), on_delete=models.CASCADE, related_name="paths_in")

    class Meta:
        verbose_name = _("path")
        verbose_name_plural = _("paths")
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="path_unique"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="path_not_a_loop",
                                   violation_error_message=_("A path must lead from one construct to another.")),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}->{self.target_id}"


class QuestionKind(models.TextChoices):
    LIKERT5 = "likert5", _("Five levels (满意 … 不满意)")
    NPS = "nps", _("0–10 likelihood to recommend")
    SCALE10 = "scale10", _("1–10 scale")
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    TEXT = "text", _("Free text")


class Question(models.Model):
    """One item of the questionnaire. A scored item measures a leaf indicator
    and/or a construct; ``condition`` shows it only when an earlier answer
    matches, e.g. ``{"question": "Q2", "op": "in", "value": ["a", "b"]}`` or
    ``{"question": "NPS", "op": "<=", "value": 6}``."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="questions")
    code = models.CharField(_("code"), max_length=40)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=QuestionKind.choices)
    text = I18nText(_("question"))
    help = I18nText(_("help text"))
    # single/multiple: [{"value": "price", "label": {"zh-hans": "价格", "en": "Price"}}, ...]
    options = models.JSONField(_("options"), default=list, blank=True)
    required = models.BooleanField(_("required"), default=True)
    condition = models.JSONField(_("shown when"), default=dict, blank=True)
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="questions")
    construct = models.ForeignKey(Construct, verbose_name=_("construct"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="questions")
    # Scored higher = worse (e.g. "how many problems did you have"): reversed before scoring.
    reverse = models.BooleanField(_("reverse scored"), default=False)

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "id"]
        constraints = [models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique")]

    def __str__(self) -> str:
        return self.code


class WaveStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    OPEN = "open", _("Open for answers")
    CLOSED = "closed", pgettext_lazy("wave status", "Closed")


class Wave(TimeStamped):
    """One measurement period of a survey (e.g. "2026 Q4"): its population,
    sample design, invitations and responses."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="waves")
    name = models.CharField(_("name"), max_length=100)
    status = models.CharField(_("status"), max_length=10, choices=WaveStatus.choices, default=WaveStatus.PLANNED)
    opens_on = models.DateField(_("opens on"), null=True, blank=True)
    closes_on = models.DateField(_("closes on"), null=True, blank=True)
    # {"segment_id": 3} or {"filters": {customer filters}}; employee surveys: {"teams": [..]}
    population = models.JSONField(_("population"), default=dict, blank=True)
    # {"confidence": 0.95, "margin": 0.05, "proportion": 0.5, "population": N, "size": n,
    #  "strata": "region"|"tier"|"segment"|"", "allocation": "proportional", "seed": 12345,
    #  "strata_sizes": {"east": 120, ...}}
    sample_design = models.JSONField(_("sample design"), default=dict, blank=True)
    reminder_after_days = models.PositiveSmallIntegerField(_("remind after (days)"), default=7)
    max_reminders = models.PositiveSmallIntegerField(_("reminders at most"), default=2)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("wave")
        verbose_name_plural = _("waves")
        ordering = ["survey", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "name"], name="wave_name_unique"),
            models.CheckConstraint(
                condition=Q(opens_on__isnull=True) | Q(closes_on__isnull=True) | Q(closes_on__gte=models.F("opens_on")),
                name="wave_closes_after_opening",
                violation_error_message=_("The closing date must be on or after the opening date."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey_id}/{self.name}"


class InvitationChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    LINK = "link", _("Link or QR code")
    PHONE = "phone", _("Phone interview")
    IMPORT = "import", _("Imported answers")


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Not sent")
    SENT = "sent", _("Sent")
    OPENED = "opened", _("Opened")
    PARTIAL = "partial", _("Partly answered")
    COMPLETED = "completed", _("Answered")
    DECLINED = "declined", _("Declined")
    FAILED = "failed", _("Could not be delivered")
    HELD = "held", _("Held back (no consent)")


class HoldReason(models.TextChoices):
    """Why an invitation or reminder was not sent (kehu.privacy.consent)."""

    NO_CONSENT = "no_consent", _("The customer has not consented to be contacted")
    WITHDRAWN = "withdrawn", _("The customer withdrew their consent")
    OPTED_OUT = "opted_out", _("The customer opted out of this channel")


class Invitation(TimeStamped):
    """One respondent of a wave, with their personal link. ``token`` is
    unguessable (at least 128 bits from ``secrets``) and is the only thing the
    public answer page accepts."""

    wave = models.ForeignKey(Wave, verbose_name=_("wave"), on_delete=models.CASCADE, related_name="invitations")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="survey_invitations")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="survey_invitations")
    # Employee surveys: the employee invited (their answers stay anonymous in every report).
    employee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("employee"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="survey_invitations")
    # Employee surveys: a member of staff without a login (kehu.org.models.Employee).
    staff = models.ForeignKey("org.Employee", verbose_name=_("staff member"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="survey_invitations")
    # Employee surveys: the respondent's team and role (a user's role, a staff member's position) when
    # invited — the groups of the results by team and role; never shown for a single invitation.
    team = models.ForeignKey("org.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    position = models.CharField(_("role or position"), max_length=60, blank=True, default="")
    # Partner surveys: the partner user invited and their partner (kehu.surveys.services.partners).
    partner_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("partner user"), null=True,
                                     blank=True, on_delete=models.CASCADE, related_name="partner_survey_invitations")
    partner = models.ForeignKey("org.Partner", verbose_name=_("partner"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="survey_invitations")
    token = models.CharField(_("token"), max_length=64, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=InvitationChannel.choices,
                               default=InvitationChannel.EMAIL)
    email = models.EmailField(_("email"), blank=True, default="")
    # The language the invitation is written in first (the answer page starts in it).
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    stratum = models.CharField(_("stratum"), max_length=60, blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=InvitationStatus.choices,
                              default=InvitationStatus.PENDING)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(_("reminders sent"), default=0)
    last_reminded_at = models.DateTimeField(_("last reminded"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened"), null=True, blank=True)
    # Why the last invitation or reminder to this customer was held back (empty: not held).
    held_reason = models.CharField(_("held back because"), max_length=12, choices=HoldReason.choices,
                                   blank=True, default="")
    held_at = models.DateTimeField(_("held back"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["wave", "id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "customer"], condition=Q(customer__isnull=False),
                                    name="invitation_once_per_customer"),
            models.UniqueConstraint(fields=["wave", "employee"], condition=Q(employee__isnull=False),
                                    name="invitation_once_per_employee"),
            models.UniqueConstraint(fields=["wave", "staff"], condition=Q(staff__isnull=False),
                                    name="invitation_once_per_staff"),
            models.UniqueConstraint(fields=["wave", "partner_user"], condition=Q(partner_user__isnull=False),
                                    name="invitation_once_per_partner_user"),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="invitation_customer_time"),
            models.Index(fields=["wave", "status"], name="invitation_wave_status"),
        ]

    def __str__(self) -> str:
        return f"{self.wave_id}:{self.pk}"


class ResponseSource(models.TextChoices):
    WEB = "web", _("Answered online")
    PHONE = "phone", _("Phone interview")
    IMPORT = "import", _("Imported")


class ResponseStatus(models.TextChoices):
    PARTIAL = "partial", _("Partly answered")
    COMPLETE = "complete", _("Complete")


class Response(TimeStamped):
    """One respondent's answers in one wave. The figures computed from it on
    submission (``index``, ``nps``, ``satisfied``) are kept for fast
    aggregates and for closing the loop."""

    wave = models.ForeignKey(Wave, verbose_name=_("wave"), on_delete=models.CASCADE, related_name="responses")
    invitation = models.OneToOneField(Invitation, verbose_name=_("invitation"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="response")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="survey_responses")
    # Partner surveys: the partner the answers came from (copied from the invitation).
    partner = models.ForeignKey("org.Partner", verbose_name=_("partner"), null=True, blank=True,
                                on_delete=models.CASCADE, related_name="survey_responses")
    source = models.CharField(_("source"), max_length=10, choices=ResponseSource.choices, default=ResponseSource.WEB)
    status = models.CharField(_("status"), max_length=10, choices=ResponseStatus.choices,
                              default=ResponseStatus.PARTIAL)
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("entered by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+",
                                   help_text=_("The call-centre agent who entered a phone interview."))
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    index = models.FloatField(_("satisfaction index (0–100)"), null=True, blank=True,
                              validators=[MinValueValidator(0), MaxValueValidator(100)])
    nps = models.SmallIntegerField(_("likelihood to recommend (0–10)"), null=True, blank=True,
                                   validators=[MinValueValidator(0), MaxValueValidator(10)])
    satisfied = models.BooleanField(_("satisfied"), null=True, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["wave", "-submitted_at", "-id"]
        indexes = [
            models.Index(fields=["wave", "status"], name="response_wave_status"),
            models.Index(fields=["customer", "-submitted_at"], name="response_customer_time"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(index__isnull=True) | (Q(index__gte=0) & Q(index__lte=100)),
                                   name="response_index_0_100",
                                   violation_error_message=_("The satisfaction index must be between 0 and 100.")),
            models.CheckConstraint(condition=Q(nps__isnull=True) | (Q(nps__gte=0) & Q(nps__lte=10)),
                                   name="response_nps_0_10",
                                   violation_error_message=_("The likelihood to recommend must be between 0 and 10.")),
        ]

    def __str__(self) -> str:
        return f"{self.wave_id}:{self.pk}"


class Answer(models.Model):
    """One answer: ``number`` for scored items (the raw answer: 1–5, 0–10,
    1–10), ``choices`` for single/multiple choice, ``text`` for free text."""

    response = models.ForeignKey(Response, verbose_name=_("response"), on_delete=models.CASCADE,
                                 related_name="answers")
    question = models.ForeignKey(Question, verbose_name=_("question"), on_delete=models.CASCADE,
                                 related_name="answers")
    number = models.FloatField(_("number"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    text = models.TextField(_("text"), blank=True, default="", max_length=ANSWER_TEXT_MAX,
                            validators=[text_limit(ANSWER_TEXT_MAX)])

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once")]
        indexes = [models.Index(fields=["question", "response"], name="answer_question_response")]

    def __str__(self) -> str:
        return f"{self.response_id}:{self.question_id}"


class CustomerAttitude(models.Model):
    """A customer's latest measured attitude (0–100), set by each response.
    The value analysis reads it for the Dick & Basu matrix and the churn
    warning's satisfaction signal (kehu.insights)."""

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                    related_name="attitude_measure")
    score = models.FloatField(_("attitude (0–100)"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    measured_at = models.DateTimeField(_("measured"))
    response = models.ForeignKey(Response, verbose_name=_("response"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("customer attitude")
        verbose_name_plural = _("customer attitudes")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0) & Q(score__lte=100), name="attitude_0_100",
                                   violation_error_message=_("The attitude must be between 0 and 100.")),
        ]


class ActionStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


class ImprovementAction(TimeStamped):
    """An improvement action (改进措施) aimed at an indicator, with an owner
    and a due date; the next wave shows whether the indicator moved from
    ``baseline`` (its score in ``baseline_wave``)."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE,
                               related_name="improvement_actions")
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), on_delete=models.CASCADE,
                                  related_name="improvement_actions")
    title = models.CharField(pgettext_lazy("improvement", "action"), max_length=200)
    description = models.TextField(_("description"), blank=True, default="", max_length=REMARKS_MAX,
                                   validators=[text_limit(REMARKS_MAX)])
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="improvement_actions")
    due_on = models.DateField(_("due"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    baseline_wave = models.ForeignKey(Wave, verbose_name=_("measured in wave"), null=True, blank=True,
                                      on_delete=models.SET_NULL, related_name="+")
    baseline = models.FloatField(_("score when planned"), null=True, blank=True)
    target = models.FloatField(_("target score"), null=True, blank=True)

    class Meta:
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        ordering = ["status", "due_on", "id"]

    def __str__(self) -> str:
        return self.title


class Benchmark(TimeStamped):
    """A figure to compare with (定点超越): a competitor's or the industry's best
    score on an indicator (the index itself when ``indicator`` is empty)."""

    survey = models.ForeignKey(Survey, verbose_name=_("survey"), on_delete=models.CASCADE, related_name="benchmarks")
    wave = models.ForeignKey(Wave, verbose_name=_("wave"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="benchmarks")
    indicator = models.ForeignKey(Indicator, verbose_name=_("indicator"), null=True, blank=True,
                                  on_delete=models.CASCADE, related_name="benchmarks")
    name = models.CharField(_("compared with"), max_length=100,
                            help_text=_("A competitor, or the industry's best."))
    value = models.FloatField(_("score (0–100)"), validators=[MinValueValidator(0), MaxValueValidator(100)])
    source = models.CharField(_("source"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("benchmark")
        verbose_name_plural = _("benchmarks")
        ordering = ["survey", "name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gte=0) & Q(value__lte=100), name="benchmark_0_100",
                                   violation_error_message=_("The score must be between 0 and 100.")),
        ]

    def __str__(self) -> str:
        return self.name
