"""What Kehu sends to customers (issue 16, item 1): bilingual templates, the
suppression list, the gate's settings, each customer's language, and the log
of every attempt (:class:`OutboundMessage`). The rules are in
:mod:`kehu.marketing.outreach.gate`, the sending in
:mod:`kehu.marketing.outreach.services`."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customers.models import Contact, Customer
from kehu.org.models import TimeStamped
from kehu.validators import text_limit

SUBJECT_MAX = 200
BODY_MAX = 20_000

code_validator = RegexValidator(r"^[a-z0-9][a-z0-9_-]*$",
                                _("Use lower-case letters, digits, hyphens and underscores."))


class OutreachChannel(models.TextChoices):
    EMAIL = "email", pgettext_lazy("channel", "E-mail")
    SMS = "sms", _("SMS")
    WECHAT = "wechat", _("WeChat (exported list)")
    MAIL = "mail", _("Direct mail (exported list)")
    PHONE = "phone", _("Phone (task for the owner)")


# the name the app uses; the class has its own so that the API's schema is not engagement's Channel
Channel = OutreachChannel


class Purpose(models.TextChoices):
    SERVICE = "service", _("Service")
    MARKETING = "marketing", pgettext_lazy("message purpose", "Marketing")


class Status(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    HELD = "held", _("Held back")
    DEFERRED = "deferred", _("Deferred (quiet hours)")
    FAILED = "failed", _("Failed")


class HoldReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("No consent")
    WITHDRAWN = "withdrawn", _("Consent withdrawn")
    OPTED_OUT = "opted_out", _("Opted out of the channel")
    SUPPRESSED = "suppressed", _("On the suppression list")
    CAPPED = "capped", _("Frequency cap reached")
    NO_ADDRESS = "no_address", _("No address on this channel")


class SourceKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    CARE = "care", _("Care calendar")
    COUPON = "coupon", _("Coupon")
    REFERRAL = "referral", _("Referral")
    MEMBERSHIP = "membership", _("Membership")
    MANUAL = "manual", pgettext_lazy("message source", "By hand")
    TEST = "test", _("Test")


class Language(models.TextChoices):
    ZH = "zh-hans", "简体中文"
    EN = "en", "English"


class SuppressionReason(models.TextChoices):
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained (marked as spam)")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    MANUAL = "manual", _("Added by hand")


class MessageTemplate(TimeStamped):
    """A message in both languages. Subject and body are Django template text
    limited to the placeholders of :data:`kehu.marketing.outreach.rendering.PLACEHOLDERS`."""

    code = models.CharField(_("code"), max_length=50, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices, default=Purpose.MARKETING)
    subject_zh = models.CharField(_("subject (Chinese)"), max_length=SUBJECT_MAX, blank=True, default="")
    body_zh = models.TextField(_("body (Chinese)"), blank=True, default="", max_length=BODY_MAX,
                               validators=[text_limit(BODY_MAX)])
    subject_en = models.CharField(_("subject (English)"), max_length=SUBJECT_MAX, blank=True, default="")
    body_en = models.TextField(_("body (English)"), blank=True, default="", max_length=BODY_MAX,
                               validators=[text_limit(BODY_MAX)])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("message template")
        verbose_name_plural = _("message templates")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} · {self.name}"

    def version(self, language: str) -> tuple[str, str, str]:
        """``(language, subject, body)`` in ``language``, else the other one (a body is required in one)."""
        zh, en = (Language.ZH, self.subject_zh, self.body_zh), (Language.EN, self.subject_en, self.body_en)
        first, other = (en, zh) if language == Language.EN else (zh, en)
        return first if first[2].strip() else other


class Suppression(models.Model):
    """Never send on ``channel`` to ``address`` or to ``customer`` (whichever is set)."""

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254, blank=True, default="",
                               help_text=_("An e-mail address or a phone number."))
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), null=True, blank=True,
                                 on_delete=models.CASCADE, related_name="outreach_suppressions")
    reason = models.CharField(_("reason"), max_length=12, choices=SuppressionReason.choices,
                              default=SuppressionReason.MANUAL)
    note = models.CharField(_("note"), max_length=200, blank=True, default="")
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(address="") | Q(customer__isnull=False),
                                   name="outreach_suppression_target",
                                   violation_error_message=_("Give an address or a customer.")),
        ]
        indexes = [
            models.Index(fields=["channel", "address"], name="outreach_supp_addr", condition=~Q(address="")),
            models.Index(fields=["customer", "channel"], name="outreach_supp_cust"),
        ]

    def __str__(self):
        return self.address or str(self.customer_id)


class GateSettings(models.Model):
    """The gate's settings: one row (pk 1). A cap of 0 means no cap on that channel."""

    email_cap = models.PositiveSmallIntegerField(_("e-mail: at most"), default=4,
                                                 validators=[MaxValueValidator(1000)])
    email_days = models.PositiveSmallIntegerField(_("e-mail: days"), default=30,
                                                  validators=[MinValueValidator(1), MaxValueValidator(366)])
    sms_cap = models.PositiveSmallIntegerField(_("SMS: at most"), default=2, validators=[MaxValueValidator(1000)])
    sms_days = models.PositiveSmallIntegerField(_("SMS: days"), default=30,
                                                validators=[MinValueValidator(1), MaxValueValidator(366)])
    wechat_cap = models.PositiveSmallIntegerField(_("WeChat: at most"), default=4,
                                                  validators=[MaxValueValidator(1000)])
    wechat_days = models.PositiveSmallIntegerField(_("WeChat: days"), default=30,
                                                   validators=[MinValueValidator(1), MaxValueValidator(366)])
    mail_cap = models.PositiveSmallIntegerField(_("direct mail: at most"), default=1,
                                                validators=[MaxValueValidator(1000)])
    mail_days = models.PositiveSmallIntegerField(_("direct mail: days"), default=30,
                                                 validators=[MinValueValidator(1), MaxValueValidator(366)])
    phone_cap = models.PositiveSmallIntegerField(_("phone: at most"), default=1,
                                                 validators=[MaxValueValidator(1000)])
    phone_days = models.PositiveSmallIntegerField(_("phone: days"), default=30,
                                                  validators=[MinValueValidator(1), MaxValueValidator(366)])
    quiet_start = models.TimeField(_("quiet hours from"), default=dt.time(21, 0))
    quiet_end = models.TimeField(_("quiet hours until"), default=dt.time(8, 0))
    quiet_enabled = models.BooleanField(_("quiet hours on"), default=True)
    default_language = models.CharField(_("default language"), max_length=8, choices=Language.choices,
                                        default=Language.ZH)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("sending settings")
        verbose_name_plural = _("sending settings")

    def cap(self, channel: str) -> tuple[int, int]:
        """``(count, days)``: at most ``count`` marketing messages per customer in ``days`` days."""
        return getattr(self, f"{channel}_cap"), getattr(self, f"{channel}_days")

    @classmethod
    def current(cls) -> "GateSettings":
        row = cls.objects.filter(pk=1).first()
        return row if row is not None else cls(pk=1)


class CustomerLanguage(models.Model):
    """The language a customer is written to in. Several rows may exist after a merge of
    two customers: the newest wins (``kehu.marketing.outreach.gate.languages``)."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="outreach_languages")
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer language")
        indexes = [models.Index(fields=["customer", "id"], name="outreach_lang_cust")]


class OutboundMessage(TimeStamped):
    """One attempt to send one message to one customer, whatever came of it."""

    # the attempt's instant, set by the sender (a batch of a million keeps its start; the tests' clock)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="outreach_messages", db_index=False)
    # the foreign keys that are nearly always empty are indexed where set (Meta.indexes): a campaign's
    # million rows then maintain no index entry for them
    contact = models.ForeignKey(Contact, verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+", db_index=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    purpose = models.CharField(_("purpose"), max_length=10, choices=Purpose.choices)
    template = models.ForeignKey(MessageTemplate, verbose_name=_("template"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    source_kind = models.CharField(_("source"), max_length=10, choices=SourceKind.choices)
    source_id = models.BigIntegerField(_("source id"), null=True, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=Language.choices)
    address = models.CharField(_("address"), max_length=300, blank=True, default="")
    subject = models.CharField(_("subject"), max_length=SUBJECT_MAX * 2, blank=True, default="")
    body = models.TextField(_("body"), blank=True, default="")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    reason = models.CharField(_("hold reason"), max_length=12, choices=HoldReason.choices, blank=True, default="")
    due_at = models.DateTimeField(pgettext_lazy("outreach message", "due"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True, default="")
    provider_ref = models.CharField(_("provider reference"), max_length=100, blank=True, default="")
    # unique by a constraint, not unique=True: no second (LIKE) index on PostgreSQL, nothing searches it so
    tracking_token = models.CharField(_("tracking token"), max_length=32)
    task = models.ForeignKey("engagement.Task", verbose_name=_("task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+", db_index=False)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sent by"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            # the frequency cap and the customer's panel
            models.Index(fields=["customer", "channel", "created_at"], name="outreach_msg_cap"),
            models.Index(fields=["-created_at", "-id"], name="outreach_msg_log"),
            models.Index(fields=["channel", "status", "id"], name="outreach_msg_queue"),
            models.Index(fields=["source_kind", "source_id"], name="outreach_msg_source"),
            models.Index(fields=["status", "due_at"], name="outreach_msg_due",
                         condition=Q(status="deferred")),
            models.Index(fields=["contact"], name="outreach_msg_contact", condition=Q(contact__isnull=False)),
            models.Index(fields=["task"], name="outreach_msg_task", condition=Q(task__isnull=False)),
            models.Index(fields=["actor"], name="outreach_msg_actor", condition=Q(actor__isnull=False)),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tracking_token"], name="outreach_msg_token_unique"),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.address or self.customer_id}"
