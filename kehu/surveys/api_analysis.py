"""/surveys/{id}/results and /surveys/{id}/benchmarks: the results of a wave
and the benchmarks they are compared with.

Results are the same JSON as ``kehu survey analyze --json``
(:func:`kehu.surveys.analysis.survey_results`), scoped by the visibility
policy: a salesperson's results cover their own customers' answers. Every
active user reads benchmarks; survey designers change them.
"""

from typing import Any, Optional

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.surveys import analysis, selectors
from kehu.surveys.models import Benchmark, Survey
from kehu.surveys.services import analysis as svc

router = Router(tags=["surveys"])


class ResultsQuery(Schema):
    wave: Optional[str] = Field(None, description="The wave's id or name; default: the latest wave with responses.")
    language: Optional[str] = Field(None, description="zh-hans or en for names and labels; default: the request's.")


class ResultsOut(Schema):
    survey: dict[str, Any] = Field(description="id, code, title, kind, satisfied_from.")
    wave: Optional[dict[str, Any]] = Field(description="id, name, status, opens_on, closes_on; null without responses.")
    scope: str = Field(description='"all", or "user:<id>" when the results cover only the caller\'s customers.')
    language: str
    n: int = Field(description="Complete responses counted.")
    csi: Optional[float] = Field(description="The weighted CSI of the root indicator (0–100).")
    overall: Optional[float] = Field(None, description="Mean overall score (0–100) per respondent.")
    overall_basis: Optional[str] = Field(description='"csi", "model" or "stored": where the overall score comes from.')
    index: dict[str, Optional[float]] = Field(description="Index (0–100) per indicator code.")
    nodes: list[dict[str, Any]] = Field(description="Each indicator: code, name, level, parent, weight, "
                                                    "global_weight, index, satisfaction_rate, n, leaf.")
    satisfaction_rate: Optional[float] = Field(description="Satisfied respondents / respondents × 100.")
    satisfied: int
    nps: Optional[dict[str, Any]] = Field(description="value, low, high (95% interval), se, promoters, passives, "
                                                      "detractors, n.")
    model: Optional[dict[str, Any]] = Field(description="The PLS path model, or {error, n}.")
    paths: dict[str, Any] = Field(description='Path coefficients keyed "FROM->TO": coefficient, se, low, high.')
    r2: dict[str, Optional[float]] = Field(description="R² per endogenous construct.")
    reliability: dict[str, Any] = Field(description="Per construct: alpha, composite, dg_rho, ave.")
    drivers: Optional[dict[str, Any]] = Field(description="Importance–performance: basis, cuts, items with quadrant.")
    zones: Optional[dict[str, Any]] = Field(description="Satisfaction–loyalty zones: counts and shares.")
    breakdowns: dict[str, list[dict[str, Any]]] = Field(description="By region, owner, tier, segment "
                                                                    "(a partner survey: partner_type, "
                                                                    "partner_level, partner); small groups "
                                                                    "suppressed.")
    trend: list[dict[str, Any]]
    comparison: Optional[dict[str, Any]] = Field(description="This wave against the one before, with p-values.")
    benchmarks: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    keywords: list[dict[str, Any]]
    sample: Optional[dict[str, Any]]
    weights: list[dict[str, Any]] = Field(description="Per parent indicator: indicator, name, method, weights of "
                                                      "its children (unrounded); ahp: lambda_max, ci, ri, cr, "
                                                      "consistent, order, matrix; entropy: wave, respondents, "
                                                      "entropy.")
    model_options: dict[str, Any] = Field(description="The structural model's options used: scheme, scaled, "
                                                      "bootstrap, seed.")


class BenchmarkOut(Schema):
    id: int
    name: str
    value: float
    indicator: Optional[str] = Field(description="The indicator's code; null for the overall index.")
    wave_id: Optional[int] = Field(description="The wave it applies to; null for every wave.")
    source: str

    @staticmethod
    def resolve_indicator(obj):
        return obj.indicator.code if obj.indicator_id else None


class BenchmarkIn(Schema):
    name: str = Field(max_length=100, description="A competitor, or the industry's best.")
    value: float = Field(ge=0, le=100, description="Their score, 0–100.")
    indicator: Optional[str] = Field(None, description="An indicator's code; omit for the overall index.")
    wave_id: Optional[int] = Field(None, description="A wave of this survey; omit for every wave.")
    source: str = Field("", max_length=200)


BenchmarkPatchIn = partial_schema(BenchmarkIn, "BenchmarkPatchIn")


def _survey(request, survey_id: int) -> Survey:
    return selectors.survey_get(viewer=request.auth, pk=survey_id)


def _parts(survey: Survey, data: dict) -> dict:
    out = dict(data)
    if "indicator" in data:
        code = data["indicator"]
        out["indicator"] = None
        if code:
            out["indicator"] = survey.indicators.filter(code=code).first()
            if out["indicator"] is None:
                raise ValidationError({"indicator": [_("%(code)s is not part of this survey.") % {"code": code}]})
    if "wave_id" in data:
        wid = out.pop("wave_id")
        out["wave"] = None
        if wid:
            out["wave"] = survey.waves.filter(pk=wid).first()
            if out["wave"] is None:
                raise ValidationError({"wave_id": [_("No such wave of this survey.")]})
    return out


def _benchmark(survey: Survey, benchmark_id: int) -> Benchmark:
    b = Benchmark.objects.select_related("indicator").filter(survey=survey, pk=benchmark_id).first()
    if b is None:
        raise Http404
    return b


@router.get("/{int:survey_id}/results", response={200: ResultsOut, **READ_ERRORS}, url_name="survey-results",
            summary="The results of a wave (as the caller may see them)")
def results(request, survey_id: int, query: Query[ResultsQuery]):
    survey = _survey(request, survey_id)
    wave = None
    if query.wave:
        wave = analysis.wave_get(survey, query.wave)
        if wave is None:
            raise Http404
    return analysis.survey_results(viewer=request.auth, survey=survey, wave=wave,
                                   language=query.language or request.LANGUAGE_CODE)


@router.get("/{int:survey_id}/benchmarks", response={200: list[BenchmarkOut], **READ_ERRORS},
            url_name="survey-benchmark-list", summary="The benchmarks of a survey")
@paginate(CursorPagination)
def list_benchmarks(request, survey_id: int):
    return Benchmark.objects.filter(survey=_survey(request, survey_id)).select_related("indicator").order_by("id")


@router.post("/{int:survey_id}/benchmarks", response={201: BenchmarkOut, **WRITE_ERRORS},
             url_name="survey-benchmark-create", summary="Add a benchmark")
def create_benchmark(request, survey_id: int, payload: BenchmarkIn):
    survey = _survey(request, survey_id)
    data = _parts(survey, payload.dict())
    return Status(201, svc.benchmark_create(actor=request.auth, survey=survey, **data))


@router.get("/{int:survey_id}/benchmarks/{int:benchmark_id}", response={200: BenchmarkOut, **READ_ERRORS},
            url_name="survey-benchmark-detail", summary="One benchmark")
def get_benchmark(request, survey_id: int, benchmark_id: int):
    return _benchmark(_survey(request, survey_id), benchmark_id)


@router.patch("/{int:survey_id}/benchmarks/{int:benchmark_id}", response={200: BenchmarkOut, **WRITE_ERRORS},
              url_name="survey-benchmark-update", summary="Change a benchmark")
def update_benchmark(request, survey_id: int, benchmark_id: int, payload: BenchmarkPatchIn):
    survey = _survey(request, survey_id)
    b = _benchmark(survey, benchmark_id)
    return svc.benchmark_update(actor=request.auth, benchmark=b, **_parts(survey, sent_fields(payload)))


@router.delete("/{int:survey_id}/benchmarks/{int:benchmark_id}", response={204: None, **WRITE_ERRORS},
               url_name="survey-benchmark-delete", summary="Delete a benchmark")
def delete_benchmark(request, survey_id: int, benchmark_id: int):
    svc.benchmark_delete(actor=request.auth, benchmark=_benchmark(_survey(request, survey_id), benchmark_id))
    return Status(204, None)
