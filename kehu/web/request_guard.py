"""Requests refused before any view runs: the ones that no view could answer
better than with a 500 or an unfriendly page of the server in front.

* **An over-long URL** (path and query string over ``KEHU_MAX_URL_LENGTH``
  bytes): ``414``. ``kehu serve`` lets gunicorn read request lines up to its
  own maximum so that this answer, not gunicorn's HTML, reaches the client.
* **A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``** (file parts of an upload
  form do not count): ``413``, before the body is read.
* **A NUL character** (``\\x00``) in the path, a query parameter, a form
  field or a JSON string (key or value): ``400``. PostgreSQL cannot store it
  in text, so every view would fail on it, each in its own way.
* **A form that cannot be parsed** (too many fields, broken multipart): ``400``.

The API (``/api/...``) answers with its JSON error envelope, naming the
field where the NUL character is; the browser gets the error page, in the
user's language. The guard sits after the language middleware for that.
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render
from django.utils.translation import gettext as _

NUL = "\x00"
DEFAULT_MAX_URL_LENGTH = 8000


def max_url_length() -> int:
    return int(getattr(settings, "KEHU_MAX_URL_LENGTH", DEFAULT_MAX_URL_LENGTH))


def is_api(request) -> bool:
    return request.path_info.startswith("/api/")


def error_response(request, status: int, code: str, message: str, fields: dict | None = None):
    """The API's error envelope under ``/api/``, the error page elsewhere."""
    if is_api(request):
        body = {"error": {"code": code, "message": message}}
        if fields:
            body["error"]["fields"] = fields
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    titles = {
        400: _("Bad request"),
        413: _("Too much data"),
        414: _("Address too long"),
    }
    if fields:
        message = " ".join([message] + [f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()])
    return render(request, "web/error.html", {"title": titles.get(status, _("Bad request")), "message": message},
                  status=status)


def nul_message() -> str:
    return _("Contains a NUL character (\\x00), which cannot be stored; remove it.")


def _json_nul_fields(value, prefix: str = "") -> dict[str, list[str]]:
    """Field paths (``name``, ``lines.0.note``) whose key or text holds a NUL character."""
    found: dict[str, list[str]] = {}

    def walk(node, path):
        if isinstance(node, str):
            if NUL in node:
                found.setdefault(path or "__all__", [nul_message()])
        elif isinstance(node, dict):
            for key, item in node.items():
                sub = f"{path}.{key}" if path else str(key)
                if NUL in str(key):
                    found.setdefault(path or "__all__", [nul_message()])
                    sub = sub.replace(NUL, "\\x00")
                walk(item, sub)
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, f"{path}.{index}" if path else str(index))

    walk(value, prefix)
    return found


def _querydict_nul_fields(qd) -> dict[str, list[str]]:
    found = {}
    for key, values in qd.lists():
        if NUL in key or any(isinstance(v, str) and NUL in v for v in values):
            found[key.replace(NUL, "\\x00") or "__all__"] = [nul_message()]
    return found


def _content_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class RequestGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        refused = self.refuse(request)
        if refused is not None:
            return refused
        return self.get_response(request)

    def refuse(self, request):
        # The URL as it came in (still percent-encoded), path and query string.
        raw_path = request.META.get("RAW_URI") or request.get_full_path()
        if len(raw_path.encode("utf-8", "surrogateescape")) > max_url_length():
            return error_response(request, 414, "uri_too_long",
                                  _("The address is too long (more than %(max)s characters); send long values in "
                                    "the body of a POST instead.") % {"max": max_url_length()})
        if NUL in request.path_info:
            return error_response(request, 400, "invalid_character", nul_message())
        fields = _querydict_nul_fields(request.GET)
        if fields:
            return error_response(request, 400, "invalid_character", _("The request contains a NUL character."),
                                  fields)
        # Django parses exactly these two as forms; any other body is read raw (django-ninja reads
        # it as JSON whatever its declared type), so it is checked raw.
        multipart = request.content_type == "multipart/form-data"
        form = multipart or request.content_type == "application/x-www-form-urlencoded"
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if not multipart and limit is not None and _content_length(request) > limit:
            return self.too_big(request)
        try:
            if form:
                fields = _querydict_nul_fields(request.POST)
                for key, files in request.FILES.lists():
                    if any(NUL in (f.name or "") for f in files):
                        fields[key] = [nul_message()]
            elif _content_length(request) or request.META.get("HTTP_TRANSFER_ENCODING"):
                fields = self.body_nul_fields(request.body)
        except RequestDataTooBig:
            return self.too_big(request)
        except (TooManyFieldsSent, TooManyFilesSent, MultiPartParserError, SuspiciousOperation):
            return error_response(request, 400, "bad_request", _("The form could not be read."))
        if fields:
            return error_response(request, 400, "invalid_character", _("The request contains a NUL character."),
                                  fields)
        return None

    @staticmethod
    def body_nul_fields(body: bytes) -> dict:
        if b"\x00" in body:
            return {"__all__": [nul_message()]}
        if b"\\u0000" not in body.lower():
            return {}
        try:
            data = json.loads(body)
        except ValueError:
            return {}  # not JSON: the view answers that
        return _json_nul_fields(data)

    @staticmethod
    def too_big(request):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return error_response(request, 413, "payload_too_large",
                              _("The request body is too large (at most %(mb)s MB).") % {"mb": limit // (1024 * 1024)})
