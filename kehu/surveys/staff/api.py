"""API of employee satisfaction: invite the employees to a wave, and the
results by team and role and staff beside customers (aggregates only;
groups under the anonymity threshold carry no figures)."""


import datetime as dt
from typing import Optional

from django.http import Http404
from ninja import Field, Query, Router, Schema

from kehu.api.common import READ_ERRORS, WRITE_ERRORS
from kehu.org.models import Team
from kehu.org.policies import policy_for
from kehu.surveys import analysis, selectors
from kehu.surveys import selectors_distribution as dsel
from kehu.surveys.models import SurveyKind
from kehu.surveys.staff import results
from kehu.surveys.staff.services import employees_invite

router = Router(tags=["employee satisfaction"])
waves_router = Router(tags=["employee satisfaction"])


class EmployeeInviteIn(Schema):
    teams: list[int] = Field(default_factory=list, description="Team ids (with their subteams); empty: everyone.")
    send: bool = Field(True, description="E-mail the new invitations now (when the wave is open).")


class EmployeeInviteOut(Schema):
    invited: int
    already: int = Field(description="Employees who had been invited to this wave before.")
    without_email: int
    sent: int
    failed: int


class StaffGroupOut(Schema):
    key: str
    label: str
    team_id: Optional[int] = None
    depth: int = 0
    suppressed: bool = Field(description="Fewer respondents than the threshold here or in a group it would "
                                         "reveal by subtraction: no figures.")
    n: Optional[int] = None
    index: Optional[float] = None
    satisfaction_rate: Optional[float] = None
    enps: Optional[float] = None


class StaffResultsOut(Schema):
    wave_id: Optional[int]
    threshold: int
    total: Optional[StaffGroupOut] = None
    teams: list[StaffGroupOut]
    roles: list[StaffGroupOut]


class CorrelationOut(Schema):
    r: Optional[float]
    n: int
    ci_low: Optional[float]
    ci_high: Optional[float]
    p_value: Optional[float]
    level: float


class StaffCustomersRowOut(Schema):
    key: str
    label: str
    team_id: int
    depth: int
    leaf: bool = Field(description="A team without subteams: a unit of the correlation.")
    suppressed: bool
    n: Optional[int] = None
    staff_index: Optional[float] = None
    staff_enps: Optional[float] = None
    customers: int
    customer_index: Optional[float] = None
    customer_answers: int
    nps: Optional[float] = None
    complaints: int
    complaint_rate: Optional[float] = Field(None, description="Complaints per 100 customers in the period.")
    churn_risk: Optional[float] = Field(None, description="Mean churn risk (%) of the latest value analysis.")
    lost: int


class StaffCustomersOut(Schema):
    wave_id: Optional[int]
    threshold: int
    period_start: Optional[dt.date] = None
    period_end: Optional[dt.date] = None
    rows: list[StaffCustomersRowOut]
    correlations: dict[str, CorrelationOut] = Field(description="Customer figure → Pearson's r with staff "
                                                               "satisfaction across the teams without subteams "
                                                               "whose staff figure is shown (Fisher-z 95% interval).")
    left_out: int = Field(description="Teams without subteams left out: too few employee respondents.")


class StaffQuery(Schema):
    wave: Optional[str] = Field(None, description="Wave id or name; default: the latest with responses.")


def _survey_wave(request, survey_id: int, ref):
    survey = selectors.survey_get(viewer=request.auth, pk=survey_id)
    if survey.kind != SurveyKind.EMPLOYEE or not policy_for(request.auth).may_see_employee_results:
        raise Http404
    wave = analysis.wave_get(survey, ref) if ref else analysis.default_wave(survey)
    if ref and wave is None:
        raise Http404
    return survey, wave


@waves_router.post("/{int:wave_id}/invite-employees", response={200: EmployeeInviteOut, **WRITE_ERRORS},
                   url_name="wave-invite-employees", summary="Invite every active employee to an employee survey's wave")
def invite_employees(request, wave_id: int, payload: EmployeeInviteIn):
    wave = dsel.wave_get(viewer=request.auth, pk=wave_id)
    if wave.survey.kind != SurveyKind.EMPLOYEE:
        raise Http404
    teams = list(Team.objects.filter(pk__in=payload.teams)) if payload.teams else None
    if payload.teams and len(teams) != len(set(payload.teams)):
        raise Http404
    return employees_invite(actor=request.auth, wave=wave, teams=teams, send=payload.send)


@router.get("/{int:survey_id}/staff-results", response={200: StaffResultsOut, **READ_ERRORS},
            url_name="survey-staff-results", summary="Employee results by team and role")
def staff_results(request, survey_id: int, query: Query[StaffQuery]):
    _survey, wave = _survey_wave(request, survey_id, query.wave)
    if wave is None:
        return {"wave_id": None, "threshold": results.min_group(), "total": None, "teams": [], "roles": []}
    r = results.team_role_results(viewer=request.auth, wave=wave)
    return {"wave_id": wave.pk, **r}


@router.get("/{int:survey_id}/staff-customers", response={200: StaffCustomersOut, **READ_ERRORS},
            url_name="survey-staff-customers", summary="Staff satisfaction beside customer figures per team")
def staff_customers(request, survey_id: int, query: Query[StaffQuery]):
    _survey, wave = _survey_wave(request, survey_id, query.wave)
    if wave is None:
        return {"wave_id": None, "threshold": results.min_group(), "rows": [], "correlations": {}, "left_out": 0}
    r = results.staff_and_customers(viewer=request.auth, wave=wave)
    return {"wave_id": wave.pk, "threshold": r["threshold"], "period_start": r["period"][0],
            "period_end": r["period"][1], "rows": r["rows"], "correlations": r["correlations"],
            "left_out": r["left_out"]}
