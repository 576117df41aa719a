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


class ProductLine(WarrantyTermsFields, TimeStamped):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)

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
