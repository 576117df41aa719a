"""Writes: marking a customer lost (with the reason) and won back.

The lifecycle stage moves through the customers' own service
(:func:`kehu.customers.services.customer_update`) when a person marks the customer,
so its dated history (kehu.sales LifecycleChange) records who did it; when a new
order wins a lost customer back (:func:`winback_on_order`, called by
:func:`kehu.sales.services.order_create`) the move is recorded as automatic, as the
other automatic moves are (kehu/sales/lifecycle.py).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, snapshot
from kehu.customers.models import Customer, LifecycleStage
from kehu.marketing.winback import reasons as R
from kehu.marketing.winback import selectors
from kehu.marketing.winback.models import LossReason, LossRecord, WonBackHow
from kehu.org.policies import policy_for


def _today() -> dt.date:
    return timezone.localdate()


def _check_date(field: str, day: dt.date) -> None:
    if day > _today():
        raise ValidationError({field: _("This date is in the future.")})


def loss_preview(*, customer: Customer, reason: str, lost_on: dt.date) -> dict:
    """What a loss would record (the confirmation page shows it before the write)."""
    revenue = selectors.annual_revenue_before(customer_id=customer.pk, lost_on=lost_on)
    predicted, run = selectors.predicted_value_before(customer_id=customer.pk, lost_on=lost_on)
    window = selectors.revenue_window(lost_on)
    return {"revenue_lost": revenue, "predicted_value": predicted, "value_run": run, "window": window,
            "expected_value": R.expected_value(reason=reason, revenue_lost=revenue, predicted_value=predicted),
            "winnable": R.winnable(reason)}


def loss_create(*, actor, customer: Customer, reason: str, reason_other: str = "", lost_on: dt.date | None = None,
                note: str = "") -> LossRecord:
    """Mark ``customer`` lost: a :class:`LossRecord` with the reason, the revenue lost
    (:func:`~kehu.marketing.winback.selectors.annual_revenue_before`), the predicted value
    forgone and the value to win back; the lifecycle stage becomes ``lost`` through
    :func:`kehu.customers.services.customer_update`. Whoever may change the customer
    may do it (a salesperson their own customers); one open loss per customer."""
    from kehu.customers.services import customer_update

    if not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    lost_on = lost_on or _today()
    _check_date("lost_on", lost_on)
    reason_other = (reason_other or "").strip()
    if reason != R.OTHER:
        reason_other = ""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        current = selectors.open_loss(customer.pk)
        if current is not None:
            raise ValidationError({"customer": _("This customer has been marked lost since %(date)s; mark it won "
                                                 "back before recording another loss.") % {
                "date": current.lost_on.isoformat()}})
        preview = loss_preview(customer=customer, reason=reason if reason in R.REASONS else R.OTHER,
                               lost_on=lost_on)
        loss = LossRecord(customer=customer, lost_on=lost_on, reason=reason, reason_other=reason_other, note=note,
                          revenue_lost=preview["revenue_lost"], predicted_value=preview["predicted_value"],
                          value_run=preview["value_run"], expected_value=preview["expected_value"],
                          owner_id=customer.owner_id, recorded_by=actor if getattr(actor, "pk", None) else None)
        loss.full_clean()
        loss.save()
        audit_record(actor=actor, action="create", instance=loss, customer_id=customer.pk,
                     changes=snapshot(loss), summary=f"{customer.name}: {loss.reason_text}")
        if customer.lifecycle_stage != LifecycleStage.LOST:
            customer_update(actor=actor, customer=customer, data={"lifecycle_stage": LifecycleStage.LOST})
            _name_the_move(customer, LifecycleStage.LOST, _("Lost: %(reason)s") % {"reason": loss.reason_text})
    return loss


def _name_the_move(customer: Customer, to_stage: str, reason: str) -> None:
    """Give the history row customer_update just wrote the reason of the move."""
    from kehu.sales.models import LifecycleChange

    change = LifecycleChange.objects.filter(customer=customer, to_stage=to_stage, reason="").order_by("-at",
                                                                                                      "-id").first()
    if change is not None:
        LifecycleChange.objects.filter(pk=change.pk).update(reason=reason[:200])


def loss_won_back(*, actor, loss: LossRecord, won_back_on: dt.date | None = None, how: str = WonBackHow.MANUAL,
                  campaign_id: int | None = None, order=None, note: str = "",
                  check_permissions: bool = True) -> LossRecord:
    """Mark the customer of ``loss`` won back (挽回): the date, how (by hand, a new
    order, a campaign — ``campaign_id`` for the campaigns to come) and a note; a
    customer still ``lost`` becomes ``won_back``. By hand: whoever may change the
    customer, and the stage moves through customer_update; ``check_permissions=False``
    is for the system's own writes (an order, a campaign), recorded as automatic."""
    from kehu.customers.services import customer_update
    from kehu.sales.lifecycle import lifecycle_record

    if check_permissions and not policy_for(actor).can_change(loss.customer):
        raise PermissionDenied(_("You may not change this customer."))
    if how not in WonBackHow.values:
        raise ValidationError({"how": _("Choose how the customer was won back.")})
    won_back_on = won_back_on or _today()
    _check_date("won_back_on", won_back_on)
    with transaction.atomic():
        loss = LossRecord.objects.select_for_update().select_related("customer").get(pk=loss.pk)
        if loss.won_back_on is not None:
            raise ValidationError({"won_back_on": _("This customer was already won back on %(date)s.") % {
                "date": loss.won_back_on.isoformat()}})
        if won_back_on < loss.lost_on:
            raise ValidationError({"won_back_on": _("A customer is won back on or after the day it was lost "
                                                    "(%(date)s).") % {"date": loss.lost_on.isoformat()}})
        loss.won_back_on = won_back_on
        loss.won_back_how = how
        loss.won_back_campaign_id = campaign_id
        loss.won_back_order = order
        loss.won_back_by = actor if getattr(actor, "pk", None) else None
        loss.won_back_note = note or ""
        loss.full_clean()
        loss.save()
        customer = loss.customer
        audit_record(actor=actor, action="update", instance=loss, customer_id=customer.pk,
                     changes={"won_back_on": [None, won_back_on.isoformat()], "won_back_how": ["", how]},
                     summary=f"{customer.name}: {loss.get_won_back_how_display()}")
        fresh = Customer.objects.select_for_update().get(pk=customer.pk)
        if fresh.lifecycle_stage == LifecycleStage.LOST:
            if check_permissions:
                customer_update(actor=actor, customer=fresh, data={"lifecycle_stage": LifecycleStage.WON_BACK})
                _name_the_move(fresh, LifecycleStage.WON_BACK, _("Won back"))
            else:
                reason = (_("Won back: order %(ref)s") % {"ref": order.ref} if order is not None
                          else _("Won back: %(how)s") % {"how": loss.get_won_back_how_display()})
                Customer.objects.filter(pk=fresh.pk).update(lifecycle_stage=LifecycleStage.WON_BACK)
                lifecycle_record(customer=fresh, from_stage=LifecycleStage.LOST, to_stage=LifecycleStage.WON_BACK,
                                 actor=actor, auto=True, reason=reason)
                audit_record(actor=actor, action="update", instance=fresh, customer_id=fresh.pk,
                             changes={"lifecycle_stage": [LifecycleStage.LOST, LifecycleStage.WON_BACK]},
                             summary=f"{fresh.name}: {reason}"[:300])
            customer.lifecycle_stage = LifecycleStage.WON_BACK
    return loss


def winback_on_order(*, order, actor=None) -> LossRecord | None:
    """A lost customer who places a new order is won back: called by
    :func:`kehu.sales.services.order_create` inside its transaction. Only an order that
    counts (not cancelled) dated on or after the loss closes the customer's open loss;
    a second order finds none open (idempotent). Returns the loss closed, if any."""
    if order.status == "cancelled":
        return None
    loss = (LossRecord.objects.filter(customer_id=order.customer_id, won_back_on__isnull=True,
                                      lost_on__lte=order.order_date).order_by("-lost_on", "-id").first())
    if loss is None:
        return None
    # an order dated ahead is a win-back today (a win-back is never in the future)
    won_back_on = max(min(order.order_date, _today()), loss.lost_on)
    # a win-back campaign that reached the customer within its attribution window gets the credit
    from kehu.marketing.campaigns.selectors import winback_campaign_for

    campaign_id = winback_campaign_for(customer_id=order.customer_id, day=order.order_date)
    return loss_won_back(actor=actor, loss=loss, won_back_on=won_back_on,
                         how=WonBackHow.CAMPAIGN if campaign_id else WonBackHow.ORDER, campaign_id=campaign_id,
                         order=order, check_permissions=False)


def winback_on_imported_orders(*, order_ids, actor=None) -> int:
    """The same as :func:`winback_on_order` for orders an import wrote in bulk (kehu/imports,
    which inserts rows without ``order_create``): each customer with an open loss and an
    imported order (not cancelled) dated on or after it is won back by its earliest such
    order. One query when nobody is lost; returns how many were won back."""
    from kehu.sales.models import Order

    if not order_ids or not LossRecord.objects.filter(won_back_on__isnull=True).exists():
        return 0
    winners = {}
    for order in (Order.objects.filter(pk__in=list(order_ids)).exclude(status="cancelled")
                  .filter(customer__losses__won_back_on__isnull=True,
                          customer__losses__lost_on__lte=models.F("order_date"))
                  .order_by("customer_id", "order_date", "id")):
        winners.setdefault(order.customer_id, order)
    return sum(winback_on_order(order=order, actor=actor) is not None for order in winners.values())


def reason_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in LossReason.choices]

