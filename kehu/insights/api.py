"""/value: customer value analyses, saved segments and per-customer scores.

Same conventions as the rest of API v1 (one schema in and out, the error
envelope, keyset ``CursorPagination``) and the same visibility as the pages:
scores and segment members are those of customers the caller may see; one
customer's history answers 404 for a customer they may not see. A run's
company-wide ``results`` are given only to callers who see every customer.
"""


import datetime as dt
from typing import Any, Literal, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, Money, api_field_names, partial_schema, sent_fields
from kehu.api.customers import UserRef
from kehu.api.pagination import CursorPagination, Tiered
from kehu.customers.models import Region
from kehu.insights import selectors
from kehu.insights.explain import churn_reasons, explain_score
from kehu.insights.models import (
    AbcClass, AnalysisRun, DickBasu, ReinartzKumar, RfmGroup, RunStatus, RunTrigger, SegmentKind, TimeUnit,
    TransactionModel, ValueTier,
)
from kehu.insights.permissions import can_start_run, sees_company_figures
from kehu.insights.segments import segment_create, segment_delete, segment_get, segment_list, segment_members
from kehu.insights.segments import segment_update
from kehu.insights.selectors import ValueFilters
from kehu.org.policies import policy_for

router = Router(tags=["customer value"])

ScoreSort = Literal[tuple(selectors.SCORE_SORTS)]  # type: ignore[valid-type]


def _blank(choices) -> Any:
    return Literal[tuple(choices.values) + ("",)]


# -- runs ------------------------------------------------------------------------------

class RunOut(Schema):
    id: int
    status: RunStatus
    trigger: RunTrigger
    as_of: dt.date = Field(description="Orders up to and including this date are analysed.")
    calibration_end: Optional[dt.date]
    holdout_end: Optional[dt.date]
    time_unit: TimeUnit
    model: TransactionModel
    progress: int = Field(description="0–100.")
    stage: str = Field(description="What the run is doing, in the caller's language.")
    error: str = Field(description="Why the run failed, in the caller's language; empty otherwise.")
    requested_by: Optional[UserRef]
    customers: int = Field(description="Customers scored.")
    scores_purged: bool = Field(description="Old runs keep their results but not their per-customer scores.")
    created_at: dt.datetime
    started_at: Optional[dt.datetime]
    finished_at: Optional[dt.datetime]
    parameters: dict = Field(description="The value settings the run used (tiers, scorecard, churn, CLV ...).")
    results: Optional[dict] = Field(description=(
        "Company-wide results: fitted parameters by their usual names, log-likelihoods, holdout diagnostics, "
        "churn backtest, Pareto statement, counts. Null for callers who do not see every customer, and "
        "before the run finishes."))

    @staticmethod
    def resolve_stage(obj) -> str:
        return _(obj.stage) if obj.stage else ""

    @staticmethod
    def resolve_error(obj) -> str:
        return _(obj.error) if obj.error else ""

    @staticmethod
    def resolve_results(obj, context) -> Optional[dict]:
        request = context["request"]
        if not obj.results or not sees_company_figures(request.auth):
            return None
        return obj.results


class RunIn(Schema):
    as_of: Optional[dt.date] = Field(None, description="Default: today.")
    calibration_end: Optional[dt.date] = Field(
        None, description="Fit on the orders up to this date and check on the ones after it (the holdout).")
    holdout_end: Optional[dt.date] = Field(None, description="Default: the as-of date (with a calibration end).")
    time_unit: Optional[TimeUnit] = Field(None, description="Default: the value settings' time unit.")
    model: Optional[TransactionModel] = Field(None, description="Default: the value settings' model.")


class ProgressOut(Schema):
    id: int
    status: RunStatus
    progress: int
    stage: str
    error: str
    finished: bool = Field(description="True once the run succeeded or failed: stop polling.")


@router.get("/runs", response={200: list[RunOut], **READ_ERRORS}, url_name="value-run-list",
            summary="List value analyses, newest first")
@paginate(CursorPagination)
def list_runs(request):
    return selectors.run_list(viewer=request.auth).order_by("-created_at", "-id")


@router.post("/runs", response={202: RunOut, **WRITE_ERRORS}, url_name="value-run-create",
             summary="Start a value analysis in the background")
def create_run(request, payload: RunIn):
    """Answers 202 with the queued run; poll ``/value/runs/{id}/progress``.
    Administrators, analysts and head-office managers may start one."""
    if not can_start_run(request.auth):
        raise PermissionDenied(_("You may not start a value analysis."))
    from kehu.insights.services import run_start

    data = payload.model_dump()
    run = run_start(actor=request.auth, as_of=data["as_of"] or timezone.localdate(),
                    calibration_end=data["calibration_end"], holdout_end=data["holdout_end"],
                    time_unit=data["time_unit"], model=data["model"], trigger=RunTrigger.API)
    run.refresh_from_db()
    return Status(202, run)


@router.get("/runs/{int:run_id}", response={200: RunOut, **READ_ERRORS}, url_name="value-run-detail",
            summary="Get a value analysis")
def get_run(request, run_id: int):
    return selectors.run_get(viewer=request.auth, pk=run_id)


@router.post("/runs/{int:run_id}/retry", response={202: RunOut, **WRITE_ERRORS}, url_name="value-run-retry",
             summary="Start a failed (or interrupted) value analysis again")
def retry_run(request, run_id: int):
    """Answers 202 with the run queued again (same dates and parameters); 422
    when the run has not failed. Who may start an analysis may retry one."""
    run = selectors.run_get(viewer=request.auth, pk=run_id)
    if not can_start_run(request.auth):
        raise PermissionDenied(_("You may not start a value analysis."))
    from kehu.insights.services import run_retry

    run = run_retry(actor=request.auth, run=run)
    run.refresh_from_db()
    return Status(202, run)


@router.get("/runs/{int:run_id}/progress", response={200: ProgressOut, **READ_ERRORS},
            url_name="value-run-progress", summary="Progress of a value analysis")
def get_run_progress(request, run_id: int):
    run = selectors.run_get(viewer=request.auth, pk=run_id)
    return {"id": run.pk, "status": run.status, "progress": run.progress, "stage": _(run.stage) if run.stage else "",
            "error": _(run.error) if run.error else "",
            "finished": run.status in (RunStatus.SUCCEEDED, RunStatus.FAILED)}


# -- scores ------------------------------------------------------------------------------

class CustomerRef(Schema):
    id: int
    ref: str
    name: str
    owner_id: Optional[int]
    team_id: Optional[int]


class ChurnReason(Schema):
    signal: str = Field(description="p_alive, overdue, drop, satisfaction or complaints.")
    contribution: Optional[float] = Field(None, description="Its share of the risk score.")
    value: Optional[float] = Field(None, description="The signal's value (P(alive), overdue ratio, drop ...).")


class ScoreOut(Schema):
    run_id: int
    as_of: dt.date
    customer: CustomerRef
    first_order: Optional[dt.date]
    last_order: Optional[dt.date]
    orders: int
    purchase_days: int
    revenue: Money
    gross_margin: Money
    outstanding: Money
    frequency: float = Field(description="Repeat purchases, in the run's time unit (lifetimes semantics).")
    recency: float
    T: float
    monetary: Money
    recency_days: Optional[int]
    r_score: Optional[int]
    f_score: Optional[int]
    m_score: Optional[int]
    rfm_group: _blank(RfmGroup)
    abc_class: _blank(AbcClass)
    tier: _blank(ValueTier)
    scorecard: Optional[float]
    scorecard_rank: Optional[int]
    p_alive: Optional[float]
    expected_purchases: Optional[float]
    expected_spend: Optional[Money]
    clv: Optional[Money]
    historical_clv: Money
    rhythm_days: Optional[float]
    next_order_date: Optional[dt.date]
    churn_risk: Optional[float]
    churn_warning: bool = Field(description="The risk is at or above the run's threshold.")
    churn_reasons: list[ChurnReason]
    churn_reasons_text: list[str] = Field(description="The reasons in plain language, in the caller's language.")
    revenue_at_risk: Optional[Money]
    attitude: Optional[float]
    dick_basu: DickBasu
    reinartz_kumar: _blank(ReinartzKumar)

    @staticmethod
    def resolve_as_of(obj) -> dt.date:
        return obj.run.as_of

    @staticmethod
    def resolve_churn_warning(obj) -> bool:
        return obj.churn_risk is not None and obj.churn_risk >= selectors.churn_threshold(obj.run)

    @staticmethod
    def resolve_churn_reasons(obj) -> list[dict]:
        return [r for r in obj.churn_reasons or [] if isinstance(r, dict)]

    @staticmethod
    def resolve_churn_reasons_text(obj) -> list[str]:
        return churn_reasons(obj)


class ScoreHistoryOut(ScoreOut):
    explanation: list[str] = Field(description="The scores in plain language, in the caller's language.")

    @staticmethod
    def resolve_explanation(obj) -> list[str]:
        return explain_score(obj, obj.run, timezone.localdate())


class ScoreFilterIn(Schema):
    run_id: Optional[int] = Field(None, description="A finished analysis; default: the latest.")
    team_id: Optional[int] = Field(None, description="The team and its sub-teams.")
    region: Optional[Region] = None
    product_line_id: Optional[int] = Field(
        None, description="Customers who bought this product line in the year up to the as-of date.")
    owner_id: Optional[int] = None
    tier: Optional[ValueTier] = None
    rfm_group: Optional[RfmGroup] = None
    abc_class: Optional[AbcClass] = None
    churn_warning: bool = Field(False, description="Only customers the analysis warns about.")
    sort: ScoreSort = Field("clv", description=(
        "clv (predicted value, largest first), churn (risk, highest first), at_risk (revenue at risk), "
        "next_order (expected next order, soonest first), tier, rfm. Customers without the measure come last."))


@router.get("/scores", response={200: list[ScoreOut], **READ_ERRORS}, url_name="value-score-list",
            summary="Customers' scores in an analysis")
@paginate(CursorPagination)
def list_scores(request, filters: Query[ScoreFilterIn]):
    run = selectors.finished_runs().filter(pk=filters.run_id).first() if filters.run_id else selectors.latest_run()
    if filters.run_id and run is None:
        raise ValidationError({"run_id": [_("Choose a finished analysis, or none for the latest one.")]})
    f = ValueFilters(team_id=filters.team_id, region=filters.region or "", product_line_id=filters.product_line_id,
                     owner_id=filters.owner_id, tier=filters.tier or "", rfm_group=filters.rfm_group or "",
                     abc_class=filters.abc_class or "", churn_only=filters.churn_warning)
    qs, tiers = selectors.score_list(viewer=request.auth, run=run, filters=f, sort=filters.sort)
    return Tiered(qs.select_related("run", "customer"), tiers)


@router.get("/scores/customers/{int:customer_id}", response={200: list[ScoreHistoryOut], **READ_ERRORS},
            url_name="value-customer-scores", summary="One customer's scores in every analysis, latest first")
def customer_history(request, customer_id: int):
    policy_for(request.auth).get_visible(customer_id)  # 404 when not visible or missing
    return list(selectors.customer_scores(viewer=request.auth, customer_id=customer_id)
                .select_related("customer"))


# -- segments -----------------------------------------------------------------------------

class SegmentOut(Schema):
    id: int
    name: str
    description: str
    kind: SegmentKind
    rule: dict = Field(description=(
        "rule: {\"customer\": {kind, stage, region, team_id, owner_id, city, industry, tag}, \"score\": "
        "{tier: [...], rfm_group: [...], abc_class: [...], dick_basu: [...], reinartz_kumar: [...], "
        "churn_risk_min/max, p_alive_min/max (0–1), clv_min/max, revenue_min/max}}; run_group: "
        "{\"field\": \"tier\", \"value\": \"gold\"}."))
    run_id: Optional[int] = Field(description="The analysis whose scores it reads; null = the latest.")
    created_by: Optional[UserRef]
    created_at: dt.datetime
    updated_at: dt.datetime


class SegmentIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    kind: SegmentKind = SegmentKind.RULE
    rule: dict = Field(default_factory=dict, description="See SegmentOut.rule.")
    run_id: Optional[int] = Field(None, description="A finished analysis; null follows the latest.")


SegmentPatchIn = partial_schema(SegmentIn, "SegmentPatchIn")


class MemberOut(Schema):
    id: int
    ref: str
    name: str
    owner_id: Optional[int]
    team_id: Optional[int]
    region: str
    city: str


def _run_for(run_id):
    if run_id is None:
        return None
    run = AnalysisRun.objects.filter(pk=run_id).first()
    if run is None:
        raise ValidationError({"run_id": [_("Choose a finished analysis, or none for the latest one.")]})
    return run


@router.get("/segments", response={200: list[SegmentOut], **READ_ERRORS}, url_name="value-segment-list",
            summary="List saved segments")
@paginate(CursorPagination)
def list_segments(request):
    return segment_list(viewer=request.auth).order_by("name", "id")


@router.post("/segments", response={201: SegmentOut, **WRITE_ERRORS}, url_name="value-segment-create",
             summary="Save a segment")
def create_segment(request, payload: SegmentIn):
    d = payload.model_dump()
    with api_field_names({"run": "run_id"}):
        segment = segment_create(actor=request.auth, name=d["name"], description=d["description"],
                                 kind=d["kind"], rule=d["rule"], run=_run_for(d["run_id"]))
    return Status(201, segment)


@router.get("/segments/{int:segment_id}", response={200: SegmentOut, **READ_ERRORS},
            url_name="value-segment-detail", summary="Get a segment")
def get_segment(request, segment_id: int):
    return segment_get(viewer=request.auth, pk=segment_id)


@router.patch("/segments/{int:segment_id}", response={200: SegmentOut, **WRITE_ERRORS},
              url_name="value-segment-update", summary="Change a segment")
def update_segment(request, segment_id: int, payload: SegmentPatchIn):
    segment = segment_get(viewer=request.auth, pk=segment_id)
    data = sent_fields(payload)
    if "run_id" in data:
        data["run"] = _run_for(data.pop("run_id"))
    with api_field_names({"run": "run_id"}):
        return segment_update(actor=request.auth, segment=segment, data=data)


@router.delete("/segments/{int:segment_id}", response={204: None, **WRITE_ERRORS},
               url_name="value-segment-delete", summary="Delete a segment")
def delete_segment(request, segment_id: int):
    segment = segment_get(viewer=request.auth, pk=segment_id)
    segment_delete(actor=request.auth, segment=segment)
    return Status(204, None)


@router.get("/segments/{int:segment_id}/members", response={200: list[MemberOut], **READ_ERRORS},
            url_name="value-segment-members", summary="The segment's customers the caller may see")
@paginate(CursorPagination)
def list_members(request, segment_id: int):
    segment = segment_get(viewer=request.auth, pk=segment_id)
    return segment_members(segment=segment, viewer=request.auth).order_by("name_pinyin", "id")
