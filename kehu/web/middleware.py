"""A user never sees a stack trace: unexpected errors become a friendly page
(and a JSON envelope for the API), and are logged for the operator."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

log = logging.getLogger("kehu")


class FriendlyErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

        if isinstance(exception, (Http404, PermissionDenied)) or settings.DEBUG:
            return None
        if isinstance(exception, OverflowError):
            # A number beyond 64 bits in the URL or a form (SQLite cannot compare it): the request's fault.
            from kehu.web.request_guard import error_response

            return error_response(request, 400, "bad_request", _("A number in the request is too large."))
        log.exception("Unhandled error on %s", request.path)
        if request.path.startswith("/api/"):
            return JsonResponse(
                {"error": {"code": "server_error", "message": _("Something went wrong on our side. The error was logged.")}},
                status=500,
            )
        response = TemplateResponse(request, "web/error.html", {
            "title": _("Something went wrong"),
            "message": _("Something went wrong on our side. The error was logged; please try again."),
        }, status=500)
        return response.render()
