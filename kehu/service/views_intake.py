"""The public service form (no login) and its links.

- ``/service/form/<code>/``: the form of an active link (CSRF-protected like
  every form, rate-limited per client address, a honeypot field, in the
  language of ``?lang=`` or the browser's);
- ``/service/status/<token>/``: the sender's status page (number, kind, status,
  the date of the last status change — nothing internal);
- ``/cases/intake-links/``: the administrators' settings page (add, deactivate,
  the QR code to print).
"""

from __future__ import annotations

import io

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from kehu.runtime import ratelimit
from kehu.service import intake, selectors
from kehu.service.forms import IntakeLinkForm, PublicCaseForm

PUBLIC_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def public_url(path: str) -> str:
    """An absolute address customers reach (``KEHU_PUBLIC_URL``), for links and QR codes."""
    return f"{settings.KEHU_PUBLIC_URL.rstrip('/')}{path}"


def form_url(link) -> str:
    return public_url(reverse("public_case_form", args=[link.slug]))


def _language(request) -> str | None:
    wanted = request.GET.get("lang") or request.POST.get("lang")
    return wanted if wanted in PUBLIC_LANGUAGES else None


def _public(request, template: str, ctx: dict, status: int = 200) -> HttpResponse:
    """Render a public page in ``?lang=`` (else the browser's language), never cached,
    never indexed, the token never sent on in a Referer."""
    language = _language(request) or translation.get_language()
    with translation.override(language):
        ctx.update(public_page=True, lang=_language(request) or "",
                   languages=[(code, "中文" if code.startswith("zh") else "English") for code in PUBLIC_LANGUAGES])
        resp = render(request, template, ctx, status=status)
    resp["Cache-Control"] = "no-store"
    resp["Referrer-Policy"] = "same-origin"
    resp["X-Robots-Tag"] = "noindex"
    return resp


def _address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") or "-"


def _too_many(request) -> HttpResponse:
    resp = _public(request, "service/public/limited.html", {"title": gettext_lazy("Too many requests")}, status=429)
    resp["Retry-After"] = "60"
    return resp


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def public_case_form(request, slug):
    link = intake.active_link(slug)
    if link is None:
        return _public(request, "service/public/unavailable.html", {"title": gettext_lazy("Form not available")}, status=404)
    with translation.override(_language(request) or translation.get_language()):
        form = PublicCaseForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if ratelimit.over_limit(f"intake:{_address(request)}", settings.KEHU_INTAKE_RATE_PER_IP):
                return _too_many(request)
            if form.is_robot:
                # A robot filled the hidden field: it is told "thank you", nothing is written.
                return _public(request, "service/public/thanks.html", {"title": gettext_lazy("Thank you"), "link": link})
            if form.is_valid():
                d = form.cleaned_data
                submission = intake.Submission(name=d["name"], phone=d["phone"], email=d["email"], kind=d["kind"],
                                               reference=d["reference"], description=d["description"])
                try:
                    outcome = intake.public_submit(link=link, submission=submission, upload=d.get("attachment"))
                except ValidationError as exc:
                    from kehu.web.views.common import add_service_errors

                    add_service_errors(form, exc, {"file": "attachment"})
                else:
                    url = reverse("public_case_status", args=[outcome.case.public_token])
                    query = "?sent=" + ("again" if outcome.duplicate else "new")
                    if _language(request):
                        query += f"&lang={_language(request)}"
                    return redirect(url + query)
        return _public(request, "service/public/form.html", {
            "title": _("Contact our service team"), "form": form, "link": link,
            "max_mb": intake.attachment_limit() // (1024 * 1024),
        }, status=200 if not form.errors else 422)


@require_http_methods(["GET", "HEAD"])
def public_case_status(request, token):
    if ratelimit.over_limit(f"intakestatus:{_address(request)}", settings.KEHU_INTAKE_LOOKUP_RATE_PER_IP):
        return _too_many(request)
    try:
        case = selectors.public_case(token)
    except Http404:   # the same page for a wrong token as for none
        return _public(request, "service/public/unavailable.html", {"title": gettext_lazy("Not found")}, status=404)
    with translation.override(_language(request) or translation.get_language()):
        return _public(request, "service/public/status.html", {
            "title": _("Your request %(ref)s") % {"ref": case.ref}, "case": case,
            "last_update": intake.last_public_update(case), "sent": request.GET.get("sent", ""),
            "status_url": public_url(reverse("public_case_status", args=[case.public_token])),
        })


# -- the administrators' settings page -----------------------------------------------------------

def _link_form(data=None):
    from kehu.org.models import Team
    from kehu.sales.models import ProductLine

    return IntakeLinkForm(data, product_lines=list(ProductLine.objects.order_by("name")[:500]),
                          teams=list(Team.objects.order_by("name")[:500]))


@login_required
@require_http_methods(["GET", "POST"])
def intake_links(request):
    from kehu.web.views.common import add_service_errors, paginate

    qs = selectors.intake_link_list(viewer=request.user)   # 403 for all but administrators
    form = _link_form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            link = intake.intake_link_create(actor=request.user, data=form.service_data())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Link “%(name)s” added.") % {"name": link.name})
            return redirect(reverse("intake_links") + f"#link-{link.pk}")
    page = paginate(request, qs, ("-active", "name", "id"))
    for link in page.items:
        link.url = form_url(link)
        link.svg = _qr(link.url).svg_inline(scale=3, border=1) if link.active else ""
    return render(request, "service/intake_links.html", {
        "nav_active": "cases", "title": _("Public service form"), "form": form, "page": page,
    })


def _qr(url: str):
    import segno

    return segno.make(url, error="m")


@login_required
@require_http_methods(["GET", "HEAD"])
def intake_link_qr(request, pk, fmt):
    link = selectors.intake_link_get(viewer=request.user, pk=pk)
    if fmt not in ("png", "svg"):
        raise Http404
    qr = _qr(form_url(link))
    out = io.BytesIO()
    if fmt == "png":
        qr.save(out, kind="png", scale=10, border=4)
        content_type = "image/png"
    else:
        qr.save(out, kind="svg", scale=8, border=4, xmldecl=False, title=link.name)
        content_type = "image/svg+xml"
    resp = HttpResponse(out.getvalue(), content_type=content_type)
    resp["Cache-Control"] = "private, no-store"
    resp["Content-Disposition"] = f'attachment; filename="service-form-{link.slug}.{fmt}"'
    return resp


@login_required
@require_http_methods(["GET", "POST"])
def intake_link_deactivate(request, pk):
    """GET: the confirmation page; POST: deactivate."""
    link = selectors.intake_link_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        intake.intake_link_deactivate(actor=request.user, link=link)
        messages.success(request, _("Link “%(name)s” deactivated: its form and QR code no longer accept "
                                    "requests.") % {"name": link.name})
        return redirect("intake_links")
    return render(request, "service/intake_link_deactivate.html", {
        "nav_active": "cases", "title": _("Deactivate the link %(name)s") % {"name": link.name}, "link": link,
        "url": form_url(link),
    })

