"""Coupons (优惠券): definitions (券种 / 批次), the coupons issued to customers,
their redemptions on orders, and the collect-the-set option.

- A :class:`CouponDefinition` says what a coupon is worth (an amount or a
  percentage off), on what (a minimum spend, product lines), for how long (fixed
  dates, or N days from the issue), how many one customer may hold and use, how
  many may be issued in all (the "limited quantity" tactic), and whether each
  coupon has its own unguessable code or all share one code.
- A :class:`Coupon` is one coupon held by one customer, with the code, its own
  validity (fixed at the issue), its state and where it came from (``source``:
  by hand, a campaign, a care rule, a referral, points, an import, a completed
  set) with the id of that record.
- A :class:`Redemption` is the use of a coupon on an order: one per coupon
  (a unique constraint) and one per order.
- A :class:`CouponSet` (集齐有礼) groups definitions: a customer who holds a coupon
  of every definition of the set gets the set's reward coupon, once.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import TimeStamped
from kehu.sales.models import Order, ProductLine
from kehu.validators import REMARKS_MAX, text_limit

MONEY = dict(max_digits=16, decimal_places=2)
NAME_MAX = 100
CODE_MAX = 32

ref_validator = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$",
                               _("Use letters, digits, hyphens and underscores."))
shared_code_validator = RegexValidator(r"^[A-Z0-9]{4,32}$",
                                       _("Use 4 to 32 letters and digits (hyphens and spaces are ignored)."))


def in_language(zh: str, en: str) -> str:
    """The text in the current language, else the other one."""
    if (get_language() or "zh-hans").startswith("en"):
        return en or zh
    return zh or en


class CouponKind(models.TextChoices):
    AMOUNT = "amount", _("Amount off")
    PERCENTAGE = "percentage", _("Percentage off")


class CodeMode(models.TextChoices):
    UNIQUE = "unique", _("A unique code per coupon")
    SHARED = "shared", _("One shared code")


class CouponSource(models.TextChoices):
    MANUAL = "manual", _("By hand")
    CAMPAIGN = "campaign", _("Campaign")
    CARE = "care", _("Care rule")
    REFERRAL = "referral", _("Referral")
    POINTS = "points", pgettext_lazy("coupon source", "Points")
    IMPORT = "import", _("Import")
    SET = "set", _("Completed set")


class CouponStatus(models.TextChoices):
    AVAILABLE = "available", _("Available")
    REDEEMED = "redeemed", _("Redeemed")
    VOID = "void", _("Void")
    EXPIRED = "expired", _("Expired")


class CouponSet(TimeStamped):
    """Collect the set (集齐有礼): whoever holds a coupon of every definition in the
    set receives the reward definition's coupon, once per customer."""

    name_zh = models.CharField(_("name (Chinese)"), max_length=NAME_MAX, blank=True, default="")
    name_en = models.CharField(_("name (English)"), max_length=NAME_MAX, blank=True, default="")
    reward = models.ForeignKey("CouponDefinition", verbose_name=_("reward"), on_delete=models.PROTECT,
                               related_name="rewarding_sets")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("coupon set")
        verbose_name_plural = _("coupon sets")
        ordering = ["-id"]

    def __str__(self) -> str:
        return in_language(self.name_zh, self.name_en)


class CouponDefinition(TimeStamped):
    ref = models.CharField(_("batch code"), max_length=40, unique=True, validators=[ref_validator],
                           help_text=_("A short code for this coupon batch, e.g. 2026-SPRING-50."))
    name_zh = models.CharField(_("name (Chinese)"), max_length=NAME_MAX, blank=True, default="")
    name_en = models.CharField(_("name (English)"), max_length=NAME_MAX, blank=True, default="")
    kind = models.CharField(_("kind"), max_length=12, choices=CouponKind.choices, default=CouponKind.AMOUNT)
    value = models.DecimalField(
        _("value"), max_digits=12, decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"), message=_("The value must be more than zero."))],
        help_text=_("Yuan off for an amount coupon; per cent off for a percentage coupon (10: 10 per cent off)."))
    min_spend = models.DecimalField(
        _("minimum spend"), default=Decimal("0"), validators=[MinValueValidator(Decimal(0))],
        help_text=_("The order's amount on the coupon's product lines must reach this."), **MONEY)
    product_lines = models.ManyToManyField(ProductLine, verbose_name=_("product lines"), blank=True,
                                           related_name="+",
                                           help_text=_("Only these lines count; none: the whole order."))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(
        _("valid for (days)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text=_("Each coupon is valid this many days from its issue (instead of a fixed end date)."))
    per_customer_limit = models.PositiveSmallIntegerField(
        _("per customer"), default=1, validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("How many coupons of this kind one customer may hold and redeem."))
    total_quantity = models.PositiveIntegerField(
        _("quantity limit"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("At most this many coupons are issued in all (limited quantity); empty: no limit."))
    points_price = models.PositiveIntegerField(
        _("points price"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("A member may exchange this many points for one coupon of this kind; empty: not for points."))
    code_mode = models.CharField(_("codes"), max_length=8, choices=CodeMode.choices, default=CodeMode.UNIQUE)
    shared_code = models.CharField(_("shared code"), max_length=CODE_MAX, blank=True, default="",
                                   validators=[shared_code_validator])
    collect_set = models.ForeignKey(CouponSet, verbose_name=_("collect-the-set"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="members",
                                    help_text=_("Holding a coupon of every kind in the set earns its reward."))
    active = models.BooleanField(_("issuing"), default=True,
                                 help_text=_("Uncheck to stop issuing new coupons of this kind."))
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("coupon definition")
        verbose_name_plural = _("coupon definitions")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="coupon_def_value_positive",
                                   violation_error_message=_("The value must be more than zero.")),
            models.CheckConstraint(condition=~Q(kind="percentage") | Q(value__lte=100),
                                   name="coupon_def_percentage_at_most_100",
                                   violation_error_message=_("A percentage cannot be more than 100.")),
            models.CheckConstraint(condition=Q(min_spend__gte=0), name="coupon_def_min_spend_not_negative",
                                   violation_error_message=_("The minimum spend cannot be negative.")),
            models.CheckConstraint(condition=Q(per_customer_limit__gte=1), name="coupon_def_per_customer_positive",
                                   violation_error_message=_("Allow at least one coupon per customer.")),
            models.UniqueConstraint(fields=["shared_code"], condition=~Q(shared_code=""),
                                    name="coupon_def_shared_code_unique",
                                    violation_error_message=_("Another coupon kind already uses this shared code.")),
        ]

    def __str__(self) -> str:
        return in_language(self.name_zh, self.name_en) or self.ref

    @property
    def name(self) -> str:
        return str(self)


class Coupon(TimeStamped):
    definition = models.ForeignKey(CouponDefinition, verbose_name=_("coupon kind"), on_delete=models.PROTECT,
                                   related_name="coupons")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="coupons")
    code = models.CharField(pgettext_lazy("coupon", "code"), max_length=CODE_MAX)
    # A copy of the definition's mode when issued: the unique constraint on codes covers unique codes only.
    shared = models.BooleanField(_("shared code"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=CouponStatus.choices,
                              default=CouponStatus.AVAILABLE)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=10, choices=CouponSource.choices,
                              default=CouponSource.MANUAL)
    source_id = models.PositiveBigIntegerField(_("source record"), null=True, blank=True)
    reward_of_set = models.ForeignKey(CouponSet, verbose_name=_("reward of the set"), null=True, blank=True,
                                      on_delete=models.PROTECT, related_name="rewards")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    issued_at = models.DateTimeField(_("issued at"))
    voided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("voided by"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.TextField(_("why it was voided"), blank=True, default="", max_length=REMARKS_MAX,
                                   validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["code"], condition=Q(shared=False), name="coupon_code_unique",
                                    violation_error_message=_("This code is already in use.")),
            models.UniqueConstraint(fields=["customer", "reward_of_set"], condition=Q(reward_of_set__isnull=False),
                                    name="coupon_one_set_reward_per_customer"),
        ]
        indexes = [
            models.Index(fields=["customer", "status"], name="coupon_customer_status"),
            models.Index(fields=["definition", "status"], name="coupon_definition_status"),
            models.Index(fields=["code"], name="coupon_code"),
            models.Index(fields=["valid_until"], name="coupon_available_until",
                         condition=Q(status="available")),
            models.Index(fields=["-issued_at", "-id"], name="coupon_issued"),
        ]

    def __str__(self) -> str:
        from kehu.marketing.coupons.codes import display

        return display(self.code)

    @property
    def display_code(self) -> str:
        return str(self)


class Redemption(models.Model):
    """A coupon used on an order: exactly once (one row per coupon, a unique
    constraint), at most one coupon per order. The order's number is kept in case
    the order is deleted later."""

    coupon = models.OneToOneField(Coupon, verbose_name=_("coupon"), on_delete=models.PROTECT,
                                  related_name="redemption")
    order = models.OneToOneField(Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="coupon_redemption")
    order_ref = models.CharField(_("order number"), max_length=60)
    eligible_amount = models.DecimalField(_("eligible amount"), **MONEY)
    amount = models.DecimalField(_("discount"), validators=[MinValueValidator(Decimal(0))], **MONEY)
    redeemed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("redeemed by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    redeemed_at = models.DateTimeField(_("redeemed at"))

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ["-redeemed_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="coupon_redemption_amount_not_negative",
                                   violation_error_message=_("A discount cannot be negative.")),
        ]

    def __str__(self) -> str:
        return f"{self.coupon} → {self.order_ref}"
