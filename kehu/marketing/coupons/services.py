"""Writes of coupons: define, issue, redeem, void, expire.

Every write is a service with keyword-only arguments, inside one transaction,
after ``full_clean()``, with an audit record. Other apps issue coupons through
:func:`coupon_issue` with their ``source`` and the id of their record
(a campaign, a care rule, a referral, a points redemption); nothing here sends
messages — the caller hands the coupons to the sending gate.

Concurrency. Issuing and redeeming lock the coupon kind's row
(``SELECT … FOR UPDATE``) first, so the quantity limit and the per-customer
limit are counted by one writer at a time; redeeming then locks the coupon and
the order. The second of two redemptions of one coupon waits, then finds it
redeemed and is refused; the unique constraints (one redemption per coupon,
one per order) stand behind that. On SQLite Kehu's transactions begin
``IMMEDIATE``, which serialises writers anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.marketing.coupons import codes
from kehu.marketing.coupons.models import (
    CodeMode, Coupon, CouponDefinition, CouponSet, CouponSource, CouponStatus, Redemption,
)
from kehu.marketing.coupons.permissions import may_redeem
from kehu.marketing.permissions import require_marketing
from kehu.marketing.records import audited_save, take
from kehu.org.policies import policy_for
from kehu.sales.models import OrderStatus

DEFINITION_FIELDS = ("ref", "name_zh", "name_en", "kind", "value", "min_spend", "valid_from", "valid_until",
                     "valid_days", "per_customer_limit", "total_quantity", "points_price", "code_mode", "shared_code",
                     "collect_set", "active")
ISSUE_MAX = 100_000  # coupons one issue may create (a segment larger than this is refused)
CHUNK = 5_000  # ids per IN list


def today() -> dt.date:
    return timezone.localdate()


# -- definitions --------------------------------------------------------------------

def _check_definition(d: CouponDefinition) -> None:
    errors: dict[str, list[str]] = {}
    if not (d.name_zh or "").strip() and not (d.name_en or "").strip():
        errors["name_zh"] = [_("Give the coupon a name in Chinese or English.")]
    if d.kind == "percentage" and d.value is not None and d.value > 100:
        errors["value"] = [_("A percentage cannot be more than 100.")]
    if d.valid_from and d.valid_until and d.valid_until < d.valid_from:
        errors["valid_until"] = [_("The end date is before the start date.")]
    if d.valid_days and d.valid_until:
        errors["valid_days"] = [_("Give either an end date or a number of days from the issue, not both.")]
    if d.code_mode == CodeMode.SHARED:
        d.shared_code = codes.normalise(d.shared_code)
        if not d.shared_code:
            errors["shared_code"] = [_("Give the shared code.")]
    else:
        d.shared_code = ""
    if errors:
        raise ValidationError(errors)


def definition_create(*, actor, data: dict, product_lines=()) -> CouponDefinition:
    require_marketing(actor, _("Only marketing and administrators may manage coupons."), system_ok=True)

    def check(d: CouponDefinition) -> None:
        _check_definition(d)
        d.full_clean()

    return audited_save(actor=actor, instance=CouponDefinition(created_by=actor),
                        data=take(data, DEFINITION_FIELDS, strict=False), check=check, summary=lambda d: d.ref,
                        after_save=lambda d: d.product_lines.set(list(product_lines or ())))


def definition_update(*, actor, definition: CouponDefinition, data: dict, product_lines=None) -> CouponDefinition:
    """Change a coupon kind. Its value, kind, minimum spend and product lines
    apply to coupons redeemed from now on; the validity of coupons already
    issued stays what it was when they were issued. The code mode cannot change
    once coupons are issued."""
    require_marketing(actor, _("Only marketing and administrators may manage coupons."), system_ok=True)
    with transaction.atomic():
        definition = CouponDefinition.objects.select_for_update().get(pk=definition.pk)
        before = snapshot(definition)
        if "code_mode" in data and data["code_mode"] != definition.code_mode and definition.coupons.exists():
            raise ValidationError({"code_mode": [_("Coupons of this kind are issued; their codes cannot change.")]})
        if ("shared_code" in data and definition.code_mode == CodeMode.SHARED
                and codes.normalise(data["shared_code"]) != definition.shared_code and definition.coupons.exists()):
            raise ValidationError({"shared_code": [_("Coupons of this kind are issued; their codes cannot change.")]})
        for k, v in data.items():
            if k in DEFINITION_FIELDS:
                setattr(definition, k, v)
        _check_definition(definition)
        definition.full_clean()
        definition.save()
        if product_lines is not None:
            definition.product_lines.set(list(product_lines))
        audit_record(actor=actor, action="update", instance=definition,
                     changes=diff(before, snapshot(definition)), summary=definition.ref)
    return definition


def set_create(*, actor, data: dict, members) -> CouponSet:
    """A collect-the-set (集齐有礼): ``members`` (at least two coupon kinds, none
    already in another set) and the ``reward`` kind issued once to whoever
    holds all of them."""
    require_marketing(actor, _("Only marketing and administrators may manage coupons."), system_ok=True)
    members = list(members)
    errors = {}
    if len({m.pk for m in members}) < 2:
        errors["members"] = [_("A set needs at least two coupon kinds.")]
    if any(m.collect_set_id for m in members):
        errors["members"] = [_("A coupon kind can be in one set only.")]
    reward = data.get("reward")
    if reward is not None and reward.pk in {m.pk for m in members}:
        errors["reward"] = [_("The reward cannot be one of the set's own coupon kinds.")]
    coupon_set = CouponSet(name_zh=data.get("name_zh", ""), name_en=data.get("name_en", ""), reward=reward,
                           created_by=actor)
    if not coupon_set.name_zh.strip() and not coupon_set.name_en.strip():
        errors["name_zh"] = [_("Give the set a name in Chinese or English.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        coupon_set.full_clean()
        coupon_set.save()
        CouponDefinition.objects.filter(pk__in=[m.pk for m in members]).update(collect_set=coupon_set)
        audit_record(actor=actor, action="create", instance=coupon_set,
                     changes={"members": [m.ref for m in members], "reward": reward.ref}, summary=str(coupon_set))
    return coupon_set


# -- issuing -------------------------------------------------------------------------

@dataclass
class IssueResult:
    coupons: list[Coupon] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)  # customers already holding their limit

    @property
    def issued(self) -> int:
        return len(self.coupons)


def _validity(definition: CouponDefinition, on: dt.date) -> tuple[dt.date | None, dt.date | None]:
    if definition.valid_days:
        start = max(on, definition.valid_from) if definition.valid_from else on
        return start, start + dt.timedelta(days=definition.valid_days - 1)
    return definition.valid_from, definition.valid_until


def _new_codes(n: int, taken: set[str] = frozenset()) -> list[str]:
    """``n`` fresh codes, none already stored (one query per batch of candidates)."""
    out: list[str] = []
    seen = set(taken)
    while len(out) < n:
        want = n - len(out)
        batch = {codes.generate_code() for _i in range(want)} - seen
        listed = sorted(batch)
        clash = set()
        for i in range(0, len(listed), CHUNK):
            clash |= set(Coupon.objects.filter(code__in=listed[i:i + CHUNK], shared=False)
                         .values_list("code", flat=True))
        fresh = batch - clash
        out.extend(sorted(fresh))
        seen |= batch
    return out[:n]


def coupon_issue(*, actor, definition: CouponDefinition, customers, source: str = CouponSource.MANUAL,
                 source_id: int | None = None, code: str = "", skip_held: bool = False,
                 on: dt.date | None = None, reward_of_set: CouponSet | None = None) -> IssueResult:
    """Issue one coupon of ``definition`` to each of ``customers``; returns the
    coupons made (and the customers skipped).

    ``actor`` None is the system (a campaign's or care rule's run, which checked
    its audience itself); a person must be allowed to manage coupons and see
    every customer. A customer already holding ``per_customer_limit`` coupons of
    this kind is refused (``skip_held``: left out and reported instead, for a
    segment). All or nothing: when fewer coupons are left than wanted under the
    quantity limit, nothing is issued. ``code`` gives the code of a single
    unique-code coupon (an import of pre-printed codes)."""
    if source not in CouponSource.values:
        raise ValidationError({"source": [_("Unknown source.")]})
    if actor is not None:
        require_marketing(actor, _("Only marketing and administrators may manage coupons."), system_ok=True)
    customers = list({c.pk: c for c in customers}.values())
    if not customers:
        raise ValidationError({"customer": [_("Choose at least one customer.")]})
    if len(customers) > ISSUE_MAX:
        raise ValidationError(_("At most %(n)d coupons can be issued at a time.") % {"n": ISSUE_MAX})
    if actor is not None:
        policy = policy_for(actor)
        ids = [c.pk for c in customers]
        visible = 0
        for i in range(0, len(ids), CHUNK):  # bounded IN lists (SQLite's variable limit)
            visible += policy.visible().filter(pk__in=ids[i:i + CHUNK]).count()
        if visible < len(ids):
            raise PermissionDenied(_("You may not issue coupons to customers you cannot see."))
    on = on or today()
    with transaction.atomic():
        definition = CouponDefinition.objects.select_for_update().get(pk=definition.pk)
        if not definition.active and source != CouponSource.SET:
            raise ValidationError(_("Coupons of this kind are no longer issued."))
        start, until = _validity(definition, on)
        if until is not None and until < on:
            raise ValidationError(_("This coupon kind's validity has ended; no coupon can be issued."))
        # every holder of this kind (bounded by the coupons issued), not an IN list of the customers
        held = dict(Coupon.objects.filter(definition=definition).exclude(status=CouponStatus.VOID)
                    .values_list("customer_id").annotate(n=Count("id")).order_by())
        result = IssueResult()
        wanted = []
        for c in customers:
            if held.get(c.pk, 0) >= definition.per_customer_limit:
                if not skip_held:
                    raise ValidationError(
                        _("%(customer)s already holds %(n)d coupon(s) of this kind, the most one customer may hold.")
                        % {"customer": c.name, "n": definition.per_customer_limit})
                result.skipped.append(c.pk)
            else:
                wanted.append(c)
        if definition.total_quantity is not None and wanted:
            used = Coupon.objects.filter(definition=definition).exclude(status=CouponStatus.VOID).count()
            left = definition.total_quantity - used
            if len(wanted) > left:
                raise ValidationError(_("Only %(left)d coupon(s) of this kind are left under its quantity limit of "
                                        "%(limit)d; %(wanted)d were asked for.")
                                      % {"left": max(left, 0), "limit": definition.total_quantity,
                                         "wanted": len(wanted)})
        if not wanted:
            return result
        if definition.code_mode == CodeMode.SHARED:
            if code and codes.normalise(code) != definition.shared_code:
                raise ValidationError({"code": [_("This coupon kind has one shared code: %(code)s.")
                                                % {"code": definition.shared_code}]})
            new_codes = [definition.shared_code] * len(wanted)
        elif code:
            code = codes.normalise(code)
            if len(wanted) != 1:
                raise ValidationError({"code": [_("A given code is for one coupon only.")]})
            if not code or len(code) > 32 or not code.isalnum() or not code.isascii():
                raise ValidationError({"code": [_("Use up to 32 letters and digits.")]})
            if Coupon.objects.filter(code=code, shared=False).exists() or \
                    CouponDefinition.objects.filter(shared_code=code).exists():
                raise ValidationError({"code": [_("This code is already in use.")]})
            new_codes = [code]
        else:
            new_codes = _new_codes(len(wanted))
        now = timezone.now()
        rows = [Coupon(definition=definition, customer=c, code=k, shared=definition.code_mode == CodeMode.SHARED,
                       valid_from=start, valid_until=until, source=source, source_id=source_id,
                       reward_of_set=reward_of_set, issued_by=actor, issued_at=now)
                for c, k in zip(wanted, new_codes)]
        try:
            with transaction.atomic():
                result.coupons = Coupon.objects.bulk_create(rows, batch_size=1000)
        except IntegrityError:
            # A code drawn at the same moment by another issue (vanishingly rare): draw again once.
            if definition.code_mode == CodeMode.SHARED or code:
                raise ValidationError({"code": [_("This code is already in use.")]}) from None
            for row, k in zip(rows, _new_codes(len(rows))):
                row.code = k
            result.coupons = Coupon.objects.bulk_create(rows, batch_size=1000)
        if len(result.coupons) == 1:
            coupon = result.coupons[0]
            if coupon.pk is None:  # backends that do not return ids from a bulk insert
                coupon = Coupon.objects.get(definition=definition, code=coupon.code, customer=coupon.customer)
                result.coupons = [coupon]
            audit_record(actor=actor, action="coupon.issue", instance=coupon, customer_id=coupon.customer_id,
                         changes={"definition": definition.ref, "source": source, "source_id": source_id},
                         summary=f"{definition.ref} {coupon.display_code}")
        else:
            audit_record(actor=actor, action="coupon.issue", instance=definition,
                         changes={"issued": len(result.coupons), "skipped": len(result.skipped), "source": source,
                                  "source_id": source_id}, summary=definition.ref)
        if definition.collect_set_id:
            _reward_completed_sets(definition.collect_set_id, [c.pk for c in wanted], on=on)
    return result


def _reward_completed_sets(set_id: int, customer_ids: list[int], *, on: dt.date) -> None:
    """Issue the set's reward to those of ``customer_ids`` who now hold a coupon
    (not void) of every kind of the set and have not had the reward."""
    coupon_set = CouponSet.objects.select_related("reward").get(pk=set_id)
    member_ids = list(coupon_set.members.values_list("pk", flat=True))
    if len(member_ids) < 2:
        return
    wanted = set(customer_ids)
    complete = (Coupon.objects.filter(definition_id__in=member_ids)
                .exclude(status=CouponStatus.VOID).values("customer_id")
                .annotate(kinds=Count("definition_id", distinct=True)).filter(kinds=len(member_ids))
                .values_list("customer_id", flat=True).order_by())
    rewarded = set(Coupon.objects.filter(reward_of_set=coupon_set).values_list("customer_id", flat=True))
    due = [pk for pk in complete if pk in wanted and pk not in rewarded]
    if not due:
        return
    from kehu.customers.models import Customer

    customers = [c for i in range(0, len(due), CHUNK)
                 for c in Customer.objects.filter(pk__in=due[i:i + CHUNK]).only("pk", "name")]
    coupon_issue(actor=None, definition=coupon_set.reward, customers=customers,
                 source=CouponSource.SET, source_id=coupon_set.pk, skip_held=True, on=on, reward_of_set=coupon_set)


# -- redeeming -----------------------------------------------------------------------

def eligible_amount(definition: CouponDefinition, order) -> Decimal:
    """The part of ``order`` the coupon applies to: the lines of its product
    lines, or the whole order when it names none."""
    line_ids = list(definition.product_lines.values_list("pk", flat=True))
    if not line_ids:
        return order.amount
    total = order.lines.filter(product__line_id__in=line_ids).aggregate(s=Sum("amount"))["s"]
    # SQLite sums decimals as floats: back to cents
    return Decimal(str(total or 0)).quantize(codes.CENT)


def _find_coupon(code: str, order) -> Coupon:
    coupon = Coupon.objects.filter(code=code, shared=False).first()
    if coupon is None:
        definition = CouponDefinition.objects.filter(shared_code=code).first()
        if definition is not None:
            held = Coupon.objects.filter(definition=definition, customer_id=order.customer_id)
            coupon = (held.filter(status=CouponStatus.AVAILABLE).order_by("valid_until", "id").first()
                      or held.order_by("-id").first())
            if coupon is None:
                raise ValidationError({"code": [_("This customer holds no coupon with this code.")]})
    if coupon is None:
        raise ValidationError({"code": [_("No coupon has this code.")]})
    return coupon


def coupon_redeem(*, actor, order, code: str, on: dt.date | None = None) -> Redemption:
    """Use the coupon with ``code`` on ``order``: checks the customer, the state and
    validity, the minimum spend and product lines, the per-customer limit, computes
    the discount and records it — exactly once, however many try at the same time."""
    if actor is not None and not may_redeem(actor, order.customer):
        if not policy_for(actor).can_view(order.customer):
            from django.http import Http404

            raise Http404
        raise PermissionDenied(_("You may not redeem coupons on this order."))
    code = codes.normalise(code)
    if not code:
        raise ValidationError({"code": [_("Enter the coupon's code.")]})
    on = on or today()
    with transaction.atomic():
        found = _find_coupon(code, order)
        definition = CouponDefinition.objects.select_for_update().get(pk=found.definition_id)
        coupon = Coupon.objects.select_for_update().get(pk=found.pk)
        order = type(order).objects.select_for_update().get(pk=order.pk)
        if coupon.customer_id != order.customer_id:
            raise ValidationError({"code": [_("This coupon belongs to another customer.")]})
        if coupon.status == CouponStatus.REDEEMED:
            raise ValidationError({"code": [_("This coupon has already been redeemed.")]})
        if coupon.status == CouponStatus.VOID:
            raise ValidationError({"code": [_("This coupon has been voided.")]})
        if coupon.status == CouponStatus.EXPIRED or (coupon.valid_until and coupon.valid_until < on):
            raise ValidationError({"code": [_("This coupon expired on %(date)s.")
                                            % {"date": coupon.valid_until.isoformat()}]})
        if coupon.valid_from and coupon.valid_from > on:
            raise ValidationError({"code": [_("This coupon is valid from %(date)s.")
                                            % {"date": coupon.valid_from.isoformat()}]})
        if order.status == OrderStatus.CANCELLED:
            raise ValidationError(_("A cancelled order cannot take a coupon."))
        if Redemption.objects.filter(order=order).exists():
            raise ValidationError(_("This order already has a coupon."))
        used = Redemption.objects.filter(coupon__definition=definition, coupon__customer_id=order.customer_id).count()
        if used >= definition.per_customer_limit:
            raise ValidationError({"code": [_("This customer has used %(n)d coupon(s) of this kind, the most allowed.")
                                            % {"n": definition.per_customer_limit}]})
        eligible = eligible_amount(definition, order)
        if definition.product_lines.exists() and eligible <= 0:
            raise ValidationError({"code": [_("The order has no lines of the coupon's product lines.")]})
        if eligible < definition.min_spend:
            raise ValidationError({"code": [_("The coupon needs a spend of at least %(min)s; this order has %(have)s.")
                                            % {"min": definition.min_spend, "have": eligible}]})
        amount = codes.discount(kind=definition.kind, value=definition.value, eligible=eligible)
        redemption = Redemption(coupon=coupon, order=order, order_ref=order.ref, eligible_amount=eligible,
                                amount=amount, redeemed_by=actor, redeemed_at=timezone.now())
        redemption.full_clean(validate_unique=False, validate_constraints=False)
        try:
            with transaction.atomic():
                redemption.save()
        except IntegrityError:
            raise ValidationError({"code": [_("This coupon has already been redeemed.")]}) from None
        coupon.status = CouponStatus.REDEEMED
        coupon.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="coupon.redeem", instance=coupon, customer_id=order.customer_id,
                     changes={"order": order.ref, "amount": str(amount), "eligible": str(eligible)},
                     summary=f"{coupon.display_code} → {order.ref}")
    return redemption


# -- voiding and expiry ---------------------------------------------------------------

def coupon_void(*, actor, coupon: Coupon, reason: str = "") -> Coupon:
    """Void an available (or expired) coupon: it can no longer be redeemed and no
    longer counts against the limits. A redeemed coupon cannot be voided."""
    require_marketing(actor, _("Only marketing and administrators may manage coupons."), system_ok=True)
    if actor is not None and not policy_for(actor).can_view(coupon.customer):
        from django.http import Http404

        raise Http404
    with transaction.atomic():
        coupon = Coupon.objects.select_for_update().get(pk=coupon.pk)
        if coupon.status == CouponStatus.REDEEMED:
            raise ValidationError(_("A redeemed coupon cannot be voided."))
        if coupon.status == CouponStatus.VOID:
            raise ValidationError(_("This coupon is already void."))
        coupon.status = CouponStatus.VOID
        coupon.voided_by = actor
        coupon.voided_at = timezone.now()
        coupon.void_reason = reason or ""
        coupon.full_clean(validate_unique=False, validate_constraints=False)
        coupon.save(update_fields=["status", "voided_by", "voided_at", "void_reason", "updated_at"])
        audit_record(actor=actor, action="coupon.void", instance=coupon, customer_id=coupon.customer_id,
                     changes={"reason": reason}, summary=coupon.display_code)
    return coupon


def coupons_expire(*, on: dt.date | None = None, actor=None) -> int:
    """Mark every available coupon whose validity ended before ``on`` (today) as
    expired; returns how many. Idempotent: run it daily, or again for a date."""
    on = on or today()
    with transaction.atomic():
        n = (Coupon.objects.filter(status=CouponStatus.AVAILABLE, valid_until__lt=on)
             .update(status=CouponStatus.EXPIRED, updated_at=timezone.now()))
    return n



# -- telling the holders -------------------------------------------------------------

NOTICE_TEMPLATE = dict(
    code="coupon-issued", name="Coupon issued", channel="email", purpose="marketing",
    subject_zh="您的优惠券：{{ coupon.value }}", subject_en="Your coupon: {{ coupon.value }}",
    body_zh="尊敬的{{ contact.name }}：送您一张 {{ coupon.value }} 的优惠券，券码 {{ coupon.code }}"
            "{% if coupon.valid_until %}，有效期至 {{ coupon.valid_until }}{% endif %}。",
    body_en="Dear {{ contact.name }}, here is a coupon worth {{ coupon.value }}: code {{ coupon.code }}"
            "{% if coupon.valid_until %}, valid until {{ coupon.valid_until }}{% endif %}.")


def _value_text(definition: CouponDefinition) -> str:
    value = f"{definition.value:,.2f}".rstrip("0").rstrip(".")
    return f"{value}%" if definition.kind == "percentage" else f"¥{value}"


def coupons_notify(*, coupons, actor=None, template=None, channel: str = "email",
                   now: dt.datetime | None = None) -> dict[str, int]:
    """Tell each coupon's holder its code through the one sending gate
    (:func:`kehu.marketing.outreach.services.send_many`, a marketing message, source ``coupon`` with the
    coupon kind's id): a customer without consent, suppressed or over the cap gets nothing, and the hold
    is logged there. ``template``: a message template (or its code) of ``channel``; default the bilingual
    ``coupon-issued`` e-mail (made when missing). Counts by the gate's status."""
    from kehu.marketing.outreach import services as outreach
    from kehu.marketing.outreach.models import MessageTemplate, SourceKind

    coupons = [c for c in coupons if c.status == CouponStatus.AVAILABLE]
    if not coupons:
        return {}
    if template is None:
        defaults = {k: v for k, v in NOTICE_TEMPLATE.items() if k != "code"}
        template, _created = MessageTemplate.objects.get_or_create(code=NOTICE_TEMPLATE["code"], defaults=defaults)
    definitions = {d.pk: d for d in CouponDefinition.objects.filter(pk__in={c.definition_id for c in coupons})}
    per_customer = {}
    for c in coupons:
        d = definitions[c.definition_id]
        per_customer[c.customer_id] = {"coupon": {
            "code": c.display_code, "value": _value_text(d),
            "valid_until": c.valid_until.isoformat() if c.valid_until else ""}}
    source = (SourceKind.COUPON, coupons[0].definition_id if len(definitions) == 1 else None)
    return outreach.send_many(customers=list(per_customer), channel=channel, purpose="marketing", template=template,
                              per_customer=per_customer, source=source, actor=actor, now=now)
