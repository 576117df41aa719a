"""/security: lockouts, unlocking and the sign-in record, for administrators."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema

from kehu.accounts import selectors, services
from kehu.api.common import READ_ERRORS, WRITE_ERRORS, ErrorOut

router = Router(tags=["security"])


class LockoutOut(Schema):
    kind: Literal["account", "address"] = Field(description="What is locked: an account (username) or an address.")
    value: str = Field(description="The username or the address.")
    failures: int
    last_failure_at: datetime
    locked_until: datetime


class UnlockIn(Schema):
    username: str = Field("", max_length=150, description="The account to unlock.")
    ip_address: str = Field("", max_length=45, description="The address to unlock.")


class UnlockOut(Schema):
    removed: int = Field(description="Failure records removed.")


class SignInOut(Schema):
    at: datetime
    username: str = Field(description="The username typed (empty for a bad API token).")
    ip_address: str
    ok: bool = Field(description="Signed in (true) or failed (false).")
    locked_out: bool = Field(description="This failure locked the account or address.")
    via: Literal["login", "api_token"]


class SignInFilters(Schema):
    username: str = Field("", max_length=150)
    limit: int = Field(100, ge=1, le=1000)


@router.get("/lockouts", response={200: list[LockoutOut], **READ_ERRORS, 403: ErrorOut},
            url_name="security_lockouts", summary="Accounts and addresses locked out now (administrators)")
def lockouts(request):
    return selectors.lockout_list(viewer=request.auth)


@router.post("/unlock", response={200: UnlockOut, **WRITE_ERRORS}, url_name="security_unlock",
             summary="Lift the lockout of an account and/or an address (administrators)")
def unlock(request, payload: UnlockIn):
    from django.core.exceptions import PermissionDenied
    from django.utils.translation import gettext as _

    from kehu.org.policies import policy_for

    if not policy_for(request.auth).is_admin:
        raise PermissionDenied(_("Only administrators may unlock accounts."))
    removed = services.login_unlock(actor=request.auth, username=payload.username, address=payload.ip_address)
    return {"removed": removed}


@router.get("/sign-ins", response={200: list[SignInOut], **READ_ERRORS, 403: ErrorOut},
            url_name="security_sign_ins", summary="The latest sign-ins, successful and failed (administrators)")
def sign_ins(request, filters: Query[SignInFilters]):
    events = selectors.sign_in_list(viewer=request.auth, limit=filters.limit, username=filters.username)
    return [{"at": e.at, "username": e.username, "ip_address": e.address, "ok": e.ok, "locked_out": e.locked_out,
             "via": "api_token" if e.path.startswith("/api/") else "login"} for e in events]
