"""A user never sees a stack trace: unexpected errors become a friendly page
(and a JSON envelope for the API), and are logged for the operator."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

log = logging.getLogger("kehu")


def protected_message(exc) -> str:
    """What still uses a record that could not be deleted (a ProtectedError), in words."""
    names = sorted({str(obj._meta.verbose_name_plural) for obj in exc.protected_objects})
    return _("This cannot be deleted while other records use it (%(what)s). Remove those first, "
             "or mark it inactive instead.") % {"what": ", ".join(names)}


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
        from django.db.models import ProtectedError

        if isinstance(exception, ProtectedError):
            # A delete refused by the database because other records still point at this
            # one (on_delete=PROTECT) and the service did not check first: the request's
            # conflict, said in words — never a server error.
            from kehu.web.request_guard import error_response

            return error_response(request, 409, "in_use", protected_message(exception))
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
