"""Membership and points (会员 / 积分, DOMAIN.md §8; issue 16 item 5).

- :class:`Tier` — member tiers (普通 / 银卡 / 金卡 / 钻石 by default), ranked,
  reached by rolling spend or by points (:class:`Programme` says which);
- :class:`EarnRule` — points per yuan per product line and tier;
- :class:`Membership` — one per customer: member number, tier, annual term
  (``expires_on``, ``auto_renew``), status;
- :class:`PointsEntry` — the append-only ledger (earn, bonus, redeem, expire,
  correct); the balance is the sum of a member's entries (``ledger.py``);
- :class:`MemberEvent` — joined, tier up/down, renewed, expired: each with its
  reason and a notice flag for the member (sent later through the gate).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.org.models import TimeStamped


def _in_language(zh: str, en: str) -> str:
    if (get_language() or "zh-hans").startswith("zh"):
        return zh or en
    return en or zh


def validate_not_zero(value) -> None:
    if value == 0:
        raise ValidationError(_("An entry must change the points: not 0."), code="zero")


class TierBasis(models.TextChoices):
    SPEND = "spend", _("Rolling spend")
    POINTS = "points", _("Points earned")


class Programme(models.Model):
    """The programme's settings: one row (pk 1), made with defaults when missing."""

    basis = models.CharField(_("tiers reached by"), max_length=10, choices=TierBasis.choices,
                             default=TierBasis.SPEND)
    window_months = models.PositiveSmallIntegerField(
        _("review window (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)],
        help_text=_("Spend or points of the last N months decide the tier."))
    points_validity_months = models.PositiveSmallIntegerField(
        _("points valid for (months)"), default=24, validators=[MinValueValidator(1), MaxValueValidator(240)])
    term_months = models.PositiveSmallIntegerField(
        _("membership term (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)])
    points_per_yuan = models.DecimalField(
        _("points per yuan (when no rule applies)"), max_digits=8, decimal_places=3, default=Decimal("1"),
        validators=[MinValueValidator(Decimal(0))])
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("membership programme")
        verbose_name_plural = _("membership programmes")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "Programme":
        obj, _created = cls.objects.get_or_create(pk=1)
        return obj


class Tier(TimeStamped):
    code = models.SlugField(_("code"), max_length=30, unique=True)
    name_zh = models.CharField(_("name (Chinese)"), max_length=50)
    name_en = models.CharField(_("name (English)"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True,
                                            help_text=_("Higher ranks are better tiers; the lowest is where members start."))
    threshold = models.DecimalField(_("threshold"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                    validators=[MinValueValidator(Decimal(0))],
                                    help_text=_("Rolling spend (yuan) or points needed to reach the tier."))
    earn_multiplier = models.DecimalField(_("earn multiplier"), max_digits=5, decimal_places=2, default=Decimal("1"),
                                          validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])

    class Meta:
        ordering = ("rank",)
        verbose_name = _("member tier")
        verbose_name_plural = _("member tiers")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return _in_language(self.name_zh, self.name_en)


class EarnRule(TimeStamped):
    """Points per yuan for a product line (blank: every line) and a tier (blank:
    every tier). The most specific active rule applies to an order line: line and
    tier, then line, then tier, then the rule for everything, then the programme's
    default."""

    product_line = models.ForeignKey("sales.ProductLine", verbose_name=_("product line"), null=True, blank=True,
                                     on_delete=models.CASCADE, related_name="+")
    tier = models.ForeignKey(Tier, verbose_name=_("member tier"), null=True, blank=True, on_delete=models.CASCADE,
                             related_name="rules")
    points_per_yuan = models.DecimalField(_("points per yuan"), max_digits=8, decimal_places=3, default=Decimal("1"),
                                          validators=[MinValueValidator(Decimal(0))])
    multiplier = models.DecimalField(_("multiplier"), max_digits=5, decimal_places=2, default=Decimal("1"),
                                     validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))])
    active = models.BooleanField(pgettext_lazy("earning rule", "active"), default=True)

    class Meta:
        ordering = ("product_line_id", "tier_id", "id")
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")

    def __str__(self) -> str:
        line = self.product_line.name if self.product_line_id else _("every product line")
        tier = self.tier.name if self.tier_id else _("every tier")
        return f"{line} · {tier}"


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("membership", "Active")
    EXPIRED = "expired", pgettext_lazy("membership", "Expired")
    CANCELLED = "cancelled", pgettext_lazy("membership", "Cancelled")


class Membership(TimeStamped):
    customer = models.OneToOneField("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                    related_name="membership")
    number = models.CharField(_("member number"), max_length=20, unique=True)
    tier = models.ForeignKey(Tier, verbose_name=_("member tier"), on_delete=models.PROTECT, related_name="members")
    tier_since = models.DateField(_("in this tier since"))
    joined_on = models.DateField(_("joined"))
    expires_on = models.DateField(_("membership expires"))
    auto_renew = models.BooleanField(_("renews automatically"), default=True)
    status = models.CharField(_("status"), max_length=10, choices=MembershipStatus.choices,
                              default=MembershipStatus.ACTIVE)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        indexes = [
            models.Index(fields=["tier", "status", "id"], name="membership_tier_status"),
            models.Index(fields=["status", "expires_on"], name="membership_status_expires"),
            models.Index(fields=["joined_on", "id"], name="membership_joined"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expires_on__gte=models.F("joined_on")),
                                   name="membership_expires_after_joined",
                                   violation_error_message=_("A membership cannot expire before it starts.")),
        ]

    def __str__(self) -> str:
        return self.number


class EntryKind(models.TextChoices):
    EARN = "earn", _("Earned")
    BONUS = "bonus", _("Bonus")
    REDEEM = "redeem", pgettext_lazy("points entry", "Redeemed")
    EXPIRE = "expire", pgettext_lazy("points entry", "Expired")
    CORRECT = "correct", _("Correction")


class PointsEntry(models.Model):
    """One entry of the append-only ledger. Never updated except ``remaining``
    (the part of a positive lot not yet used, for first-in first-out use and
    expiry); never deleted while its member exists."""

    membership = models.ForeignKey(Membership, verbose_name=_("member"), on_delete=models.CASCADE,
                                   related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices)
    points = models.BigIntegerField(_("points"), validators=[validate_not_zero])
    remaining = models.BigIntegerField(_("remaining"), default=0)
    entry_date = models.DateField(_("date"))
    expires_on = models.DateField(_("expires"), null=True, blank=True)
    order = models.ForeignKey("sales.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(_("reason"), max_length=200, blank=True, default="")
    source = models.CharField(_("source"), max_length=60, blank=True, default="",
                              help_text=_("Where the entry came from: an order, a rule, the review, a person."))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        indexes = [
            # the statement and the balance: one member's entries in date order (covering points on PostgreSQL)
            models.Index(fields=["membership", "entry_date", "id"], include=["points"], name="points_member_date"),
            # lots with points left, for first-in first-out use and expiry
            models.Index(fields=["membership", "entry_date", "id"], condition=Q(remaining__gt=0),
                         name="points_open_lots"),
            models.Index(fields=["expires_on"], condition=Q(remaining__gt=0), name="points_expiring"),
        ]
        constraints = [
            # an order earns points once
            models.UniqueConstraint(fields=["order"], condition=Q(kind="earn"), name="points_earn_once_per_order"),
            models.CheckConstraint(condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("points")) | Q(remaining=0),
                                   name="points_remaining_within_lot",
                                   violation_error_message=_("A lot cannot have more points left than it had.")),
            models.CheckConstraint(condition=~Q(points=0), name="points_not_zero",
                                   violation_error_message=_("An entry must change the points: not 0.")),
            models.CheckConstraint(
                condition=(Q(kind__in=["earn", "bonus"], points__gt=0) | Q(kind__in=["redeem", "expire"], points__lt=0)
                           | Q(kind="correct")),
                name="points_sign_by_kind",
                violation_error_message=_("Earned and bonus points are positive; redeemed and expired negative.")),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.kind} {self.points:+d}"


class MemberEventKind(models.TextChoices):
    JOINED = "joined", _("Joined")
    TIER_UP = "tier_up", _("Moved up a tier")
    TIER_DOWN = "tier_down", _("Moved down a tier")
    TIER_SET = "tier_set", _("Tier set by hand")
    RENEWED = "renewed", _("Renewed")
    EXPIRED = "expired", pgettext_lazy("membership event", "Expired")


# the name the app uses; the class has its own so that the API's schema is not the cases' EventKind
EventKind = MemberEventKind


class MemberEvent(models.Model):
    """What happened to a membership, with the reason; ``notice_pending`` marks
    a change the member should be told about (the sending gate sends it)."""

    membership = models.ForeignKey(Membership, verbose_name=_("member"), on_delete=models.CASCADE,
                                   related_name="events")
    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices)
    on = models.DateField(_("date"))
    from_tier = models.ForeignKey(Tier, verbose_name=_("from tier"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    to_tier = models.ForeignKey(Tier, verbose_name=_("to tier"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    measure = models.DecimalField(_("measure"), max_digits=16, decimal_places=2, null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True, default="")
    notice_pending = models.BooleanField(_("notice to send"), default=False)
    notice_sent_at = models.DateTimeField(_("notice sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("member event")
        verbose_name_plural = _("member events")
        indexes = [
            models.Index(fields=["membership", "on", "id"], name="member_event_member_on"),
            models.Index(fields=["id"], condition=Q(notice_pending=True), name="member_event_notice_pending"),
        ]

    def __str__(self) -> str:
        return f"{self.membership_id} {self.kind} {self.on}"
