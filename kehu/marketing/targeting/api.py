"""/targeting: retention targeting by expected gain (kehu.marketing.targeting).

- ``GET /targeting``: with the costs, an optional N and filters, the uplift used (measured
  from earlier campaigns' control groups, or the stated prior, and why), the curve of
  expected incremental value, cost and net gain against N, the best N and one page of the
  customers ranked by expected gain — those the caller may see. Marketing, sales managers and
  administrators (403 for others).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Literal, Optional

from ninja import Field, Query, Router, Schema

from kehu.api.common import READ_ERRORS, ErrorOut, Money

from . import selectors

router = Router(tags=["targeting"])
BIG_MONEY = Decimal("9999999999")


def _money(x: float) -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal("0.01")) if math.isfinite(x) else Decimal("0.00")


def _num(x: float) -> Optional[float]:
    return None if x is None or not math.isfinite(x) else float(x)


class TargetingIn(Schema):
    cost: Decimal = Field(Decimal("10"), ge=0, le=BIG_MONEY, max_digits=12, decimal_places=2,
                          description="Cost per contact (¥): the message plus the expected cost of the offer.")
    fixed_cost: Decimal = Field(Decimal("0"), ge=0, le=BIG_MONEY, max_digits=12, decimal_places=2,
                                description="Fixed cost of the campaign (¥).")
    n: Optional[int] = Field(None, ge=0, le=10**8, description="Customers to contact; omitted: the best N.")
    tier: Optional[Literal["gold", "silver", "bronze", "do_not_serve"]] = None
    team_id: Optional[int] = Field(None, ge=1, le=2**63 - 1, description="Customers of this team and its subteams.")
    segment_id: Optional[int] = Field(None, ge=1, le=2**63 - 1, description="Members of this saved segment.")
    sort: Literal["-gain", "gain", "-clv", "clv", "-risk", "risk"] = "-gain"
    offset: int = Field(0, ge=0, le=10**8, description="Where the page of customers starts.")
    limit: int = Field(25, ge=1, le=200, description="Customers per page.")


class TargetingUpliftOut(Schema):
    value: float = Field(description="The share of would-be leavers a contact keeps.")
    source: Literal["measured", "prior"]
    reason: str = Field(description="Why the prior: no_campaigns_app, no_campaign, too_few_control_churners, "
                                    "no_treated_churners; empty when measured.")
    ci_low: Optional[float] = Field(description="Lower bound of the interval; null for the prior.")
    ci_high: Optional[float]
    level: float
    campaigns: int
    n_treated: int
    n_control: int
    churned_treated: int
    churned_control: int


class TargetingPointOut(Schema):
    n: int
    value: Money = Field(description="V(N): the expected incremental value of contacting the top N.")
    cost: Money = Field(description="C(N) = fixed cost + N × cost per contact (0 at N = 0).")
    net: Money


class TargetingCustomerOut(Schema):
    rank: int = Field(description="1 = the largest expected gain.")
    customer_id: int
    customer_name: str
    owner_id: Optional[int]
    clv: Money = Field(description="Predicted lifetime value.")
    churn_risk: float
    expected_gain: Money = Field(description="CLV × churn risk × uplift.")
    chosen: bool = Field(description="Among the N contacted.")


class TargetingOut(Schema):
    run_id: Optional[int] = Field(description="The customer value analysis used; null when none has finished.")
    as_of: Optional[dt.date]
    cost_per_contact: Money
    fixed_cost: Money
    uplift: TargetingUpliftOut
    ranked: int = Field(description="Customers with a known expected gain.")
    unranked: int = Field(description="Customers without a CLV or a churn risk.")
    best_n: int
    best_value: Money
    best_cost: Money
    best_net: Money
    n: int = Field(description="The N asked for (at most the customers ranked), else the best N.")
    value: Money
    cost: Money
    net: Money
    curve: list[TargetingPointOut] = Field(description="The curve at up to 240 values of N, with 0, the best N, "
                                                       "the N asked for and the last N.")
    customers: list[TargetingCustomerOut]
    next_offset: Optional[int]


@router.get("", response={200: TargetingOut, **READ_ERRORS, 403: ErrorOut}, url_name="targeting",
            summary="Rank the customers by expected gain if kept, with the best number to contact")
def targeting(request, q: Query[TargetingIn]):
    filters = selectors.TargetingFilters(tier=q.tier or "", team_id=q.team_id, segment_id=q.segment_id)
    t = selectors.targeting(viewer=request.auth, filters=filters, cost_per_contact=float(q.cost),
                            fixed_cost=float(q.fixed_cost), n=q.n)
    est, best, chosen = t.uplift, t.best, t.chosen
    rows = selectors.top_rows(t, sort=q.sort, offset=q.offset, limit=q.limit, viewer=request.auth)
    return {
        "run_id": t.run.pk if t.run else None, "as_of": t.run.as_of if t.run else None,
        "cost_per_contact": q.cost, "fixed_cost": q.fixed_cost,
        "uplift": {"value": est.value, "source": est.source, "reason": est.reason, "ci_low": _num(est.ci_low),
                   "ci_high": _num(est.ci_high), "level": est.level, "campaigns": est.campaigns,
                   "n_treated": est.n_treated, "n_control": est.n_control, "churned_treated": est.churned_treated,
                   "churned_control": est.churned_control},
        "ranked": t.ranked, "unranked": t.curve.unknown if t.curve else 0,
        "best_n": best["n"], "best_value": _money(best["value"]), "best_cost": _money(best["cost"]),
        "best_net": _money(best["net"]),
        "n": chosen["n"], "value": _money(chosen["value"]), "cost": _money(chosen["cost"]), "net": _money(chosen["net"]),
        "curve": [{"n": p["n"], "value": _money(p["value"]), "cost": _money(p["cost"]), "net": _money(p["net"])}
                  for p in t.points()],
        "customers": [{"rank": r.rank, "customer_id": r.customer_id, "customer_name": r.customer.name,
                       "owner_id": r.customer.owner_id, "clv": _money(r.clv), "churn_risk": r.churn_risk,
                       "expected_gain": _money(r.gain), "chosen": r.chosen} for r in rows],
        "next_offset": q.offset + q.limit if q.offset + q.limit < t.ranked else None,
    }
