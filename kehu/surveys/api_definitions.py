"""/surveys and /survey-templates: survey definitions through the API.

Every active user reads surveys; administrators, marketing and head-office
managers change them (the services decide and refuse others with 403).
Texts are ``{"zh-hans": "...", "en": "..."}`` objects. A whole survey travels
as its definition — the same document ``kehu survey export`` writes as JSON
(docs/surveys.md) — with ``GET``/``PUT /surveys/{id}/definition`` and
``POST /surveys/import``.
"""

import datetime as dt
from typing import Any, Literal, Optional

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.surveys import definitions as defs
from kehu.surveys import selectors
from kehu.surveys.models import (
    Construct, ConstructMode, ConstructPath, FollowUpAs, Indicator, Question, QuestionKind, Survey, SurveyKind,
    SurveyStatus, WeightMethod,
)
from kehu.surveys.services import definitions as svc

router = Router(tags=["surveys"])
templates_router = Router(tags=["surveys"])

I18nText = dict[str, str]
TEXT_DOC = 'Text in both languages: {"zh-hans": "...", "en": "..."} (either may be missing).'


# --------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------

class SurveyOut(Schema):
    id: int
    code: str
    kind: Literal[tuple(SurveyKind.values)]
    status: Literal[tuple(SurveyStatus.values)]
    title: I18nText = Field(description=TEXT_DOC)
    description: I18nText
    intro: I18nText = Field(description="Shown to respondents before the first question.")
    thanks: I18nText = Field(description="Shown to respondents after they submit.")
    template: str = Field(description="The shipped template the survey was made from, if any.")
    satisfied_from: int = Field(description="Index (0–100) at or above which a respondent counts as satisfied.")
    follow_up_below: int = Field(description="A response whose index is below this creates a follow-up task.")
    follow_up_detractors: bool
    follow_up_as: Literal[tuple(FollowUpAs.values)] = Field(
        description="What a follow-up is: task (for the customer's owner) or case (a complaint case, channel "
                    "survey follow-up, linked to the response).")
    resurvey_days: int
    likert_scores: dict[str, float] = Field(description="Score of each five-level answer; empty = 20·level.")
    created_at: dt.datetime
    updated_at: dt.datetime


class SurveyCreateIn(Schema):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    template: Optional[str] = Field(None, max_length=50,
                                    description="Start from this shipped template (see /survey-templates).")
    kind: Literal[tuple(SurveyKind.values)] = SurveyKind.CUSTOMER
    title: Optional[I18nText] = Field(None, description=TEXT_DOC + " Required without a template.")
    description: I18nText = {}
    intro: I18nText = {}
    thanks: I18nText = {}


class SurveyPatchFields(Schema):
    kind: Literal[tuple(SurveyKind.values)]
    status: Literal[tuple(SurveyStatus.values)] = Field(
        description="draft → active (only a complete survey), active → draft (only without answers), archived.")
    title: I18nText
    description: I18nText
    intro: I18nText
    thanks: I18nText
    satisfied_from: int = Field(ge=0, le=100)
    follow_up_below: int = Field(ge=0, le=100)
    follow_up_detractors: bool
    follow_up_as: Literal[tuple(FollowUpAs.values)]
    resurvey_days: int = Field(ge=0, le=3650)
    likert_scores: dict[str, float]


SurveyPatchIn = partial_schema(SurveyPatchFields, "SurveyPatchIn")


class SurveyFilterIn(Schema):
    q: str = Field("", max_length=100, description="Part of the code or title.")
    status: Literal[tuple(SurveyStatus.values) + ("",)] = ""
    kind: Literal[tuple(SurveyKind.values) + ("",)] = ""


class CopyIn(Schema):
    code: str = Field(min_length=1, max_length=50, pattern=r"^[-a-zA-Z0-9_]+$")
    title: Optional[I18nText] = None


class SurveyDefinitionIn(Schema):
    definition: dict[str, Any] = Field(description="A survey definition, as GET /surveys/{id}/definition returns.")
    code: Optional[str] = Field(None, max_length=50, description="The new survey's code (default: the one inside).")


class TemplateOut(Schema):
    name: str
    kind: str
    title: I18nText
    description: I18nText
    question_count: int
    has_indicators: bool
    has_model: bool


class IndicatorOut(Schema):
    id: int
    code: str
    name: I18nText
    level: int = Field(description="1 is the index itself; at most 4.")
    parent_id: Optional[int]
    position: int
    weight: float = Field(description="Share among its siblings (siblings sum to 1).")
    child_weight_method: Literal[tuple(WeightMethod.values)] = Field(description="How its children's weights were set.")
    ahp: dict[str, Any] = Field(description="AHP: matrix, order, lambda_max, ci, ri, cr; entropy: wave, respondents.")


class IndicatorIn(Schema):
    parent_id: Optional[int] = Field(None, description="Omit to create the root (the index).")
    code: str = Field(min_length=1, max_length=40)
    name: I18nText


IndicatorPatchIn = partial_schema(IndicatorIn, "IndicatorPatchIn", exclude=("parent_id",))


class WeightsIn(Schema):
    method: Literal[tuple(WeightMethod.values)]
    weights: Optional[dict[str, float]] = Field(None, description="manual: child code → weight ≥ 0 (normalised).")
    matrix: Optional[list[list[Any]]] = Field(
        None, description="ahp: the pairwise comparison matrix of the children in their order; numbers or \"1/3\".")
    wave_id: Optional[int] = Field(None, description="entropy: the wave whose complete responses give the weights.")


class AhpIn(Schema):
    matrix: list[list[Any]]


class AhpOut(Schema):
    ok: bool = Field(description="False when CR ≥ 0.10 (Saaty); message names the most inconsistent judgement.")
    weights: dict[str, float]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    message: str


class WeightsOut(Schema):
    method: str
    weights: dict[str, float]
    basis: dict[str, Any] = Field(description="AHP consistency or the entropy weights' wave and respondents.")


class OptionSchema(Schema):
    value: str
    label: I18nText


class QuestionOut(Schema):
    id: int
    code: str
    position: int
    kind: Literal[tuple(QuestionKind.values)]
    text: I18nText
    help: I18nText
    options: list[OptionSchema]
    required: bool
    reverse: bool
    condition: dict[str, Any] = Field(description='Shown when: {"question": CODE, "op": "<=", "value": 6}; {} always.')
    indicator_code: Optional[str] = Field(description="Code of the leaf indicator it measures.")
    construct_code: Optional[str] = Field(description="Code of the construct it measures.")

    @staticmethod
    def resolve_indicator_code(obj):
        return obj.indicator.code if obj.indicator_id else None

    @staticmethod
    def resolve_construct_code(obj):
        return obj.construct.code if obj.construct_id else None


class QuestionIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    kind: Literal[tuple(QuestionKind.values)]
    text: I18nText
    help: I18nText = {}
    options: list[OptionSchema] = []
    required: bool = True
    reverse: bool = False
    condition: dict[str, Any] = {}
    indicator_code: Optional[str] = Field(None, description="Code of the leaf indicator it measures (scored kinds).")
    construct_code: Optional[str] = Field(None, description="Code of the construct it measures (scored kinds).")


QuestionPatchIn = partial_schema(QuestionIn, "QuestionPatchIn")


class QuestionMoveIn(Schema):
    offset: int = Field(ge=-1000, le=1000, description="Negative moves up, positive down.")


class ConstructOut(Schema):
    id: int
    code: str
    name: I18nText
    mode: Literal[tuple(ConstructMode.values)]
    position: int


class ConstructIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    name: I18nText
    mode: Literal[tuple(ConstructMode.values)] = ConstructMode.REFLECTIVE


ConstructPatchIn = partial_schema(ConstructIn, "ConstructPatchIn")


class PathOut(Schema):
    id: int
    source: str
    target: str

    @staticmethod
    def resolve_source(obj):
        return obj.source.code

    @staticmethod
    def resolve_target(obj):
        return obj.target.code


class PathIn(Schema):
    source: str = Field(min_length=1, max_length=40, description="Code of the driving construct.")
    target: str = Field(min_length=1, max_length=40, description="Code of the driven construct.")


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def _survey(request, survey_id: int) -> Survey:
    return selectors.survey_get(viewer=request.auth, pk=survey_id)


def _definition_error(exc: defs.DefinitionError) -> ValidationError:
    return ValidationError(exc.as_field_errors())


def _by_code(qs, code, field: str):
    if code in (None, ""):
        return None
    obj = qs.filter(code=code).first()
    if obj is None:
        raise ValidationError({field: [_("%(code)s is not part of this survey.") % {"code": code}]})
    return obj


# --------------------------------------------------------------------------
# Surveys
# --------------------------------------------------------------------------

@router.get("", response={200: list[SurveyOut], **READ_ERRORS}, url_name="survey-list", summary="List surveys")
@paginate(CursorPagination)
def list_surveys(request, filters: Query[SurveyFilterIn]):
    return selectors.survey_list(viewer=request.auth, q=filters.q.strip(), status=filters.status,
                                 kind=filters.kind).order_by("code", "id")


@router.post("", response={201: SurveyOut, **WRITE_ERRORS}, url_name="survey-create",
             summary="Create a draft survey, blank or from a template")
def create_survey(request, payload: SurveyCreateIn):
    if payload.template:
        survey = svc.survey_create_from_template(actor=request.auth, template=payload.template, code=payload.code,
                                                 title=payload.title or None)
    else:
        survey = svc.survey_create(actor=request.auth, code=payload.code, kind=payload.kind,
                                   title=payload.title or {}, description=payload.description, intro=payload.intro,
                                   thanks=payload.thanks)
    return Status(201, survey)


@router.post("/import", response={201: SurveyOut, **WRITE_ERRORS}, url_name="survey-import",
             summary="Create a draft survey from a whole definition")
def import_survey(request, payload: SurveyDefinitionIn):
    try:
        definition = defs.validate(payload.definition)
    except defs.DefinitionError as exc:
        raise _definition_error(exc) from None
    return Status(201, svc.survey_create_from_definition(actor=request.auth, definition=definition,
                                                         code=payload.code or None, source="api"))


@router.get("/{int:survey_id}", response={200: SurveyOut, **READ_ERRORS}, url_name="survey-detail",
            summary="Get a survey")
def get_survey(request, survey_id: int):
    return _survey(request, survey_id)


@router.patch("/{int:survey_id}", response={200: SurveyOut, **WRITE_ERRORS}, url_name="survey-update",
              summary="Change a survey's texts, settings or status")
def update_survey(request, survey_id: int, payload: SurveyPatchIn):
    survey = _survey(request, survey_id)
    data = sent_fields(payload)
    status = data.pop("status", None)
    if data or status is None:  # an empty patch still checks that the caller may change the survey
        svc.survey_update(actor=request.auth, survey=survey, data=data)
    if status is not None:
        svc.survey_set_status(actor=request.auth, survey=survey, status=status)
    return survey


@router.delete("/{int:survey_id}", response={204: None, **WRITE_ERRORS}, url_name="survey-delete",
               summary="Delete a survey without answers")
def delete_survey(request, survey_id: int):
    svc.survey_delete(actor=request.auth, survey=_survey(request, survey_id))
    return Status(204, None)


@router.post("/{int:survey_id}/copy", response={201: SurveyOut, **WRITE_ERRORS}, url_name="survey-copy",
             summary="Copy a survey's definition into a new draft")
def copy_survey(request, survey_id: int, payload: CopyIn):
    return Status(201, svc.survey_copy(actor=request.auth, survey=_survey(request, survey_id), code=payload.code,
                                       title=payload.title or None))


@router.get("/{int:survey_id}/definition", response={200: dict[str, Any], **READ_ERRORS},
            url_name="survey-definition", summary="The whole definition, as kehu survey export writes it")
def get_definition(request, survey_id: int):
    return defs.compact(selectors.survey_definition(_survey(request, survey_id)))


@router.put("/{int:survey_id}/definition", response={200: SurveyOut, **WRITE_ERRORS},
            url_name="survey-definition-replace", summary="Replace a draft's whole definition")
def replace_definition(request, survey_id: int, payload: SurveyDefinitionIn):
    survey = _survey(request, survey_id)
    try:
        definition = defs.validate(payload.definition)
    except defs.DefinitionError as exc:
        raise _definition_error(exc) from None
    return svc.survey_replace_definition(actor=request.auth, survey=survey, definition=definition)


@templates_router.get("", response={200: list[TemplateOut], **READ_ERRORS}, url_name="survey-template-list",
                      summary="The survey templates shipped with Kehu (a short, fixed list: not paged)")
def list_templates(request):
    return [{"name": t.name, "kind": t.kind, "title": t.title, "description": t.description,
             "question_count": t.question_count, "has_indicators": t.has_indicators, "has_model": t.has_model}
            for t in defs.library_templates()]


# --------------------------------------------------------------------------
# Indicators and weights
# --------------------------------------------------------------------------

def _indicator(survey: Survey, indicator_id: int) -> Indicator:
    ind = survey.indicators.filter(pk=indicator_id).first()
    if ind is None:
        raise Http404
    return ind


@router.get("/{int:survey_id}/indicators", response={200: list[IndicatorOut], **READ_ERRORS},
            url_name="survey-indicator-list", summary="The indicator hierarchy, level by level")
@paginate(CursorPagination)
def list_indicators(request, survey_id: int):
    return _survey(request, survey_id).indicators.order_by("level", "position", "id")


@router.post("/{int:survey_id}/indicators", response={201: IndicatorOut, **WRITE_ERRORS},
             url_name="survey-indicator-create", summary="Add an indicator")
def create_indicator(request, survey_id: int, payload: IndicatorIn):
    survey = _survey(request, survey_id)
    parent = None
    if payload.parent_id is not None:
        parent = survey.indicators.filter(pk=payload.parent_id).first()
        if parent is None:
            raise ValidationError({"parent_id": [_("No such indicator in this survey.")]})
    return Status(201, svc.indicator_create(actor=request.auth, survey=survey, parent=parent, code=payload.code,
                                            name=payload.name))


@router.patch("/{int:survey_id}/indicators/{int:indicator_id}", response={200: IndicatorOut, **WRITE_ERRORS},
              url_name="survey-indicator-update", summary="Rename an indicator")
def update_indicator(request, survey_id: int, indicator_id: int, payload: IndicatorPatchIn):
    ind = _indicator(_survey(request, survey_id), indicator_id)
    return svc.indicator_update(actor=request.auth, indicator=ind, code=payload.code, name=payload.name)


@router.delete("/{int:survey_id}/indicators/{int:indicator_id}", response={204: None, **WRITE_ERRORS},
               url_name="survey-indicator-delete", summary="Delete an indicator and everything under it")
def delete_indicator(request, survey_id: int, indicator_id: int):
    svc.indicator_delete(actor=request.auth, indicator=_indicator(_survey(request, survey_id), indicator_id))
    return Status(204, None)


@router.put("/{int:survey_id}/indicators/{int:indicator_id}/weights", response={200: WeightsOut, **WRITE_ERRORS},
            url_name="survey-weights", summary="Set the weights of an indicator's children")
def set_weights(request, survey_id: int, indicator_id: int, payload: WeightsIn):
    survey = _survey(request, survey_id)
    parent = _indicator(survey, indicator_id)
    if payload.method == WeightMethod.MANUAL:
        if not payload.weights:
            raise ValidationError({"weights": [_("Give the weight of every child.")]})
        svc.weights_set_manual(actor=request.auth, parent=parent, weights=payload.weights)
    elif payload.method == WeightMethod.EQUAL:
        svc.weights_set_equal(actor=request.auth, parent=parent)
    elif payload.method == WeightMethod.AHP:
        if not payload.matrix:
            raise ValidationError({"matrix": [_("Give the pairwise comparison matrix.")]})
        svc.weights_set_ahp(actor=request.auth, parent=parent, matrix=payload.matrix)
    else:
        wave = selectors.waves(survey).filter(pk=payload.wave_id or 0).first()
        if wave is None:
            raise ValidationError({"wave_id": [_("No such wave of this survey.")]})
        svc.weights_set_entropy(actor=request.auth, parent=parent, wave=wave)
    parent.refresh_from_db()
    return {"method": parent.child_weight_method,
            "weights": dict(parent.children.order_by("position", "id").values_list("code", "weight")),
            "basis": parent.ahp}


@router.post("/{int:survey_id}/indicators/{int:indicator_id}/ahp-check", response={200: AhpOut, **READ_ERRORS},
             url_name="survey-ahp-check", summary="Weights and consistency of a pairwise matrix, without saving")
def ahp_check(request, survey_id: int, indicator_id: int, payload: AhpIn):
    parent = _indicator(_survey(request, survey_id), indicator_id)
    result = svc.ahp_check(parent=parent, matrix=payload.matrix)
    return {**result, "weights": dict(zip(result["codes"], result["weights"]))}


# --------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------

def _question(survey: Survey, question_id: int) -> Question:
    q = survey.questions.select_related("indicator", "construct").filter(pk=question_id).first()
    if q is None:
        raise Http404
    return q


def _question_data(survey: Survey, data: dict) -> dict:
    if "options" in data and data["options"] is not None:
        data["options"] = [dict(o) for o in data["options"]]
    if "indicator_code" in data:
        data["indicator"] = _by_code(survey.indicators, data.pop("indicator_code"), "indicator_code")
    if "construct_code" in data:
        data["construct"] = _by_code(survey.constructs, data.pop("construct_code"), "construct_code")
    return data


@router.get("/{int:survey_id}/questions", response={200: list[QuestionOut], **READ_ERRORS},
            url_name="survey-question-list", summary="The questionnaire in order")
@paginate(CursorPagination)
def list_questions(request, survey_id: int):
    return _survey(request, survey_id).questions.select_related("indicator", "construct").order_by("position", "id")


@router.post("/{int:survey_id}/questions", response={201: QuestionOut, **WRITE_ERRORS},
             url_name="survey-question-create", summary="Add a question at the end")
def create_question(request, survey_id: int, payload: QuestionIn):
    survey = _survey(request, survey_id)
    data = _question_data(survey, payload.model_dump())
    return Status(201, svc.question_create(actor=request.auth, survey=survey, data=data))


@router.get("/{int:survey_id}/questions/{int:question_id}", response={200: QuestionOut, **READ_ERRORS},
            url_name="survey-question-detail", summary="Get a question")
def get_question(request, survey_id: int, question_id: int):
    return _question(_survey(request, survey_id), question_id)


@router.patch("/{int:survey_id}/questions/{int:question_id}", response={200: QuestionOut, **WRITE_ERRORS},
              url_name="survey-question-update", summary="Change a question")
def update_question(request, survey_id: int, question_id: int, payload: QuestionPatchIn):
    survey = _survey(request, survey_id)
    question = _question(survey, question_id)
    data = _question_data(survey, sent_fields(payload))
    return svc.question_update(actor=request.auth, question=question, data=data)


@router.delete("/{int:survey_id}/questions/{int:question_id}", response={204: None, **WRITE_ERRORS},
               url_name="survey-question-delete", summary="Delete a question (confirm=true when it has answers)")
def delete_question(request, survey_id: int, question_id: int, confirm: bool = False):
    svc.question_delete(actor=request.auth, question=_question(_survey(request, survey_id), question_id),
                        confirm=confirm)
    return Status(204, None)


@router.post("/{int:survey_id}/questions/{int:question_id}/move", response={200: QuestionOut, **WRITE_ERRORS},
             url_name="survey-question-move", summary="Move a question up or down")
def move_question(request, survey_id: int, question_id: int, payload: QuestionMoveIn):
    survey = _survey(request, survey_id)
    question = _question(survey, question_id)
    step = -1 if payload.offset < 0 else 1
    for _step in range(abs(payload.offset)):
        svc.question_move(actor=request.auth, question=question, offset=step)
    return _question(survey, question_id)


# --------------------------------------------------------------------------
# Constructs and paths
# --------------------------------------------------------------------------

def _construct(survey: Survey, construct_id: int) -> Construct:
    c = survey.constructs.filter(pk=construct_id).first()
    if c is None:
        raise Http404
    return c


@router.get("/{int:survey_id}/constructs", response={200: list[ConstructOut], **READ_ERRORS},
            url_name="survey-construct-list", summary="The constructs of the path model")
@paginate(CursorPagination)
def list_constructs(request, survey_id: int):
    return _survey(request, survey_id).constructs.order_by("position", "id")


@router.post("/{int:survey_id}/constructs", response={201: ConstructOut, **WRITE_ERRORS},
             url_name="survey-construct-create", summary="Add a construct")
def create_construct(request, survey_id: int, payload: ConstructIn):
    return Status(201, svc.construct_create(actor=request.auth, survey=_survey(request, survey_id),
                                            code=payload.code, name=payload.name, mode=payload.mode))


@router.patch("/{int:survey_id}/constructs/{int:construct_id}", response={200: ConstructOut, **WRITE_ERRORS},
              url_name="survey-construct-update", summary="Change a construct")
def update_construct(request, survey_id: int, construct_id: int, payload: ConstructPatchIn):
    data = sent_fields(payload)
    return svc.construct_update(actor=request.auth, construct=_construct(_survey(request, survey_id), construct_id),
                                **data)


@router.delete("/{int:survey_id}/constructs/{int:construct_id}", response={204: None, **WRITE_ERRORS},
               url_name="survey-construct-delete", summary="Delete a construct and its paths")
def delete_construct(request, survey_id: int, construct_id: int):
    svc.construct_delete(actor=request.auth, construct=_construct(_survey(request, survey_id), construct_id))
    return Status(204, None)


@router.get("/{int:survey_id}/paths", response={200: list[PathOut], **READ_ERRORS}, url_name="survey-path-list",
            summary="The paths of the structural model")
@paginate(CursorPagination)
def list_paths(request, survey_id: int):
    return _survey(request, survey_id).paths.select_related("source", "target").order_by("id")


@router.post("/{int:survey_id}/paths", response={201: PathOut, **WRITE_ERRORS}, url_name="survey-path-create",
             summary="Add a path FROM -> TO")
def create_path(request, survey_id: int, payload: PathIn):
    survey = _survey(request, survey_id)
    errors = {}
    ends = {}
    for field in ("source", "target"):
        try:
            ends[field] = _by_code(survey.constructs, getattr(payload, field), field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    source, target = ends["source"], ends["target"]
    return Status(201, svc.path_create(actor=request.auth, survey=survey, source=source, target=target))


@router.delete("/{int:survey_id}/paths/{int:path_id}", response={204: None, **WRITE_ERRORS},
               url_name="survey-path-delete", summary="Remove a path")
def delete_path(request, survey_id: int, path_id: int):
    survey = _survey(request, survey_id)
    path = ConstructPath.objects.select_related("source", "target").filter(survey=survey, pk=path_id).first()
    if path is None:
        raise Http404
    svc.path_delete(actor=request.auth, path=path)
    return Status(204, None)
