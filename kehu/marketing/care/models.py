"""The care calendar (客户关怀, issue 16 item 7): rules and the moments they make.

A :class:`CareRule` says *when* (a kind of occasion and a lead time), *how* (a
channel of the sending gate, or a reminder task) and *who acts* (a user, or the
customer's owner). A :class:`CareMoment` is one occasion of one rule for one
customer; its ``key`` (:func:`kehu.marketing.care.dates.moment_key`) is unique,
so a moment is never acted on twice.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Customer
from kehu.org.models import TimeStamped


class CareKind(models.TextChoices):
    BIRTHDAY = "birthday", _("Birthday")
    ANNIVERSARY = "anniversary", _("Anniversary")
    MONTHLY = "monthly", _("Monthly card")
    THANKS = "thanks_after_purchase", _("Thanks after a purchase")
    HOLIDAY = "holiday", _("Lunar holiday")
    NEXT_ORDER = "next_order", _("Before the next order (rice merchant)")


class CareChannel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat")
    MAIL = "mail", _("Direct mail")
    PHONE = "phone", _("Phone call")
    TASK = "task", _("Reminder task to the owner")


MESSAGE_CHANNELS = ("email", "sms", "wechat", "mail", "phone")


class Holiday(models.TextChoices):
    SPRING_FESTIVAL = "spring_festival", _("Spring Festival")
    DRAGON_BOAT = "dragon_boat", _("Dragon Boat Festival")
    MID_AUTUMN = "mid_autumn", _("Mid-Autumn Festival")


class MomentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    SENT = "sent", _("Sent")
    HELD = "held", _("Held by the gate")
    TASK = "task", _("Reminder task")
    DONE = "done", _("Done by hand")
    SKIPPED = "skipped", _("Skipped")


class CareRule(TimeStamped):
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100, blank=True, default="")
    kind = models.CharField(_("kind of occasion"), max_length=24, choices=CareKind.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=CareChannel.choices)
    template = models.ForeignKey("outreach.MessageTemplate", verbose_name=_("message template"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    lead_days = models.PositiveSmallIntegerField(_("lead time (days)"), default=0,
                                                 validators=[MaxValueValidator(365)])
    days_after = models.PositiveSmallIntegerField(_("days after the purchase"), default=3,
                                                  validators=[MaxValueValidator(365)])
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), default=1,
                                                    validators=[MinValueValidator(1), MaxValueValidator(31)])
    holiday = models.CharField(_("holiday"), max_length=20, choices=Holiday.choices, blank=True, default="")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("who acts"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+",
                              help_text=_("Empty: the customer's owner."))
    segment = models.ForeignKey("insights.Segment", verbose_name=_("only the customers of the segment"), null=True,
                                blank=True, on_delete=models.SET_NULL, related_name="+",
                                help_text=_("Empty: every customer. The members as the rule's author sees them."))
    # set with a segment: a rule whose segment was deleted reaches no one (not everyone)
    targets_segment = models.BooleanField(_("targets a segment"), default=False)
    active = models.BooleanField(_("active"), default=True)
    last_run_on = models.DateField(_("last run"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["name_zh", "id"]
        verbose_name = _("care rule")
        verbose_name_plural = _("care rules")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        if (get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name_zh


class CareMoment(TimeStamped):
    rule = models.ForeignKey(CareRule, verbose_name=_("care rule"), on_delete=models.CASCADE, related_name="moments")
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="care_moments")
    occasion = models.DateField(_("occasion date"))
    due_on = models.DateField(_("due"))
    key = models.CharField(_("moment key"), max_length=80, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=MomentStatus.choices,
                              default=MomentStatus.PLANNED)
    message = models.ForeignKey("outreach.OutboundMessage", verbose_name=_("message"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    task = models.ForeignKey("engagement.Task", verbose_name=_("task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marked by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("care moment")
        verbose_name_plural = _("care moments")
        indexes = [
            models.Index(fields=["rule", "status", "due_on"], name="care_moment_rule_status"),
            models.Index(fields=["customer", "due_on"], name="care_moment_customer"),
        ]

    def __str__(self) -> str:
        return self.key
