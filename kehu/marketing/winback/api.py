"""/winback: lost customers (流失) and win-back (挽回).

- ``GET /winback/losses`` the losses of the customers the caller may see (filters,
  cursor pages); ``POST /winback/losses`` marks a customer lost (whoever may change the
  customer: 403 for read-only roles, 404 for a customer the caller may not see);
- ``GET /winback/losses/{loss_id}``; ``POST /winback/losses/{loss_id}/won-back`` marks it won back;
- ``GET /winback/report`` the lost-revenue report (by reason beside the documents'
  reference shares, by owner, by month or quarter);
- ``GET /winback/candidates`` the win-back list, most value to win back first — the
  targeting a win-back campaign uses.
"""


import datetime as dt
from decimal import Decimal
from typing import Literal, Optional

from django.db.models import Q
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, Money
from kehu.api.pagination import CursorPagination, Tiered
from kehu.customers.selectors import customer_get
from kehu.marketing.winback import selectors
from kehu.marketing.winback.models import REASON_OTHER_MAX, LossReason, WonBackHow
from kehu.marketing.winback.services import loss_create, loss_won_back
from kehu.pagination import Tier
from kehu.validators import REMARKS_MAX

router = Router(tags=["win-back"])


class LossOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    lost_on: dt.date
    reason: LossReason
    reason_other: str
    note: str
    revenue_lost: Money = Field(description="The customer's revenue in the 12 months before the loss.")
    predicted_value: Optional[Money] = Field(description="Predicted lifetime value from the latest customer value "
                                                         "analysis before the loss; null without one.")
    expected_value: Money = Field(description="The value a win-back is expected to bring (0: not winnable).")
    owner_id: Optional[int] = Field(description="The customer's owner when it was lost.")
    recorded_by_id: Optional[int]
    won_back_on: Optional[dt.date]
    won_back_how: str = Field(description="manual, order or campaign; empty while not won back.")
    won_back_campaign_id: Optional[int]
    won_back_order_id: Optional[int]
    created_at: dt.datetime

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name


class LossIn(Schema):
    customer_id: int
    reason: LossReason
    reason_other: str = Field("", max_length=REASON_OTHER_MAX, description="Required when the reason is other.")
    lost_on: Optional[dt.date] = Field(None, description="Default: today.")
    note: str = Field("", max_length=REMARKS_MAX)


class WonBackIn(Schema):
    won_back_on: Optional[dt.date] = Field(None, description="Default: today.")
    how: Literal["manual", "campaign"] = Field("manual", description="campaign with campaign_id when a win-back "
                                                                     "campaign did it.")
    campaign_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    note: str = Field("", max_length=REMARKS_MAX)


class LossFilterIn(Schema):
    date_from: Optional[dt.date] = Field(None, alias="from", description="Lost on or after.")
    date_to: Optional[dt.date] = Field(None, alias="to", description="Lost on or before.")
    reason: Optional[LossReason] = None
    owner_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    status: Optional[Literal["open", "won_back"]] = None
    customer_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)


class ReportIn(LossFilterIn):
    period: Literal["month", "quarter"] = "month"


class ReasonRow(Schema):
    reason: LossReason
    label: str
    losses: int
    share: Optional[Decimal] = Field(description="Percent of the losses counted; null without losses.")
    reference_share: Optional[Decimal] = Field(description="The documents' reference share (DOMAIN.md §7); "
                                                           "null for other.")
    revenue_lost: Money
    revenue_share: Optional[Decimal]
    won_back: int
    winnable: bool


class OwnerRow(Schema):
    owner_id: Optional[int]
    owner: str
    losses: int
    revenue_lost: Money
    won_back: int


class PeriodRow(Schema):
    period: str = Field(description="2026-03 or 2026-Q1.")
    losses: int
    revenue_lost: Money
    won_back: int


class ReportTotal(Schema):
    losses: int
    revenue_lost: Money
    predicted_value: Money
    won_back: int
    won_back_revenue: Money
    open_value: Money = Field(description="The value still to win back (open losses).")


class ReportOut(Schema):
    period: str
    total: ReportTotal
    by_reason: list[ReasonRow]
    by_owner: list[OwnerRow]
    by_period: list[PeriodRow]


class CandidateOut(Schema):
    loss_id: int
    customer_id: int
    customer_name: str
    reason: LossReason
    lost_on: dt.date
    revenue_lost: Money
    predicted_value: Optional[Money]
    expected_value: Money

    @staticmethod
    def resolve_loss_id(obj):
        return obj.pk

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name


class CandidateFilterIn(Schema):
    reason: Optional[LossReason] = None
    min_value: Optional[Money] = Field(None, ge=0, description="Only customers worth at least this much.")


def _filters(f: LossFilterIn) -> selectors.LossFilters:
    return selectors.LossFilters(date_from=f.date_from, date_to=f.date_to, reason=f.reason or "",
                                 owner_id=f.owner_id, status=f.status or "", customer_id=f.customer_id)


@router.get("/losses", response={200: list[LossOut], **READ_ERRORS}, url_name="winback-loss-list",
            summary="List lost customers' loss records, latest first")
@paginate(CursorPagination)
def list_losses(request, filters: Query[LossFilterIn]):
    return Tiered(selectors.loss_list(viewer=request.auth, filters=_filters(filters)),
                  [Tier(Q(), ("-lost_on", "-id"))])


@router.post("/losses", response={201: LossOut, **WRITE_ERRORS}, url_name="winback-loss-create",
             summary="Mark a customer lost, with the reason")
def create_loss(request, payload: LossIn):
    customer = customer_get(viewer=request.auth, pk=payload.customer_id)
    loss = loss_create(actor=request.auth, customer=customer, reason=payload.reason, reason_other=payload.reason_other,
                       lost_on=payload.lost_on, note=payload.note)
    return Status(201, selectors.loss_get(viewer=request.auth, pk=loss.pk))


@router.get("/losses/{int:loss_id}", response={200: LossOut, **READ_ERRORS}, url_name="winback-loss-detail",
            summary="Get one loss record")
def get_loss(request, loss_id: int):
    return selectors.loss_get(viewer=request.auth, pk=loss_id)


@router.post("/losses/{int:loss_id}/won-back", response={200: LossOut, **WRITE_ERRORS},
             url_name="winback-loss-won-back", summary="Mark the customer of a loss won back")
def won_back(request, loss_id: int, payload: WonBackIn):
    loss = selectors.loss_get(viewer=request.auth, pk=loss_id)
    loss_won_back(actor=request.auth, loss=loss, won_back_on=payload.won_back_on,
                  how=WonBackHow.CAMPAIGN if payload.how == "campaign" else WonBackHow.MANUAL,
                  campaign_id=payload.campaign_id, note=payload.note)
    return selectors.loss_get(viewer=request.auth, pk=loss_id)


@router.get("/report", response={200: ReportOut, **READ_ERRORS}, url_name="winback-report",
            summary="The lost-revenue report: by reason (with the reference shares), owner and period")
def report(request, filters: Query[ReportIn]):
    return selectors.loss_report(viewer=request.auth, filters=_filters(filters), period=filters.period)


@router.get("/candidates", response={200: list[CandidateOut], **READ_ERRORS}, url_name="winback-candidates",
            summary="The win-back list: lost customers by the value that could be won back")
@paginate(CursorPagination)
def candidates(request, filters: Query[CandidateFilterIn]):
    return Tiered(selectors.winback_candidates(viewer=request.auth, reason=filters.reason or "",
                                               min_value=filters.min_value),
                  [Tier(Q(), ("-expected_value", "-id"))])
