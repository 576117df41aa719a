"""The JSON API v1: one NinjaAPI, token or session auth, one error envelope.

Error envelope (every non-2xx answer)::

    {"error": {"code": "validation_error", "message": "...",
               "fields": {"name": ["This field cannot be blank."]}}}
"""

from __future__ import annotations

import functools
import json

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpResponseNotAllowed
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from kehu.accounts.throttle import TokenThrottled, token_failed
from kehu.org.services import token_authenticate

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class CsrfFailed(Exception):
    """A session-authenticated unsafe request without a valid CSRF token."""


def _partner_portal(request, user) -> None:
    """Partner users reach only the partner portal's endpoints (404 elsewhere, like a record
    they may not see): :meth:`kehu.org.policies.CustomerPolicy.may_use_view`."""
    from kehu.org.policies import policy_for

    match = getattr(request, "resolver_match", None)
    if user is not None and not policy_for(user).may_use_view(match.view_name if match else ""):
        raise Http404


class BearerToken(HttpBearer):
    """``Authorization: Bearer kehu_...``. A token that is sent but not valid
    (unknown, revoked, or its user inactive) is refused outright: the request
    does not fall back to the session."""

    def __call__(self, request):
        header = request.headers.get(self.header, "")
        scheme, _sep, token = header.strip().partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None  # no bearer token: try the session
        user = self.authenticate(request, token.strip())
        if user is None:
            # Bad tokens are counted by address and locked out like failed logins
            # (kehu/accounts/throttle.py); a valid token is never slowed: it cannot be guessed.
            token_failed(request)
            raise AuthenticationError()
        return user

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
            _partner_portal(request, user)
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session; CSRF is enforced for unsafe methods.

    Anonymous requests get a 401 (not a CSRF 403): the CSRF check only runs
    once there is a logged-in session that a forged request could ride on.
    """

    param_name = "sessionid"

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_active:
            return None
        if request.method not in SAFE_METHODS and not getattr(request, "_ninja_csrf_exempt", False):
            if check_csrf(request) is not None:
                raise CsrfFailed()
        _partner_portal(request, user)
        return user

    def authenticate(self, request, key):  # pragma: no cover - __call__ does the work
        return None


class BodyNotAnObject(Exception):
    """A JSON body that is not an object (``"hello"``, ``[1]``, ``null``)."""


class ObjectBodyParser(Parser):
    """Bodies are JSON objects. Anything else is refused (422) instead of being
    read attribute by attribute: django-ninja's schemas read any value as an
    object, so ``"hello"`` created a task titled ``"hello".title()``."""

    def parse_body(self, request):
        data = json.loads(request.body)
        if not isinstance(data, dict):
            raise BodyNotAnObject()
        return data


class KehuNinjaAPI(NinjaAPI):
    """NinjaAPI whose 405 answers carry the error envelope too (django-ninja
    answers a wrong method on a known path with plain text), and whose
    integer path parameters beyond a 64-bit id answer 404 (no record has such
    an id; SQLite cannot even compare it)."""

    def _get_urls(self):
        patterns = super()._get_urls()
        for pattern in patterns:
            if hasattr(pattern, "callback"):
                pattern.callback = _guarded(pattern.callback)
        return patterns


MAX_ID = 2**63 - 1


def _body_is_json_but_not_an_object(request) -> bool:
    if request.method not in ("POST", "PUT", "PATCH") or request.content_type in (
            "multipart/form-data", "application/x-www-form-urlencoded"):
        return False
    body = request.body.lstrip()
    if not body or body[:1] == b"{":
        return False  # an object (read by the endpoint), or nothing
    try:
        json.loads(body)
    except ValueError:
        return False  # not JSON at all: the endpoint answers 400 if it reads a body
    return True


def not_an_object(request):
    return envelope(request, 422, "validation_error", _("Some fields are not valid."),
                    {"__all__": [_("Send a JSON object.")]})


def _guarded(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if any(isinstance(v, int) and not -MAX_ID <= v <= MAX_ID for v in kwargs.values()):
            return envelope(request, 404, "not_found", _("Not found."))
        if _body_is_json_but_not_an_object(request):
            # Also where the endpoint reads no body: a body is an object or nothing.
            return not_an_object(request)
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allow = response["Allow"]
            response = envelope(request, 405, "method_not_allowed", _("This method is not allowed here."))
            response["Allow"] = allow
        return response

    wrapper.csrf_exempt = getattr(view, "csrf_exempt", False)
    return wrapper


api = KehuNinjaAPI(
    title="Kehu API",
    version="1",
    description="Kehu CRM API v1. Authenticate with `Authorization: Bearer TOKEN` "
    "(create a token on your profile page or with `kehu token create USERNAME`) or a browser session "
    "(unsafe methods then need the `X-CSRFToken` header). Every error answer has the shape "
    "`{\"error\": {\"code\": ..., \"message\": ..., \"fields\": {...}}}`; lists are paged with "
    "`limit` and the opaque `cursor` of the previous page.",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api-v1",
    parser=ObjectBodyParser(),
)


def envelope(request, status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return api.create_response(request, body, status=status)


def _loc_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path", "filters")]
    return ".".join(parts) or "__all__"


def _pydantic_message(err: dict) -> str:
    """A translated message for a pydantic error; pydantic's own English text
    is the fallback for the rare kinds not listed here."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "null_forbidden":
        return _("This field cannot be null.")
    if kind in ("string_type", "string_sub_type"):
        return _("Enter text.")
    if kind == "string_too_long":
        return _("Use at most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return _("This field cannot be blank.")
    if kind == "string_too_short":
        return _("Use at least %(min)s characters.") % {"min": ctx.get("min_length")}
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("decimal_type", "decimal_parsing", "float_type", "float_parsing", "finite_number"):
        return _("Enter a number.")
    if kind in ("decimal_max_digits", "decimal_whole_digits"):
        return _("This number is too large.")
    if kind == "decimal_max_places":
        return _("Use at most %(places)s decimal places.") % {"places": ctx.get("decimal_places")}
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        bound = next((ctx[k] for k in ("gt", "ge", "lt", "le") if k in ctx), "")
        text = {
            "greater_than": _("Enter a value greater than %(bound)s."),
            "greater_than_equal": _("Enter a value of at least %(bound)s."),
            "less_than": _("Enter a value less than %(bound)s."),
            "less_than_equal": _("Enter a value of at most %(bound)s."),
        }[kind]
        return text % {"bound": bound}
    if kind in ("bool_type", "bool_parsing"):
        return _("Enter true or false.")
    if kind.startswith("date_") or kind == "date_type":
        return _("Enter a valid date (YYYY-MM-DD).")
    if kind.startswith("datetime_") or kind == "datetime_type":
        return _("Enter a valid date and time (ISO 8601, for example 2025-03-01T09:30:00+08:00).")
    if kind in ("enum", "literal_error"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "list_type":
        return _("Enter a list.")
    if kind == "too_short":
        return _("Give at least %(min)s item(s).") % {"min": ctx.get("min_length")}
    if kind == "too_long":
        return _("Give at most %(max)s item(s).") % {"max": ctx.get("max_length")}
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return _("Send a JSON object.")
    if kind in ("extra_forbidden",):
        return _("Unknown field.")
    if kind == "value_error" and "email" in str(err.get("msg", "")).lower():
        return _("Enter a valid email address.")
    return str(err.get("msg", ""))


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(_loc_name(err.get("loc", ())), []).append(_pydantic_message(err))
    return envelope(request, 422, "validation_error", _("Some fields are not valid."), fields)


@api.exception_handler(ValidationError)
def on_django_validation_error(request, exc):
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
    else:
        fields = {"__all__": [str(m) for m in exc.messages]}
    return envelope(request, 422, "validation_error", _("Some fields are not valid."), fields)


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return envelope(request, 404, "not_found", _("Not found."))


@api.exception_handler(PermissionDenied)
def on_forbidden(request, exc):
    return envelope(request, 403, "forbidden", str(exc) or _("You may not do this."))


@api.exception_handler(AuthenticationError)
def on_unauthorized(request, exc):
    response = envelope(request, 401, "unauthorized", _("Log in or send a valid API token."))
    response["WWW-Authenticate"] = 'Bearer realm="kehu"'
    return response


@api.exception_handler(TokenThrottled)
def on_token_throttled(request, exc):
    response = envelope(request, 429, "throttled", exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(CsrfFailed)
def on_csrf_failed(request, exc):
    return envelope(request, 403, "csrf_failed",
                    _("CSRF check failed: send the X-CSRFToken header with a session, or use an API token."))


_HTTP_ERRORS = {
    400: ("bad_request", lambda: _("The request body could not be read; send valid JSON.")),
    405: ("method_not_allowed", lambda: _("This method is not allowed here.")),
    429: ("throttled", lambda: _("Too many requests; try again later.")),
}


@api.exception_handler(OverflowError)
def on_overflow(request, exc):
    # An id or number beyond 64 bits in a query or body: SQLite cannot compare it.
    return envelope(request, 422, "validation_error", _("Some fields are not valid."),
                    {"__all__": [_("A number in the request is too large.")]})


@api.exception_handler(RequestDataTooBig)
def on_too_big(request, exc):
    # Normally refused by kehu.web.request_guard before the view; this covers a
    # chunked body whose size was not announced.
    return envelope(request, 413, "payload_too_large", _("The request body is too large."))


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    # django-ninja raises HttpError with English text (for example for a body
    # that is not JSON); answer with our code and a translated message.
    if isinstance(exc.__cause__, BodyNotAnObject):
        return not_an_object(request)
    if isinstance(exc.__cause__, RequestDataTooBig):
        return on_too_big(request, exc.__cause__)
    code, message = _HTTP_ERRORS.get(exc.status_code, ("error", lambda: str(exc)))
    return envelope(request, exc.status_code, code, message())


def _register_routers() -> None:
    from kehu.api import endpoints  # noqa: F401  (adds the routers)


_register_routers()
