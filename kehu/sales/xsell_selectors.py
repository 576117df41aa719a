"""Reads of cross-selling: the stored rules (company-wide aggregates, for the roles of
:attr:`kehu.org.policies.CustomerPolicy.may_read_associations`) and one customer's
suggestions (for whoever may see the customer).

A customer's suggestions: the product lines the customer has never bought that at
least ``MIN_SHARE`` of their peers buy. Peers are the buying customers of the same
industry and value tier (the latest value analysis), or of the same industry when the
tier group is too small or the customer has no tier. Each suggestion carries its
evidence: the peers' share ("62 % of gold 钢结构 customers buy 板材; this customer
doesn't") and the line-level rules whose left side the customer already buys
("orders with 型材 also hold 线材 in 45 % of cases, 1.8 times as often as usual").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from kehu.org.policies import policy_for
from kehu.sales.models import (
    AssociationRule, AssociationRun, AssociationRunStatus, OrderLine, OrderStatus, PeerLineShare, ProductLine, RuleLevel,
)

MIN_SHARE = 0.3
SUGGESTIONS_MAX = 5


def latest_association_run() -> AssociationRun | None:
    return AssociationRun.objects.filter(status=AssociationRunStatus.DONE).order_by("-created_at", "-id").first()


def association_rule_list(*, viewer, level: str = "", min_support: float | None = None,
                          min_confidence: float | None = None, min_lift: float | None = None, q: str = "",
                          run: AssociationRun | None = None) -> QuerySet[AssociationRule]:
    """The latest run's rules; refused (PermissionDenied) to roles that may not read them."""
    if not policy_for(viewer).may_read_associations:
        raise PermissionDenied
    run = run or latest_association_run()
    if run is None:
        return AssociationRule.objects.none()
    qs = AssociationRule.objects.filter(run=run)
    if level:
        qs = qs.filter(level=level)
    if min_support is not None:
        qs = qs.filter(support__gte=min_support)
    if min_confidence is not None:
        qs = qs.filter(confidence__gte=min_confidence)
    if min_lift is not None:
        qs = qs.filter(lift__gte=min_lift)
    if q:
        qs = qs.filter(antecedent_label__icontains=q) | qs.filter(consequent_label__icontains=q)
    return qs


@dataclass
class RuleEvidence:
    antecedent_label: str
    confidence: float
    lift: float
    count: int

    @property
    def confidence_pct(self) -> float:
        return self.confidence * 100


@dataclass
class Suggestion:
    line: ProductLine
    share: float | None = None   # of the peer group
    buyers: int = 0
    group_size: int = 0
    rules: list[RuleEvidence] = field(default_factory=list)

    @property
    def share_pct(self) -> float | None:
        return None if self.share is None else self.share * 100

    @property
    def score(self) -> float:
        return max([self.share or 0.0] + [r.confidence for r in self.rules])


@dataclass
class Suggestions:
    customer: object
    run: AssociationRun | None
    industry: str = ""
    tier: str = ""          # the peer group's tier code ("" = all tiers of the industry)
    items: list[Suggestion] = field(default_factory=list)
    owned_ids: set[int] = field(default_factory=set)   # the product lines the customer buys

    @property
    def tier_label(self) -> str:
        from kehu.insights.models import ValueTier

        return str(ValueTier(self.tier).label) if self.tier in ValueTier.values else ""


def customer_suggestions(*, viewer, customer_id, limit: int = SUGGESTIONS_MAX) -> Suggestions:
    """The suggestions for one customer the viewer may see (else 404). Four queries."""
    customer = policy_for(viewer).get_visible(customer_id)
    run = latest_association_run()
    out = Suggestions(customer=customer, run=run, industry=customer.industry)
    owned_ids = set(OrderLine.objects.filter(order__customer_id=customer.pk, product__line__isnull=False)
                    .exclude(order__status=OrderStatus.CANCELLED)
                    .values_list("product__line_id", flat=True).distinct())
    out.owned_ids = owned_ids
    if run is None:
        return out
    tier = _customer_tier(customer.pk)
    shares = list(PeerLineShare.objects.filter(run=run, industry=customer.industry, tier__in={"", tier})
                  .select_related("line"))
    tier_rows = [s for s in shares if tier and s.tier == tier]
    rows = tier_rows or [s for s in shares if s.tier == ""]
    out.tier = tier if tier_rows else ""
    lines = {s.line_id: s.line for s in shares}
    by_line: dict[int, Suggestion] = {}
    for s in rows:
        if s.line_id in owned_ids or s.share < MIN_SHARE:
            continue
        by_line[s.line_id] = Suggestion(line=s.line, share=s.share, buyers=s.buyers, group_size=s.group_size)
    if owned_ids:
        rules = AssociationRule.objects.filter(run=run, level=RuleLevel.LINE, size=2).order_by("-confidence", "id")
        needed = []
        for r in rules[:500]:
            (a,), (c,) = r.antecedent, r.consequent
            if a in owned_ids and c not in owned_ids:
                needed.append((c, r))
        missing = {c for c, _r in needed} - set(lines)
        if missing:
            lines.update({ln.pk: ln for ln in ProductLine.objects.filter(pk__in=missing)})
        for c, r in needed:
            if c not in lines:
                continue
            sug = by_line.setdefault(c, Suggestion(line=lines[c]))
            sug.rules.append(RuleEvidence(r.antecedent_label, r.confidence, r.lift, r.count))
    out.items = sorted(by_line.values(), key=lambda s: (-s.score, s.line.name))[:limit]
    return out


def _customer_tier(customer_id: int) -> str:
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import latest_run

    run = latest_run()
    if run is None:
        return ""
    return CustomerScore.objects.filter(run=run, customer_id=customer_id).values_list("tier", flat=True).first() or ""
