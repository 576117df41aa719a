"""Reads for the administrators' sign-in page and API: current lockouts and the sign-in record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.org.policies import policy_for


def _require_admin(viewer) -> None:
    if not policy_for(viewer).is_admin:
        raise PermissionDenied(_("Only administrators may see sign-ins and lockouts."))


@dataclass(frozen=True)
class Lockout:
    kind: str  # "account" or "address"
    value: str
    failures: int
    last_failure_at: datetime
    locked_until: datetime


def lockout_list(*, viewer) -> list[Lockout]:
    """The accounts and addresses locked out now (see kehu/accounts/throttle.py)."""
    _require_admin(viewer)
    cool_off = settings.AXES_COOLOFF_TIME
    now = timezone.now()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
    result = []
    groups = (("account", "username", settings.KEHU_LOGIN_FAILURES_PER_ACCOUNT),
              ("address", "ip_address", settings.KEHU_LOGIN_FAILURES_PER_ADDRESS))
    for kind, field, limit in groups:
        if limit <= 0:
            continue
        rows = (recent.exclude(**{f"{field}__isnull": True}).values(field)
                .annotate(n=Sum("failures_since_start"), last=Max("attempt_time"))
                .filter(n__gte=limit).order_by("-last"))
        result += [Lockout(kind, row[field], row["n"], row["last"], row["last"] + cool_off) for row in rows]
    return sorted(result, key=lambda lock: lock.last_failure_at, reverse=True)


@dataclass(frozen=True)
class SignIn:
    at: datetime
    username: str
    address: str
    ok: bool
    locked_out: bool
    path: str
    user_agent: str


def sign_in_list(*, viewer, limit: int = 100, username: str = "") -> list[SignIn]:
    """The latest sign-ins, successful and failed (browser logins and bad API tokens), newest first."""
    _require_admin(viewer)
    ok = AccessLog.objects.order_by("-attempt_time")
    failed = AccessFailureLog.objects.order_by("-attempt_time")
    username = username.replace("\x00", "")  # PostgreSQL refuses NUL in text; no username has one
    if username:
        ok, failed = ok.filter(username=username), failed.filter(username=username)
    events = [SignIn(r.attempt_time, r.username or "", r.ip_address or "", True, False, r.path_info, r.user_agent)
              for r in ok[:limit]]
    events += [SignIn(r.attempt_time, r.username or "", r.ip_address or "", False, r.locked_out, r.path_info,
                      r.user_agent) for r in failed[:limit]]
    events.sort(key=lambda e: e.at, reverse=True)
    return events[:limit]
