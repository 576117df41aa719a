from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _error(request, status, title, message):
    if request.path.startswith("/api/"):
        return JsonResponse({"error": {"code": {404: "not_found", 403: "forbidden", 400: "bad_request"}.get(status, "server_error"), "message": message}}, status=status)
    return render(request, "web/error.html", {"title": title, "message": message}, status=status)


def not_found(request, exception=None):
    return _error(request, 404, _("Not found"), _("This page does not exist, or you may not see it."))


def forbidden(request, exception=None):
    return _error(request, 403, _("Not allowed"), _("You may look at this record but not change it. Ask its owner or your manager."))


def bad_request(request, exception=None):
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def server_error(request):
    return _error(request, 500, _("Something went wrong"), _("Something went wrong on our side. The error was logged; please try again."))
