"""Writes of membership and points (会员 / 积分).

Every change of points is a new :class:`PointsEntry`; the balance is the sum
of a member's entries and never goes negative. A use of points (redeem, a
negative correction) takes from the oldest lots first (``ledger.fifo_take``)
and expiry takes what is left of lots past their date — both under a lock on
the membership row, so two uses at once cannot together overdraw.

Hooks for the rest of marketing: :func:`points_redeem` (a reward bought with
points calls it and keeps the entry it returns), :func:`points_exchange` (points
for a coupon of a kind with a points price: the entry and the coupon in one
transaction), :func:`points_earn_for_order` (kehu.sales calls it when an order
is paid in full; once per order) and :func:`notices_send` (the members' notices
through the one sending gate).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.marketing.membership import ledger
from kehu.marketing.membership.models import (
    EarnRule, EntryKind, EventKind, MemberEvent, Membership, MembershipStatus, PointsEntry, Programme, Tier,
    TierBasis,
)
from kehu.marketing.permissions import require_marketing
from kehu.marketing.records import audited_delete, audited_save, take
from kehu.org.policies import policy_for

MAX_POINTS = 10**12  # one entry's points, either way


def _today() -> dt.date:
    return timezone.localdate()


def may_enrol(actor, customer) -> bool:
    policy = policy_for(actor)
    return policy.can_change(customer) or (policy.may_manage_membership and policy.can_view(customer))


may_redeem = may_enrol


# -- tiers, rules, programme ---------------------------------------------------------

TIER_FIELDS = ("code", "name_zh", "name_en", "rank", "threshold", "earn_multiplier")


def tier_create(*, actor, data: dict[str, Any]) -> Tier:
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    return audited_save(actor=actor, instance=Tier(), data=take(data, TIER_FIELDS, strict=False),
                        summary=lambda t: f"{t.code} {t.name_zh}")


def tier_update(*, actor, tier: Tier, data: dict[str, Any]) -> Tier:
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    return audited_save(actor=actor, instance=tier, data=take(data, TIER_FIELDS, strict=False),
                        summary=lambda t: t.code)


def tier_delete(*, actor, tier: Tier) -> None:
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    if tier.members.exists():
        raise ValidationError(_("Members are in this tier; move them to another tier first."))
    if Tier.objects.count() <= 1:
        raise ValidationError(_("The programme needs at least one tier."))
    audited_delete(actor=actor, instance=tier, summary=tier.code)


def tiers_init(*, actor=None) -> int:
    """Add the default tiers that are missing (``kehu membership tiers init``)."""
    from kehu.marketing.membership.defaults import ensure_default_tiers

    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    with transaction.atomic():
        return ensure_default_tiers(Tier)


RULE_FIELDS = ("product_line", "tier", "points_per_yuan", "multiplier", "active")


def _rule_unique(rule: EarnRule) -> None:
    clash = EarnRule.objects.filter(product_line=rule.product_line, tier=rule.tier).exclude(pk=rule.pk)
    if clash.exists():
        raise ValidationError({"product_line": [_("A rule for this product line and tier exists already.")]})


def _check_rule(rule: EarnRule) -> None:
    rule.full_clean()
    _rule_unique(rule)


def rule_create(*, actor, data: dict[str, Any]) -> EarnRule:
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    return audited_save(actor=actor, instance=EarnRule(), data=take(data, RULE_FIELDS, strict=False),
                        check=_check_rule, summary=str)


def rule_update(*, actor, rule: EarnRule, data: dict[str, Any]) -> EarnRule:
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    return audited_save(actor=actor, instance=rule, data=take(data, RULE_FIELDS, strict=False),
                        check=_check_rule, summary=str)


def rule_delete(*, actor, rule: EarnRule) -> None:
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    audited_delete(actor=actor, instance=rule, summary=str(rule))


PROGRAMME_FIELDS = ("basis", "window_months", "points_validity_months", "term_months", "points_per_yuan")


def programme_update(*, actor, data: dict[str, Any]) -> Programme:
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    programme = Programme.current()
    for k, v in data.items():
        if k in PROGRAMME_FIELDS:
            setattr(programme, k, v)
    with transaction.atomic():
        programme.full_clean()
        programme.save()
        audit_record(actor=actor, action="update", instance=programme, summary="programme",
                     changes={k: str(getattr(programme, k)) for k in PROGRAMME_FIELDS})
    return programme


# -- memberships -----------------------------------------------------------------------

def _lowest_tier() -> Tier:
    tier = Tier.objects.order_by("rank").first()
    if tier is None:
        raise ValidationError(_("No member tiers are set up yet: run `kehu membership tiers init`."))
    return tier


def member_enrol(*, actor, customer, tier: Tier | None = None, joined_on: dt.date | None = None,
                 auto_renew: bool = True) -> Membership:
    """Make ``customer`` a member (number ``M`` + the customer's id, 8 digits):
    the lowest tier unless ``tier`` is given, for one term from ``joined_on``."""
    if actor is not None and not may_enrol(actor, customer):
        raise PermissionDenied(_("You may not enrol this customer."))
    if tier is not None and actor is not None and not policy_for(actor).may_manage_membership \
            and tier != _lowest_tier():
        raise PermissionDenied(_("Only marketing staff and administrators may enrol a member in a higher tier."))
    joined_on = joined_on or _today()
    programme = Programme.current()
    tier = tier or _lowest_tier()
    membership = Membership(customer=customer, number=f"M{customer.pk:08d}", tier=tier, tier_since=joined_on,
                            joined_on=joined_on, expires_on=ledger.add_months(joined_on, programme.term_months),
                            auto_renew=auto_renew, status=MembershipStatus.ACTIVE)
    with transaction.atomic():
        if Membership.objects.filter(customer=customer).exists():
            raise ValidationError({"customer": [_("This customer is a member already.")]})
        membership.full_clean(validate_unique=False)
        try:
            with transaction.atomic():
                membership.save(force_insert=True)
        except IntegrityError:
            raise ValidationError({"customer": [_("This customer is a member already.")]}) from None
        MemberEvent.objects.create(membership=membership, kind=EventKind.JOINED, on=joined_on, to_tier=tier,
                                   reason=_("Enrolled"), notice_pending=True)
        audit_record(actor=actor, action="create", instance=membership, customer_id=customer.pk,
                     summary=f"{membership.number} {tier.code}")
    return membership


def member_update(*, actor, membership: Membership, auto_renew: bool | None = None,
                  status: str | None = None, tier: Tier | None = None, reason: str = "") -> Membership:
    """Change the renewal, the status or (marketing, administrators) the tier by hand."""
    if actor is not None and not may_enrol(actor, membership.customer):
        raise PermissionDenied(_("You may not change this membership."))
    changes = {}
    with transaction.atomic():
        m = Membership.objects.select_for_update().get(pk=membership.pk)
        if auto_renew is not None and auto_renew != m.auto_renew:
            m.auto_renew = auto_renew
            changes["auto_renew"] = auto_renew
        if status is not None and status != m.status:
            if status not in MembershipStatus.values:
                raise ValidationError({"status": [_("Not a membership status.")]})
            m.status = status
            changes["status"] = status
        if tier is not None and tier.pk != m.tier_id:
            require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
            MemberEvent.objects.create(membership=m, kind=EventKind.TIER_SET, on=_today(), from_tier=m.tier,
                                       to_tier=tier, reason=reason or _("Set by hand"), notice_pending=True)
            m.tier = tier
            m.tier_since = _today()
            changes["tier"] = tier.code
        m.full_clean(validate_unique=False)
        m.save()
        audit_record(actor=actor, action="update", instance=m, customer_id=m.customer_id, summary=m.number,
                     changes={k: str(v) for k, v in changes.items()})
    return m


# -- points ------------------------------------------------------------------------------

def points_balance(membership: Membership | int) -> int:
    """The balance: the sum of the member's entries (one indexed aggregate)."""
    mid = membership if isinstance(membership, int) else membership.pk
    with connection.cursor() as cursor:   # SQL of its own: building the ORM's aggregate cost more than it
        cursor.execute(f"SELECT COALESCE(SUM(points), 0) FROM {PointsEntry._meta.db_table} WHERE membership_id = %s",
                       [mid])
        return int(cursor.fetchone()[0])


def _lots(membership_id: int) -> list[ledger.Lot]:
    return [ledger.Lot(id=pk, date=d, remaining=r, expires_on=e) for pk, d, r, e in
            PointsEntry.objects.filter(membership_id=membership_id, remaining__gt=0)
            .order_by("entry_date", "id").values_list("id", "entry_date", "remaining", "expires_on")]


def _lock(membership: Membership) -> Membership:
    return Membership.objects.select_for_update().get(pk=membership.pk)


def _check_points(points) -> int:
    try:
        value = int(points)
    except (TypeError, ValueError):
        raise ValidationError({"points": [_("Enter a whole number of points.")]}) from None
    if value != points and not isinstance(points, str):
        raise ValidationError({"points": [_("Enter a whole number of points.")]})
    if value == 0:
        raise ValidationError({"points": [_("An entry must change the points: not 0.")]})
    if abs(value) > MAX_POINTS:
        raise ValidationError({"points": [_("At most %(n)s points in one entry.") % {"n": f"{MAX_POINTS:,}"}]})
    return value


def _add_lot(*, membership: Membership, kind: str, points: int, on: dt.date, reason: str, source: str,
             actor=None, order=None) -> PointsEntry:
    validity = Programme.current().points_validity_months
    entry = PointsEntry(membership=membership, kind=kind, points=points, remaining=points, entry_date=on,
                        expires_on=ledger.add_months(on, validity), reason=reason, source=source,
                        actor=actor if getattr(actor, "pk", None) else None, order=order)
    entry.full_clean(validate_unique=False, validate_constraints=False)
    entry.save()
    return entry


def _use(*, membership: Membership, kind: str, points: int, on: dt.date, reason: str, source: str,
         actor=None) -> PointsEntry:
    """Take ``points`` (> 0) from the member's lots, oldest first, and write the
    negative entry. The caller holds the membership's lock."""
    try:
        taken = ledger.fifo_take(_lots(membership.pk), points)
    except ledger.InsufficientPoints as exc:
        raise ValidationError({"points": [
            _("The member has %(available)s points; %(wanted)s cannot be taken: the balance would be negative.")
            % {"available": exc.available, "wanted": exc.wanted}]}) from None
    for lot_id, take in taken:
        PointsEntry.objects.filter(pk=lot_id).update(remaining=F("remaining") - take)
    entry = PointsEntry(membership=membership, kind=kind, points=-points, remaining=0, entry_date=on,
                        reason=reason, source=source, actor=actor if getattr(actor, "pk", None) else None)
    entry.full_clean(validate_unique=False, validate_constraints=False)
    entry.save()
    return entry


def _active(membership: Membership) -> None:
    if membership.status != MembershipStatus.ACTIVE:
        raise ValidationError(_("This membership is not active."))


def points_bonus(*, actor, membership: Membership, points, reason: str, on: dt.date | None = None,
                 source: str = "") -> PointsEntry:
    """Bonus points (marketing, administrators, or the system with ``actor=None``)."""
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    value = _check_points(points)
    if value < 0:
        raise ValidationError({"points": [_("Bonus points are positive; use a correction to take points off.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the points are given.")]})
    with transaction.atomic():
        m = _lock(membership)
        _active(m)
        entry = _add_lot(membership=m, kind=EntryKind.BONUS, points=value, on=on or _today(), reason=reason.strip(),
                         source=source or _source(actor), actor=actor)
        audit_record(actor=actor, action="points", instance=m, customer_id=m.customer_id,
                     summary=f"{m.number} bonus {value:+d}", changes={"reason": reason})
    return entry


def points_correct(*, actor, membership: Membership, points, reason: str, on: dt.date | None = None,
                   source: str = "") -> PointsEntry:
    """A correction (marketing, administrators): an entry of its own, never an
    edit. A positive correction is a lot; a negative one uses points oldest
    first and is refused when the balance would go negative."""
    require_marketing(actor, _("Only marketing staff and administrators may do this."), system_ok=True)
    value = _check_points(points)
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say why the points are corrected.")]})
    with transaction.atomic():
        m = _lock(membership)
        if value > 0:
            entry = _add_lot(membership=m, kind=EntryKind.CORRECT, points=value, on=on or _today(),
                             reason=reason.strip(), source=source or _source(actor), actor=actor)
        else:
            entry = _use(membership=m, kind=EntryKind.CORRECT, points=-value, on=on or _today(),
                         reason=reason.strip(), source=source or _source(actor), actor=actor)
        audit_record(actor=actor, action="points", instance=m, customer_id=m.customer_id,
                     summary=f"{m.number} correct {value:+d}", changes={"reason": reason})
    return entry


def points_redeem(*, actor, membership: Membership, points, reason: str, source: str = "",
                  on: dt.date | None = None) -> PointsEntry:
    """Redeem ``points`` (> 0): the hook for rewards and coupons bought with
    points. Returns the (negative) ledger entry; refuses with a field error on
    ``points`` when the balance is too small."""
    if actor is not None and not may_redeem(actor, membership.customer):
        raise PermissionDenied(_("You may not redeem this member's points."))
    value = _check_points(points)
    if value < 0:
        raise ValidationError({"points": [_("Enter the points to redeem as a positive number.")]})
    if not (reason or "").strip():
        raise ValidationError({"reason": [_("Say what the points are redeemed for.")]})
    with transaction.atomic():
        m = _lock(membership)
        _active(m)
        entry = _use(membership=m, kind=EntryKind.REDEEM, points=value, on=on or _today(), reason=reason.strip(),
                     source=source or _source(actor), actor=actor)
        audit_record(actor=actor, action="points", instance=m, customer_id=m.customer_id,
                     summary=f"{m.number} redeem -{value}", changes={"reason": reason, "source": entry.source})
    return entry


def _source(actor) -> str:
    if actor is None or not getattr(actor, "pk", None):
        return "system"
    return f"user:{actor.username}"[:60]


# -- earning on orders ------------------------------------------------------------------

def _rule_table(tier: Tier) -> dict:
    """Active rules for ``tier``, by product line id (None: every line), the
    tier's own rule before the rule for every tier."""
    table: dict = {}
    for rule in EarnRule.objects.filter(active=True).filter(Q(tier=tier) | Q(tier__isnull=True)):
        key = rule.product_line_id
        if key not in table or rule.tier_id is not None:
            table[key] = rule
    return table


def order_points(order, tier: Tier) -> int:
    """The points an order earns a member of ``tier``: each line's amount ×
    its rule's points per yuan × the rule's multiplier × the tier's earn
    multiplier, summed, fractions dropped. A line's rule is the most specific
    active one (line and tier, line, tier, every line); without any, the
    programme's points per yuan."""
    programme = Programme.current()
    table = _rule_table(tier)
    total = Decimal(0)
    lines = list(order.lines.select_related("product").all())
    parts = [(ln.product.line_id if ln.product_id else None, ln.amount) for ln in lines] or [(None, order.amount)]
    for line_id, amount in parts:
        rule = table.get(line_id) if line_id is not None and line_id in table else table.get(None)
        ppy = rule.points_per_yuan if rule else programme.points_per_yuan
        mult = rule.multiplier if rule else Decimal(1)
        total += ledger.points_for_amount(amount, points_per_yuan=ppy, multiplier=mult,
                                          tier_multiplier=tier.earn_multiplier)
    return ledger.whole_points(total)


def points_earn_for_order(*, order, on: dt.date | None = None) -> PointsEntry | None:
    """Earn the points of a paid order for its customer's active membership,
    once per order (a unique constraint; a second call returns the first
    entry). Nothing for non-members, cancelled or unpaid orders, or orders
    worth no points."""
    from kehu.sales.models import OrderStatus

    existing = PointsEntry.objects.filter(order_id=order.pk, kind=EntryKind.EARN).first()
    if existing is not None:
        return existing
    m = Membership.objects.filter(customer_id=order.customer_id).select_related("tier").first()
    if m is None or m.status != MembershipStatus.ACTIVE or order.status == OrderStatus.CANCELLED:
        return None
    if order.amount <= 0 or order.paid_amount < order.amount:
        return None
    points = order_points(order, m.tier)
    if points <= 0:
        return None
    try:
        with transaction.atomic():
            m = Membership.objects.select_for_update().select_related("tier").get(pk=m.pk)
            entry = _add_lot(membership=m, kind=EntryKind.EARN, points=points, on=on or order.order_date,
                             reason=_("Order %(ref)s") % {"ref": order.ref}, source=f"order:{order.ref}"[:60],
                             order=order)
    except IntegrityError:
        return PointsEntry.objects.filter(order_id=order.pk, kind=EntryKind.EARN).first()
    return entry


def on_order_paid(order, *, on: dt.date | None = None) -> None:
    """Called by ``kehu.sales.services.payment_record`` after each payment."""
    points_earn_for_order(order=order, on=on)


def points_earn_paid_orders(*, since: dt.date | None = None) -> int:
    """Earn for every paid order of an active member not yet earned (orders
    paid before the customer joined are not counted; imports that set the
    paid amount directly are caught up here). Returns the entries made."""
    from kehu.sales.models import Order, OrderStatus

    orders = (Order.objects.filter(customer__membership__status=MembershipStatus.ACTIVE,
                                   order_date__gte=F("customer__membership__joined_on"),
                                   paid_amount__gte=F("amount"), amount__gt=0)
              .exclude(status=OrderStatus.CANCELLED)
              .exclude(pk__in=PointsEntry.objects.filter(kind=EntryKind.EARN, order__isnull=False)
                       .values("order_id")))
    if since is not None:
        orders = orders.filter(order_date__gte=since)
    made = 0
    for order in orders.iterator(chunk_size=500):
        if points_earn_for_order(order=order) is not None:
            made += 1
    return made


# -- expiry, review, renewal -------------------------------------------------------------

def points_expire(*, on: dt.date | None = None, membership: Membership | None = None) -> dict:
    """Expire every lot whose date has passed, oldest first, minus what was
    used: one negative ``expire`` entry per lot (``kehu points expire``).
    Returns ``{"members": n, "entries": n, "points": total expired}``."""
    on = on or _today()
    lots = PointsEntry.objects.filter(remaining__gt=0, expires_on__lte=on)
    if membership is not None:
        lots = lots.filter(membership=membership)
    member_ids = sorted(set(lots.values_list("membership_id", flat=True)))
    entries = points_total = 0
    for mid in member_ids:
        with transaction.atomic():
            m = Membership.objects.select_for_update().get(pk=mid)
            for lot_id, remaining in ledger.expiring(_lots(mid), on):
                lot = PointsEntry.objects.get(pk=lot_id)
                PointsEntry.objects.filter(pk=lot_id).update(remaining=0)
                PointsEntry.objects.create(
                    membership=m, kind=EntryKind.EXPIRE, points=-remaining, remaining=0, entry_date=on,
                    reason=_("Points of %(date)s expired") % {"date": lot.entry_date.isoformat()},
                    source=f"lot:{lot_id}")
                entries += 1
                points_total += remaining
    return {"members": len(member_ids), "entries": entries, "points": points_total}


def _spend_by_customer(customer_ids, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    from kehu.sales.models import Order, OrderStatus

    rows = (Order.objects.filter(customer_id__in=customer_ids, order_date__gt=start, order_date__lte=end)
            .exclude(status=OrderStatus.CANCELLED).values("customer_id").annotate(s=Sum("amount")))
    return {r["customer_id"]: r["s"] or Decimal(0) for r in rows}


def _points_by_member(member_ids, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    rows = (PointsEntry.objects.filter(membership_id__in=member_ids, kind__in=[EntryKind.EARN, EntryKind.BONUS],
                                       entry_date__gt=start, entry_date__lte=end)
            .values("membership_id").annotate(s=Sum("points")))
    return {r["membership_id"]: Decimal(r["s"] or 0) for r in rows}


@dataclass
class ReviewResult:
    reviewed: int = 0
    up: int = 0
    down: int = 0
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # number, from code, to code


def membership_review(*, on: dt.date | None = None, batch: int = 2000) -> ReviewResult:
    """The periodic tier review (``kehu membership review``): every active
    member's rolling spend (or points earned) over the programme's window up
    to ``on`` decides the tier, up or down; each change is recorded with its
    reason and a notice for the member."""
    on = on or _today()
    programme = Programme.current()
    tiers = list(Tier.objects.order_by("rank"))
    if not tiers:
        return ReviewResult()
    thresholds = [(t, t.threshold) for t in tiers]
    start = ledger.add_months(on, -programme.window_months)
    result = ReviewResult()
    qs = Membership.objects.filter(status=MembershipStatus.ACTIVE).order_by("id")
    last = 0
    while True:
        chunk = list(qs.filter(id__gt=last).select_related("tier")[:batch])
        if not chunk:
            break
        last = chunk[-1].pk
        if programme.basis == TierBasis.SPEND:
            measures = _spend_by_customer([m.customer_id for m in chunk], start, on)
            measure_of = lambda m: measures.get(m.customer_id, Decimal(0))  # noqa: E731
        else:
            measures = _points_by_member([m.pk for m in chunk], start, on)
            measure_of = lambda m: measures.get(m.pk, Decimal(0))  # noqa: E731
        with transaction.atomic():
            for m in chunk:
                result.reviewed += 1
                measure = measure_of(m)
                target = ledger.tier_for(thresholds, measure)
                if target.pk == m.tier_id:
                    continue
                up = target.rank > m.tier.rank
                basis = (_("spend of %(amount)s yuan") if programme.basis == TierBasis.SPEND
                         else _("%(amount)s points earned")) % {"amount": f"{measure:,.2f}".rstrip("0").rstrip(".")}
                reason = _("Tier review on %(date)s: %(basis)s in the last %(months)d months; %(tier)s needs "
                           "%(threshold)s.") % {
                    "date": on.isoformat(), "basis": basis, "months": programme.window_months,
                    "tier": (target if up else m.tier).name,
                    "threshold": f"{(target if up else m.tier).threshold:,.2f}".rstrip("0").rstrip(".")}
                MemberEvent.objects.create(membership=m, kind=EventKind.TIER_UP if up else EventKind.TIER_DOWN,
                                           on=on, from_tier=m.tier, to_tier=target, measure=measure,
                                           reason=reason[:300], notice_pending=True)
                result.changes.append((m.number, m.tier.code, target.code))
                Membership.objects.filter(pk=m.pk).update(tier=target, tier_since=on, updated_at=timezone.now())
                if up:
                    result.up += 1
                else:
                    result.down += 1
    return result


@dataclass
class RenewResult:
    renewed: int = 0
    expired: int = 0


def membership_renew(*, on: dt.date | None = None) -> RenewResult:
    """Annual renewal (``kehu membership renew``): an active membership whose
    term has ended (``expires_on`` before ``on``) is renewed for further terms
    when it renews automatically, else it expires. Each is recorded."""
    on = on or _today()
    term = Programme.current().term_months
    result = RenewResult()
    due = Membership.objects.filter(status=MembershipStatus.ACTIVE, expires_on__lt=on).order_by("id")
    for m in due.iterator(chunk_size=500):
        with transaction.atomic():
            m = Membership.objects.select_for_update().get(pk=m.pk)
            if m.status != MembershipStatus.ACTIVE or m.expires_on >= on:
                continue
            if m.auto_renew:
                old = m.expires_on
                new = old
                while new < on:
                    new = ledger.add_months(new, term)
                Membership.objects.filter(pk=m.pk).update(expires_on=new, updated_at=timezone.now())
                MemberEvent.objects.create(
                    membership=m, kind=EventKind.RENEWED, on=on, from_tier=m.tier, to_tier=m.tier,
                    reason=_("Renewed automatically until %(date)s.") % {"date": new.isoformat()},
                    notice_pending=True)
                result.renewed += 1
            else:
                Membership.objects.filter(pk=m.pk).update(status=MembershipStatus.EXPIRED, updated_at=timezone.now())
                MemberEvent.objects.create(
                    membership=m, kind=EventKind.EXPIRED, on=on, from_tier=m.tier,
                    reason=_("The membership ended on %(date)s and does not renew automatically.")
                    % {"date": m.expires_on.isoformat()}, notice_pending=True)
                result.expired += 1
    return result


def membership_merge(*, keep, drop) -> dict[str, int]:
    """Customers merged (``customer_merge``): the duplicate's membership becomes
    the kept customer's when that one has none; when both are members, the
    duplicate's ledger entries (lots with what remains of them) and history
    move to the kept membership — its balance becomes the sum of both, nothing
    is rewritten — the higher tier stays, and the duplicate's membership goes."""
    theirs = Membership.objects.filter(customer=drop).select_related("tier").first()
    if theirs is None:
        return {"moved": 0}
    ours = Membership.objects.filter(customer=keep).select_related("tier").first()
    if ours is None:
        Membership.objects.filter(pk=theirs.pk).update(customer=keep, updated_at=timezone.now())
        return {"moved": 1}
    entries = PointsEntry.objects.filter(membership=theirs).update(membership=ours)
    MemberEvent.objects.filter(membership=theirs).update(membership=ours)
    if theirs.tier.rank > ours.tier.rank:
        Membership.objects.filter(pk=ours.pk).update(tier=theirs.tier, tier_since=theirs.tier_since)
    if theirs.expires_on > ours.expires_on:
        Membership.objects.filter(pk=ours.pk).update(expires_on=theirs.expires_on)
    theirs.delete()
    return {"moved": entries, "dropped": 1}


def notices_pending():
    """Member events waiting for their notice (the sending gate picks them up)."""
    return MemberEvent.objects.filter(notice_pending=True).select_related("membership__customer", "to_tier")


def notice_mark_sent(*, event: MemberEvent) -> None:
    MemberEvent.objects.filter(pk=event.pk).update(notice_pending=False, notice_sent_at=timezone.now())


def notices_send(*, now: dt.datetime | None = None, limit: int = 50_000) -> dict[str, int]:
    """Send the pending notices (tier up or down, joined, renewed, expired) through the one gate
    (:func:`kehu.marketing.outreach.services.send_many`: e-mail, a service message, source
    ``membership``) with the default bilingual templates (made when missing). A member the gate holds
    back (no consent, suppressed, …) gets nothing; the hold is logged there. Each event's notice is
    attempted once: it is marked sent whatever the gate decided. Counts by the gate's status."""
    from kehu.marketing.membership.defaults import NOTICE_TEMPLATES, notice_template
    from kehu.marketing.outreach import services as outreach
    from kehu.marketing.outreach.models import MessageTemplate, SourceKind

    events = list(notices_pending().select_related("membership__tier").order_by("id")[:limit])
    totals: dict[str, int] = {}
    by_kind: dict[str, dict[int, MemberEvent]] = {}
    for e in events:  # one notice per member and kind: the latest event
        by_kind.setdefault(e.kind, {})[e.membership.customer_id] = e
    for kind, latest in by_kind.items():
        if kind not in NOTICE_TEMPLATES:
            continue
        tpl = notice_template(MessageTemplate, kind)
        per_customer = {}
        for cid, e in latest.items():
            tier = e.to_tier or e.membership.tier
            per_customer[cid] = {"member": {"number": e.membership.number, "tier": tier.name_zh,
                                            "tier_en": tier.name_en or tier.name_zh,
                                            "expires_on": e.membership.expires_on.isoformat()}}
        counts = outreach.send_many(customers=list(latest), channel="email", purpose="service", template=tpl,
                                    per_customer=per_customer, source=SourceKind.MEMBERSHIP, now=now)
        for status, n in counts.items():
            totals[status] = totals.get(status, 0) + n
    if events:
        MemberEvent.objects.filter(pk__in=[e.pk for e in events]).update(
            notice_pending=False, notice_sent_at=now or timezone.now())
    return totals


# -- points for coupons ------------------------------------------------------------------

def exchangeable_coupon_kinds():
    """The coupon kinds a member may buy with points: issuing, with a points price, cheapest first."""
    from kehu.marketing.coupons.models import CouponDefinition

    return CouponDefinition.objects.filter(active=True, points_price__isnull=False).order_by("points_price", "ref")


def points_exchange(*, actor, membership: Membership, definition, on: dt.date | None = None):
    """Exchange points for one coupon of ``definition`` (its ``points_price``): the redemption entry
    and the coupon in one transaction under the membership's lock — both or neither, never a negative
    balance (a field error on ``points`` when the member has too few). ``actor``: the member's staff
    (whoever may redeem the member's points) or None for the system. Returns ``(entry, coupon)``."""
    from kehu.marketing.coupons.models import CouponDefinition, CouponSource
    from kehu.marketing.coupons.services import coupon_issue

    if actor is not None and not may_redeem(actor, membership.customer):
        raise PermissionDenied(_("You may not redeem this member's points."))
    on = on or _today()
    with transaction.atomic():
        m = _lock(membership)
        _active(m)
        definition = CouponDefinition.objects.get(pk=definition.pk)
        if not definition.points_price or not definition.active:
            raise ValidationError({"definition": [_("This coupon kind cannot be bought with points.")]})
        reason = _("Exchanged for a coupon: %(ref)s") % {"ref": definition.ref}
        entry = _use(membership=m, kind=EntryKind.REDEEM, points=definition.points_price, on=on, reason=reason[:200],
                     source=f"coupon:{definition.ref}"[:60], actor=actor)
        result = coupon_issue(actor=None, definition=definition, customers=[m.customer], source=CouponSource.POINTS,
                              source_id=entry.pk, on=on)
        coupon = result.coupons[0]
        audit_record(actor=actor, action="points", instance=m, customer_id=m.customer_id,
                     summary=f"{m.number} exchange -{definition.points_price} {definition.ref}",
                     changes={"coupon": coupon.pk, "definition": definition.ref, "points": -definition.points_price})
    return entry, coupon
