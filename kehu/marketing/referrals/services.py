"""Writes of referrals (转介绍): codes, referrals, the reward rule, rewards.

- :func:`code_for` — a customer's referral code, made on demand (13 characters
  of :mod:`kehu.marketing.coupons.codes`: 60 random bits and a check
  character); :func:`referral_link` its public address ``/r/<code>/``.
- :func:`referral_from_link` — the public form: a friend who is not yet a
  customer (matched by phone and e-mail as the public service form matches,
  :func:`kehu.service.intake.match_customer`) becomes a lead with the source
  "referral" in the referrer's team pool (:func:`kehu.sales.pool.lead_create`)
  with the consents they ticked, and a :class:`Referral`. A friend who is
  already a customer is not recorded (no one can claim an existing customer
  through a link); the page answers the same either way.
- :func:`referral_create` — by hand: referrer and an existing referred customer.
- :func:`on_order_paid` — the hook of :func:`kehu.sales.services.payment_record`
  (beside membership's points): the referred customer's first order paid in
  full qualifies the referral and gives the reward, **once** (the referral's
  row is locked; a rewarded referral is never rewarded again).
  :func:`referrals_reward` catches up (``kehu referrals reward``).
- The reward (:class:`ReferralRule`): bonus points
  (:func:`kehu.marketing.membership.services.points_bonus`) when the rule says
  points and the referrer is an active member, else a coupon
  (:func:`kehu.marketing.coupons.services.coupon_issue`, source referral). The
  notice goes to the referrer through the one sending gate
  (:func:`kehu.marketing.outreach.services.send`, purpose marketing, source
  ``("referral", id)``): without consent it is held and logged, never sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Customer, Source
from kehu.marketing.permissions import may_manage as marketing_may_manage
from kehu.org.policies import policy_for

from .models import Referral, ReferralChannel, ReferralCode, ReferralRule, ReferralStatus, RewardKind

log = logging.getLogger(__name__)
RULE_FIELDS = ("active", "reward_kind", "points", "coupon_definition", "notice_template")


def may_manage(actor) -> bool:
    return marketing_may_manage(actor)


def _require_manager(actor) -> None:
    if not may_manage(actor):
        raise PermissionDenied(_("Only marketing and administrators may change the referral reward rule."))


def may_record(actor, customer: Customer) -> bool:
    """Who may record a referral of ``customer`` or make its code: whoever may change it, or
    marketing and administrators who see it."""
    policy = policy_for(actor)
    return policy.can_change(customer) or (policy.may_manage_marketing and policy.can_view(customer))


# -- codes ------------------------------------------------------------------------------

def _new_code() -> str:
    from kehu.marketing.coupons.codes import generate_code

    return generate_code()


def code_for(customer: Customer, *, actor=None) -> ReferralCode:
    """The customer's referral code (its first), made now if it has none. ``actor`` None: the system."""
    if actor is not None and not may_record(actor, customer):
        raise PermissionDenied(_("You may not change this customer."))
    existing = ReferralCode.objects.filter(customer=customer).order_by("created_at", "id").first()
    if existing is not None:
        return existing
    for _attempt in range(5):
        try:
            with transaction.atomic():
                code = ReferralCode.objects.create(customer=customer, code=_new_code())
                audit_record(actor=actor, action="referral.code", instance=code, customer_id=customer.pk,
                             summary=code.code)
                return code
        except IntegrityError:  # a code drawn twice (vanishingly rare): draw again
            continue
    raise RuntimeError("no free referral code")


def referral_link(code: ReferralCode | str) -> str:
    value = code.code if isinstance(code, ReferralCode) else code
    return f"{settings.KEHU_PUBLIC_URL.rstrip('/')}/r/{value}/"


def code_lookup(code: str) -> ReferralCode | None:
    value = (code or "").strip().upper().replace("-", "")
    if not value or len(value) > 16 or not value.isalnum():
        return None
    return (ReferralCode.objects.select_related("customer")
            .filter(code=value, customer__merged_into__isnull=True).first())


# -- referrals ---------------------------------------------------------------------------

def _check_pair(referrer: Customer, referred: Customer) -> None:
    if referrer.pk == referred.pk:
        raise ValidationError({"referred": _("A customer cannot refer themselves.")})
    if Referral.objects.filter(referred=referred).exists():
        raise ValidationError({"referred": _("This customer has already been referred.")})


def referral_create(*, actor, referrer: Customer, referred: Customer, note: str = "") -> Referral:
    """A referral recorded by hand: both customers visible to ``actor``, who may change the
    referred customer (or manages marketing)."""
    policy = policy_for(actor)
    if not (policy.can_view(referrer) and policy.can_view(referred)):
        raise Customer.DoesNotExist
    if not may_record(actor, referred):
        raise PermissionDenied(_("You may not change this customer."))
    _check_pair(referrer, referred)
    referral = Referral(referrer=referrer, referred=referred, channel=ReferralChannel.HAND, note=note.strip(),
                        created_by=actor if getattr(actor, "pk", None) else None)
    with transaction.atomic():
        referral.full_clean(exclude=["referred"])
        try:
            with transaction.atomic():
                referral.save()
        except IntegrityError:
            raise ValidationError({"referred": _("This customer has already been referred.")}) from None
        audit_record(actor=actor, action="create", instance=referral, customer_id=referred.pk,
                     changes={"referrer": referrer.ref, "referred": referred.ref}, summary=referred.name)
        _qualify_if_paid(referral)
    if referral.status == ReferralStatus.QUALIFIED:   # the friend had already paid an order
        _reward_safely(referral)
        referral.refresh_from_db()
    return referral


def referral_from_link(*, code: ReferralCode, name: str, phone: str = "", email: str = "",
                       consent_marketing: bool = False) -> Referral | None:
    """The public form: a new lead referred through ``code`` (consent to data processing given
    by the form's tick). None when the friend is already a customer (nothing recorded)."""
    from kehu.sales.pool import lead_create
    from kehu.service.intake import match_customer

    referrer = code.customer
    customer, _contact = match_customer(phone, email)
    if customer is not None:
        return None
    if (phone and Customer.objects.filter(phone=phone).exists()) or \
            (email and Customer.objects.filter(email__iexact=email).exists()):
        return None   # several customers with that phone or e-mail: already known
    with transaction.atomic():
        friend = lead_create(actor=None, team=referrer.team, data={
            "name": name, "kind": "individual", "phone": phone, "email": email, "source": Source.REFERRAL,
            "consent_data_processing": True, "consent_marketing": bool(consent_marketing),
            "remarks": _("Referred by %(name)s (%(ref)s) through the referral link.")
            % {"name": referrer.name, "ref": referrer.ref}})
        referral = Referral.objects.create(referrer=referrer, referred=friend, code=code.code,
                                           channel=ReferralChannel.LINK)
        audit_record(actor=None, action="create", instance=referral, customer_id=friend.pk,
                     changes={"referrer": referrer.ref, "code": code.code}, summary=friend.name)
    return referral


# -- the rule ----------------------------------------------------------------------------

def _check_rule(rule: ReferralRule) -> None:
    rule.full_clean()
    errors = {}
    if not rule.active:    # switched off: the reward may stay half set
        return
    if rule.reward_kind == RewardKind.POINTS and not rule.points:
        errors["points"] = _("Give the points of the reward.")
    if rule.reward_kind == RewardKind.COUPON and rule.coupon_definition_id is None:
        errors["coupon_definition"] = _("Choose the coupon kind of the reward.")
    if rule.notice_template_id is not None and rule.notice_template.channel not in ("email", "sms", "wechat",
                                                                                    "mail", "phone"):
        errors["notice_template"] = _("This template cannot be sent.")
    if errors:
        raise ValidationError(errors)


def rule_update(*, actor, data: dict[str, Any]) -> ReferralRule:
    _require_manager(actor)
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    with transaction.atomic():
        rule = ReferralRule.current()
        rule = ReferralRule.objects.select_for_update().get(pk=rule.pk)
        before = snapshot(rule)
        for k, v in data.items():
            setattr(rule, k, v)
        _check_rule(rule)
        rule.save()
        audit_record(actor=actor, action="update", instance=rule, changes=diff(before, snapshot(rule)),
                     summary=str(rule))
    return rule


# -- qualifying and rewarding ------------------------------------------------------------

def _paid_in_full():
    from kehu.sales.models import OrderStatus

    return Q(amount__gt=0, paid_amount__gte=F("amount")) & ~Q(status=OrderStatus.CANCELLED)


def _first_paid_order(customer_id: int, until: dt.date | None = None):
    from kehu.sales.models import Order

    qs = Order.objects.filter(_paid_in_full(), customer_id=customer_id)
    if until is not None:
        qs = qs.filter(order_date__lte=until)
    return qs.order_by("order_date", "id").first()


def _qualify_if_paid(referral: Referral, order=None, *, until: dt.date | None = None) -> bool:
    if referral.status != ReferralStatus.PENDING:
        return False
    order = order or _first_paid_order(referral.referred_id, until)
    if order is None:
        return False
    referral.status, referral.qualified_at, referral.order = ReferralStatus.QUALIFIED, timezone.now(), order
    referral.save(update_fields=["status", "qualified_at", "order", "updated_at"])
    audit_record(actor=None, action="referral.qualify", instance=referral, customer_id=referral.referred_id,
                 changes={"order": order.ref}, summary=order.ref)
    return True


def _notice(referral: Referral, rule: ReferralRule, coupon=None, now=None):
    from kehu.marketing.outreach import services as outreach

    tpl = rule.notice_template
    if tpl is None:
        return None
    code = code_for(referral.referrer)
    context = {"referral": {"code": code.code, "link": referral_link(code)}}
    if coupon is not None:
        context["coupon"] = {"code": coupon.display_code, "value": str(coupon.definition.value),
                             "valid_until": coupon.valid_until.isoformat() if coupon.valid_until else ""}
    return outreach.send(customer=referral.referrer, channel=tpl.channel, purpose="marketing", template=tpl,
                         context=context, source=("referral", referral.pk), now=now)


def referral_reward(referral: Referral, *, on: dt.date | None = None, now: dt.datetime | None = None) -> bool:
    """Give a qualified referral's reward once; True when given now. Raises ValidationError when the rule
    cannot give it (no coupon kind for a referrer who is not a member, a coupon kind used up)."""
    from kehu.marketing.coupons.services import coupon_issue
    from kehu.marketing.membership.models import Membership, MembershipStatus
    from kehu.marketing.membership.services import points_bonus

    rule = ReferralRule.current()
    if not rule.active:
        return False
    on = on or timezone.localdate()
    with transaction.atomic():
        referral = Referral.objects.select_for_update().select_related("referrer", "referred").get(pk=referral.pk)
        if referral.status != ReferralStatus.QUALIFIED:
            return False
        reason = _("Referral of %(name)s") % {"name": referral.referred.name}
        coupon = None
        membership = None
        if rule.reward_kind == RewardKind.POINTS and rule.points:
            membership = Membership.objects.filter(customer_id=referral.referrer_id,
                                                   status=MembershipStatus.ACTIVE).first()
        if membership is not None:
            entry = points_bonus(actor=None, membership=membership, points=rule.points, reason=reason, on=on,
                                 source=f"referral:{referral.pk}")
            referral.reward_kind, referral.reward_points, referral.points_entry = RewardKind.POINTS, rule.points, entry
        elif rule.coupon_definition_id is not None:
            result = coupon_issue(actor=None, definition=rule.coupon_definition, customers=[referral.referrer],
                                  source="referral", source_id=referral.pk, on=on)
            coupon = result.coupons[0]
            referral.reward_kind, referral.coupon = RewardKind.COUPON, coupon
        else:
            raise ValidationError(_("The referrer is not a member and the rule gives no coupon."))
        referral.status, referral.rewarded_at, referral.note = ReferralStatus.REWARDED, now or timezone.now(), ""
        referral.save(update_fields=["status", "rewarded_at", "reward_kind", "reward_points", "points_entry",
                                     "coupon", "note", "updated_at"])
        audit_record(actor=None, action="referral.reward", instance=referral, customer_id=referral.referrer_id,
                     changes={"reward": referral.reward_kind, "points": referral.reward_points,
                              "coupon": coupon.display_code if coupon else None}, summary=reason)
        message = _notice(referral, rule, coupon, now=now)
        if message is not None:
            Referral.objects.filter(pk=referral.pk).update(notice=message)
    return True


def _reward_safely(referral: Referral, *, on=None, now=None) -> bool:
    try:
        with transaction.atomic():
            return referral_reward(referral, on=on, now=now)
    except (ValidationError, PermissionDenied) as exc:
        note = " ".join(getattr(exc, "messages", [str(exc)]))[:300]
        Referral.objects.filter(pk=referral.pk).update(note=note)
        log.warning("referral %s not rewarded: %s", referral.pk, note)
        return False


def on_order_paid(order, *, on: dt.date | None = None) -> None:
    """Called by ``kehu.sales.services.payment_record`` after each payment: the referred customer's
    first order paid in full qualifies their referral and rewards the referrer (once)."""
    from kehu.sales.models import OrderStatus

    if order.amount <= 0 or order.paid_amount < order.amount or order.status == OrderStatus.CANCELLED:
        return
    referral = Referral.objects.filter(referred_id=order.customer_id).exclude(
        status=ReferralStatus.REWARDED).first()
    if referral is None:
        return
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        _qualify_if_paid(referral, order)
    if referral.status == ReferralStatus.QUALIFIED:
        _reward_safely(referral, on=on)


def referrals_reward(*, date: dt.date | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """Catch up (``kehu referrals reward``): qualify the pending referrals whose referred customer has an
    order paid in full (dated by ``date``), then reward every qualified one. Counts."""
    counts = {"qualified": 0, "rewarded": 0, "failed": 0}
    for referral in Referral.objects.filter(status=ReferralStatus.PENDING).order_by("pk").iterator(chunk_size=500):
        with transaction.atomic():
            locked = Referral.objects.select_for_update().get(pk=referral.pk)
            if _qualify_if_paid(locked, until=date):
                counts["qualified"] += 1
    if not ReferralRule.current().active:
        return counts
    for referral in list(Referral.objects.filter(status=ReferralStatus.QUALIFIED).order_by("pk")):
        if _reward_safely(referral, on=date, now=now):
            counts["rewarded"] += 1
        else:
            counts["failed"] += 1
    return counts


# -- merging customers ---------------------------------------------------------------------

def referral_merge(*, keep: Customer, drop: Customer, field: str) -> dict[str, int]:
    """MERGE_RELATIONS' "referrals": the referrals of ``drop`` go to ``keep``; a customer stays referred
    once (``keep``'s own referral wins) and never refers themselves (such a referral is dropped)."""
    dropped = 0
    if field == "referred":
        if Referral.objects.filter(referred=keep).exists():
            dropped, _by = Referral.objects.filter(referred=drop).delete()
            return {"moved": 0, "dropped": dropped}
        moved = Referral.objects.filter(referred=drop).exclude(referrer=keep).update(referred=keep)
        dropped, _by = Referral.objects.filter(referred=drop).delete()
        return {"moved": moved, "dropped": dropped}
    if field == "referrer":
        dropped, _by = Referral.objects.filter(referrer=drop, referred=keep).delete()
        return {"moved": Referral.objects.filter(referrer=drop).update(referrer=keep), "dropped": dropped}
    if field == "customer":   # codes: the old links keep working for the kept customer
        return {"moved": ReferralCode.objects.filter(customer=drop).update(customer=keep)}
    raise ValueError(field)
