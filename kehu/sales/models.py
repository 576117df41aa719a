"""Products, orders and payments: the history customer value is computed from."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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
    remarks = models.TextField(_("remarks"), blank=True, default="", max_length=REMARKS_MAX,
                               validators=[text_limit(REMARKS_MAX)])
    # Values of the custom fields (kehu.customfields), validated by its clean_custom_values.
    custom = models.JSONField(_("custom fields"), default=dict, db_default={}, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["customer", "-order_date", "-id"], name="order_customer_date"),
            models.Index(fields=["order_date"], name="order_date"),
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

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="opp_customer_time"),
            models.Index(fields=["owner", "stage"], name="opp_owner_stage"),
            models.Index(fields=["pipeline", "stage", "-id"], name="opp_board"),
            models.Index(fields=["expected_close"], name="opp_close"),
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
