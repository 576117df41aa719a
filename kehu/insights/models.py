"""Customer value analyses run on the database (客户价值分析), their per-customer
scores, the company's value settings, and saved segments.

An :class:`AnalysisRun` is one run of the whole value pipeline as of a date:
the per-customer transaction summary (computed by the database that holds the
orders), RFM, ABC/Pareto, value tiers and scorecard, the BG/NBD or Pareto/NBD
and Gamma-Gamma models, CLV, purchase rhythm, churn risk and the loyalty
matrices. It keeps the parameters it ran with and its company-wide results;
:class:`CustomerScore` keeps one row per customer and run, so runs can be
compared and customers seen moving between segments. Runs cover every
customer; what a user sees of them goes through the visibility policy
(``policy_for(viewer).visible(qs, prefix="customer__")``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import TimeStamped
from kehu.runtime.liveness import ProgressJob
from kehu.validators import REMARKS_MAX, text_limit

MONEY = dict(max_digits=16, decimal_places=2)


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")


class RunTrigger(models.TextChoices):
    WEB = "web", _("Started in the browser")
    API = "api", _("Started through the API")
    CLI = "cli", _("Started from the command line")
    SCHEDULE = "schedule", _("Nightly schedule")


class TimeUnit(models.TextChoices):
    DAY = "day", _("Days")
    WEEK = "week", _("Weeks")


class TransactionModel(models.TextChoices):
    BGNBD = "bgnbd", _("BG/NBD")
    PARETO_NBD = "pareto_nbd", _("Pareto/NBD")


class RfmGroup(models.TextChoices):
    IMPORTANT_VALUE = "important_value", _("Important value (重要价值)")
    IMPORTANT_DEVELOP = "important_develop", _("Important to develop (重要发展)")
    IMPORTANT_KEEP = "important_keep", _("Important to keep (重要保持)")
    IMPORTANT_RETAIN = "important_retain", _("Important to win back (重要挽留)")
    GENERAL_VALUE = "general_value", _("General value (一般价值)")
    GENERAL_DEVELOP = "general_develop", _("General to develop (一般发展)")
    GENERAL_KEEP = "general_keep", _("General to keep (一般保持)")
    GENERAL_RETAIN = "general_retain", _("General to win back (一般挽留)")


class AbcClass(models.TextChoices):
    A = "A", "A"
    B = "B", "B"
    C = "C", "C"


class ValueTier(models.TextChoices):
    GOLD = "gold", _("Gold (金牌)")
    SILVER = "silver", _("Silver (银牌)")
    BRONZE = "bronze", _("Bronze (铜牌)")
    DO_NOT_SERVE = "do_not_serve", _("Do not serve")


class DickBasu(models.TextChoices):
    LOYAL = "loyal", _("Loyal (忠诚者)")
    LATENT = "latent", _("Latent loyal (潜在忠诚者)")
    SPURIOUS = "spurious", _("Spurious loyal (虚假忠诚者)")
    NOT_LOYAL = "not_loyal", _("Not loyal (不忠诚者)")
    UNKNOWN = "unknown", _("Attitude unknown")


class ReinartzKumar(models.TextChoices):
    TRUE_FRIEND = "true_friend", _("True friend")
    BUTTERFLY = "butterfly", _("Butterfly")
    BARNACLE = "barnacle", _("Barnacle")
    STRANGER = "stranger", _("Stranger")


class AnalysisRun(ProgressJob, TimeStamped):
    """One run of the customer value pipeline as of a date. Its progress,
    stage, error and times, and while it runs its worker's host, process id
    and heartbeat (whether it is still alive), are the shared
    :class:`~kehu.runtime.liveness.ProgressJob` fields."""

    status = models.CharField(_("status"), max_length=10, choices=RunStatus.choices, default=RunStatus.QUEUED)
    trigger = models.CharField(_("started by"), max_length=10, choices=RunTrigger.choices, default=RunTrigger.WEB)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    as_of = models.DateField(_("as of"), help_text=_("Orders up to and including this date are analysed."))
    calibration_end = models.DateField(
        _("end of calibration"), null=True, blank=True,
        help_text=_("Fit the models on orders up to this date and check them on the orders after it."),
    )
    holdout_end = models.DateField(_("end of holdout"), null=True, blank=True)
    time_unit = models.CharField(_("time unit"), max_length=4, choices=TimeUnit.choices, default=TimeUnit.WEEK)
    model = models.CharField(_("purchase model"), max_length=12, choices=TransactionModel.choices,
                             default=TransactionModel.BGNBD)
    # Everything else the run used (RFM thresholds, tier rules and policies,
    # scorecard, ABC cut-offs, churn weights and threshold, CLV horizon and
    # discount rate...): a copy of ValueSettings.config at start, so a run can
    # always be explained and repeated.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    # Company-wide results: fitted parameters by their usual names,
    # log-likelihoods, customer counts, holdout diagnostics, churn backtest,
    # Pareto statement and Gini, counts per segment, timings.
    results = models.JSONField(_("results"), default=dict, blank=True)
    engine = models.CharField(_("summarised by"), max_length=20, blank=True, default="",
                              help_text=_("The database engine that computed the per-customer summary."))
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    scores_purged = models.BooleanField(
        _("per-customer scores removed"), default=False,
        help_text=_("Old runs keep their results but not their per-customer scores."),
    )

    class Meta:
        verbose_name = _("value analysis")
        verbose_name_plural = _("value analyses")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-as_of", "-id"], name="run_status_asof")]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="run_progress_0_100",
                                   violation_error_message=_("The progress must be between 0 and 100.")),
            models.CheckConstraint(
                condition=Q(calibration_end__isnull=True) | Q(calibration_end__lte=models.F("as_of")),
                name="run_calibration_before_as_of",
                violation_error_message=_("The end of calibration must be on or before the as-of date."),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.as_of}"


class CustomerScore(models.Model):
    """One customer's figures in one run. Money in the company currency."""

    # No single-column indexes: (run, customer) and (customer, run) below serve
    # both foreign keys, and every index costs time when a run stores a
    # million rows. On PostgreSQL the table is partitioned by run
    # (migration 0003, kehu.insights.score_writer).
    run = models.ForeignKey(AnalysisRun, verbose_name=_("analysis"), on_delete=models.CASCADE, related_name="scores",
                            db_index=False)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="value_scores", db_index=False)

    # Summary of the orders up to the run's as-of date
    first_order = models.DateField(_("first order"), null=True, blank=True)
    last_order = models.DateField(_("last order"), null=True, blank=True)
    orders = models.PositiveIntegerField(pgettext_lazy("count", "orders"), default=0)
    purchase_days = models.PositiveIntegerField(_("purchase days"), default=0)
    revenue = models.DecimalField(_("revenue"), default=0, **MONEY)
    gross_margin = models.DecimalField(_("gross margin"), default=0, **MONEY)
    outstanding = models.DecimalField(_("outstanding"), default=0, **MONEY)
    # In the run's time unit, lifetimes semantics (repeat periods, etc.)
    frequency = models.FloatField(_("repeat purchases"), default=0)
    recency = models.FloatField(_("age at last purchase"), default=0)
    T = models.FloatField(_("age"), default=0)
    monetary = models.DecimalField(_("average spend per purchase"), default=0, **MONEY)

    # RFM
    recency_days = models.PositiveIntegerField(_("days since last purchase"), null=True, blank=True)
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_group = models.CharField(_("RFM group"), max_length=20, choices=RfmGroup.choices, blank=True, default="")

    # Value
    abc_class = models.CharField(_("ABC class"), max_length=1, choices=AbcClass.choices, blank=True, default="")
    tier = models.CharField(_("value tier"), max_length=12, choices=ValueTier.choices, blank=True, default="")
    scorecard = models.FloatField(_("scorecard points"), null=True, blank=True)
    scorecard_rank = models.PositiveIntegerField(_("scorecard rank"), null=True, blank=True)

    # Prediction (null when the customer has no purchase before the calibration end)
    p_alive = models.FloatField(_("probability still active"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases over the horizon"), null=True, blank=True)
    expected_spend = models.DecimalField(_("expected spend per purchase"), null=True, blank=True, **MONEY)
    clv = models.DecimalField(_("predicted lifetime value"), null=True, blank=True, **MONEY)
    historical_clv = models.DecimalField(_("historical value"), default=0, **MONEY)

    # Purchase rhythm (the rice merchant)
    rhythm_days = models.FloatField(_("usual days between purchases"), null=True, blank=True)
    next_order_date = models.DateField(_("expected next order"), null=True, blank=True)

    # Churn early warning (流失预警)
    churn_risk = models.FloatField(_("churn risk"), null=True, blank=True)
    # [{"signal": "p_alive", "contribution": 0.31, "value": 0.22}, ...], largest first
    churn_reasons = models.JSONField(_("churn reasons"), default=list, blank=True)
    revenue_at_risk = models.DecimalField(_("revenue at risk"), null=True, blank=True, **MONEY)

    # Loyalty
    attitude = models.FloatField(_("relative attitude (0–100)"), null=True, blank=True,
                                 help_text=_("From survey answers; empty when the customer has not answered."))
    dick_basu = models.CharField(_("loyalty (Dick & Basu)"), max_length=10, choices=DickBasu.choices,
                                 default=DickBasu.UNKNOWN)
    reinartz_kumar = models.CharField(_("relationship (Reinartz & Kumar)"), max_length=12,
                                      choices=ReinartzKumar.choices, blank=True, default="")

    # Per-order rescoring (kehu/insights/rescoring.py): when an order changed the customer
    # after the run, the purchase, CLV, rhythm, RFM and churn figures above were recomputed
    # with this run's parameters, at this time, after this order (its number).
    rescored_at = models.DateTimeField(_("rescored at"), null=True, blank=True)
    rescored_order_ref = models.CharField(_("rescored after order"), max_length=60, blank=True, default="",
                                          db_default="")

    class Meta:
        verbose_name = _("customer value score")
        verbose_name_plural = _("customer value scores")
        constraints = [
            models.UniqueConstraint(fields=["run", "customer"], name="score_run_customer"),
        ]
        # On PostgreSQL the six list indexes below are made without their leading run
        # (migration 0008): each run is a partition of its own there, and a constant first
        # key slowed the nightly bulk build threefold. SQLite keeps them as written. The
        # descending ones run the id backwards too, so that a list's next page is one
        # row-value comparison, (clv, id) < (x, y), answered by a range scan (kehu/pagination.py).
        indexes = [
            models.Index(fields=["customer", "run"], name="score_customer_run"),
            models.Index(fields=["run", "-churn_risk", "-id"], name="score_run_churn"),
            # the churn list by revenue at risk (1.1 s at a million scores without it)
            models.Index(fields=["run", "-revenue_at_risk", "-id"], name="score_run_at_risk"),
            models.Index(fields=["run", "-clv", "-id"], name="score_run_clv"),
            models.Index(fields=["run", "tier", "id"], name="score_run_tier"),
            models.Index(fields=["run", "rfm_group", "id"], name="score_run_rfm"),
            models.Index(fields=["run", "next_order_date", "id"], name="score_run_next_order"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} @ run {self.run_id}"


class ValueSettings(TimeStamped):
    """The company's value settings (one row): what every new run uses.

    ``config`` holds the tier rules with their customer policies (in zh-hans
    and en), the scorecard, RFM thresholds, ABC cut-offs and basis, the churn
    weights and threshold, the CLV horizon and discount rate, the default
    time unit and model, and the nightly schedule. ``kehu.insights.config``
    validates it and fills defaults.
    """

    config = models.JSONField(_("settings"), default=dict, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("value settings")
        verbose_name_plural = _("value settings")


class SegmentKind(models.TextChoices):
    RULE = "rule", _("Rule")
    RUN_GROUP = "run_group", _("Group of an analysis")


class Segment(TimeStamped):
    """A saved segment (客户细分): a rule over customer fields and value scores,
    or one group of one analysis (e.g. the gold tier of run 12). Campaigns and
    survey samples draw their customers from segments; membership is always
    seen through the viewer's visibility (``segment_members(segment=, viewer=)``).
    """

    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True, default="", max_length=REMARKS_MAX,
                                   validators=[text_limit(REMARKS_MAX)])
    kind = models.CharField(_("kind"), max_length=10, choices=SegmentKind.choices, default=SegmentKind.RULE)
    # rule: {"customer": {CustomerFilters fields}, "score": {"tier": [...], "rfm_group": [...],
    #        "abc_class": [...], "dick_basu": [...], "reinartz_kumar": [...],
    #        "churn_risk_min": 0.5, "clv_min": ..., ...}}
    # run_group: {"field": "tier", "value": "gold"}
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    # The run whose scores the segment reads; null = the latest finished run.
    run = models.ForeignKey(AnalysisRun, verbose_name=_("analysis"), null=True, blank=True,
                            on_delete=models.SET_NULL, related_name="segments")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name
