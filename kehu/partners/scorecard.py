"""The partner scorecard (伙伴绩效) and the ranking of partners, on the existing value
engine: orders, payments and margins (kehu/sales), the latest value analysis' tiers and
churn risk (kehu/insights), survey responses (kehu/surveys) and cases with their SLA
(kehu/service).

Everything is counted within the viewer's view scope (kehu/org/policies.py): a manager
who sees half of a partner's customers sees the figures of that half. Each figure is one
query grouped by the order's / customer's / case's partner over all the partners asked
for, then summed per partner — its own rows, or with ``include_sub`` its own and its
sub-partners' (a level-1 agent with the level-2 agents below it).

The figures of a partner for a period ``[start, end]`` (both days included):

- sales: the amount of the orders sold through it dated in the period, cancelled orders
  left out; growth against the previous period of the same length just before;
- gross margin: sales less cost; partner margin: what the partner keeps (each order's
  amount × its ``partner_margin_pct``); the company's margin = gross margin − partner margin;
- payment behaviour, on the orders of the period: the overdue share (what is unpaid and
  past its due date today, or at the period's end if that is earlier, ÷ sales; the due
  date as in the receivables ageing, :func:`kehu.sales.performance.with_days_past_due`)
  and the days to pay (mean days from the order date to the last payment, over the
  orders paid in full);
- target attainment: sales ÷ the revenue targets of the partners counted whose target
  period lies within the period; new customers (registered in the period) ÷ their target;
- customers: those served through it (``Customer.partner``); their value tiers and mean
  churn risk in the latest finished value analysis, and how many are at or above its
  churn threshold;
- satisfaction: over its customers, each customer's latest complete survey response up to
  the period's end — the mean satisfaction index (0–100) and the NPS;
- cases routed to it (``Case.partner``) opened in the period; the complaint rate =
  complaints ÷ orders of the period; SLA compliance = of its cases resolved in the period
  that had a resolution deadline, the share resolved by it.

The ranking (:func:`partner_ranking`) ranks the partners by sales with the customers' ABC
classes and value-tier rules (the company's value settings), :mod:`kehu.analytics.partner_ranking`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import (
    Count, DecimalField, ExpressionWrapper, F, Max, OuterRef, Q, Subquery, Sum, Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from kehu.analytics.partner_ranking import PartnerRanking, growth
from kehu.analytics.sales_performance import ratio
from kehu.org.models import Partner
from kehu.org.policies import policy_for
from kehu.partners.selectors import managed_q

MONEY = DecimalField(max_digits=18, decimal_places=2)
ZERO = Decimal("0")


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        end = self.start - dt.timedelta(days=1)
        return Period(end - dt.timedelta(days=self.days - 1), end)

    @classmethod
    def quarter_of(cls, day: dt.date) -> "Period":
        q = (day.month - 1) // 3
        start = dt.date(day.year, 3 * q + 1, 1)
        end = dt.date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - dt.timedelta(days=1)
        return cls(start, end)


@dataclass
class Figures:
    """One partner's figures for one period (see the module's docstring)."""

    partner: Partner
    include_sub: bool = False
    orders: int = 0
    sales: Decimal = ZERO
    previous_sales: Decimal = ZERO
    cost: Decimal = ZERO
    partner_margin: Decimal = ZERO
    overdue: Decimal = ZERO
    paid_orders: int = 0
    pay_days_sum: int = 0
    target_revenue: Decimal | None = None
    target_new_customers: int | None = None
    customers: int = 0
    new_customers: int = 0
    tiers: dict = field(default_factory=dict)
    scored: int = 0
    churn_risk_sum: float = 0.0
    churn_warnings: int = 0
    satisfaction_n: int = 0
    satisfaction_sum: float = 0.0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0
    cases: int = 0
    complaints: int = 0
    sla_due: int = 0
    sla_met: int = 0
    # the ranking's (partner_ranking only)
    abc: str = ""
    tier: str = ""
    rank: int | None = None

    @property
    def tier_items(self) -> list[tuple[str, int]]:
        """The customers per value tier, with the tiers' names, best tier first."""
        from kehu.insights.models import ValueTier

        labels = dict(ValueTier.choices)
        order = {t: i for i, t in enumerate(labels)}
        return [(str(labels.get(t, t)), n) for t, n in sorted(self.tiers.items(), key=lambda kv: order.get(kv[0], 99))]

    @property
    def growth(self) -> float | None:
        return growth(self.sales, self.previous_sales)

    @property
    def gross_margin(self) -> Decimal:
        return self.sales - self.cost

    @property
    def margin_rate(self) -> float | None:
        return ratio(self.gross_margin, self.sales)

    @property
    def company_margin(self) -> Decimal:
        return self.gross_margin - self.partner_margin

    @property
    def overdue_share(self) -> float | None:
        return ratio(self.overdue, self.sales)

    @property
    def days_to_pay(self) -> float | None:
        return ratio(self.pay_days_sum, self.paid_orders)

    @property
    def attainment(self) -> float | None:
        return ratio(self.sales, self.target_revenue)

    @property
    def new_customer_attainment(self) -> float | None:
        return ratio(self.new_customers, self.target_new_customers)

    @property
    def churn_risk(self) -> float | None:
        return ratio(self.churn_risk_sum, self.scored)

    @property
    def satisfaction(self) -> float | None:
        return ratio(self.satisfaction_sum, self.satisfaction_n)

    @property
    def nps(self) -> float | None:
        r = ratio(self.promoters - self.detractors, self.nps_n)
        return None if r is None else 100 * r

    @property
    def complaint_rate(self) -> float | None:
        return ratio(self.complaints, self.orders)

    @property
    def sla_compliance(self) -> float | None:
        return ratio(self.sla_met, self.sla_due)


def _grouped(qs, key: str, **aggregates) -> dict:
    return {row[key]: row for row in qs.values(key).order_by(key).annotate(**aggregates)}


def _bounds(period: Period):
    tz = timezone.get_current_timezone()
    low = dt.datetime.combine(period.start, dt.time.min, tzinfo=tz)
    high = dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return low, high


def _direct(viewer, ids: list[int], period: Period) -> dict[int, dict]:
    """The figures grouped by the partner named on each row (no roll-up yet)."""
    from kehu.customers.models import Customer
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import churn_threshold, latest_run
    from kehu.org.models import PartnerTarget
    from kehu.sales.models import Order, OrderStatus, Payment
    from kehu.sales.performance import DaysBetween, with_days_past_due
    from kehu.service.models import Case, CaseKind
    from kehu.surveys.models import Response, ResponseStatus

    policy = policy_for(viewer)
    out: dict[int, dict] = {pk: {"tiers": {}} for pk in ids}

    def put(rows: dict, mapping: dict):
        for pk, row in rows.items():
            if pk in out:
                for name, key in mapping.items():
                    out[pk][name] = row[key]

    orders = policy.visible(Order.objects.filter(partner_id__in=ids), prefix="customer__").exclude(
        status=OrderStatus.CANCELLED)
    in_period = orders.filter(order_date__gte=period.start, order_date__lte=period.end)
    keep = ExpressionWrapper(F("amount") * Coalesce(F("partner_margin_pct"), Value(ZERO)) / Value(Decimal(100)),
                             output_field=MONEY)
    put(_grouped(in_period, "partner_id", n=Count("id"), sales=Sum("amount"), cost=Sum("cost"),
                 keep=Sum(keep)), {"orders": "n", "sales": "sales", "cost": "cost", "partner_margin": "keep"})
    prev = period.previous()
    put(_grouped(orders.filter(order_date__gte=prev.start, order_date__lte=prev.end), "partner_id",
                 sales=Sum("amount")), {"previous_sales": "sales"})
    as_of = min(period.end, timezone.localdate())
    owed = ExpressionWrapper(F("amount") - F("paid_amount"), output_field=MONEY)
    due = with_days_past_due(in_period.annotate(_owed=owed), as_of).filter(_owed__gt=0, days_past_due__gt=0)
    put(_grouped(due, "partner_id", overdue=Sum("_owed")), {"overdue": "overdue"})
    last_paid = Subquery(Payment.objects.filter(order_id=OuterRef("pk")).values("order_id")
                         .annotate(m=Max("received_on")).values("m")[:1])
    paid = (in_period.filter(amount__gt=0, paid_amount__gte=F("amount")).annotate(_last=last_paid)
            .filter(_last__isnull=False).annotate(_days=DaysBetween(F("_last"), F("order_date"))))
    put(_grouped(paid, "partner_id", n=Count("id"), days=Sum("_days")), {"paid_orders": "n", "pay_days_sum": "days"})

    targets = PartnerTarget.objects.filter(partner_id__in=ids, period_start__gte=period.start,
                                           period_end__lte=period.end)
    put(_grouped(targets, "partner_id", revenue=Sum("revenue"), new=Sum("new_customers")),
        {"target_revenue": "revenue", "target_new_customers": "new"})

    low, high = _bounds(period)
    customers = policy.visible(Customer.objects.filter(partner_id__in=ids, merged_into__isnull=True))
    put(_grouped(customers, "partner_id", n=Count("id"),
                 new=Count("id", filter=Q(created_at__gte=low, created_at__lt=high))),
        {"customers": "n", "new_customers": "new"})
    run = latest_run()
    if run is not None:
        scores = CustomerScore.objects.filter(run=run, customer__in=customers)
        threshold = churn_threshold(run)
        put(_grouped(scores.filter(churn_risk__isnull=False), "customer__partner_id", n=Count("id"),
                     s=Sum("churn_risk"), warn=Count("id", filter=Q(churn_risk__gte=threshold))),
            {"scored": "n", "churn_risk_sum": "s", "churn_warnings": "warn"})
        for row in scores.exclude(tier="").values("customer__partner_id", "tier").order_by().annotate(n=Count("id")):
            out[row["customer__partner_id"]]["tiers"][row["tier"]] = row["n"]
    latest = (Response.objects.filter(customer_id=OuterRef("customer_id"), status=ResponseStatus.COMPLETE,
                                      submitted_at__lt=high).order_by("-submitted_at", "-id").values("pk")[:1])
    responses = Response.objects.filter(customer__in=customers, status=ResponseStatus.COMPLETE,
                                        submitted_at__lt=high).filter(pk=Subquery(latest))
    put(_grouped(responses, "customer__partner_id", n=Count("index"), s=Sum("index"), nps_n=Count("nps"),
                 promoters=Count("id", filter=Q(nps__gte=9)), detractors=Count("id", filter=Q(nps__lte=6))),
        {"satisfaction_n": "n", "satisfaction_sum": "s", "nps_n": "nps_n", "promoters": "promoters",
         "detractors": "detractors"})
    cases = policy.visible_cases(Case.objects.filter(partner_id__in=ids))
    put(_grouped(cases.filter(created_at__gte=low, created_at__lt=high), "partner_id", n=Count("id"),
                 complaints=Count("id", filter=Q(kind=CaseKind.COMPLAINT))), {"cases": "n", "complaints": "complaints"})
    resolved = cases.filter(resolved_at__gte=low, resolved_at__lt=high, resolution_due__isnull=False)
    put(_grouped(resolved, "partner_id", n=Count("id"), met=Count("id", filter=Q(resolved_at__lte=F("resolution_due")))),
        {"sla_due": "n", "sla_met": "met"})
    return out


_SUMMED = ("orders", "sales", "previous_sales", "cost", "partner_margin", "overdue", "paid_orders", "pay_days_sum",
           "customers", "new_customers", "scored", "churn_risk_sum", "churn_warnings", "satisfaction_n",
           "satisfaction_sum", "nps_n", "promoters", "detractors", "cases", "complaints", "sla_due", "sla_met")
_DECIMALS = {"sales", "previous_sales", "cost", "partner_margin", "overdue"}


def scorecards(*, viewer, partners: list[Partner], period: Period, include_sub: bool = False) -> list[Figures]:
    """The figures of each of ``partners`` (in that order) for ``period``: its own rows, or
    with ``include_sub`` its own and its sub-partners'."""
    if not partners:
        return []
    members: dict[int, list[int]] = {}
    if include_sub:
        q = Q()
        for p in partners:
            q |= Q(path__startswith=p.path)
        everyone = list(Partner.objects.filter(q).values_list("id", "path"))
        for p in partners:
            members[p.pk] = [pk for pk, path in everyone if path.startswith(p.path)]
    else:
        members = {p.pk: [p.pk] for p in partners}
    ids = sorted({pk for pks in members.values() for pk in pks})
    direct = _direct(viewer, ids, period)
    out = []
    for p in partners:
        f = Figures(partner=p, include_sub=include_sub)
        for pk in members[p.pk]:
            row = direct[pk]
            for name in _SUMMED:
                value = row.get(name)
                if value is not None:
                    setattr(f, name, getattr(f, name) + (Decimal(value) if name in _DECIMALS else value))
            for name in ("target_revenue", "target_new_customers"):
                if row.get(name) is not None:
                    setattr(f, name, (getattr(f, name) or 0) + row[name])
            for tier, n in row["tiers"].items():
                f.tiers[tier] = f.tiers.get(tier, 0) + n
        out.append(f)
    return out


def partner_scorecard(*, viewer, partner: Partner, period: Period, include_sub: bool = False) -> Figures:
    return scorecards(viewer=viewer, partners=[partner], period=period, include_sub=include_sub)[0]


def _tier_settings():
    from kehu.analytics.tiers import TierRule
    from kehu.insights.config import value_settings

    cfg = value_settings()
    rules = tuple(TierRule(r["tier"], tuple((c["metric"], c["op"], c["value"]) for c in r["conditions"]))
                  for r in cfg["tiers"]["rules"])
    return cfg["abc"]["a"], cfg["abc"]["b"], rules, cfg["tiers"]["default_tier"]


RANKING_SORTS = {
    "rank": lambda f: (f.rank or 0), "code": lambda f: f.partner.code, "name": lambda f: f.partner.name,
    "sales": lambda f: f.sales, "growth": lambda f: f.growth, "margin": lambda f: f.gross_margin,
    "margin_rate": lambda f: f.margin_rate, "partner_margin": lambda f: f.partner_margin,
    "overdue": lambda f: f.overdue_share, "days_to_pay": lambda f: f.days_to_pay,
    "attainment": lambda f: f.attainment, "customers": lambda f: f.customers, "churn": lambda f: f.churn_risk,
    "satisfaction": lambda f: f.satisfaction, "nps": lambda f: f.nps, "complaints": lambda f: f.complaint_rate,
    "sla": lambda f: f.sla_compliance,
}
RANKING_DEFAULT_SORT = "rank"


def sort_figures(rows: list[Figures], sort: str) -> str:
    """Sort in place by a key of :data:`RANKING_SORTS` ("-" for descending); empty values last."""
    key = sort.lstrip("-")
    if key not in RANKING_SORTS:
        sort, key = RANKING_DEFAULT_SORT, RANKING_DEFAULT_SORT
    get = RANKING_SORTS[key]
    present = [r for r in rows if get(r) is not None]
    missing = [r for r in rows if get(r) is None]
    present.sort(key=lambda r: (get(r), r.partner.code), reverse=sort.startswith("-"))
    rows[:] = present + missing
    return sort


def partner_ranking(*, viewer, period: Period, manager=None, include_sub: bool = False, kind: str = "",
                    level: int | None = None, active_only: bool = True) -> list[Figures]:
    """The partners the viewer may read (of ``manager`` when given: those they manage and
    every partner below them), with their figures, ABC class by sales, value tier and rank
    (1 = the largest sales), best first."""
    qs = policy_for(viewer).visible_partners(Partner.objects.select_related("manager", "parent"))
    if manager is not None:
        qs = qs.filter(managed_q(manager))
    if kind:
        qs = qs.filter(kind=kind)
    if level:
        qs = qs.filter(level=level)
    if active_only:
        qs = qs.filter(is_active=True)
    partners = list(qs.order_by("code"))
    rows = scorecards(viewer=viewer, partners=partners, period=period, include_sub=include_sub)
    if not rows:
        return rows
    a, b, rules, default_tier = _tier_settings()
    nan = float("nan")

    def arr(get):
        return [nan if (v := get(r)) is None else float(v) for r in rows]

    fitted = PartnerRanking(a=a, b=b, rules=rules, default_tier=default_tier).fit({
        "revenue": arr(lambda r: r.sales), "margin": arr(lambda r: r.gross_margin),
        "margin_rate": arr(lambda r: r.margin_rate),
        "collection_rate": arr(lambda r: None if r.overdue_share is None else 1 - r.overdue_share),
        "churn_risk": arr(lambda r: r.churn_risk),
        "outstanding": arr(lambda r: r.overdue),
    })
    for r, abc, tier, rank in zip(rows, fitted.abc_, fitted.tiers_, fitted.rank_):
        r.abc, r.tier, r.rank = str(abc), str(tier), int(rank)
    rows.sort(key=lambda r: (r.rank, r.partner.code))
    return rows


def _pct(value):
    return None if value is None else round(100 * value, 1)


def _money(value):
    return None if value is None else float(value)


def figures_table(rows: list[Figures]) -> list[list]:
    """The ranking as a table (header, then one row a partner) for the export."""
    from django.utils.translation import gettext as _

    header = [_("Rank"), _("Partner code"), _("Partner"), _("Type"), _("Level"), _("Channel manager"),
              _("ABC class"), _("Value tier"), _("Sales"), _("Previous period"), _("Growth (%)"),
              _("Gross margin"), _("Margin rate (%)"), _("Partner margin"), _("Overdue share (%)"),
              _("Days to pay"), _("Revenue target"), _("Attainment (%)"), _("Customers"), _("New customers"),
              _("Mean churn risk"), _("Churn warnings"), _("Satisfaction (0–100)"), _("NPS"), _("Cases"),
              _("Complaints"), _("Complaint rate (%)"), _("SLA compliance (%)")]
    out = [header]
    for r in rows:
        p = r.partner
        out.append([r.rank, p.code, p.name, p.get_kind_display(), p.level, str(p.manager) if p.manager else "",
                    r.abc, r.tier, _money(r.sales), _money(r.previous_sales), _pct(r.growth),
                    _money(r.gross_margin), _pct(r.margin_rate), _money(r.partner_margin), _pct(r.overdue_share),
                    None if r.days_to_pay is None else round(r.days_to_pay, 1), _money(r.target_revenue),
                    _pct(r.attainment), r.customers, r.new_customers,
                    None if r.churn_risk is None else round(r.churn_risk, 3), r.churn_warnings,
                    None if r.satisfaction is None else round(r.satisfaction, 1),
                    None if r.nps is None else round(r.nps, 1), r.cases, r.complaints, _pct(r.complaint_rate),
                    _pct(r.sla_compliance)])
    return out
