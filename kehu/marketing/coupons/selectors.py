"""Reads of coupons, through the one visibility policy for anything that
belongs to a customer."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Case, Count, F, Q, QuerySet, Sum, Value, When
from django.http import Http404

from kehu.marketing.coupons.codes import normalise
from kehu.marketing.coupons.models import Coupon, CouponDefinition, CouponSet, CouponStatus, Redemption
from kehu.org.policies import policy_for


@dataclass(frozen=True)
class DefinitionFilters:
    q: str = ""
    kind: str = ""
    active: str = ""  # "", "yes", "no"


@dataclass(frozen=True)
class CouponFilters:
    q: str = ""             # a code
    status: str = ""
    definition_id: int | None = None
    customer_id: int | None = None
    source: str = ""


def definition_list(*, viewer, filters: DefinitionFilters | None = None) -> QuerySet[CouponDefinition]:
    """Every coupon kind: definitions are company-wide (their coupons are not)."""
    f = filters or DefinitionFilters()
    qs = CouponDefinition.objects.select_related("collect_set")
    if not policy_for(viewer).active:
        return qs.none()
    if f.q:
        qs = qs.filter(Q(ref__icontains=f.q) | Q(name_zh__icontains=f.q) | Q(name_en__icontains=f.q))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.active in ("yes", "no"):
        qs = qs.filter(active=f.active == "yes")
    return qs


def definition_get(*, viewer, pk) -> CouponDefinition:
    try:
        return definition_list(viewer=viewer).prefetch_related("product_lines").get(pk=pk)
    except (CouponDefinition.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def set_list(*, viewer) -> QuerySet[CouponSet]:
    qs = CouponSet.objects.select_related("reward").prefetch_related("members")
    return qs if policy_for(viewer).active else qs.none()


def coupon_list(*, viewer, filters: CouponFilters | None = None) -> QuerySet[Coupon]:
    """The coupons of the customers ``viewer`` may see."""
    f = filters or CouponFilters()
    qs = policy_for(viewer).visible(Coupon.objects.all(), prefix="customer__")
    qs = qs.select_related("definition", "customer", "redemption")
    if f.q:
        qs = qs.filter(code=normalise(f.q))
    if f.status:
        qs = qs.filter(status=f.status)
    if f.definition_id:
        qs = qs.filter(definition_id=f.definition_id)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.source:
        qs = qs.filter(source=f.source)
    return qs


def coupon_get(*, viewer, pk) -> Coupon:
    try:
        return coupon_list(viewer=viewer).get(pk=pk)
    except (Coupon.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404 from None


def customer_coupons(*, viewer, customer, limit: int = 10) -> list[Coupon]:
    """A customer's coupons for the 360 page: available ones first, then the rest, newest first."""
    available = Q(status=CouponStatus.AVAILABLE)
    qs = (coupon_list(viewer=viewer, filters=CouponFilters(customer_id=customer.pk))
          .annotate(_rest=Case(When(available, then=Value(0)), default=Value(1)),
                    _until=Case(When(available, then=F("valid_until")), default=None))
          .order_by("_rest", F("_until").asc(nulls_last=True), "-issued_at", "-id"))
    return list(qs[:limit])     # one query: the 360 page's query count is pinned


def definition_figures(*, viewer, definition) -> dict:
    """Issued, redeemed, redemption rate and discount given of one coupon kind,
    over the coupons of the customers ``viewer`` sees (voided coupons are not
    counted as issued)."""
    qs = coupon_list(viewer=viewer).filter(definition=definition)
    counts = qs.aggregate(
        issued=Count("id", filter=~Q(status=CouponStatus.VOID)),
        redeemed=Count("id", filter=Q(status=CouponStatus.REDEEMED)),
        available=Count("id", filter=Q(status=CouponStatus.AVAILABLE)),
        expired=Count("id", filter=Q(status=CouponStatus.EXPIRED)),
        void=Count("id", filter=Q(status=CouponStatus.VOID)),
    )
    money = Redemption.objects.filter(coupon__in=qs).aggregate(discount=Sum("amount"), eligible=Sum("eligible_amount"))
    issued = counts["issued"]
    return {
        **counts,
        "rate": (Decimal(counts["redeemed"]) / issued * 100) if issued else None,
        "discount": money["discount"] or Decimal("0.00"),
        "eligible": money["eligible"] or Decimal("0.00"),
    }


def order_redemption(order) -> Redemption | None:
    """The coupon used on ``order`` (an order the caller already may see)."""
    return Redemption.objects.select_related("coupon__definition", "redeemed_by").filter(order=order).first()
