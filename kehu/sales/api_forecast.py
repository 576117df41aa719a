"""/forecast and /quotas: the sales forecast (销售预测) against the quotas (销售指标), and its
backtest.

The forecast covers what the caller may see (their own opportunities and customers; a
manager's subtree; everything for administrators, analysts and head office). Quotas are
read by whoever may see the person or team they are for, and set by administrators,
head-office managers and sales managers for their subtree (403 otherwise)."""


import datetime as dt
from typing import Literal, Optional

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, Money, api_field_names, not_found_field, sent_fields
from kehu.api.pagination import CursorPagination, Tiered
from kehu.org.models import Team, User
from kehu.pagination import Tier
from kehu.sales import forecast as selectors
from kehu.sales.models import PERIOD_RE, ProductLine
from kehu.sales.quotas import quota_create, quota_delete, quota_update

router = Router(tags=["forecast"])
quotas_router = Router(tags=["forecast"])

NAMES = {"user": "user_id", "team": "team_id", "product_line": "product_line_id"}


# -- schemas ------------------------------------------------------------------------

class ForecastRowOut(Schema):
    key: int = Field(description="The salesperson's, team's or product line's id; 0 for none.")
    label: str
    won: float = Field(description="Won in the period (opportunities' amounts).")
    commit: float = Field(description="Open opportunities at or above the commit probability, weighted.")
    best_case: float = Field(description="Open opportunities at or above the best-case probability, weighted.")
    pipeline: float = Field(description="The other open opportunities, weighted.")
    weighted: float
    open: int = Field(description="Open opportunities expected to close in the period.")
    repeat: float = Field(description="Predicted repeat purchases of existing customers (value).")
    repeat_purchases: float = Field(description="Predicted number of repeat purchases.")
    total: float
    quota: Optional[float]
    attainment: Optional[float] = Field(description="total / quota (1.0 is 100 %).")
    won_attainment: Optional[float] = Field(description="won / quota.")


class ForecastTotalsOut(Schema):
    won: float
    commit: float
    best_case: float
    pipeline: float
    weighted: float
    open: int
    repeat: float
    repeat_purchases: float
    total: float
    quota: Optional[float]
    attainment: Optional[float]


class ForecastRunOut(Schema):
    id: int
    as_of: dt.date
    model: str
    time_unit: str


class ThresholdsOut(Schema):
    commit: int
    best_case: int


class ForecastOut(Schema):
    period: str
    start: dt.date
    end: dt.date
    by: str
    thresholds: ThresholdsOut
    run: Optional[ForecastRunOut] = Field(description="The value analysis the repeat part comes from.")
    rows: list[ForecastRowOut]
    totals: ForecastTotalsOut


class ForecastIn(Schema):
    period: Optional[str] = Field(None, pattern=PERIOD_RE, description="2026-01 or 2026-Q1; default this quarter.")
    by: Literal["owner", "team", "line"] = "owner"


class BacktestIn(Schema):
    periods: int = Field(4, ge=1, le=12)
    unit: Literal["quarter", "month"] = "quarter"


class BacktestRowOut(Schema):
    period: str
    pipeline_forecast: float = Field(description="Weighted pipeline as it stood at the period's start.")
    won: float
    pipeline_error: float
    pipeline_ape: Optional[float]
    repeat_forecast: Optional[float] = Field(description="Repeat purchases predicted from the orders before.")
    repeat_actual: Optional[float]
    repeat_error: Optional[float]
    repeat_ape: Optional[float]


class BacktestOut(Schema):
    rows: list[BacktestRowOut]
    pipeline_mape: Optional[float]
    repeat_mape: Optional[float]


class QuotaOut(Schema):
    id: int
    period: str
    user_id: Optional[int]
    team_id: Optional[int]
    product_line_id: Optional[int]
    amount: Money
    created_at: dt.datetime
    updated_at: dt.datetime


class QuotaIn(Schema):
    period: str = Field(pattern=PERIOD_RE, description="2026-01 (a month) or 2026-Q1 (a quarter).")
    user_id: Optional[int] = Field(None, description="The salesperson; or give team_id.")
    team_id: Optional[int] = None
    product_line_id: Optional[int] = None
    amount: Money = Field(ge=0)


class QuotaPatchIn(Schema):
    period: Optional[str] = Field(None, pattern=PERIOD_RE)
    product_line_id: Optional[int] = None
    amount: Optional[Money] = Field(None, ge=0)


class QuotaFilterIn(Schema):
    period: Optional[str] = Field(None, max_length=7)
    user_id: Optional[int] = None
    team_id: Optional[int] = None


# -- forecast -------------------------------------------------------------------------

@router.get("", response={200: ForecastOut, **READ_ERRORS}, url_name="forecast",
            summary="The forecast of a month or quarter by salesperson, team or product line, against the quotas")
def get_forecast(request, params: Query[ForecastIn]):
    period = (selectors.parse_period(params.period) if params.period
              else selectors.period_containing(selectors.today()))
    f = selectors.forecast(viewer=request.auth, period=period, by=params.by)
    return {"period": period.code, "start": period.start, "end": period.end, "by": f["by"],
            "thresholds": {"commit": f["thresholds"].commit, "best_case": f["thresholds"].best_case},
            "run": f["run"], "rows": f["rows"], "totals": f["totals"]}


@router.get("/backtest", response={200: BacktestOut, **READ_ERRORS}, url_name="forecast-backtest",
            summary="How the forecasts of past periods fared: the pipeline and repeat parts against what came")
def get_backtest(request, params: Query[BacktestIn]):
    bt = selectors.backtest(viewer=request.auth, periods=params.periods, quarter=params.unit == "quarter")
    return {"rows": bt["rows"], "pipeline_mape": bt["pipeline_mape"], "repeat_mape": bt["repeat_mape"]}


# -- quotas ---------------------------------------------------------------------------

def _find(model, pk, key):
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise not_found_field(key)
    return obj


@quotas_router.get("", response={200: list[QuotaOut], **READ_ERRORS}, url_name="quota-list",
                   summary="List the quotas you may see, latest period first")
@paginate(CursorPagination)
def list_quotas(request, filters: Query[QuotaFilterIn]):
    qs = selectors.quota_list(viewer=request.auth, period=(filters.period or "").upper(), user_id=filters.user_id,
                              team_id=filters.team_id)
    return Tiered(qs, [Tier(Q(), ("-period", "id"))])


@quotas_router.post("", response={201: QuotaOut, **WRITE_ERRORS}, url_name="quota-create",
                    summary="Set a quota for a salesperson or a team")
def create_quota(request, payload: QuotaIn):
    user = _find(User, payload.user_id, "user_id")
    team = _find(Team, payload.team_id, "team_id")
    line = _find(ProductLine, payload.product_line_id, "product_line_id")
    if (user is None) == (team is None):
        raise ValidationError({"user_id": [_("A quota is for one salesperson or one team.")]})
    with api_field_names(NAMES):
        q = quota_create(actor=request.auth, period=payload.period, amount=payload.amount, user=user, team=team,
                         product_line=line)
    return Status(201, q)


@quotas_router.get("/{int:quota_id}", response={200: QuotaOut, **READ_ERRORS}, url_name="quota-detail",
                   summary="Get a quota")
def get_quota(request, quota_id: int):
    return selectors.quota_get(viewer=request.auth, pk=quota_id)


@quotas_router.patch("/{int:quota_id}", response={200: QuotaOut, **WRITE_ERRORS}, url_name="quota-update",
                     summary="Change a quota's period, product line or amount")
def update_quota(request, quota_id: int, payload: QuotaPatchIn):
    quota = selectors.quota_get(viewer=request.auth, pk=quota_id)
    data = sent_fields(payload)
    if "product_line_id" in data:
        data["product_line"] = _find(ProductLine, data.pop("product_line_id"), "product_line_id")
    with api_field_names(NAMES):
        return quota_update(actor=request.auth, quota=quota, data=data)


@quotas_router.delete("/{int:quota_id}", response={204: None, **WRITE_ERRORS}, url_name="quota-delete",
                      summary="Delete a quota")
def delete_quota(request, quota_id: int):
    quota_delete(actor=request.auth, quota=selectors.quota_get(viewer=request.auth, pk=quota_id))
    return Status(204, None)
