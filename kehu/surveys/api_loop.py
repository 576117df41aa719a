"""/surveys/{survey_id}/actions: improvement actions (改进措施) against the
indicators they target, and whether each indicator moved in later waves.
Every active user reads them; the survey designers plan, change and delete
them; an action's owner may change its status and description (403 for
anything else)."""

import datetime as dt
from typing import Optional

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, api_field_names, not_found_field, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.org.models import User
from kehu.surveys import selectors, selectors_loop
from kehu.surveys.models import ActionStatus, Indicator, Wave
from kehu.surveys.services.loop import action_create, action_delete, action_update

router = Router(tags=["surveys"])


class WaveMoveOut(Schema):
    wave_id: Optional[int] = Field(description="Null for a baseline typed in without a wave.")
    wave: str
    score: Optional[float] = Field(description="The indicator's CSI (0–100) in that wave.")
    respondents: int
    change: Optional[float] = Field(description="Score minus the baseline.")
    p_value: Optional[float] = Field(description="Welch's t-test of the two waves' respondent scores.")
    significant: bool = Field(description="p < 0.05.")
    target_met: Optional[bool]


class MovementOut(Schema):
    verdict: str = Field(description="up, down (significant), no_change, not_tested, not_measured, no_baseline.")
    baseline: Optional[WaveMoveOut]
    later: list[WaveMoveOut]


class ActionOut(Schema):
    id: int
    survey_id: int
    indicator_id: int
    indicator_code: str
    title: str
    description: str
    owner_id: Optional[int]
    due_on: Optional[dt.date]
    status: ActionStatus
    baseline_wave_id: Optional[int]
    baseline: Optional[float] = Field(description="The indicator's score in the baseline wave, taken when saved.")
    target: Optional[float]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_indicator_code(obj) -> str:
        if isinstance(obj, dict):
            return obj["indicator_code"]
        try:
            return obj.indicator.code
        except AttributeError:  # a dict already made by _out (wrapped by django-ninja)
            return obj.indicator_code


class ActionDetailOut(ActionOut):
    movement: MovementOut


class ActionFields(Schema):
    indicator_id: int
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    owner_id: Optional[int] = None
    due_on: Optional[dt.date] = None
    status: ActionStatus = ActionStatus.PLANNED
    baseline_wave_id: Optional[int] = Field(None, description="The wave whose score is the baseline.")
    target: Optional[float] = Field(None, ge=0, le=100)


ActionPatchIn = partial_schema(ActionFields, "ActionPatchIn")


class ActionFilterIn(Schema):
    status: Optional[ActionStatus] = None
    indicator_id: Optional[int] = None


def _move(m) -> dict | None:
    if m is None:
        return None
    def r(x):
        return None if x is None else round(x, 2)

    return {"wave_id": m.wave.pk if m.wave else None, "wave": m.wave.name if m.wave else "", "score": r(m.score),
            "respondents": m.n, "change": r(m.change), "p_value": m.p_value, "significant": m.significant,
            "target_met": m.target_met}


def _out(action, movement=None) -> dict:
    out = ActionOut.model_validate(action).model_dump()
    if movement is not None:
        out["movement"] = {"verdict": movement.verdict, "baseline": _move(movement.baseline),
                           "later": [_move(m) for m in movement.later]}
    return out


def _objects(survey, data: dict) -> dict:
    if "indicator_id" in data:
        ind = Indicator.objects.filter(survey=survey, pk=data.pop("indicator_id")).first()
        if ind is None:
            raise not_found_field("indicator_id")
        data["indicator"] = ind
    if "owner_id" in data:
        uid = data.pop("owner_id")
        data["owner"] = None if uid is None else User.objects.filter(pk=uid).first()
        if uid is not None and data["owner"] is None:
            raise not_found_field("owner_id")
    if "baseline_wave_id" in data:
        wid = data.pop("baseline_wave_id")
        data["baseline_wave"] = None if wid is None else Wave.objects.filter(survey=survey, pk=wid).first()
        if wid is not None and data["baseline_wave"] is None:
            raise not_found_field("baseline_wave_id")
    return data


NAMES = {"indicator": "indicator_id", "owner": "owner_id", "baseline_wave": "baseline_wave_id"}


@router.get("/{int:survey_id}/actions", response={200: list[ActionOut], **READ_ERRORS},
            url_name="survey-action-list", summary="List a survey's improvement actions, soonest due first")
@paginate(CursorPagination)
def list_actions(request, survey_id: int, filters: Query[ActionFilterIn]):
    survey = selectors.survey_get(viewer=request.auth, pk=survey_id)
    qs = selectors_loop.action_list(survey=survey, status=filters.status or "", indicator_id=filters.indicator_id)
    return qs.order_by("id")


@router.post("/{int:survey_id}/actions", response={201: ActionDetailOut, **WRITE_ERRORS},
             url_name="survey-action-create", summary="Record an improvement action against an indicator")
def create_action(request, survey_id: int, payload: ActionFields):
    survey = selectors.survey_get(viewer=request.auth, pk=survey_id)
    data = _objects(survey, payload.model_dump())
    with api_field_names(NAMES):
        action = action_create(actor=request.auth, survey=survey, data=data)
    return Status(201, _out(action, selectors_loop.action_movement(action)))


@router.get("/{int:survey_id}/actions/{int:action_id}", response={200: ActionDetailOut, **READ_ERRORS},
            url_name="survey-action-detail", summary="Get an improvement action and whether its indicator moved")
def get_action(request, survey_id: int, action_id: int):
    survey = selectors.survey_get(viewer=request.auth, pk=survey_id)
    action = selectors_loop.action_get(survey=survey, pk=action_id)
    return _out(action, selectors_loop.action_movement(action))


@router.patch("/{int:survey_id}/actions/{int:action_id}", response={200: ActionDetailOut, **WRITE_ERRORS},
              url_name="survey-action-update", summary="Change an improvement action")
def update_action(request, survey_id: int, action_id: int, payload: ActionPatchIn):
    survey = selectors.survey_get(viewer=request.auth, pk=survey_id)
    action = selectors_loop.action_get(survey=survey, pk=action_id)
    data = _objects(survey, sent_fields(payload))
    with api_field_names(NAMES):
        action_update(actor=request.auth, action=action, data=data)
    action = selectors_loop.action_get(survey=survey, pk=action_id)
    return _out(action, selectors_loop.action_movement(action))


@router.delete("/{int:survey_id}/actions/{int:action_id}", response={204: None, **WRITE_ERRORS},
               url_name="survey-action-delete", summary="Delete an improvement action")
def delete_action(request, survey_id: int, action_id: int):
    survey = selectors.survey_get(viewer=request.auth, pk=survey_id)
    action = selectors_loop.action_get(survey=survey, pk=action_id)
    action_delete(actor=request.auth, action=action)
    return Status(204, None)
