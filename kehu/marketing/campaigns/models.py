"""Campaigns (营销活动, issue 16 items 2 and 8): who is targeted, what they get, what it cost
and what came of it.

A :class:`Campaign` picks its audience (a saved segment, a rule of the segments' shape, or
the win-back list by the value that could be won back), holds out a random control group
stratified by value tier (:mod:`kehu.analytics.control_groups`) that receives nothing, and
sends its message variants to the treated members through the one sending gate
(:mod:`kehu.marketing.outreach.services`) in batches by the worker. A :class:`Member` row per
customer of the audience records the group, the variant, the stratum, the message, the
tracked-link click and the coupon; the results (:mod:`.selectors`) compare the treated with
the control group (:mod:`kehu.analytics.lift`).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.marketing.outreach.models import Channel
from kehu.org.models import TimeStamped
from kehu.runtime.liveness import ProgressJob
from kehu.validators import REMARKS_MAX, text_limit

MONEY = dict(max_digits=14, decimal_places=2)
code_validator = RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]*$", _("Use letters, digits, hyphens and underscores."))


class CampaignKind(models.TextChoices):
    MARKETING = "marketing", pgettext_lazy("campaign kind", "Marketing")
    RETENTION = "retention", _("Retention")
    WINBACK = "winback", _("Win-back")


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    SENT = "sent", pgettext_lazy("campaign status", "Sent")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class AudienceKind(models.TextChoices):
    SEGMENT = "segment", _("A saved segment")
    RULE = "rule", _("A rule")
    WINBACK = "winback", _("The win-back list")
    GAIN = "gain", _("The customers worth keeping (expected gain)")


class CostCategory(models.TextChoices):
    CREATIVE = "creative", _("Creative and copy")
    PRINTING = "printing", _("Printing")
    POSTAGE = "postage", _("Postage and delivery")
    MESSAGES = "messages", _("Messages (SMS, e-mail)")
    OFFER = "offer", _("Offer and gifts")
    STAFF = "staff", _("Staff time")
    OTHER = "other", _("Other")


# statuses in which the campaign's settings may still change
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


class Campaign(TimeStamped, ProgressJob):
    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator],
                            help_text=_("Empty: the next number, e.g. C2026-001."))
    name = models.CharField(_("name"), max_length=120)
    goal = models.TextField(_("goal"), blank=True, default="", max_length=REMARKS_MAX,
                            validators=[text_limit(REMARKS_MAX)])
    kind = models.CharField(_("kind"), max_length=10, choices=CampaignKind.choices, default=CampaignKind.MARKETING)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    offer = models.ForeignKey("coupons.CouponDefinition", verbose_name=_("offer (coupon)"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+",
                              help_text=_("Each treated customer gets one coupon of this kind; none: no offer."))
    target_url = models.URLField(_("link target"), blank=True, default="", max_length=500,
                                 help_text=_("Where the message's tracked link leads; the placeholder {{ link }} "
                                             "in the template becomes each customer's own tracked link."))
    starts_at = models.DateTimeField(_("send at"), null=True, blank=True,
                                     help_text=_("Empty: when you send it."))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    attribution_days = models.PositiveSmallIntegerField(
        _("attribution window (days)"), default=30, validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("A click, a coupon redeemed or an order within this many days after the send counts as a "
                    "response."))
    control_share = models.DecimalField(
        _("control group share"), max_digits=4, decimal_places=3, default=Decimal("0.100"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal("0.9"))],
        help_text=_("The share of the audience held out at random (by value tier) that receives nothing, so that "
                    "the results can show what the campaign itself caused. 0.1 is 10%; 0 means no control group "
                    "and no measured lift."))
    budget = models.DecimalField(_("budget"), default=Decimal(0), validators=[MinValueValidator(0)], **MONEY)
    cost_per_message = models.DecimalField(_("cost per message"), default=Decimal(0),
                                           validators=[MinValueValidator(0)], max_digits=10, decimal_places=4,
                                           help_text=_("Counted for every message sent."))
    audience_kind = models.CharField(_("audience"), max_length=10, choices=AudienceKind.choices,
                                     default=AudienceKind.SEGMENT)
    segment = models.ForeignKey("insights.Segment", verbose_name=_("segment"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    rule = models.JSONField(_("rule"), default=dict, blank=True)
    winback_min_value = models.DecimalField(_("least value to win back"), null=True, blank=True,
                                            validators=[MinValueValidator(0)], **MONEY)
    winback_top = models.PositiveIntegerField(_("top N by value to win back"), null=True, blank=True,
                                              validators=[MinValueValidator(1)])
    gain_top = models.PositiveIntegerField(
        _("top N by expected gain"), null=True, blank=True, validators=[MinValueValidator(1)],
        help_text=_("For a retention campaign: the N customers you see with the largest expected gain if kept "
                    "(predicted lifetime value × churn risk × uplift, as on the retention targeting page)."))
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.DRAFT)
    seed = models.PositiveBigIntegerField(_("random seed"), default=0)
    audience_at = models.DateTimeField(_("audience selected"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="campaign_progress_at_most_100",
                                   violation_error_message=_("The progress must be between 0 and 100.")),
            models.CheckConstraint(condition=Q(control_share__gte=0) & Q(control_share__lte=Decimal("0.9")),
                                   name="campaign_control_share_range",
                                   violation_error_message=_("The control group share is between 0 and 0.9.")),
        ]
        indexes = [models.Index(fields=["status", "-id"], name="campaign_status")]

    def __str__(self) -> str:
        return f"{self.code} · {self.name}"

    @property
    def editable(self) -> bool:
        return self.status in EDITABLE


class Variant(models.Model):
    """An A/B version of the message: a template of the sending gate and its share of the treated."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
                                 related_name="variants")
    label = models.CharField(_("label"), max_length=20, default="A")
    template = models.ForeignKey("outreach.MessageTemplate", verbose_name=_("message template"),
                                 on_delete=models.PROTECT, related_name="+")
    share = models.PositiveSmallIntegerField(_("share (weight)"), default=1, validators=[MinValueValidator(1),
                                                                                         MaxValueValidator(100)])

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ["campaign", "label", "id"]
        constraints = [models.UniqueConstraint(fields=["campaign", "label"], name="campaign_variant_label")]

    def __str__(self) -> str:
        return self.label


class CostLine(TimeStamped):
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
                                 related_name="costs")
    category = models.CharField(_("category"), max_length=10, choices=CostCategory.choices,
                                default=CostCategory.OTHER)
    planned = models.DecimalField(_("planned"), default=Decimal(0), validators=[MinValueValidator(0)], **MONEY)
    actual = models.DecimalField(_("actual"), default=Decimal(0), validators=[MinValueValidator(0)], **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")
        ordering = ["campaign", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(planned__gte=0) & Q(actual__gte=0), name="campaign_cost_not_negative",
                                   violation_error_message=_("A cost cannot be negative.")),
        ]

    def __str__(self) -> str:
        return f"{self.get_category_display()} {self.actual}"


class Member(models.Model):
    """One customer of a campaign's audience. ``control`` True: held out, sent nothing.
    ``token`` is the member's tracked link (``/c/<token>/``)."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE,
                                 related_name="members", db_index=False)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="campaign_members", db_index=False)
    control = models.BooleanField(_("control group"), default=False)
    variant = models.ForeignKey(Variant, verbose_name=_("variant"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", db_index=False)
    stratum = models.CharField(_("value tier"), max_length=12, blank=True, default="")
    token = models.CharField(_("link token"), max_length=24, unique=True)
    message_id = models.BigIntegerField(_("message"), null=True, blank=True)
    coupon = models.ForeignKey("coupons.Coupon", verbose_name=_("coupon"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+", db_index=False)
    clicked_at = models.DateTimeField(_("first click"), null=True, blank=True)
    responded = models.BooleanField(_("responded"), default=False)
    revenue = models.DecimalField(_("revenue attributed"), default=Decimal(0), **MONEY)

    class Meta:
        verbose_name = _("campaign member")
        verbose_name_plural = _("campaign members")
        constraints = [models.UniqueConstraint(fields=["campaign", "customer"], name="campaign_member_once")]
        indexes = [
            models.Index(fields=["campaign", "control", "id"], name="campaign_member_group"),
            models.Index(fields=["customer", "campaign"], name="campaign_member_customer"),
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.customer_id}"


class Click(models.Model):
    """A click on a member's tracked link: the first only (one row per member)."""

    member = models.OneToOneField(Member, verbose_name=_("campaign member"), on_delete=models.CASCADE,
                                  related_name="click")
    clicked_at = models.DateTimeField(_("clicked at"))
    user_agent = models.CharField(_("browser"), max_length=200, blank=True, default="")

    class Meta:
        verbose_name = _("click")
        verbose_name_plural = _("clicks")
