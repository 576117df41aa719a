"""Login throttling with django-axes, shared by every server process (the database).

What is counted, and locked (settings: ``KEHU_LOGIN_FAILURES_PER_ACCOUNT``,
``KEHU_LOGIN_FAILURES_PER_ADDRESS``, ``KEHU_LOGIN_LOCKOUT_MINUTES``):

- a failed browser login (wrong password, or a wrong second-factor code)
  counts against the account (the username typed) and against the address;
- a bad API token counts against the address only (a token names no account);
  a valid token is never refused or slowed (it cannot be guessed);
- an account is locked once it has ``PER_ACCOUNT`` failures, an address once
  it has ``PER_ADDRESS`` failures (logins and tokens together), each within
  ``LOCKOUT_MINUTES`` of the last failure. Tries during a lockout do not
  extend it, so the wait the login page announces holds.

The address limit is higher than the account limit because a whole office
often reaches Kehu from one address. An administrator lifts a lockout on the
sign-in page (``/security/``), through ``POST /api/v1/security/unlock`` or
with ``kehu unlock USERNAME`` / ``kehu unlock --address IP``.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db.models import Max, Sum
from django.utils import timezone
from django.utils.translation import ngettext

ACCOUNT = "username"
ADDRESS = "ip_address"
TOKEN_CREDENTIALS = {"username": None, "api_token": True}


def lockout_parameters(request_or_attempt, credentials=None) -> list[str]:
    """``AXES_LOCKOUT_PARAMETERS``: account and address, or the address alone for API tokens."""
    if credentials and credentials.get("api_token"):
        return [ADDRESS]
    if isinstance(request_or_attempt, AccessAttempt) and request_or_attempt.username is None:
        return [ADDRESS]
    return [ACCOUNT, ADDRESS]


def _limit(parameter: str) -> int:
    if parameter == ADDRESS:
        return settings.KEHU_LOGIN_FAILURES_PER_ADDRESS
    return settings.KEHU_LOGIN_FAILURES_PER_ACCOUNT


def client_address(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or, when that is one of
    ``KEHU_TRUSTED_PROXIES``, the right-most address in ``X-Forwarded-For``
    that is not a trusted proxy (a client can prepend anything to the header)."""
    remote = request.META.get("REMOTE_ADDR")
    trusted = set(settings.KEHU_TRUSTED_PROXIES)
    if not trusted or remote not in trusted:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
    for address in reversed(forwarded):
        if address not in trusted:
            # What the proxy appended is an address; anything else (a proxy that passes the
            # client's header on unchanged) is not trusted, and would not fit the database.
            return address if _is_ip(address) else remote
    return remote


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


# Axes compares one failure count with one limit (AXES_FAILURE_LIMIT); the handler
# reports each parameter's count as a share of its own limit, in thousandths.
SCALE = 1000


def failure_limit(request=None, credentials=None) -> int:
    """``AXES_FAILURE_LIMIT``: the scaled limit (see :class:`KehuAxesHandler`)."""
    return SCALE


class KehuAxesHandler(AxesDatabaseHandler):
    """Axes' database handler with a limit of its own for each lockout parameter.

    ``get_failures`` reports the parameter nearest to its own limit as
    ``floor(count × SCALE / limit)``, which reaches ``SCALE`` exactly when
    ``count`` reaches ``limit``; a limit of 0 never locks.
    """

    def _counts(self, request, credentials=None) -> list[tuple[str, int, object]]:
        parameters = get_lockout_parameters(request, credentials)
        rows = []
        for parameter, attempts in zip(parameters, self.get_user_attempts(request, credentials)):
            agg = attempts.aggregate(n=Sum("failures_since_start"), last=Max("attempt_time"))
            rows.append((parameter if isinstance(parameter, str) else ADDRESS, agg["n"] or 0, agg["last"]))
        return rows

    def get_failures(self, request, credentials=None) -> int:
        worst = 0
        for parameter, count, _last in self._counts(request, credentials):
            limit = _limit(parameter)
            if limit > 0:
                worst = max(worst, count * SCALE // limit)
        return worst

    def locked_until(self, request, credentials=None):
        """When the lockout that applies to this request ends (``None`` if none does)."""
        cool_off = get_cool_off(request) or timedelta(0)
        ends = [last + cool_off for parameter, count, last in self._counts(request, credentials)
                if last is not None and _limit(parameter) > 0 and count >= _limit(parameter)]
        return max(ends) if ends else None


def _handler() -> KehuAxesHandler:
    return AxesProxyHandler.get_implementation()


def wait_message(until) -> tuple[str, int]:
    """The lockout message in the active language, and the wait in seconds."""
    seconds = max(1, math.ceil((until - timezone.now()).total_seconds())) if until else 60
    minutes = max(1, math.ceil(seconds / 60))
    message = ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute, "
        "or ask an administrator to unlock the account.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes, "
        "or ask an administrator to unlock the account.",
        minutes,
    ) % {"minutes": minutes}
    return message, seconds


def lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the login page (or the API's error envelope) with how long to wait, 429."""
    from axes.helpers import get_client_username

    AxesProxyHandler.update_request(request)
    until = _handler().locked_until(request, credentials)
    message, seconds = wait_message(until)
    if request.path.startswith("/api/"):
        from kehu.api.router import envelope

        response = envelope(request, 429, "throttled", message)
    else:
        from django.contrib.auth.forms import AuthenticationForm
        from django.shortcuts import render

        form = AuthenticationForm(request, initial={"username": get_client_username(request, credentials) or ""})
        response = render(request, "accounts/login.html", {"form": form, "lockout_message": message,
                                                            "next": request.POST.get("next", "")}, status=429)
    response["Retry-After"] = str(seconds)
    return response


# -- API tokens --------------------------------------------------------------


class TokenThrottled(Exception):
    """The caller's address is locked out; ``message`` and ``retry_after`` say for how long."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def token_failed(request) -> None:
    """Count a bad token against the caller's address (recorded in axes' failure log);
    raise :class:`TokenThrottled` when the address is locked out (then nothing more is
    counted: the lockout is not extended)."""
    if not settings.AXES_ENABLED:
        return
    credentials = dict(TOKEN_CREDENTIALS)
    if AxesProxyHandler.is_allowed(request, credentials):
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        # This answer is the API's own (429 below), not the login page's.
        request.axes_locked_out = False
        if AxesProxyHandler.is_allowed(request, credentials):
            return
    message, seconds = wait_message(_handler().locked_until(request, credentials))
    raise TokenThrottled(message, seconds)
