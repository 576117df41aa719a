"""/teams and /users.

The team tree is read by everyone signed in (a team is a filter of reports and lists, and
whom a customer is shared with); only administrators create, rename or move teams. Users
are for administrators only: list, read, create, change, deactivate (with the reassignment
of their customers) and send a password reset link. Everyone reads themselves at /me.
Every write goes through kehu.org.services and is audited.
"""


import datetime as dt
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, ErrorOut, api_field_names, not_found_field, partial_schema, sent_fields,
)
from kehu.api.pagination import CursorPagination
from kehu.org import selectors, services
from kehu.org.models import Role, Team, User
from kehu.org.policies import policy_for

teams_router = Router(tags=["teams"])
users_router = Router(tags=["users"])

RoleName = Literal["salesperson", "sales_manager", "service_agent", "marketing", "analyst", "admin"]
Language = Literal["", "zh-hans", "en"]


def _admin(request, message: str) -> None:
    if not policy_for(request.auth).is_admin:
        raise PermissionDenied(message)


# -- teams -----------------------------------------------------------------------


class TeamTreeOut(Schema):
    id: int
    name: str
    parent_id: Optional[int] = Field(description="The team above; null for the head office.")
    path: str = Field(description="The ids from the head office down to this team: /1/4/9/.")
    depth: int = Field(description="0 for the head office.")
    created_at: dt.datetime
    updated_at: dt.datetime


class TeamIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    parent_id: Optional[int] = Field(None, description="The team above; null only for the first team (the head "
                                                       "office). Without it, the team goes under the head office.")


class TeamPatchIn(Schema):
    name: Optional[str] = Field(None, min_length=1, max_length=100)
    parent_id: Optional[int] = Field(None, description="Move the team (and the teams below it) under this one.")


def _team(team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise Http404
    return team


def _parent(parent_id):
    if parent_id is None:
        return None
    parent = Team.objects.filter(pk=parent_id).first()
    if parent is None:
        raise not_found_field("parent_id")
    return parent


@teams_router.get("", response={200: list[TeamTreeOut], **READ_ERRORS}, url_name="team-list",
                  summary="The team tree, in tree order (everyone signed in)")
@paginate(CursorPagination)
def list_teams(request):
    return Team.objects.order_by("path", "id")


@teams_router.get("/{int:team_id}", response={200: TeamTreeOut, **READ_ERRORS}, url_name="team-detail",
                  summary="Get a team")
def get_team(request, team_id: int):
    return _team(team_id)


@teams_router.post("", response={201: TeamTreeOut, **WRITE_ERRORS}, url_name="team-create",
                   summary="Create a team (administrators)")
def create_team(request, payload: TeamIn):
    _admin(request, _("Only administrators may change the teams."))
    parent = _parent(payload.parent_id)
    if parent is None:
        parent = Team.objects.filter(parent__isnull=True).order_by("pk").first()
    with api_field_names({"parent": "parent_id"}):
        return Status(201, services.team_create(name=payload.name, parent=parent, actor=request.auth))


@teams_router.patch("/{int:team_id}", response={200: TeamTreeOut, **WRITE_ERRORS}, url_name="team-update",
                    summary="Rename a team or move it under another (administrators)")
def update_team(request, team_id: int, payload: TeamPatchIn):
    _admin(request, _("Only administrators may change the teams."))
    team = _team(team_id)
    data = sent_fields(payload)
    kwargs = {}
    if data.get("name") is not None:
        kwargs["name"] = data["name"]
    if "parent_id" in data:
        if data["parent_id"] is None:
            from django.core.exceptions import ValidationError

            if team.parent_id is not None:
                raise ValidationError({"parent_id": [_("Choose the team to move this team under.")]})
        else:
            kwargs["parent"] = _parent(data["parent_id"])
    with api_field_names({"parent": "parent_id"}):
        return services.team_update(team=team, actor=request.auth, **kwargs)


# -- users -----------------------------------------------------------------------


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    first_name: str
    last_name: str
    email: str
    phone: str
    role: RoleName
    team_id: Optional[int]
    language: str = Field(description="zh-hans, en, or empty (the browser's).")
    active: bool = Field(description="false: the user cannot sign in or use their API tokens.")
    last_login: Optional[dt.datetime]
    date_joined: dt.datetime

    @staticmethod
    def resolve_active(obj) -> bool:
        return obj.is_active


class UserIn(Schema):
    username: str = Field(min_length=1, max_length=150)
    password: Optional[str] = Field(None, max_length=128, description="Omit it and send a reset link instead.")
    role: RoleName = "salesperson"
    team_id: Optional[int] = None
    display_name: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=30)
    language: Language = ""


class UserPatchBase(Schema):
    role: RoleName
    team_id: Optional[int] = None
    display_name: str = Field(max_length=100)
    email: str = Field(max_length=254)
    phone: str = Field(max_length=30)
    language: Language
    active: bool = Field(description="false only for a user who owns no customers: else use /deactivate.")


UserPatchIn = partial_schema(UserPatchBase, "UserPatchIn")


class UserFilterIn(Schema):
    q: str = Field("", max_length=100, description="Part of the username, name, e-mail or phone.")
    team_id: Optional[int] = Field(None, description="Members of this team and the teams below it.")
    role: Optional[RoleName] = None
    active: Optional[bool] = None


class DeactivateIn(Schema):
    reassign_to_id: Optional[int] = Field(None, description="Who takes over the user's customers (and their open "
                                                            "tasks); needed when the user owns any.")


class DeactivateOut(Schema):
    user: UserOut
    customers_moved: int


class ResetOut(Schema):
    sent_to: str = Field(description="The address the reset link was e-mailed to.")


def _user(request, user_id: int) -> User:
    _admin(request, _("Only administrators may manage users."))
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise Http404
    return user


def _user_data(data: dict) -> dict:
    if "team_id" in data:
        data["team"] = _team_or_field(data.pop("team_id"))
    if "active" in data:
        data["is_active"] = data.pop("active")
    return data


def _team_or_field(team_id):
    if team_id is None:
        return None
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        raise not_found_field("team_id")
    return team


FIELD_NAMES = {"team": "team_id", "is_active": "active", "reassign_to": "reassign_to_id"}


@users_router.get("", response={200: list[UserOut], **READ_ERRORS, 403: ErrorOut}, url_name="user-list",
                  summary="List users (administrators)")
@paginate(CursorPagination)
def list_users(request, filters: Query[UserFilterIn]):
    _admin(request, _("Only administrators may manage users."))
    team = Team.objects.filter(pk=filters.team_id).first() if filters.team_id is not None else None
    qs = selectors.user_list(selectors.UserFilters(
        q=filters.q.replace("\x00", ""), role=filters.role or "",
        active="" if filters.active is None else ("yes" if filters.active else "no")))
    if filters.team_id is not None:
        qs = qs.filter(team__path__startswith=team.path) if team else qs.none()
    return qs.order_by("username", "id")


@users_router.get("/{int:user_id}", response={200: UserOut, **READ_ERRORS, 403: ErrorOut}, url_name="user-detail",
                  summary="Get a user (administrators)")
def get_user(request, user_id: int):
    return _user(request, user_id)


@users_router.post("", response={201: UserOut, **WRITE_ERRORS}, url_name="user-create",
                   summary="Create a user (administrators)")
def create_user(request, payload: UserIn):
    _admin(request, _("Only administrators may manage users."))
    data = payload.model_dump()
    team = _team_or_field(data.pop("team_id"))
    with api_field_names(FIELD_NAMES):
        user = services.user_create(
            username=data["username"], password=data["password"] or None, role=data["role"], team=team,
            display_name=data["display_name"], email=data["email"], language=data["language"],
            is_superuser=data["role"] == Role.ADMIN, actor=request.auth)
        if data["phone"]:
            services.user_update(user=user, data={"phone": data["phone"]}, actor=request.auth)
    return Status(201, user)


@users_router.patch("/{int:user_id}", response={200: UserOut, **WRITE_ERRORS}, url_name="user-update",
                    summary="Change a user's role, team, names, e-mail, language or active (administrators)")
def update_user(request, user_id: int, payload: UserPatchIn):
    user = _user(request, user_id)
    data = _user_data(sent_fields(payload))
    with api_field_names(FIELD_NAMES):
        return services.user_update(user=user, data=data, actor=request.auth)


@users_router.post("/{int:user_id}/deactivate", response={200: DeactivateOut, **WRITE_ERRORS},
                   url_name="user-deactivate",
                   summary="Deactivate a user, giving their customers to another (administrators)")
def deactivate_user(request, user_id: int, payload: DeactivateIn):
    user = _user(request, user_id)
    heir = None
    if payload.reassign_to_id is not None:
        heir = User.objects.filter(pk=payload.reassign_to_id).first()
        if heir is None:
            raise not_found_field("reassign_to_id")
    with api_field_names(FIELD_NAMES):
        moved = services.user_deactivate(user=user, reassign_to=heir, actor=request.auth)
    return {"user": user, "customers_moved": moved}


@users_router.post("/{int:user_id}/password-reset", response={202: ResetOut, **WRITE_ERRORS},
                   url_name="user-password-reset",
                   summary="E-mail the user a link to choose a new password (administrators)")
def reset_password(request, user_id: int):
    user = _user(request, user_id)
    with api_field_names(FIELD_NAMES):
        services.user_send_password_reset(user=user, actor=request.auth)
    return Status(202, {"sent_to": user.email})
