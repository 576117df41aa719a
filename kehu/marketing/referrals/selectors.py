"""Reads of referrals. Customers only through the one policy (kehu/org/policies.py).

A referral involves two customers who may belong to different teams: a viewer
reads the referrals where they see the referrer **or** the referred customer;
the name of the other customer is shown only when they see it too (the
``referrer_visible`` / ``referred_visible`` annotations).

**Referral value** (the documents' relationship value, DOMAIN.md §3): for a
referrer, the sum over the customers they referred of their revenue to date
(orders not cancelled, as the 360 page's revenue) plus their predicted
lifetime value in their latest customer value analysis (none: 0). The
**relationship value** shown beside it is the referrer's own predicted
lifetime value plus the referral value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count, DecimalField, Exists, OuterRef, Q, QuerySet, Subquery, Sum, Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404

from kehu.customers.models import Customer
from kehu.org.policies import policy_for

from .models import Referral, ReferralStatus

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal("0"), output_field=MONEY)
CARD_LIMIT = 200


def _visible_flag(policy, column: str):
    if policy.view_scope.everything:
        return Value(True)
    return Exists(policy.visible(Customer.objects.filter(pk=OuterRef(column))))


def revenue_of(column: str):
    """A customer's revenue to date (orders not cancelled) for ``column`` (a customer id of the outer query)."""
    from kehu.sales.models import Order

    return Coalesce(Subquery(Order.objects.filter(customer_id=OuterRef(column)).exclude(status="cancelled")
                             .order_by().values("customer_id").annotate(s=Sum("amount")).values("s")[:1],
                             output_field=MONEY), ZERO)


def clv_of(column: str):
    """The predicted lifetime value in the customer's latest finished value analysis (none: 0)."""
    from kehu.insights.models import CustomerScore, RunStatus

    return Coalesce(Subquery(CustomerScore.objects.filter(customer_id=OuterRef(column),
                                                          run__status=RunStatus.SUCCEEDED, run__scores_purged=False)
                             .order_by("-run__as_of", "-run_id").values("clv")[:1], output_field=MONEY), ZERO)


def referral_list(*, viewer, status: str = "", referrer_id=None, referred_id=None, q: str = "") -> QuerySet:
    policy = policy_for(viewer)
    qs = Referral.objects.select_related("referrer", "referred", "coupon", "order")
    if not policy.active:
        return qs.none()
    if not policy.view_scope.everything:
        seen = policy.visible(Customer.objects.all()).values("pk")
        qs = qs.filter(Q(referrer_id__in=seen) | Q(referred_id__in=seen))
    qs = qs.annotate(referrer_visible=_visible_flag(policy, "referrer_id"),
                     referred_visible=_visible_flag(policy, "referred_id"))
    if status:
        qs = qs.filter(status=status)
    if referrer_id:
        qs = qs.filter(referrer_id=referrer_id)
    if referred_id:
        qs = qs.filter(referred_id=referred_id)
    if q:
        qs = qs.filter(Q(referrer__name__icontains=q, referrer_visible=True)
                       | Q(referred__name__icontains=q, referred_visible=True))
    return qs


def referral_get(*, viewer, pk: int) -> Referral:
    found = referral_list(viewer=viewer).filter(pk=pk).first()
    if found is None:
        raise Http404
    return found


@dataclass
class Summary:
    """What the 360 page shows of a customer's referrals (one query, :func:`customer_summary`)."""

    referred_by: Referral | None = None
    made: list = field(default_factory=list)       # Referral rows with referred_revenue, referred_clv
    truncated: bool = False

    @property
    def count(self) -> int:
        return len(self.made)

    @property
    def revenue(self) -> Decimal:
        return sum((r.referred_revenue for r in self.made), Decimal(0))

    @property
    def predicted(self) -> Decimal:
        return sum((r.referred_clv for r in self.made), Decimal(0))

    @property
    def value(self) -> Decimal:
        """The referral value: the referred customers' revenue to date plus their predicted lifetime value."""
        return self.revenue + self.predicted

    @property
    def rewarded(self) -> list:
        return [r for r in self.made if r.status == ReferralStatus.REWARDED]

    @property
    def points(self) -> int:
        return sum(r.reward_points or 0 for r in self.rewarded)

    @property
    def coupons(self) -> int:
        return sum(1 for r in self.rewarded if r.coupon_id)


def customer_summary(*, viewer, customer: Customer) -> Summary:
    """The customer's referrals both ways in ONE query (the caller has checked that the viewer sees the
    customer); kept on the customer object so the 360 page's card and value section share it."""
    cached = getattr(customer, "_referral_summary", None)
    if cached is not None:
        return cached
    policy = policy_for(viewer)
    rows = list(Referral.objects.filter(Q(referrer_id=customer.pk) | Q(referred_id=customer.pk))
                .select_related("referrer", "referred", "coupon")
                .annotate(referrer_visible=_visible_flag(policy, "referrer_id"),
                          referred_visible=_visible_flag(policy, "referred_id"),
                          referred_revenue=revenue_of("referred_id"), referred_clv=clv_of("referred_id"))
                .order_by("-created_at", "-id")[:CARD_LIMIT + 2])
    summary = Summary()
    for r in rows:
        if r.referred_id == customer.pk:
            summary.referred_by = r
        else:
            summary.made.append(r)
    if len(summary.made) > CARD_LIMIT:
        summary.made, summary.truncated = summary.made[:CARD_LIMIT], True
    customer._referral_summary = summary
    return summary


def referral_values(referrer_ids) -> dict[int, dict]:
    """Per referrer: referred count, rewarded count, revenue, predicted and referral value."""
    out: dict[int, dict] = {}
    rows = (Referral.objects.filter(referrer_id__in=list(referrer_ids))
            .annotate(rev=revenue_of("referred_id"), clv=clv_of("referred_id"))
            .values("referrer_id", "status", "rev", "clv"))
    for r in rows:
        v = out.setdefault(r["referrer_id"], {"referred": 0, "rewarded": 0, "revenue": Decimal(0),
                                              "predicted": Decimal(0)})
        v["referred"] += 1
        v["rewarded"] += r["status"] == ReferralStatus.REWARDED
        v["revenue"] += r["rev"] or 0
        v["predicted"] += r["clv"] or 0
    for v in out.values():
        v["value"] = v["revenue"] + v["predicted"]
    return out


def leaderboard(*, viewer, limit: int = 20) -> list[dict]:
    """The top referrers the viewer sees, by the customers they referred, then by referral value."""
    policy = policy_for(viewer)
    if not policy.active:
        return []
    top = list(policy.visible(Customer.objects.filter(merged_into__isnull=True))
               .annotate(n=Count("referrals_made")).filter(n__gt=0)
               .order_by("-n", "name", "id").values("pk", "name", "ref", "n")[:limit * 5])
    values = referral_values([t["pk"] for t in top])
    rows = [{"customer_id": t["pk"], "name": t["name"], "ref": t["ref"], **values.get(t["pk"], {})} for t in top]
    rows.sort(key=lambda r: (-r.get("referred", 0), -r.get("value", 0), r["name"]))
    return rows[:limit]


def own_clv(customer: Customer, viewer) -> Decimal | None:
    from kehu.insights.selectors import customer_latest_score

    score = customer_latest_score(viewer=viewer, customer_id=customer.pk)
    return score.clv if score is not None else None


