"""/sales/performance and /sales/receivables: sales performance (销售业绩, the leaderboard)
and receivables ageing (应收账款账龄), read-only.

Who is shown follows the one policy (:meth:`kehu.org.policies.CustomerPolicy.performance_people`):
a salesperson gets their own row only, a manager the people of their team's subtree (and
those teams), head office, analysts and administrators everyone. The receivables are
those of the customers the caller may see. A team the caller may not pick, an unknown
salesperson or a wrong period answer 422 with the field named."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from kehu.analytics.sales_performance import BUCKET_KEYS
from kehu.api.common import READ_ERRORS, Money, not_found_field
from kehu.sales import performance as perf
from kehu.sales.performance_forms import PERIOD_MAX_DAYS, month_start

router = Router(tags=["sales performance"])


class PerformanceQueryIn(Schema):
    date_from: Optional[dt.date] = Field(None, alias="from", description="First day (default: this month's first)")
    date_to: Optional[dt.date] = Field(None, alias="to", description="Last day, included (default: today)")
    team_id: Optional[int] = Field(None, description="Only the people of this team's subtree")
    sort: str = Field(perf.DEFAULT_SORT, pattern=r"^-?[a-z_]{1,20}$",
                      description="revenue, won, win_rate, visits, interactions, collection, satisfaction, nps, "
                                  "churn or name; '-' first for descending")


class CountsOut(Schema):
    visits_planned: int
    visits_done: int
    visit_completion: Optional[float]
    interactions: int
    opportunities_created: int
    opportunities_won: int
    opportunities_lost: int
    won_amount: Money
    win_rate: Optional[float]
    cycle_days: Optional[float]
    orders: int
    revenue: Money
    due: Money
    collected: Money
    collection_rate: Optional[float]
    customers: int
    satisfaction: Optional[float]
    nps: Optional[float]
    nps_answers: int
    scored: int
    churn_warnings: int
    churn_rate: Optional[float]


class PerformanceRowOut(Schema):
    kind: str
    id: int
    name: str
    team: str
    rank: Optional[int]
    counts: CountsOut
    quota: Optional[Money] = None
    quota_attainment: Optional[float] = None


class SalesPerformanceOut(Schema):
    start: dt.date
    end: dt.date
    has_quota: bool
    people: list[PerformanceRowOut]
    teams: list[PerformanceRowOut]
    total: CountsOut


def _counts(c) -> dict:
    return {"visits_planned": c.visits_planned, "visits_done": c.visits_done, "visit_completion": c.visit_completion,
            "interactions": c.interactions, "opportunities_created": c.opportunities_created,
            "opportunities_won": c.opportunities_won, "opportunities_lost": c.opportunities_lost,
            "won_amount": c.won_amount, "win_rate": c.win_rate, "cycle_days": c.cycle_days, "orders": c.orders,
            "revenue": c.revenue, "due": c.due, "collected": c.collected, "collection_rate": c.collection_rate,
            "customers": c.customers, "satisfaction": c.satisfaction, "nps": c.nps, "nps_answers": c.nps_n,
            "scored": c.scored, "churn_warnings": c.churn_warnings, "churn_rate": c.churn_rate}


def _row(r) -> dict:
    return {"kind": r.kind, "id": r.pk, "name": r.name, "team": r.team, "rank": r.rank or None,
            "counts": _counts(r.counts), "quota": r.quota, "quota_attainment": r.quota_attainment}


def performance_payload(result) -> dict:
    return {"start": result.start, "end": result.end, "has_quota": result.has_quota,
            "people": [_row(r) for r in result.people], "teams": [_row(r) for r in result.teams],
            "total": _counts(result.total)}


def _team(viewer, team_id):
    if team_id is None:
        return None
    team = perf.performance_teams(viewer=viewer).filter(pk=team_id).first()
    if team is None:
        raise not_found_field("team_id")
    return team


@router.get("/performance", response={200: SalesPerformanceOut, **READ_ERRORS}, url_name="sales-performance",
            summary="Sales performance of the people you may see for a period (a salesperson: their own)")
def get_performance(request, filters: Query[PerformanceQueryIn]):
    end = filters.date_to or timezone.localdate()
    start = filters.date_from or month_start(end)
    if start > end:
        raise ValidationError({"from": [_("The period must start before it ends.")]})
    if (end - start).days > PERIOD_MAX_DAYS:
        raise ValidationError({"from": [_("A period is at most three years.")]})
    result = perf.performance(viewer=request.auth, start=start, end=end, team=_team(request.auth, filters.team_id),
                              sort=filters.sort)
    return performance_payload(result)


class ReceivablesQueryIn(Schema):
    as_of: Optional[dt.date] = Field(None, description="The day the ageing is counted on (default: today)")
    team_id: Optional[int] = Field(None, description="Only the orders of this team's salespeople")
    salesperson_id: Optional[int] = Field(None, description="Only this salesperson's orders")
    sort: str = Field("-overdue", pattern=r"^-?(overdue|total|d90_plus|name)$")
    limit: int = Field(100, ge=1, le=500, description="Customers per page")
    offset: int = Field(0, ge=0, le=10_000_000)


class BucketsOut(Schema):
    not_due: Money
    d0_30: Money
    d31_60: Money
    d61_90: Money
    d90_plus: Money
    overdue: Money
    total: Money
    orders: int


class CustomerAgeingOut(BucketsOut):
    customer_id: int
    customer_ref: str
    customer_name: str


class PersonAgeingOut(BucketsOut):
    salesperson_id: Optional[int]
    name: str
    team: str


class TeamAgeingOut(BucketsOut):
    team_id: int
    name: str


class ReceivablesOut(Schema):
    as_of: dt.date
    totals: BucketsOut
    count: int
    customers: list[CustomerAgeingOut]
    salespeople: list[PersonAgeingOut]
    teams: list[TeamAgeingOut]


def _buckets(r: dict) -> dict:
    return {**{k: r[k] for k in BUCKET_KEYS}, "overdue": r["overdue"], "total": r["total"], "orders": r["orders"]}


def receivables_payload(viewer, *, as_of, team=None, salesperson=None, sort="-overdue", limit=100, offset=0) -> dict:
    from kehu.org.policies import policy_for

    orders = perf.receivable_orders(viewer=viewer, as_of=as_of, team=team, salesperson=salesperson)
    by_customer = perf.ageing_by_customer(orders, sort=sort)
    people = teams = []
    if policy_for(viewer).sees_leaderboard:
        people = perf.ageing_by_salesperson(orders)
        teams = perf.ageing_by_team(people, perf.performance_teams(viewer=viewer))
    return {
        "as_of": as_of, "totals": _buckets(perf.ageing_totals(orders)), "count": by_customer.count(),
        "customers": [{"customer_id": r["customer_id"], "customer_ref": r["customer__ref"],
                       "customer_name": r["customer__name"], **_buckets(r)}
                      for r in by_customer[offset:offset + limit]],
        "salespeople": [{"salesperson_id": r["salesperson_id"], "name": r["name"], "team": r["team"], **_buckets(r)}
                        for r in people],
        "teams": [{"team_id": r["team_id"], "name": r["name"], **_buckets(r)} for r in teams],
    }


@router.get("/receivables", response={200: ReceivablesOut, **READ_ERRORS}, url_name="sales-receivables",
            summary="Receivables ageing of the customers you may see: outstanding by days past the payment terms")
def get_receivables(request, filters: Query[ReceivablesQueryIn]):
    viewer = request.auth
    salesperson = None
    if filters.salesperson_id is not None:
        salesperson = perf.performance_people(viewer=viewer).filter(pk=filters.salesperson_id).first()
        if salesperson is None:
            raise not_found_field("salesperson_id")
    return receivables_payload(viewer, as_of=filters.as_of or timezone.localdate(),
                               team=_team(viewer, filters.team_id), salesperson=salesperson, sort=filters.sort,
                               limit=filters.limit, offset=filters.offset)
