"""Products, orders and payments: the history customer value is computed from."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import TimeStamped
from kehu.validators import REMARKS_MAX, text_limit

MONEY = dict(max_digits=16, decimal_places=2)


class WarrantyTermsFields(models.Model):
    """The "three guarantees" (三包) terms: empty is "not set", 0 is "none". A product's
    own terms override its line's, term by term (kehu/analytics/warranty.py)."""

    warranty_months = models.PositiveSmallIntegerField(
        _("warranty (months)"), null=True, blank=True, validators=[MaxValueValidator(600)],
        help_text=_("Free repair for this many months after the purchase. 0: no warranty."))
    return_days = models.PositiveSmallIntegerField(
        _("return within (days)"), null=True, blank=True, validators=[MaxValueValidator(3650)],
        help_text=_("The customer may return the item for a defect within this many days. 0: no return."))
    exchange_days = models.PositiveSmallIntegerField(
        _("exchange within (days)"), null=True, blank=True, validators=[MaxValueValidator(3650)],
        help_text=_("The customer may exchange the item for a defect within this many days. 0: no exchange."))

    class Meta:
        abstract = True

    def warranty_terms(self):
        from kehu.analytics.warranty import WarrantyTerms

        return WarrantyTerms(warranty_months=self.warranty_months, return_days=self.return_days,
                             exchange_days=self.exchange_days)


VAT_RATE = dict(max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal(0)),
                                                             MaxValueValidator(Decimal(100))])


class ProductLine(WarrantyTermsFields, TimeStamped):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The VAT rate (增值税税率, percent) a quote line of this line's products starts with:
    # 13 for goods such as steel, 9, 6 or 0 for others; a quote line may override it.
    vat_rate = models.DecimalField(_("VAT rate (%)"), default=Decimal(13), db_default=Decimal(13),
                                   help_text=_("The VAT rate of this line's products on a quote: 13, 9, 6 or 0."),
                                   **VAT_RATE)

    class Meta:
        verbose_name = _("product line")
        verbose_name_plural = _("product lines")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Product(WarrantyTermsFields, TimeStamped):
    ref = models.CharField(_("product code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    line = models.ForeignKey(ProductLine, verbose_name=_("product line"), null=True, blank=True, on_delete=models.PROTECT, related_name="products")
    unit = models.CharField(_("unit"), max_length=20, blank=True, default="")
    unit_price = models.DecimalField(_("list price"), default=Decimal("0"), validators=[MinValueValidator(Decimal(0))],
                                     **MONEY)
    unit_cost = models.DecimalField(_("unit cost"), default=Decimal("0"), validators=[MinValueValidator(Decimal(0))],
                                    **MONEY)
    active = models.BooleanField(pgettext_lazy("product", "active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["name", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="product_price_not_negative",
                                   violation_error_message=_("The list price cannot be negative.")),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_cost_not_negative",
                                   violation_error_message=_("The unit cost cannot be negative.")),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("order status", "Open")
    CONFIRMED = "confirmed", _("Confirmed")
    DELIVERED = "delivered", _("Delivered")
    CANCELLED = "cancelled", _("Cancelled")


class OrderApproval(models.TextChoices):
    """Whether an order waits for a manager (issue 15, item 5: the enforced terms)."""

    NOT_NEEDED = "not_needed", _("Not needed")
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Order(TimeStamped):
    """An order or transaction. Totals are kept by the order services from the lines."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="orders")
    ref = models.CharField(_("order number"), max_length=60, unique=True)
    order_date = models.DateField(_("order date"))
    status = models.CharField(_("status"), max_length=12, choices=OrderStatus.choices, default=OrderStatus.CONFIRMED)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    amount = models.DecimalField(_("amount"), default=Decimal("0"), **MONEY)
    cost = models.DecimalField(_("cost"), default=Decimal("0"), **MONEY)
    payment_due_on = models.DateField(_("payment due"), null=True, blank=True)
    paid_amount = models.DecimalField(_("paid"), default=Decimal("0"), **MONEY)
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Sold through a partner (kehu/org Partner): the partner's margin in percent of the
    # amount, copied from the partner when the order is recorded; the partner's price
    # is the amount less that margin.
    partner = models.ForeignKey("org.Partner", verbose_name=_("partner"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="orders")
    partner_margin_pct = models.DecimalField(_("partner margin (%)"), max_digits=5, decimal_places=2, null=True,
                                             blank=True)
    remarks = models.TextField(_("remarks"), blank=True, default="", max_length=REMARKS_MAX,
                               validators=[text_limit(REMARKS_MAX)])
    # Values of the custom fields (kehu.customfields), validated by its clean_custom_values.
    custom = models.JSONField(_("custom fields"), default=dict, db_default={}, blank=True)
    # The enforced terms (kehu/sales/terms.py): an order beyond the customer's credit limit,
    # or from a customer with overdue payments, waits for a manager. Set by the order
    # create service only; imports and other system writes leave "not needed".
    approval = models.CharField(_("approval"), max_length=12, choices=OrderApproval.choices,
                                default=OrderApproval.NOT_NEEDED, db_default=OrderApproval.NOT_NEEDED)
    approval_reason = models.TextField(_("why approval is needed"), blank=True, default="", db_default="")
    approval_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved or rejected by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    approval_at = models.DateTimeField(_("approved or rejected at"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True, default="", db_default="",
                                     max_length=REMARKS_MAX, validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "-order_date", "-id"], name="order_customer_date"),
            models.Index(fields=["order_date"], name="order_date"),
            models.Index(fields=["approval"], name="order_approval_pending",
                         condition=Q(approval="pending")),
        ]

    def __str__(self) -> str:
        return self.ref

    @property
    def gross_margin(self) -> Decimal:
        return self.amount - self.cost

    @property
    def margin_rate(self) -> Decimal | None:
        return (self.gross_margin / self.amount * 100) if self.amount else None

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount


class OrderLine(models.Model):
    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines")
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=Decimal("1"))
    unit_price = models.DecimalField(_("unit price"), default=Decimal("0"), **MONEY)
    amount = models.DecimalField(_("amount"), default=Decimal("0"), **MONEY)
    cost = models.DecimalField(_("cost"), default=Decimal("0"), **MONEY)
    # The item's serial number, or for steel the heat number (炉号): how a case finds
    # the line it is about (the customer's installed base, the warranty).
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True, default="", db_default="",
                                     help_text=_("Serial number of the item, or the heat number (炉号) of steel."))

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["product"], name="orderline_product"),
                   models.Index(fields=["serial_number"], name="orderline_serial",
                                condition=~Q(serial_number=""))]

    @property
    def gross_margin(self) -> Decimal:
        return self.amount - self.cost


class Payment(TimeStamped):
    """Money received against an order (回款)."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(
        Decimal("0.01"), message=_("A payment must be more than zero."))], **MONEY)
    received_on = models.DateField(_("received on"))
    method = models.CharField(_("method"), max_length=30, blank=True, default="")
    reference = models.CharField(_("reference"), max_length=60, blank=True, default="")

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-received_on", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive",
                                              violation_error_message=_("A payment must be more than zero."))]


# -- opportunities and pipelines (商机, issue 15) ----------------------------------------------
#
# A pipeline is an ordered list of stages; an opportunity sits in one stage of one pipeline and
# only the services of kehu/sales/opportunities.py move it, each move kept as a StageChange.

from django.core.validators import MaxValueValidator  # noqa: E402

from kehu.customers.models import Contact, DecisionRole, LifecycleStage, Source  # noqa: E402

def _in_language(zh: str, en: str) -> str:
    from django.utils.translation import get_language

    return zh if (get_language() or "").startswith("zh") else en


class StageOutcome(models.TextChoices):
    OPEN = "open", pgettext_lazy("opportunity outcome", "Open")
    WON = "won", pgettext_lazy("opportunity outcome", "Won")
    LOST = "lost", pgettext_lazy("opportunity outcome", "Lost")


class Pipeline(TimeStamped):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    product_line = models.ForeignKey(ProductLine, verbose_name=_("product line"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="pipelines")
    is_default = models.BooleanField(_("default pipeline"), default=False)
    active = models.BooleanField(pgettext_lazy("pipeline", "active"), default=True)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["-is_default", "name_en", "id"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=Q(is_default=True),
                                               name="pipeline_one_default")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class Stage(models.Model):
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    code = models.SlugField(_("code"), max_length=40)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("default probability (%)"), default=0,
                                                   validators=[MaxValueValidator(100)])
    outcome = models.CharField(_("outcome"), max_length=8, choices=StageOutcome.choices, default=StageOutcome.OPEN)
    # A stage that has (or had) opportunities cannot be deleted; it is deactivated instead:
    # no opportunity moves into it, and the board shows it only while opportunities are in it.
    active = models.BooleanField(pgettext_lazy("stage", "active"), default=True, db_default=True)

    class Meta:
        verbose_name = _("pipeline stage")
        verbose_name_plural = _("pipeline stages")
        ordering = ["pipeline", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["pipeline", "code"], name="stage_code_unique"),
            models.CheckConstraint(condition=Q(probability__lte=100), name="stage_probability_max",
                                   violation_error_message=_("A probability is between 0 and 100.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class LostReason(TimeStamped):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(pgettext_lazy("lost reason", "active"), default=True)

    class Meta:
        verbose_name = _("reason for losing")
        verbose_name_plural = _("reasons for losing")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class Opportunity(TimeStamped):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="opportunities")
    name = models.CharField(pgettext_lazy("opportunity", "name"), max_length=200)
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="opportunities")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    probability = models.PositiveSmallIntegerField(_("probability (%)"), default=0,
                                                   validators=[MaxValueValidator(100)])
    expected_close = models.DateField(_("expected close date"), null=True, blank=True)
    competitor = models.CharField(_("competitor"), max_length=200, blank=True, default="")
    source = models.CharField(pgettext_lazy("customer", "source"), max_length=12, choices=Source.choices, blank=True,
                              default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="opportunities")
    team = models.ForeignKey("org.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="opportunities")
    next_step = models.CharField(_("next step"), max_length=200, blank=True, default="")
    next_step_on = models.DateField(_("next step date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), default=Decimal("0"), validators=[MinValueValidator(Decimal(0))],
                                 **MONEY)
    won_at = models.DateTimeField(_("won"), null=True, blank=True)
    lost_at = models.DateTimeField(_("lost"), null=True, blank=True)
    lost_reason = models.ForeignKey(LostReason, verbose_name=_("reason for losing"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="opportunities")
    lost_note = models.TextField(_("note on the loss"), blank=True, default="", max_length=REMARKS_MAX,
                                 validators=[text_limit(REMARKS_MAX)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # Optimistic concurrency, as kehu.service Case: every write adds one; a write that read
    # an older version is refused (OpportunityConflict, the API's 409).
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    # The customer's owner and team, copied here by the database itself (the triggers of
    # migration 0015_customer_keys, on both databases) whenever an opportunity is written
    # or its customer changes hands, never by Python. The one policy reads them
    # (CustomerPolicy.visible_opportunities): a salesperson's board and list find their
    # opportunities through an index instead of joining a million customers.
    customer_owner_id = models.BigIntegerField(null=True, blank=True, editable=False)
    customer_team_id = models.BigIntegerField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="opp_customer_time"),
            models.Index(fields=["owner", "stage"], name="opp_owner_stage"),
            models.Index(fields=["pipeline", "stage", "-id"], name="opp_board"),
            # the list's sort orders over every opportunity (head office), each with its keyset tie-breaker
            models.Index(fields=["created_at", "id"], name="opp_created"),
            models.Index(fields=["amount", "id"], name="opp_amount"),
            models.Index(fields=["name", "id"], name="opp_name"),
            models.Index(fields=["expected_close", "id"], name="opp_close_id"),
            # a salesperson's and a team's board (cards newest first, column totals) and list
            models.Index(fields=["customer_owner_id", "pipeline", "stage", "id"], include=["amount", "probability"],
                         name="opp_cust_owner_board"),
            models.Index(fields=["customer_team_id", "pipeline", "stage", "id"], include=["amount", "probability"],
                         name="opp_cust_team_board"),
            models.Index(fields=["customer_owner_id", "created_at", "id"], name="opp_cust_owner_created"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(probability__lte=100), name="opp_probability_max",
                                   violation_error_message=_("A probability is between 0 and 100.")),
            models.CheckConstraint(condition=Q(amount__gte=0), name="opp_amount_not_negative",
                                   violation_error_message=_("The amount cannot be negative.")),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def weighted(self) -> Decimal:
        from decimal import ROUND_HALF_UP

        return (self.amount * self.probability / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    @property
    def is_open(self) -> bool:
        return self.stage.outcome == StageOutcome.OPEN


class StageTotal(models.Model):
    """The count, amount and amount × probability of the opportunities in each stage,
    kept by PostgreSQL as opportunities are written (triggers of migration
    ``0013_stage_totals``, on every insert, delete and change of stage, amount or
    probability — services, imports and ``COPY`` alike), so the board of a million
    opportunities shows its column totals without adding them up on every visit. Only
    the unfiltered board of a viewer who sees every opportunity reads it; SQLite, which
    holds small companies, adds the totals up each time and leaves this table empty."""

    stage = models.OneToOneField(Stage, on_delete=models.CASCADE, primary_key=True, related_name="+")
    n = models.BigIntegerField(default=0)
    amount = models.DecimalField(max_digits=24, decimal_places=2, default=Decimal(0))
    # Σ amount × probability (a percentage): the weighted total is this over 100
    weighted_pct = models.DecimalField(max_digits=28, decimal_places=2, default=Decimal(0))

    class Meta:
        verbose_name = _("stage total")
        verbose_name_plural = _("stage totals")


class OpportunityLine(models.Model):
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE,
                                    related_name="lines")
    product_line = models.ForeignKey(ProductLine, verbose_name=_("product line"), on_delete=models.PROTECT,
                                     related_name="opportunity_lines")
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal(0))], **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("opportunity line")
        verbose_name_plural = _("opportunity lines")
        ordering = ["opportunity", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="oppline_amount_not_negative",
                                              violation_error_message=_("The amount cannot be negative."))]


class OpportunityContact(models.Model):
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE,
                                    related_name="contacts")
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), on_delete=models.CASCADE,
                                related_name="opportunity_roles")
    role = models.CharField(_("role in the buying decision"), max_length=20, choices=DecisionRole.choices,
                            blank=True, default="")

    class Meta:
        verbose_name = _("opportunity contact")
        verbose_name_plural = _("opportunity contacts")
        ordering = ["opportunity", "id"]
        constraints = [models.UniqueConstraint(fields=["opportunity", "contact"], name="oppcontact_unique")]


class StageChange(models.Model):
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), on_delete=models.CASCADE,
                                    related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, verbose_name=_("from stage"), null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, verbose_name=_("to stage"), on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(_("note"), blank=True, default="", max_length=REMARKS_MAX,
                            validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["opportunity", "at", "id"]


class LifecycleChange(models.Model):
    """One move of a customer's lifecycle stage (Customer.lifecycle_stage): by hand (``by``)
    or by itself (``auto``, from an opportunity or the first order)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="lifecycle_changes")
    from_stage = models.CharField(_("from stage"), max_length=12, choices=LifecycleStage.choices, blank=True,
                                  default="")
    to_stage = models.CharField(_("to stage"), max_length=12, choices=LifecycleStage.choices)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    auto = models.BooleanField(_("automatic"), default=False)
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("lifecycle change")
        verbose_name_plural = _("lifecycle changes")
        ordering = ["customer", "-at", "-id"]


# -- association rules and cross-selling (交叉销售, issue 15 item 9) ------------------------------
#
# Computed in the background (kehu/sales/xsell.py, kehu/sales/tasks.py) from the order lines and
# stored here so that pages read them at once. A run keeps its rules and its peer-group shares;
# pages read the latest finished run.

class AssociationRunStatus(models.TextChoices):
    RUNNING = "running", pgettext_lazy("association run", "Running")
    DONE = "done", pgettext_lazy("association run", "Done")
    FAILED = "failed", pgettext_lazy("association run", "Failed")


class AssociationRun(TimeStamped):
    status = models.CharField(_("status"), max_length=10, choices=AssociationRunStatus.choices,
                              default=AssociationRunStatus.RUNNING)
    trigger = models.CharField(_("started by"), max_length=20, blank=True, default="")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    min_support = models.FloatField(_("minimum support"))
    min_confidence = models.FloatField(_("minimum confidence"))
    min_lift = models.FloatField(_("minimum lift"))
    # Everything else the run used: window in months, basket cap, peer settings.
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    baskets = models.PositiveIntegerField(_("orders analysed"), default=0)
    customers = models.PositiveIntegerField(_("customers analysed"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("association analysis")
        verbose_name_plural = _("association analyses")
        ordering = ["-created_at", "-id"]


class RuleLevel(models.TextChoices):
    PRODUCT = "product", _("Products")
    LINE = "line", _("Product lines")


class AssociationRule(models.Model):
    """X ⇒ Y: orders holding every item of X also hold Y (kehu/analytics/association.py).
    Items are product ids or product-line ids (``level``); the labels are their names
    when the rule was computed."""

    run = models.ForeignKey(AssociationRun, verbose_name=_("analysis"), on_delete=models.CASCADE, related_name="rules")
    level = models.CharField(_("level"), max_length=10, choices=RuleLevel.choices)
    antecedent = models.JSONField(_("if bought"), default=list)
    consequent = models.JSONField(_("then also"), default=list)
    antecedent_label = models.CharField(_("if bought"), max_length=500)
    consequent_label = models.CharField(_("then also"), max_length=500)
    size = models.PositiveSmallIntegerField(_("items"), default=2)
    count = models.PositiveIntegerField(_("orders"))
    support = models.FloatField(_("support"))
    confidence = models.FloatField(_("confidence"))
    lift = models.FloatField(_("lift"))
    consequent_support = models.FloatField(_("support of the consequent"))

    class Meta:
        verbose_name = _("association rule")
        verbose_name_plural = _("association rules")
        indexes = [
            models.Index(fields=["run", "level", "-lift", "id"], name="assocrule_run_lift"),
            models.Index(fields=["run", "level", "-confidence", "id"], name="assocrule_run_conf"),
            models.Index(fields=["run", "level", "-support", "id"], name="assocrule_run_support"),
        ]

    def __str__(self) -> str:
        return f"{self.antecedent_label} ⇒ {self.consequent_label}"

    @property
    def support_pct(self) -> float:
        return self.support * 100

    @property
    def confidence_pct(self) -> float:
        return self.confidence * 100


class PeerLineShare(models.Model):
    """In a peer group (customers of one industry, and of one value tier or all tiers when
    ``tier`` is empty), how many of the group's buying customers buy a product line."""

    run = models.ForeignKey(AssociationRun, verbose_name=_("analysis"), on_delete=models.CASCADE,
                            related_name="peer_shares")
    industry = models.CharField(_("industry"), max_length=60, blank=True, default="")
    tier = models.CharField(_("value tier"), max_length=12, blank=True, default="")
    line = models.ForeignKey(ProductLine, verbose_name=_("product line"), on_delete=models.CASCADE, related_name="+")
    group_size = models.PositiveIntegerField(_("customers in the group"))
    buyers = models.PositiveIntegerField(_("customers buying the line"))
    share = models.FloatField(_("share"))

    class Meta:
        verbose_name = _("peer-group share of a product line")
        verbose_name_plural = _("peer-group shares of product lines")
        constraints = [models.UniqueConstraint(fields=["run", "industry", "tier", "line"], name="peershare_unique")]
# -- the lead pool (公海 / 线索池, kehu/sales/pool.py) ------------------------------------------

class PoolSettings(TimeStamped):
    """The lead pool's rules (one row, edited by administrators): how many unconverted leads a
    salesperson may hold, after how many quiet days an owned customer goes back to the pool
    (by value tier; 0: never), and how many days before that the owner is reminded."""

    claim_limit = models.PositiveIntegerField(
        _("leads a salesperson may hold"), default=50, validators=[MaxValueValidator(100000)],
        help_text=_("The most customers at the reserve stage (储备) one salesperson may own; a claim beyond it "
                    "is refused. 0: no limit."))
    recycle_days_gold = models.PositiveIntegerField(_("gold: back to the pool after (days)"), default=0,
                                                    validators=[MaxValueValidator(3650)])
    recycle_days_silver = models.PositiveIntegerField(_("silver: back to the pool after (days)"), default=180,
                                                      validators=[MaxValueValidator(3650)])
    recycle_days_bronze = models.PositiveIntegerField(_("bronze: back to the pool after (days)"), default=90,
                                                      validators=[MaxValueValidator(3650)])
    recycle_days_do_not_serve = models.PositiveIntegerField(
        _("do not serve: back to the pool after (days)"), default=60, validators=[MaxValueValidator(3650)])
    recycle_days_none = models.PositiveIntegerField(
        _("no tier (leads): back to the pool after (days)"), default=30, validators=[MaxValueValidator(3650)],
        help_text=_("For customers without a value tier, which is every lead. 0: never."))
    reminder_days = models.PositiveIntegerField(
        _("remind the owner (days before)"), default=7, validators=[MaxValueValidator(365)],
        help_text=_("The owner gets a task this many days before a customer goes back to the pool."))
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    class Meta:
        verbose_name = _("lead pool settings")
        verbose_name_plural = _("lead pool settings")

    def __str__(self) -> str:
        return str(_("lead pool settings"))

    def days_by_tier(self) -> dict[str, int]:
        return {"gold": self.recycle_days_gold, "silver": self.recycle_days_silver,
                "bronze": self.recycle_days_bronze, "do_not_serve": self.recycle_days_do_not_serve,
                "none": self.recycle_days_none}


class OwnershipReason(models.TextChoices):
    CLAIM = "claim", _("Claimed from the pool")
    RELEASE = "release", _("Returned to the pool")
    RECYCLE = "recycle", _("Recycled to the pool")
    ASSIGN = "assign", _("Assigned by a manager")
    CONVERT = "convert", _("Converted")


class OwnershipChange(models.Model):
    """One change of a customer's owner through the lead pool: claimed, returned, recycled,
    assigned or converted — kept across owners (the customer page's ownership history)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="ownership_changes")
    from_owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from owner"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    from_team = models.ForeignKey("org.Team", verbose_name=_("from team"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to_owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("to owner"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    to_team = models.ForeignKey("org.Team", verbose_name=_("to team"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("at"))
    by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True,
                           on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=10, choices=OwnershipReason.choices)
    note = models.CharField(_("note"), max_length=300, blank=True, default="")

    class Meta:
        verbose_name = _("ownership change")
        verbose_name_plural = _("ownership changes")
        ordering = ["customer", "-at", "-id"]
        indexes = [models.Index(fields=["customer", "-at"], name="own_customer_time")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_owner_id} → {self.to_owner_id} ({self.reason})"


PERIOD_RE = r"^\d{4}-(0[1-9]|1[0-2]|Q[1-4])$"


class Quota(TimeStamped):
    """A sales quota (销售指标): the amount a salesperson or a team is to sell in a month
    (``2026-01``) or a quarter (``2026-Q1``), optionally for one product line. The forecast
    (kehu/sales/forecast.py) is measured against it."""

    period = models.CharField(
        _("period"), max_length=7,
        validators=[RegexValidator(PERIOD_RE, _("A month (2026-01) or a quarter (2026-Q1)."))],
        help_text=_("A month (2026-01) or a quarter (2026-Q1)."))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="quotas")
    team = models.ForeignKey("org.Team", verbose_name=_("team"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="quotas")
    product_line = models.ForeignKey(ProductLine, verbose_name=_("product line"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="quotas",
                                     help_text=_("Empty: all product lines."))
    amount = models.DecimalField(_("amount"), validators=[MinValueValidator(Decimal(0))], **MONEY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")
        ordering = ["-period", "id"]
        indexes = [models.Index(fields=["period", "user"], name="quota_period_user"),
                   models.Index(fields=["period", "team"], name="quota_period_team")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="quota_amount_not_negative",
                                   violation_error_message=_("The amount cannot be negative.")),
            models.CheckConstraint(condition=(Q(user__isnull=False) & Q(team__isnull=True))
                                   | (Q(user__isnull=True) & Q(team__isnull=False)),
                                   name="quota_user_or_team",
                                   violation_error_message=_("A quota is for one salesperson or one team.")),
            models.UniqueConstraint(fields=["period", "user", "product_line"], name="quota_unique_user_line",
                                    condition=Q(product_line__isnull=False, user__isnull=False),
                                    violation_error_message=_("This quota already exists.")),
            models.UniqueConstraint(fields=["period", "user"], name="quota_unique_user",
                                    condition=Q(product_line__isnull=True, user__isnull=False),
                                    violation_error_message=_("This quota already exists.")),
            models.UniqueConstraint(fields=["period", "team", "product_line"], name="quota_unique_team_line",
                                    condition=Q(product_line__isnull=False, team__isnull=False),
                                    violation_error_message=_("This quota already exists.")),
            models.UniqueConstraint(fields=["period", "team"], name="quota_unique_team",
                                    condition=Q(product_line__isnull=True, team__isnull=False),
                                    violation_error_message=_("This quota already exists.")),
        ]

    def __str__(self) -> str:
        who = self.user or self.team
        return f"{self.period} {who}" + (f" · {self.product_line}" if self.product_line_id else "")


# -- key-account plans (大客户计划, issue 15 item 5) ---------------------------------------------
#
# A plan for a gold / class-A customer: three years of targets, a SWOT, the people answerable
# for it, and terms that override the customer's tier's (kehu/sales/terms.py). One active
# plan per customer; drafts and closed plans may be many.

class KeyAccountStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("key-account plan", "Draft")
    ACTIVE = "active", pgettext_lazy("key-account plan", "Active")
    CLOSED = "closed", pgettext_lazy("key-account plan", "Closed")


class KeyAccountPlan(TimeStamped):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="key_account_plans")
    name = models.CharField(pgettext_lazy("key-account plan", "name"), max_length=200)
    status = models.CharField(_("status"), max_length=8, choices=KeyAccountStatus.choices,
                              default=KeyAccountStatus.DRAFT)
    start_year = models.PositiveSmallIntegerField(_("first year"), validators=[MinValueValidator(2000),
                                                                               MaxValueValidator(2100)])
    strengths = models.TextField(_("strengths"), blank=True, default="", max_length=REMARKS_MAX,
                                 validators=[text_limit(REMARKS_MAX)])
    weaknesses = models.TextField(_("weaknesses"), blank=True, default="", max_length=REMARKS_MAX,
                                  validators=[text_limit(REMARKS_MAX)])
    opportunities = models.TextField(_("opportunities (SWOT)"), blank=True, default="", max_length=REMARKS_MAX,
                                     validators=[text_limit(REMARKS_MAX)])
    threats = models.TextField(_("threats"), blank=True, default="", max_length=REMARKS_MAX,
                               validators=[text_limit(REMARKS_MAX)])
    salesperson = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("manager"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    sponsor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("executive sponsor"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+")
    # Terms that override the tier's, as the value settings' tiers.levels.<tier>.terms
    # (kehu.insights.config.check_terms); an empty term keeps the tier's.
    terms = models.JSONField(_("terms"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("key-account plan")
        verbose_name_plural = _("key-account plans")
        ordering = ["-start_year", "-id"]
        constraints = [models.UniqueConstraint(fields=["customer"], condition=Q(status="active"),
                                               name="keyaccount_one_active",
                                               violation_error_message=_(
                                                   "This customer already has an active key-account plan."))]

    def __str__(self) -> str:
        return self.name

    @property
    def years(self) -> list[int]:
        return [self.start_year + i for i in range(3)]


class KeyAccountTarget(models.Model):
    """One year's targets of a plan: volume (tonnes or quantity), revenue, cost, profit."""

    plan = models.ForeignKey(KeyAccountPlan, verbose_name=_("key-account plan"), on_delete=models.CASCADE,
                             related_name="targets")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    volume = models.DecimalField(_("volume"), max_digits=14, decimal_places=3, default=Decimal("0"),
                                 validators=[MinValueValidator(Decimal(0))],
                                 help_text=_("Tonnes, or the quantity in the products' units."))
    revenue = models.DecimalField(_("revenue"), default=Decimal("0"), validators=[MinValueValidator(Decimal(0))],
                                  **MONEY)
    cost = models.DecimalField(_("cost"), default=Decimal("0"), validators=[MinValueValidator(Decimal(0))], **MONEY)
    profit = models.DecimalField(_("profit"), default=Decimal("0"), **MONEY)

    class Meta:
        verbose_name = _("key-account target")
        verbose_name_plural = _("key-account targets")
        ordering = ["plan", "year"]
        constraints = [models.UniqueConstraint(fields=["plan", "year"], name="keyaccount_target_year")]


# -- quotes (报价单, issue 15) ---------------------------------------------------------------
#
# A quote is for a customer, often from one of its opportunities; its lines come from the
# product catalogue. Its money follows kehu/analytics/quote_math.py (line by line, to the fen,
# as a VAT invoice). Only the services of kehu/sales/quotes.py change a quote.

class QuoteStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("quote status", "Draft")
    PENDING = "pending", pgettext_lazy("quote status", "Pending approval")
    APPROVED = "approved", pgettext_lazy("quote status", "Approved")
    SENT = "sent", pgettext_lazy("quote status", "Sent")
    ACCEPTED = "accepted", pgettext_lazy("quote status", "Accepted")
    REJECTED = "rejected", pgettext_lazy("quote status", "Rejected")
    EXPIRED = "expired", pgettext_lazy("quote status", "Expired")
    SUPERSEDED = "superseded", pgettext_lazy("quote status", "Superseded")


class Quote(TimeStamped):
    """One version (``revision``) of a quote. A new version is a new row with the same
    ``ref`` and the next ``revision``; the one before becomes superseded and stays readable."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="quotes")
    opportunity = models.ForeignKey(Opportunity, verbose_name=_("opportunity"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="quotes")
    ref = models.CharField(_("quote number"), max_length=60, db_index=True)
    revision = models.PositiveSmallIntegerField(pgettext_lazy("quote", "version"), default=1,
                                                validators=[MinValueValidator(1)])
    previous = models.OneToOneField("self", verbose_name=_("previous version"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="next_version")
    title = models.CharField(pgettext_lazy("quote", "subject"), max_length=200, blank=True, default="")
    status = models.CharField(_("status"), max_length=12, choices=QuoteStatus.choices, default=QuoteStatus.DRAFT)
    issued_on = models.DateField(_("quote date"))
    valid_until = models.DateField(_("valid until"))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    prices_include_tax = models.BooleanField(
        _("prices include VAT"), default=False,
        help_text=_("Off: unit prices are without VAT and the tax is added. On: unit prices include VAT."))
    amount = models.DecimalField(_("amount excl. VAT"), default=Decimal("0"), **MONEY)
    tax = models.DecimalField(_("VAT"), default=Decimal("0"), **MONEY)
    total = models.DecimalField(_("total incl. VAT"), default=Decimal("0"), **MONEY)
    terms = models.TextField(_("terms and notes"), blank=True, default="", max_length=REMARKS_MAX,
                             validators=[text_limit(REMARKS_MAX)])
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("salesperson"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="quotes")
    discount_ceiling = models.DecimalField(_("discount ceiling (%)"), null=True, blank=True, max_digits=5,
                                           decimal_places=2)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    approval_note = models.TextField(_("approval note"), blank=True, default="", max_length=REMARKS_MAX,
                                     validators=[text_limit(REMARKS_MAX)])
    sent_at = models.DateTimeField(pgettext_lazy("quote", "sent"), null=True, blank=True)
    decided_at = models.DateTimeField(_("accepted or rejected"), null=True, blank=True)
    order = models.OneToOneField(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="quote")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    # Optimistic concurrency, as Opportunity: every write adds one (QuoteConflict, the API's 409).
    version = models.PositiveIntegerField(_("edit version"), default=1, editable=False)

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="quote_customer_time"),
            models.Index(fields=["status", "valid_until"], name="quote_status_valid"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["ref", "revision"], name="quote_ref_revision"),
            models.CheckConstraint(condition=Q(revision__gte=1), name="quote_revision_positive",
                                   violation_error_message=_("A version is 1 or more.")),
        ]

    def __str__(self) -> str:
        return f"{self.ref} V{self.revision}"

    @property
    def editable(self) -> bool:
        return self.status == QuoteStatus.DRAFT


class QuoteLine(models.Model):
    quote = models.ForeignKey(Quote, verbose_name=_("quote"), on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="quote_lines")
    description = models.CharField(_("description"), max_length=200, blank=True, default="")
    quantity = models.DecimalField(_("quantity"), max_digits=14, decimal_places=3, default=Decimal("1"),
                                   validators=[MinValueValidator(Decimal("0.001"))])
    unit_price = models.DecimalField(_("list price"), validators=[MinValueValidator(Decimal(0))], **MONEY)
    discount = models.DecimalField(_("discount (%)"), default=Decimal(0), **VAT_RATE)
    vat_rate = models.DecimalField(_("VAT rate (%)"), default=Decimal(13), **VAT_RATE)
    amount = models.DecimalField(_("amount excl. VAT"), default=Decimal("0"), **MONEY)
    tax = models.DecimalField(_("VAT"), default=Decimal("0"), **MONEY)
    total = models.DecimalField(_("total incl. VAT"), default=Decimal("0"), **MONEY)

    class Meta:
        verbose_name = _("quote line")
        verbose_name_plural = _("quote lines")
        ordering = ["quote", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="quoteline_quantity_positive",
                                   violation_error_message=_("The quantity must be greater than zero.")),
            models.CheckConstraint(condition=Q(discount__gte=0, discount__lte=100), name="quoteline_discount_range",
                                   violation_error_message=_("A discount is between 0 and 100.")),
            models.CheckConstraint(condition=Q(vat_rate__gte=0, vat_rate__lte=100), name="quoteline_vat_range",
                                   violation_error_message=_("A VAT rate is between 0 and 100.")),
        ]


class CustomerPurchaseSummary(models.Model):
    """One customer's purchases summed, kept as orders are written (issue 17, item 1).

    Every service that writes orders — create, change, cancellation, deletion,
    payments, imports, customer merges, ``kehu generate`` and the demo — calls
    :func:`kehu.sales.purchase_summary.summary_refresh` for the customers it
    touched, in the same transaction: the row is recomputed from the orders
    (one ``INSERT ... SELECT ... ON CONFLICT`` per batch), never incremented.
    Cancelled orders are left out; a customer without orders has no row. The
    columns are those of the value summary (kehu/insights/summary_sql.py) that
    do not depend on a date window — money in whole cents, as there — and the
    nightly check (``kehu summary check``) compares them with that query.
    """

    customer = models.OneToOneField(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                    primary_key=True, related_name="purchase_summary")
    first_order = models.DateField(_("first order"))
    last_order = models.DateField(_("last order"))
    purchase_days = models.PositiveIntegerField(_("purchase days"))
    orders = models.PositiveIntegerField(pgettext_lazy("count", "orders"))
    revenue_cents = models.BigIntegerField(_("revenue (cents)"))
    cost_cents = models.BigIntegerField(_("cost (cents)"))
    paid_cents = models.BigIntegerField(_("paid (cents)"))
    first_amount_cents = models.BigIntegerField(_("value of the first purchase day (cents)"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("purchase summary")
        verbose_name_plural = _("purchase summaries")
        # the dashboard's top customers: the largest first, as candidates (kehu/sales/dashboard_figures.py)
        # (last_order too: the candidates' filter is read from the index, no row visited)
        indexes = [models.Index(fields=["-revenue_cents", "customer", "last_order"], name="purchase_summary_revenue")]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.orders}"


class CustomerSalesDay(models.Model):
    """One customer's orders of one day (not cancelled): their count and amount in
    cents, kept with :class:`CustomerPurchaseSummary` by the same refresh
    (kehu/sales/sales_days.py). The dashboard's figures for a viewer who sees only
    some customers are summed from these rows through the visibility policy."""

    # no index of its own: the unique (customer, day) serves, with the day range in its condition
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="sales_days", db_index=False)
    day = models.DateField(_("order date"))
    orders = models.PositiveIntegerField(pgettext_lazy("count", "orders"))
    revenue_cents = models.BigIntegerField(_("revenue (cents)"))

    class Meta:
        verbose_name = _("customer's sales of a day")
        verbose_name_plural = _("customers' sales per day")
        constraints = [models.UniqueConstraint(fields=["customer", "day"], name="customer_sales_day_unique",
                                               violation_error_message=_("One row per customer and day."))]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.day}: {self.revenue_cents}"


class SalesDay(models.Model):
    """All customers' orders of one day (not cancelled) as rows of differences: the
    day's total is the sum of its rows, and equals the sum of the
    :class:`CustomerSalesDay` rows of that day. Each refresh inserts its change as a
    row of its own (no unique key on the day: two writers of the same day never wait
    for each other); a compaction replaces a day's rows by their sum
    (kehu/sales/sales_days.py). The year's and the last twelve months' sales of a
    viewer who sees every customer, from a few rows per day."""

    day = models.DateField(_("order date"))
    orders = models.IntegerField(pgettext_lazy("count", "orders"))
    revenue_cents = models.BigIntegerField(_("revenue (cents)"))

    class Meta:
        verbose_name = _("sales of a day")
        verbose_name_plural = _("sales per day")
        indexes = [models.Index(fields=["day"], name="sales_day_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.revenue_cents}"
