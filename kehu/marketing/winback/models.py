"""One row per loss of a customer (流失记录) and, once it comes back, its win-back (挽回)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Customer
from kehu.marketing.winback import reasons as R
from kehu.org.models import TimeStamped
from kehu.validators import REMARKS_MAX, text_limit

MONEY = dict(max_digits=16, decimal_places=2)
REASON_OTHER_MAX = 200


class LossReason(models.TextChoices):
    """The documents' switching reasons (DOMAIN.md §7), in their order, and "other"."""

    DIED = R.DIED, _("Died")
    MOVED = R.MOVED, _("Moved away")
    FRIENDS = R.FRIENDS, _("Friends' influence")
    COMPETITOR = R.COMPETITOR, _("Went to a competitor")
    PRODUCT = R.PRODUCT, _("Dissatisfied with the product")
    STAFF = R.STAFF, _("Indifferent staff")
    OTHER = R.OTHER, _("Other reason")


class WonBackHow(models.TextChoices):
    MANUAL = "manual", _("Marked by hand")
    ORDER = "order", _("A new order")
    CAMPAIGN = "campaign", _("A win-back campaign")


class LossRecord(TimeStamped):
    """A customer lost: when, why, what it cost, and whether it was won back.

    ``revenue_lost`` is the customer's annual revenue before the loss
    (:func:`kehu.marketing.winback.selectors.annual_revenue_before`), kept as it was
    when the loss was recorded; ``predicted_value`` the predicted lifetime value of the
    latest customer value run that scored the customer (none without one);
    ``expected_value`` what a win-back is expected to bring
    (:func:`kehu.marketing.winback.reasons.expected_value`), stored so that the win-back
    list is one indexed ordering. A customer has at most one open loss (not won
    back) at a time — the services keep that under the customer's row lock rather
    than a unique constraint, so that merging two lost customers moves both records."""

    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="losses")
    lost_on = models.DateField(_("date lost"))
    reason = models.CharField(_("reason"), max_length=12, choices=LossReason.choices)
    reason_other = models.CharField(_("other reason"), max_length=REASON_OTHER_MAX, blank=True, default="")
    note = models.TextField(_("note"), blank=True, default="", max_length=REMARKS_MAX,
                            validators=[text_limit(REMARKS_MAX)])
    revenue_lost = models.DecimalField(_("revenue lost"), default=0, validators=[MinValueValidator(0)], **MONEY)
    predicted_value = models.DecimalField(_("predicted value forgone"), null=True, blank=True, **MONEY)
    value_run = models.ForeignKey("insights.AnalysisRun", verbose_name=_("value analysis"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    expected_value = models.DecimalField(_("value to win back"), default=0, validators=[MinValueValidator(0)],
                                         **MONEY)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner when lost"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="+")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    won_back_on = models.DateField(_("won back on"), null=True, blank=True)
    won_back_how = models.CharField(_("won back by"), max_length=10, choices=WonBackHow.choices, blank=True,
                                    default="")
    # The campaign that won the customer back (the campaigns app, to come): its id, no constraint yet.
    won_back_campaign_id = models.PositiveBigIntegerField(_("win-back campaign"), null=True, blank=True)
    won_back_order = models.ForeignKey("sales.Order", verbose_name=_("order that won the customer back"),
                                       null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    won_back_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("won back recorded by"), null=True,
                                    blank=True, on_delete=models.SET_NULL, related_name="+")
    won_back_note = models.TextField(_("win-back note"), blank=True, default="", max_length=REMARKS_MAX,
                                     validators=[text_limit(REMARKS_MAX)])

    class Meta:
        verbose_name = _("loss record")
        verbose_name_plural = _("loss records")
        ordering = ["-lost_on", "-id"]
        indexes = [
            models.Index(fields=["customer", "-lost_on"], name="winback_customer_lost"),
            models.Index(fields=["-lost_on", "-id"], name="winback_lost_on"),
            # the win-back list: open losses by the value to win back
            models.Index(fields=["-expected_value", "-id"], name="winback_open_value",
                         condition=Q(won_back_on__isnull=True)),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(revenue_lost__gte=0), name="winback_revenue_not_negative",
                                   violation_error_message=_("The revenue lost cannot be negative.")),
            models.CheckConstraint(condition=Q(expected_value__gte=0), name="winback_expected_not_negative",
                                   violation_error_message=_("The value to win back cannot be negative.")),
            models.CheckConstraint(condition=~Q(reason=R.OTHER) | ~Q(reason_other=""), name="winback_other_has_text",
                                   violation_error_message=_("Say in words why the customer left when the "
                                                             "reason is “other”.")),
            models.CheckConstraint(condition=Q(won_back_on__isnull=True) | Q(won_back_on__gte=models.F("lost_on")),
                                   name="winback_back_after_lost",
                                   violation_error_message=_("A customer is won back on or after the day it "
                                                             "was lost.")),
        ]

    def __str__(self):
        return f"{self.customer} · {self.lost_on:%Y-%m-%d} · {self.get_reason_display()}"

    @property
    def is_open(self) -> bool:
        return self.won_back_on is None

    @property
    def reason_text(self) -> str:
        """The reason as a person reads it: the other reason's words for "other"."""
        return self.reason_other if self.reason == R.OTHER and self.reason_other else str(self.get_reason_display())

    @property
    def winnable(self) -> bool:
        return R.winnable(self.reason)
