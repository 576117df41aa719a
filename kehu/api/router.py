"""The JSON API v1: one NinjaAPI, token or session auth, one error envelope.

Error envelope (every non-2xx answer)::

    {"error": {"code": "validation_error", "message": "...",
               "fields": {"name": ["This field cannot be blank."]}}}
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import APIKeyCookie, HttpBearer

from kehu.org.services import token_authenticate


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionAuth(APIKeyCookie):
    """The browser's session; CSRF is enforced for unsafe methods."""

    param_name = "sessionid"

    def authenticate(self, request, key):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.is_active:
            return user
        return None


api = NinjaAPI(
    title="Kehu API",
    version="1",
    description="Kehu CRM API v1. Authenticate with `Authorization: Bearer TOKEN` "
    "(create a token on your profile page or with `kehu token create USERNAME`) or a browser session.",
    auth=[BearerToken(), SessionAuth()],
    urls_namespace="api-v1",
)


def envelope(request, status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    return api.create_response(request, body, status=status)


def _loc_name(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def on_validation_error(request, exc):
    fields: dict[str, list[str]] = {}
    for err in exc.errors:
        fields.setdefault(_loc_name(err.get("loc", ())), []).append(err.get("msg", ""))
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
    return envelope(request, 401, "unauthorized", _("Log in or send a valid API token."))


@api.exception_handler(HttpError)
def on_http_error(request, exc):
    return envelope(request, exc.status_code, "error", str(exc))


def _register_routers() -> None:
    from kehu.api import endpoints  # noqa: F401  (adds the routers)


_register_routers()
