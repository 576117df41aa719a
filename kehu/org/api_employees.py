"""``/api/v1/employees``: staff without a Kehu login (kehu.org.employees) —
listed for administrators and those who run survey waves, written by
administrators."""


from typing import Optional

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS
from kehu.api.pagination import CursorPagination
from kehu.org import employees as svc
from kehu.org.models import Team

router = Router(tags=["employees"])


class EmployeeOut(Schema):
    id: int
    name: str
    email: str
    phone: str
    team_id: Optional[int]
    position: str
    active: bool


class EmployeeIn(Schema):
    name: str = Field(max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    team_id: Optional[int] = None
    position: str = Field("", max_length=60)
    active: bool = True


class EmployeePatchIn(Schema):
    name: Optional[str] = Field(None, max_length=100)
    email: Optional[str] = Field(None, max_length=254)
    phone: Optional[str] = Field(None, max_length=30)
    team_id: Optional[int] = None
    position: Optional[str] = Field(None, max_length=60)
    active: Optional[bool] = None


class EmployeeFilterIn(Schema):
    q: str = ""
    team_id: Optional[int] = None
    active: Optional[bool] = None


def _team(team_id):
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise ValidationError({"team_id": [_("No such team.")]})
    return team


@router.get("", response={200: list[EmployeeOut], **READ_ERRORS}, url_name="employee-list",
            summary="List staff without a login")
@paginate(CursorPagination)
def list_employees(request, filters: Query[EmployeeFilterIn]):
    team = Team.objects.filter(pk=filters.team_id).first() if filters.team_id else None
    return svc.employee_list(viewer=request.auth, team=team, active=filters.active, q=filters.q).order_by("id")


@router.post("", response={201: EmployeeOut, **WRITE_ERRORS}, url_name="employee-create",
             summary="Add a member of staff without a login")
def create_employee(request, payload: EmployeeIn):
    data = payload.dict()
    team = _team(data.pop("team_id"))
    return Status(201, svc.employee_create(actor=request.auth, team=team, **data))


@router.get("/{int:employee_id}", response={200: EmployeeOut, **READ_ERRORS}, url_name="employee-detail",
            summary="One member of staff without a login")
def get_employee(request, employee_id: int):
    return get_object_or_404(svc.employee_list(viewer=request.auth), pk=employee_id)


@router.patch("/{int:employee_id}", response={200: EmployeeOut, **WRITE_ERRORS}, url_name="employee-update",
              summary="Change a member of staff without a login (active: false when they leave)")
def update_employee(request, employee_id: int, payload: EmployeePatchIn):
    employee = get_object_or_404(svc.employee_list(viewer=request.auth), pk=employee_id)
    data = payload.dict(exclude_unset=True)
    if "team_id" in data:
        data["team"] = _team(data.pop("team_id"))
    data = {k: v for k, v in data.items() if v is not None or k == "team"}
    return svc.employee_update(actor=request.auth, employee=employee, data=data)
