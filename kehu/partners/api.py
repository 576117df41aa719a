"""/partners: the partners of the channel, their targets, customers, orders, scorecard and
the ranking.

Who may: read — administrators, analysts, sales managers and service agents (every
partner), a partner user (its own partner and the sub-partners below it), nobody else
(an empty list, 404 for one partner); write (create, change, targets) — administrators
and sales managers (:attr:`CustomerPolicy.may_manage_partners`). A partner's customers,
orders and figures are those the caller may see (the one policy, kehu/org/policies.py).
Writes go through kehu.org.partners (audited).
"""


import datetime as dt
from decimal import Decimal
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, Money, api_field_names, not_found_field, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.org.models import Partner, User
from kehu.org.partners import partner_create, partner_target_set, partner_update
from kehu.org.policies import policy_for
from kehu.partners import selectors
from kehu.partners.scorecard import Figures, Period, partner_ranking, partner_scorecard, sort_figures

router = Router(tags=["partners"])

PartnerKind = Literal["distributor", "agent_l1", "agent_l2", "industry_agent", "var", "service_provider", "supplier"]
FIELD_NAMES = {"parent": "parent_id", "manager": "manager_id"}


class PartnerOut(Schema):
    id: int
    code: str
    name: str
    kind: PartnerKind
    parent_id: Optional[int] = Field(description="The partner above; null for a partner of the company itself.")
    level: int = Field(description="1 for a partner of the company itself, 2 and 3 below.")
    path: str = Field(description="The ids from the top partner down to this one: /3/8/.")
    manager_id: Optional[int] = Field(description="The channel manager (a Kehu user).")
    regions: list[str]
    provinces: list[str]
    cities: list[str]
    industries: list[str]
    contract_start: Optional[dt.date]
    contract_end: Optional[dt.date]
    terms: str
    margin_pct: Money = Field(description="The partner's margin in percent, copied to the orders sold through it.")
    phone: str
    email: str
    address: str
    active: bool

    @staticmethod
    def resolve_active(obj) -> bool:
        return obj.is_active


class PartnerIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    kind: PartnerKind = "agent_l1"
    parent_id: Optional[int] = None
    manager_id: Optional[int] = None
    regions: list[str] = []
    provinces: list[str] = []
    cities: list[str] = []
    industries: list[str] = []
    contract_start: Optional[dt.date] = None
    contract_end: Optional[dt.date] = None
    terms: str = Field("", max_length=4000)
    margin_pct: Decimal = Field(Decimal("0"), ge=0, le=100, max_digits=5, decimal_places=2)
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=300)
    active: bool = True


PartnerPatchIn = partial_schema(PartnerIn, "PartnerPatchIn")


class PartnerFilterIn(Schema):
    q: str = Field("", max_length=100, description="Part of the code, name, phone or e-mail.")
    kind: Optional[PartnerKind] = None
    level: Optional[int] = Field(None, ge=1, le=3)
    manager_id: Optional[int] = None
    active: Optional[bool] = None


class PartnerTargetOut(Schema):
    id: int
    partner_id: int
    period_start: dt.date
    period_end: dt.date
    revenue: Money
    new_customers: int


class PartnerTargetIn(Schema):
    period_start: dt.date
    period_end: dt.date
    revenue: Decimal = Field(ge=0, max_digits=16, decimal_places=2)
    new_customers: int = Field(0, ge=0, le=1_000_000)


class PartnerCustomerOut(Schema):
    id: int
    ref: str
    name: str
    kind: str
    owner_id: Optional[int]
    partner_id: Optional[int]
    city: str
    region: str


class PartnerOrderOut(Schema):
    id: int
    ref: str
    customer_id: int
    partner_id: Optional[int]
    order_date: dt.date
    status: str
    amount: Money
    paid_amount: Money
    partner_margin_pct: Optional[Money]


class PartnerPeriodIn(Schema):
    start: Optional[dt.date] = Field(None, description="First day (default: the current quarter's).")
    end: Optional[dt.date] = Field(None, description="Last day (default: the current quarter's).")
    include_sub: bool = Field(False, description="Count the sub-partners' rows with each partner's own.")


class PartnerRankingIn(PartnerPeriodIn):
    manager_id: Optional[int] = Field(None, description="Only the partners of this channel manager and every "
                                                      "partner below them.")
    kind: Optional[PartnerKind] = None
    level: Optional[int] = Field(None, ge=1, le=3)
    sort: str = Field("rank", max_length=30, description="rank, sales, growth, margin, margin_rate, "
                                                         "partner_margin, overdue, days_to_pay, attainment, "
                                                         "customers, churn, satisfaction, nps, complaints, sla, "
                                                         "code, name; '-' for descending.")


class PartnerScorecardOut(Schema):
    partner_id: int
    partner_code: str
    partner_name: str
    start: dt.date
    end: dt.date
    include_sub: bool = Field(description="Whether the sub-partners' rows are counted.")
    orders: int
    sales: Money
    previous_sales: Money = Field(description="Sales in the period of the same length just before.")
    growth: Optional[float] = Field(description="(sales − previous) ÷ previous; null when previous is 0.")
    gross_margin: Optional[Money] = Field(description="Sales − the company's cost; null for a partner user.")
    margin_rate: Optional[float] = Field(description="Gross margin ÷ sales; null for a partner user.")
    partner_margin: Money = Field(description="What the partner keeps: each order's amount × its partner margin.")
    company_margin: Optional[Money] = Field(description="Gross margin − partner margin; null for a partner user.")
    overdue: Money
    overdue_share: Optional[float] = Field(description="Unpaid and past due ÷ sales, of the period's orders.")
    days_to_pay: Optional[float] = Field(description="Mean days from order to last payment, orders paid in full.")
    target_revenue: Optional[Money]
    attainment: Optional[float]
    target_new_customers: Optional[int]
    new_customers: int
    customers: int
    tiers: dict[str, int] = Field(description="The customers per value tier in the latest value analysis.")
    churn_risk: Optional[float] = Field(description="The customers' mean churn risk (0–1).")
    churn_warnings: int
    satisfaction: Optional[float] = Field(description="Mean satisfaction index (0–100) of the latest responses.")
    nps: Optional[float]
    cases: int
    complaints: int
    complaint_rate: Optional[float] = Field(description="Complaints ÷ orders of the period.")
    sla_compliance: Optional[float] = Field(description="Cases resolved within their deadline ÷ those due.")


class PartnerRankingRowOut(PartnerScorecardOut):
    rank: int = Field(description="1 = the largest sales; equal sales share a rank.")
    abc: str = Field(description="A, B or C by sales (the customers' thresholds), or empty when no sales.")
    tier: str = Field(description="The value tier by the customers' tier rules.")


COST_FIGURES = ("gross_margin", "margin_rate", "company_margin")  # from the company's cost


def _scorecard(f: Figures, period: Period, *, viewer) -> dict:
    """A scorecard's figures; those computed from the company's cost only to a viewer who
    may see it (partner users never: ``policy.may_see_cost``)."""
    p = f.partner
    out = {"partner_id": p.pk, "partner_code": p.code, "partner_name": p.name, "start": period.start,
           "end": period.end, "include_sub": f.include_sub}
    for name in ("orders", "sales", "previous_sales", "growth", "gross_margin", "margin_rate", "partner_margin",
                 "company_margin", "overdue", "overdue_share", "days_to_pay", "target_revenue", "attainment",
                 "target_new_customers", "new_customers", "customers", "tiers", "churn_risk", "churn_warnings",
                 "satisfaction", "nps", "cases", "complaints", "complaint_rate", "sla_compliance", "rank", "abc",
                 "tier"):
        out[name] = getattr(f, name)
    if not policy_for(viewer).may_see_cost:
        out.update(dict.fromkeys(COST_FIGURES))
    return out


def _period(p: PartnerPeriodIn) -> Period:
    from django.utils import timezone

    default = Period.quarter_of(timezone.localdate())
    period = Period(p.start or default.start, p.end or default.end)
    if period.end < period.start:
        raise ValidationError({"end": [_("The period cannot end before it starts.")]})
    if period.days > 3700:
        raise ValidationError({"end": [_("The period may be at most ten years long.")]})
    return period


def _may_manage(request) -> None:
    if not policy_for(request.auth).may_manage_partners:
        raise PermissionDenied(_("Only administrators and sales managers may manage partners."))


def _partner_field(pk, field: str) -> Partner | None:
    if pk is None:
        return None
    partner = Partner.objects.filter(pk=pk).first()
    if partner is None:
        raise not_found_field(field)
    return partner


def _manager_field(pk) -> User | None:
    if pk is None:
        return None
    user = User.objects.filter(pk=pk, is_active=True, role__in=["admin", "sales_manager"]).first()
    if user is None:
        raise ValidationError({"manager_id": [_("The channel manager must be an active administrator or sales "
                                                "manager.")]})
    return user


def _data(payload: dict) -> tuple[dict, object]:
    parent = ...
    if "parent_id" in payload:
        parent = _partner_field(payload.pop("parent_id"), "parent_id")
    if "manager_id" in payload:
        payload["manager"] = _manager_field(payload.pop("manager_id"))
    if "active" in payload:
        payload["is_active"] = payload.pop("active")
    return payload, parent


@router.get("", response={200: list[PartnerOut], **READ_ERRORS}, url_name="partner-list",
            summary="List the partners the caller may read, in tree order")
@paginate(CursorPagination)
def list_partners(request, filters: Query[PartnerFilterIn]):
    manager = None
    if filters.manager_id is not None:
        manager = User.objects.filter(pk=filters.manager_id).first()
        if manager is None:
            return Partner.objects.none()
    qs = selectors.partner_list(viewer=request.auth, filters=selectors.PartnerFilters(
        q=filters.q.replace("\x00", ""), kind=filters.kind or "", level=filters.level, manager=manager,
        active="" if filters.active is None else ("yes" if filters.active else "no")))
    return qs.order_by("path", "id")


@router.get("/ranking", response={200: list[PartnerRankingRowOut], **READ_ERRORS}, url_name="partner-ranking",
            summary="The partners ranked by sales, with ABC class, value tier and scorecard figures")
def ranking(request, params: Query[PartnerRankingIn]):
    period = _period(params)
    manager = None
    if params.manager_id is not None:
        manager = User.objects.filter(pk=params.manager_id).first()
        if manager is None:
            return []
    rows = partner_ranking(viewer=request.auth, period=period, manager=manager, include_sub=params.include_sub,
                           kind=params.kind or "", level=params.level)
    sort_figures(rows, params.sort)
    return [_scorecard(f, period, viewer=request.auth) for f in rows]


@router.get("/{int:partner_id}", response={200: PartnerOut, **READ_ERRORS}, url_name="partner-detail",
            summary="Get a partner")
def get_partner(request, partner_id: int):
    return selectors.partner_get(viewer=request.auth, pk=partner_id)


@router.post("", response={201: PartnerOut, **WRITE_ERRORS}, url_name="partner-create",
             summary="Create a partner (administrators and sales managers)")
def create_partner(request, payload: PartnerIn):
    _may_manage(request)
    data, parent = _data(payload.model_dump())
    with api_field_names(FIELD_NAMES):
        return Status(201, partner_create(data=data, parent=None if parent is ... else parent, actor=request.auth))


@router.patch("/{int:partner_id}", response={200: PartnerOut, **WRITE_ERRORS}, url_name="partner-update",
              summary="Change a partner or move it (with its sub-partners) below another")
def update_partner(request, partner_id: int, payload: PartnerPatchIn):
    partner = selectors.partner_get(viewer=request.auth, pk=partner_id)
    _may_manage(request)
    data, parent = _data(sent_fields(payload))
    with api_field_names(FIELD_NAMES):
        return partner_update(partner=partner, data=data, parent=parent, actor=request.auth)


@router.get("/{int:partner_id}/targets", response={200: list[PartnerTargetOut], **READ_ERRORS},
            url_name="partner-targets", summary="A partner's targets, latest period first")
def list_targets(request, partner_id: int):
    return list(selectors.partner_targets(selectors.partner_get(viewer=request.auth, pk=partner_id)))


@router.put("/{int:partner_id}/targets", response={200: PartnerTargetOut, **WRITE_ERRORS},
            url_name="partner-target-set",
            summary="Set a partner's target for a period (replaces the one starting the same day)")
def set_target(request, partner_id: int, payload: PartnerTargetIn):
    partner = selectors.partner_get(viewer=request.auth, pk=partner_id)
    _may_manage(request)
    return partner_target_set(partner=partner, period_start=payload.period_start, period_end=payload.period_end,
                              revenue=payload.revenue, new_customers=payload.new_customers, actor=request.auth)


@router.get("/{int:partner_id}/customers", response={200: list[PartnerCustomerOut], **READ_ERRORS},
            url_name="partner-customers",
            summary="The partner's customers (with its sub-partners' unless include_sub=false) the caller may see")
@paginate(CursorPagination)
def partner_customers(request, partner_id: int, include_sub: bool = True):
    partner = selectors.partner_get(viewer=request.auth, pk=partner_id)
    return selectors.partner_customers(viewer=request.auth, partner=partner, include_sub=include_sub).order_by(
        "name", "id")


@router.get("/{int:partner_id}/orders", response={200: list[PartnerOrderOut], **READ_ERRORS},
            url_name="partner-orders",
            summary="The orders sold through the partner (and its sub-partners) the caller may see, newest first")
@paginate(CursorPagination)
def partner_orders(request, partner_id: int, include_sub: bool = True):
    partner = selectors.partner_get(viewer=request.auth, pk=partner_id)
    return selectors.partner_orders(viewer=request.auth, partner=partner, include_sub=include_sub).order_by(
        "-order_date", "-id")


@router.get("/{int:partner_id}/scorecard", response={200: PartnerScorecardOut, **READ_ERRORS},
            url_name="partner-scorecard", summary="The partner's scorecard for a period")
def scorecard(request, partner_id: int, params: Query[PartnerPeriodIn]):
    partner = selectors.partner_get(viewer=request.auth, pk=partner_id)
    period = _period(params)
    return _scorecard(partner_scorecard(viewer=request.auth, partner=partner, period=period,
                                        include_sub=params.include_sub), period, viewer=request.auth)
