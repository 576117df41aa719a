"""/opportunities, /pipelines and /lost-reasons: the sales pipeline (商机).

Visible are the opportunities of the customers the caller may see (404 otherwise); the
caller may change those of the customers they may change, and those they own (403
otherwise; read-only roles always 403). Every write that reads an opportunity takes the
``version`` the caller read: one changed since answers 409 ``conflict``; a move that cannot
be made from where the opportunity is (it is won or lost, or already at that stage) answers
409 ``move_not_allowed``."""


import contextlib
import datetime as dt
import re
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, ErrorOut, Money, api_field_names, blankable, not_found_field, partial_schema,
    sent_fields,
)
from kehu.api.pagination import CursorPagination, Tiered
from kehu.api.router import api, envelope
from kehu.customers.models import Contact, DecisionRole, Source
from kehu.customers.selectors import customer_get
from kehu.org.models import Team, User
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import opportunity_selectors as selectors
from kehu.sales.models import LostReason, ProductLine, Stage, StageOutcome
from kehu.sales.opportunities import (
    MoveNotAllowed, OpportunityConflict, opportunity_create, opportunity_lose, opportunity_move, opportunity_reopen,
    opportunity_update, opportunity_win,
)
from kehu.sales.pipeline_settings import (
    StageInUse, lost_reason_create, lost_reason_update, pipeline_create, pipeline_update, stage_add, stage_delete,
    stage_update,
)
from kehu.validators import REMARKS_MAX

router = Router(tags=["opportunities"])
pipelines_router = Router(tags=["opportunities"])
reasons_router = Router(tags=["opportunities"])

CONFLICT = {409: ErrorOut}


@api.exception_handler(OpportunityConflict)
def on_conflict(request, exc):
    return envelope(request, 409, "conflict", str(exc), {"version": [_("Now %(version)d.") % {
        "version": exc.opportunity.version}]})


@api.exception_handler(MoveNotAllowed)
def on_move_not_allowed(request, exc):
    return envelope(request, 409, "move_not_allowed", str(exc))


# -- schemas ------------------------------------------------------------------------

class StageOut(Schema):
    id: int
    code: str
    name: str = Field(description="In the language of the request.")
    name_zh: str
    name_en: str
    position: int
    probability: int = Field(description="The default probability (%) of an opportunity at this stage.")
    outcome: StageOutcome
    active: bool


class PipelineOut(Schema):
    id: int
    name: str = Field(description="In the language of the request.")
    name_zh: str
    name_en: str
    product_line_id: Optional[int]
    is_default: bool
    active: bool


class PipelineDetailOut(PipelineOut):
    stages: list[StageOut] = Field(description="In order; open stages first, then won and lost.")

    @staticmethod
    def resolve_stages(obj):
        return selectors.stages(obj)


class LostReasonOut(Schema):
    id: int
    code: str
    name: str = Field(description="In the language of the request.")
    name_zh: str
    name_en: str
    active: bool


class LineOut(Schema):
    id: int
    product_line_id: int
    amount: Money
    note: str


class ContactRoleOut(Schema):
    contact_id: int
    role: blankable(DecisionRole)


class StageChangeOut(Schema):
    id: int
    from_stage_id: Optional[int]
    to_stage_id: int
    at: dt.datetime
    by_id: Optional[int]
    note: str


class OpportunityOut(Schema):
    id: int
    customer_id: int
    name: str
    pipeline_id: int
    stage_id: int
    outcome: StageOutcome = Field(description="The outcome of the stage: open, won or lost.")
    probability: int = Field(description="0–100 %; defaults to the stage's.")
    amount: Money = Field(description="The sum of the lines.")
    weighted_amount: Money = Field(description="amount × probability.")
    expected_close: Optional[dt.date]
    competitor: str
    source: blankable(Source)
    owner_id: Optional[int]
    team_id: Optional[int]
    next_step: str
    next_step_on: Optional[dt.date]
    won_at: Optional[dt.datetime]
    lost_at: Optional[dt.datetime]
    lost_reason_id: Optional[int]
    lost_note: str
    version: int = Field(description="Send it back with a change; an opportunity changed since answers 409.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_outcome(obj):
        return obj.stage.outcome

    @staticmethod
    def resolve_weighted_amount(obj):
        return obj.weighted


class OpportunityDetailOut(OpportunityOut):
    lines: list[LineOut]
    contacts: list[ContactRoleOut]
    stage_changes: list[StageChangeOut] = Field(description="Every stage change, oldest first.")

    @staticmethod
    def resolve_lines(obj):
        return list(selectors.opportunity_lines(obj))

    @staticmethod
    def resolve_contacts(obj):
        return list(selectors.opportunity_contacts(obj))

    @staticmethod
    def resolve_stage_changes(obj):
        return list(selectors.stage_history(obj))


class LineIn(Schema):
    product_line_id: int
    amount: Money = Field(ge=0)
    note: str = Field("", max_length=200)


class OpportunityContactIn(Schema):
    contact_id: int
    role: Optional[blankable(DecisionRole)] = Field(
        None, description="Null: the contact's role in the buying decision.")


class OpportunityFields(Schema):
    name: str = Field(min_length=1, max_length=200)
    probability: Optional[int] = Field(None, ge=0, le=100, description="Null: the stage's default.")
    expected_close: Optional[dt.date] = None
    competitor: str = Field("", max_length=200)
    source: blankable(Source) = ""
    owner_id: Optional[int] = Field(None, description="Default: you.")
    team_id: Optional[int] = Field(None, description="Default: the owner's team.")
    next_step: str = Field("", max_length=200)
    next_step_on: Optional[dt.date] = None
    lines: list[LineIn] = Field([], max_length=200, description="The amount is their sum.")
    contacts: list[OpportunityContactIn] = Field([], max_length=200)


class OpportunityIn(OpportunityFields):
    customer_id: int
    pipeline_id: Optional[int] = Field(None, description="Default: the default pipeline.")
    stage_id: Optional[int] = Field(None, description="An open stage; default: the pipeline's first.")


OpportunityPatchFields = partial_schema(OpportunityFields, "OpportunityPatchFields")


class OpportunityPatchIn(OpportunityPatchFields):
    version: Optional[int] = Field(None, ge=1, description="Required: the version you read (409 when the "
                                                           "opportunity changed since).")


class OpportunityMoveIn(Schema):
    stage_id: int = Field(description="A stage of the opportunity's pipeline (the lost stage needs "
                                      "lost_reason_id).")
    note: str = Field("", max_length=REMARKS_MAX)
    lost_reason_id: Optional[int] = None
    lost_note: str = Field("", max_length=REMARKS_MAX)
    version: Optional[int] = Field(None, ge=1, description="The version you read; 409 when it changed since.")


class WinIn(Schema):
    note: str = Field("", max_length=REMARKS_MAX)
    version: Optional[int] = Field(None, ge=1)


class LoseIn(Schema):
    lost_reason_id: int
    lost_note: str = Field("", max_length=REMARKS_MAX)
    note: str = Field("", max_length=REMARKS_MAX)
    version: Optional[int] = Field(None, ge=1)


class ReopenIn(Schema):
    stage_id: Optional[int] = Field(None, description="An open stage; default: the pipeline's last open stage.")
    note: str = Field("", max_length=REMARKS_MAX)
    version: Optional[int] = Field(None, ge=1)


class OpportunityFilterIn(Schema):
    pipeline_id: Optional[int] = None
    stage_id: Optional[int] = None
    outcome: Optional[StageOutcome] = None
    owner_id: Optional[int] = None
    customer_id: Optional[int] = None
    product_line_id: Optional[int] = None
    close_from: Optional[dt.date] = Field(None, description="Expected close on or after.")
    close_to: Optional[dt.date] = Field(None, description="Expected close on or before.")
    q: str = Field("", max_length=100, description="Name, customer name or competitor.")


# -- helpers ------------------------------------------------------------------------

NAMES = {"customer": "customer_id", "pipeline": "pipeline_id", "stage": "stage_id", "owner": "owner_id",
         "team": "team_id", "lost_reason": "lost_reason_id", "product_line": "product_line_id",
         "contact": "contact_id"}
_CONTACT_KEY = re.compile(r"^contacts\.(\d+)\.(.+)$")


@contextlib.contextmanager
def _names():
    """Service field names → API names; lines and contacts numbered from 0 as in the body."""
    try:
        with api_field_names(NAMES):
            yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {}
        for key, errors in exc.error_dict.items():
            m = _CONTACT_KEY.match(key)
            if m:
                key = f"contacts.{int(m.group(1)) - 1}.{NAMES.get(m.group(2), m.group(2))}"
            renamed.setdefault(key, []).extend(errors)
        raise ValidationError(renamed) from None


def _detail(request, opportunity_id: int):
    return selectors.opportunity_get(viewer=request.auth, pk=opportunity_id)


def _find(model, pk, key: str, **filters):
    obj = model.objects.filter(pk=pk, **filters).first()
    if obj is None:
        raise not_found_field(key)
    return obj


def _related(request, data: dict, customer=None):
    """Ids in the body → records (422 naming the field when there is none)."""
    out = {}
    for key, value in data.items():
        if key == "customer_id":
            out["customer"] = customer_get(viewer=request.auth, pk=value)   # 404 outside the caller's scope
        elif key in ("pipeline_id", "stage_id", "owner_id", "team_id"):
            model = {"pipeline_id": selectors.Pipeline, "stage_id": Stage, "owner_id": User, "team_id": Team}[key]
            out[key[:-3]] = None if value is None else _find(model, value, key)
        elif key not in ("lines", "contacts"):
            out[key] = value
    return out


def _lines(data: dict):
    if "lines" not in data:
        return None
    out = []
    for i, ln in enumerate(data["lines"]):
        out.append({"product_line": _find(ProductLine, ln["product_line_id"], f"lines.{i}.product_line_id"),
                    "amount": ln["amount"], "note": ln.get("note", "")})
    return out


def _contacts(data: dict, customer):
    if "contacts" not in data:
        return None
    out = []
    for i, c in enumerate(data["contacts"]):
        contact = Contact.objects.filter(pk=c["contact_id"], customer=customer).first()
        if contact is None:
            raise ValidationError({f"contacts.{i}.contact_id": [_("This contact works at another customer.")]})
        out.append({"contact": contact, "role": c.get("role")})
    return out


def _require_change(request, opp) -> None:
    if not policy_for(request.auth).can_change_opportunity(opp):
        raise PermissionDenied(_("You may not change this opportunity."))


# -- opportunities ------------------------------------------------------------------

@router.get("", response={200: list[OpportunityOut], **READ_ERRORS}, url_name="opportunity-list",
            summary="List opportunities, newest first")
@paginate(CursorPagination)
def list_opportunities(request, filters: Query[OpportunityFilterIn]):
    f = selectors.OpportunityFilters(**{k: v for k, v in filters.model_dump().items() if k != "outcome"},
                                     outcome=filters.outcome or "")
    qs = selectors.opportunity_list(viewer=request.auth, filters=f)
    return Tiered(qs, [Tier(Q(), ("-created_at", "-id"))])


@router.post("", response={201: OpportunityDetailOut, **WRITE_ERRORS}, url_name="opportunity-create",
             summary="Open an opportunity for a customer you may change")
def create_opportunity(request, payload: OpportunityIn):
    data = payload.model_dump(exclude_unset=True)
    fields = _related(request, data)
    customer = fields["customer"]
    lines = _lines(data) or []
    contacts = _contacts(data, customer) or []
    with _names():
        opp = opportunity_create(actor=request.auth, data=fields, lines=lines, contacts=contacts)
    return Status(201, _detail(request, opp.pk))


@router.get("/{int:opportunity_id}", response={200: OpportunityDetailOut, **READ_ERRORS},
            url_name="opportunity-detail", summary="Get an opportunity with its lines, contacts and stage history")
def get_opportunity(request, opportunity_id: int):
    return _detail(request, opportunity_id)


@router.patch("/{int:opportunity_id}", response={200: OpportunityDetailOut, **WRITE_ERRORS, **CONFLICT},
              url_name="opportunity-update",
              summary="Change an opportunity's details, lines or contacts (send the version you read)")
def update_opportunity(request, opportunity_id: int, payload: OpportunityPatchIn):
    opp = _detail(request, opportunity_id)
    _require_change(request, opp)
    data = sent_fields(payload)
    version = data.pop("version", None)
    if version is None:
        raise ValidationError({"version": [_("This field is required.")]})
    lines = _lines(data)
    contacts = _contacts(data, opp.customer)
    fields = _related(request, data)
    with _names():
        opportunity_update(actor=request.auth, opportunity=opp, data=fields, version=version, lines=lines,
                           contacts=contacts)
    return _detail(request, opportunity_id)


@router.post("/{int:opportunity_id}/move", response={200: OpportunityDetailOut, **WRITE_ERRORS, **CONFLICT},
             url_name="opportunity-move",
             summary="Move an open opportunity to another stage of its pipeline (409 when it cannot move)")
def move_opportunity(request, opportunity_id: int, payload: OpportunityMoveIn):
    opp = _detail(request, opportunity_id)
    _require_change(request, opp)
    stage = _find(Stage, payload.stage_id, "stage_id")
    reason = _find(LostReason, payload.lost_reason_id, "lost_reason_id") if payload.lost_reason_id else None
    with _names():
        opportunity_move(actor=request.auth, opportunity=opp, stage=stage, note=payload.note, lost_reason=reason,
                         lost_note=payload.lost_note, version=payload.version)
    return _detail(request, opportunity_id)


@router.post("/{int:opportunity_id}/win", response={200: OpportunityDetailOut, **WRITE_ERRORS, **CONFLICT},
             url_name="opportunity-win", summary="Mark an open opportunity won (成交)")
def win_opportunity(request, opportunity_id: int, payload: WinIn):
    opp = _detail(request, opportunity_id)
    _require_change(request, opp)
    with _names():
        opportunity_win(actor=request.auth, opportunity=opp, note=payload.note, version=payload.version)
    return _detail(request, opportunity_id)


@router.post("/{int:opportunity_id}/lose", response={200: OpportunityDetailOut, **WRITE_ERRORS, **CONFLICT},
             url_name="opportunity-lose", summary="Mark an open opportunity lost (输单), with the reason")
def lose_opportunity(request, opportunity_id: int, payload: LoseIn):
    opp = _detail(request, opportunity_id)
    _require_change(request, opp)
    reason = _find(LostReason, payload.lost_reason_id, "lost_reason_id")
    with _names():
        opportunity_lose(actor=request.auth, opportunity=opp, lost_reason=reason, lost_note=payload.lost_note,
                         note=payload.note, version=payload.version)
    return _detail(request, opportunity_id)


@router.post("/{int:opportunity_id}/reopen", response={200: OpportunityDetailOut, **WRITE_ERRORS, **CONFLICT},
             url_name="opportunity-reopen", summary="Bring a won or lost opportunity back to an open stage")
def reopen_opportunity(request, opportunity_id: int, payload: ReopenIn):
    opp = _detail(request, opportunity_id)
    _require_change(request, opp)
    stage = _find(Stage, payload.stage_id, "stage_id") if payload.stage_id else None
    with _names():
        opportunity_reopen(actor=request.auth, opportunity=opp, stage=stage, note=payload.note,
                           version=payload.version)
    return _detail(request, opportunity_id)


# -- pipelines and reasons ------------------------------------------------------------

@pipelines_router.get("", response={200: list[PipelineOut], **READ_ERRORS}, url_name="pipeline-list",
                      summary="The pipelines in use (the default first)")
def list_pipelines(request, include_inactive: bool = False):
    return list(selectors.pipelines(active_only=not include_inactive))


@pipelines_router.get("/{int:pipeline_id}", response={200: PipelineDetailOut, **READ_ERRORS},
                      url_name="pipeline-detail", summary="A pipeline with its stages")
def get_pipeline(request, pipeline_id: int):
    return selectors.pipeline_get(pipeline_id)


@reasons_router.get("", response={200: list[LostReasonOut], **READ_ERRORS}, url_name="lost-reason-list",
                    summary="The reasons for losing an opportunity, in use")
def list_lost_reasons(request, include_inactive: bool = False):
    return list(selectors.lost_reasons(active_only=not include_inactive))


# -- the funnel -----------------------------------------------------------------------

class FunnelIn(Schema):
    date_from: Optional[dt.date] = Field(None, description="Opportunities created on or after this day.")
    date_to: Optional[dt.date] = Field(None, description="Opportunities created on or before this day.")
    pipeline_id: Optional[int] = Field(None, description="Default: the default pipeline.")
    owner_id: Optional[int] = None
    team_id: Optional[int] = None
    product_line_id: Optional[int] = Field(None, description="Opportunities with a line in this product line.")
    source: Optional[blankable(Source)] = None
    by: Optional[Literal["owner", "team", "line", "source"]] = Field(
        None, description="Break the funnel down by owner, team, product line or source.")


class FunnelStageOut(Schema):
    stage_id: int
    name: str
    outcome: StageOutcome
    reached: int = Field(description="Opportunities that reached this stage or a later one (a skipped stage "
                                     "counts as reached).")
    conversion: Optional[float] = Field(description="reached(next stage) / reached(this stage); the last open "
                                                    "stage's next is the won stage.")
    avg_days: Optional[float] = Field(description="Average days in the stage; open opportunities count up to now.")
    days_n: int = Field(description="How many opportunities avg_days is over.")


class FunnelFiguresOut(Schema):
    total: int
    open: int
    won: int
    lost: int
    win_rate: Optional[float] = Field(description="won / (won + lost).")
    avg_cycle_days: Optional[float] = Field(description="Average days from creation to won.")
    overall_conversion: Optional[float] = Field(description="won / reached the first stage.")
    stages: list[FunnelStageOut]


class FunnelGroupOut(FunnelFiguresOut):
    key: str = Field(description="The owner's, team's or product line's id, or the source; empty: none.")
    label: str


class FunnelOut(FunnelFiguresOut):
    pipeline_id: Optional[int]
    date_from: Optional[dt.date]
    date_to: Optional[dt.date]
    by: Optional[str]
    breakdown: list[FunnelGroupOut]


@router.get("/funnel", response={200: FunnelOut, **READ_ERRORS}, url_name="opportunity-funnel",
            summary="The funnel: conversion between stages, days in each stage, win rate and cycle length")
def opportunity_funnel(request, filters: Query[FunnelIn]):
    from kehu.sales.funnel_selectors import FunnelFilters, funnel_report, report_dict

    if filters.date_from and filters.date_to and filters.date_from > filters.date_to:
        raise ValidationError({"date_to": [_("The end is before the start.")]})
    if filters.pipeline_id is not None:
        _find(selectors.Pipeline, filters.pipeline_id, "pipeline_id")
    f = FunnelFilters(date_from=filters.date_from, date_to=filters.date_to, pipeline_id=filters.pipeline_id,
                      owner_id=filters.owner_id, team_id=filters.team_id, product_line_id=filters.product_line_id,
                      source=filters.source or "", by=filters.by or "")
    return report_dict(funnel_report(viewer=request.auth, filters=f))


# -- settings: pipelines, stages and reasons for losing (administrators) --------------------

class StageInput(Schema):
    code: str = Field("", max_length=40, pattern=r"^[-a-zA-Z0-9_]*$", description="Default: from the English name.")
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    position: Optional[int] = Field(None, ge=0, le=32767, description="Default: after the last stage.")
    probability: Optional[int] = Field(None, ge=0, le=100, description="Default: 100 won, 0 otherwise.")
    outcome: StageOutcome = StageOutcome.OPEN
    active: bool = True


StagePatchIn = partial_schema(StageInput, "StagePatchIn")


class PipelineIn(Schema):
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    product_line_id: Optional[int] = Field(None, description="The product line the pipeline is for; null: any.")
    is_default: bool = False
    active: bool = True
    stages: Optional[list[StageInput]] = Field(
        None, max_length=50, description="Exactly one won and at least one lost and one open stage. "
                                         "Default: a copy of the default pipeline's stages.")


PipelinePatchIn = partial_schema(PipelineIn, "PipelinePatchIn", exclude=("stages",))


class LostReasonIn(Schema):
    code: str = Field("", max_length=40, pattern=r"^[-a-zA-Z0-9_]*$", description="Default: from the English name.")
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field(min_length=1, max_length=100)
    position: Optional[int] = Field(None, ge=0, le=32767)
    active: bool = True


LostReasonPatchIn = partial_schema(LostReasonIn, "LostReasonPatchIn")
IN_USE = {409: ErrorOut}


def _require_admin(request) -> None:
    if not policy_for(request.auth).is_admin:
        raise PermissionDenied(_("Only an administrator may change the pipelines and the reasons for losing."))


def _pipeline_fields(data: dict) -> dict:
    if "product_line_id" in data:
        pl = data.pop("product_line_id")
        data["product_line"] = None if pl is None else _find(ProductLine, pl, "product_line_id")
    return data


def _stage_of(pipeline_id: int, stage_id: int) -> Stage:
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_id, pipeline_id=pipeline_id).first()
    if stage is None:
        from django.http import Http404

        raise Http404
    return stage


def _stage_data(data: dict) -> dict:
    if not data.get("code"):
        data.pop("code", None)
    return data


@api.exception_handler(StageInUse)
def on_stage_in_use(request, exc):
    return envelope(request, 409, "in_use", str(exc))


@pipelines_router.post("", response={201: PipelineDetailOut, **WRITE_ERRORS}, url_name="pipeline-create",
                       summary="Create a pipeline with its stages (administrators)")
def create_pipeline(request, payload: PipelineIn):
    _require_admin(request)
    data = payload.model_dump()
    stages = data.pop("stages")
    with api_field_names(NAMES):
        pipeline = pipeline_create(actor=request.auth, data=_pipeline_fields(data),
                                   stages=None if stages is None else [_stage_data(s) for s in stages])
    return Status(201, selectors.pipeline_get(pipeline.pk))


@pipelines_router.patch("/{int:pipeline_id}", response={200: PipelineDetailOut, **WRITE_ERRORS},
                        url_name="pipeline-update",
                        summary="Rename, (de)activate or make a pipeline the default (administrators)")
def update_pipeline(request, pipeline_id: int, payload: PipelinePatchIn):
    _require_admin(request)
    pipeline = selectors.pipeline_get(pipeline_id)
    with api_field_names(NAMES):
        pipeline_update(actor=request.auth, pipeline=pipeline, data=_pipeline_fields(sent_fields(payload)))
    return selectors.pipeline_get(pipeline_id)


@pipelines_router.post("/{int:pipeline_id}/stages", response={201: StageOut, **WRITE_ERRORS},
                       url_name="pipeline-stage-create", summary="Add a stage to a pipeline (administrators)")
def create_stage(request, pipeline_id: int, payload: StageInput):
    _require_admin(request)
    pipeline = selectors.pipeline_get(pipeline_id)
    return Status(201, stage_add(actor=request.auth, pipeline=pipeline, data=_stage_data(payload.model_dump())))


@pipelines_router.patch("/{int:pipeline_id}/stages/{int:stage_id}", response={200: StageOut, **WRITE_ERRORS},
                        url_name="pipeline-stage-update",
                        summary="Change a stage: names, order, default probability, outcome, active (administrators)")
def update_stage(request, pipeline_id: int, stage_id: int, payload: StagePatchIn):
    _require_admin(request)
    stage = _stage_of(pipeline_id, stage_id)
    return stage_update(actor=request.auth, stage=stage, data=_stage_data(sent_fields(payload)))


@pipelines_router.delete("/{int:pipeline_id}/stages/{int:stage_id}", response={204: None, **WRITE_ERRORS, **IN_USE},
                         url_name="pipeline-stage-delete",
                         summary="Delete a stage no opportunity ever was in (409 otherwise: deactivate it)")
def delete_stage(request, pipeline_id: int, stage_id: int):
    _require_admin(request)
    stage_delete(actor=request.auth, stage=_stage_of(pipeline_id, stage_id))
    return Status(204, None)


@reasons_router.post("", response={201: LostReasonOut, **WRITE_ERRORS}, url_name="lost-reason-create",
                     summary="Add a reason for losing (administrators)")
def create_lost_reason(request, payload: LostReasonIn):
    _require_admin(request)
    return Status(201, lost_reason_create(actor=request.auth, data=_stage_data(payload.model_dump())))


@reasons_router.patch("/{int:reason_id}", response={200: LostReasonOut, **WRITE_ERRORS},
                      url_name="lost-reason-update",
                      summary="Rename, reorder or (de)activate a reason for losing (administrators)")
def update_lost_reason(request, reason_id: int, payload: LostReasonPatchIn):
    _require_admin(request)
    reason = LostReason.objects.filter(pk=reason_id).first()
    if reason is None:
        from django.http import Http404

        raise Http404
    return lost_reason_update(actor=request.auth, reason=reason, data=_stage_data(sent_fields(payload)))
