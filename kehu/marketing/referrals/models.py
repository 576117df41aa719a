"""Referrals (转介绍, issue 16 item 6): codes, who referred whom, the reward rule.

A :class:`ReferralCode` is a customer's short unguessable code; its link
``/r/<code>/`` is a public page where a friend leaves their details and becomes
a lead with the source "referral". A :class:`Referral` links the referrer to
the referred customer (a customer is referred once); it is ``pending`` until
the referred customer's first order is paid in full (``qualified``), and
``rewarded`` once the :class:`ReferralRule`'s reward (points or a coupon) has
been given — once.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import TimeStamped


class ReferralStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("referral", "Pending")
    QUALIFIED = "qualified", pgettext_lazy("referral", "Qualified")
    REWARDED = "rewarded", pgettext_lazy("referral", "Rewarded")


class ReferralChannel(models.TextChoices):
    LINK = "link", _("Referral link")
    HAND = "hand", _("Recorded by hand")


class RewardKind(models.TextChoices):
    POINTS = "points", _("Points (members; others get the coupon)")
    COUPON = "coupon", _("Coupon")


class ReferralCode(models.Model):
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="referral_codes")
    code = models.CharField(_("referral code"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("referral code")
        verbose_name_plural = _("referral codes")

    def __str__(self) -> str:
        return self.code


class Referral(TimeStamped):
    referrer = models.ForeignKey(Customer, verbose_name=_("referred by"), on_delete=models.CASCADE,
                                 related_name="referrals_made")
    referred = models.OneToOneField(Customer, verbose_name=_("referred customer"), on_delete=models.CASCADE,
                                    related_name="referral")
    code = models.CharField(_("referral code"), max_length=16, blank=True, default="")
    channel = models.CharField(_("how it came"), max_length=8, choices=ReferralChannel.choices,
                               default=ReferralChannel.HAND)
    status = models.CharField(_("status"), max_length=10, choices=ReferralStatus.choices,
                              default=ReferralStatus.PENDING)
    qualified_at = models.DateTimeField(_("qualified"), null=True, blank=True)
    order = models.ForeignKey("sales.Order", verbose_name=_("first order paid"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    rewarded_at = models.DateTimeField(_("rewarded"), null=True, blank=True)
    reward_kind = models.CharField(_("reward"), max_length=8, choices=RewardKind.choices, blank=True, default="")
    reward_points = models.PositiveIntegerField(_("points given"), null=True, blank=True)
    points_entry = models.ForeignKey("membership.PointsEntry", verbose_name=_("points entry"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    coupon = models.ForeignKey("coupons.Coupon", verbose_name=_("coupon"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    notice = models.ForeignKey("outreach.OutboundMessage", verbose_name=_("reward notice"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=300, blank=True, default="")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        indexes = [models.Index(fields=["referrer", "status"], name="referral_referrer_status"),
                   models.Index(fields=["status", "created_at"], name="referral_status_created")]
        constraints = [models.CheckConstraint(condition=~models.Q(referrer=models.F("referred")),
                                              name="referral_not_self",
                                              violation_error_message=_("A customer cannot refer themselves."))]

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referred_id}"


class ReferralRule(TimeStamped):
    """The one reward rule (a single row, :meth:`current`)."""

    active = models.BooleanField(_("rewards are given"), default=True)
    reward_kind = models.CharField(_("reward"), max_length=8, choices=RewardKind.choices, default=RewardKind.COUPON)
    points = models.PositiveIntegerField(_("points"), default=0, validators=[MaxValueValidator(10**9)],
                                         help_text=_("Bonus points for a referrer who is a member."))
    coupon_definition = models.ForeignKey(
        "coupons.CouponDefinition", verbose_name=_("coupon kind"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("The coupon given; with points, the coupon for a referrer who is not a member."))
    notice_template = models.ForeignKey(
        "outreach.MessageTemplate", verbose_name=_("reward notice template"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
        help_text=_("Sent to the referrer through the sending gate (marketing consent needed); empty: no notice."))

    class Meta:
        verbose_name = _("referral reward rule")
        verbose_name_plural = _("referral reward rules")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "ReferralRule":
        rule = cls.objects.select_related("coupon_definition", "notice_template").filter(pk=1).first()
        if rule is None:
            rule, _created = cls.objects.get_or_create(pk=1, defaults={"active": False})
        return rule
