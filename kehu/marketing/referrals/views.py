"""Pages of referrals: the list, recording by hand, the reward rule, the leaderboard, a customer's
referral link (the 360 card), and the public form behind the link (no login)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods

from kehu.customers.models import Customer
from kehu.org.policies import policy_for
from kehu.web.lists import chosen_sort
from kehu.web.views.common import add_service_errors, is_partial, paginate

from . import selectors, services
from .forms import FilterForm, PublicReferralForm, ReferralForm, RuleForm
from .models import ReferralRule

NAV = "referrals"
SORTS = {
    "-created": ("-created_at", "-id"), "created": ("created_at", "id"),
    "status": ("status", "id"), "-status": ("-status", "-id"),
}


def _manager(request) -> None:
    if not services.may_manage(request.user):
        raise PermissionDenied


@login_required
def referral_list(request):
    form = FilterForm(request.GET or None)
    status = q = ""
    if form.is_valid():
        status, q = form.cleaned_data["status"], form.cleaned_data["q"].strip()
    sort = chosen_sort(request, SORTS, "-created")
    page = paginate(request, selectors.referral_list(viewer=request.user, status=status, q=q), SORTS[sort])
    query = request.GET.copy()
    query.pop("cursor", None)
    query.pop("sort", None)
    return render(request, "referrals/list.html", {
        "nav_active": NAV, "title": _("Referrals"), "form": form, "page": page, "sort": sort,
        "filtered": bool(status or q), "query": query.urlencode(), "may_manage": services.may_manage(request.user)})


@login_required
def referral_create(request):
    form = ReferralForm(request.POST or None, initial={"referrer": request.GET.get("referrer", ""),
                                                       "referred": request.GET.get("referred", "")})
    if request.method == "POST" and form.is_valid():
        visible = policy_for(request.user).visible(Customer.objects.filter(merged_into__isnull=True))
        referrer = visible.filter(pk=form.cleaned_data["referrer"]).first()
        referred = visible.filter(pk=form.cleaned_data["referred"]).first()
        if referrer is None:
            form.add_error("referrer", _("No customer with this number that you can see."))
        if referred is None:
            form.add_error("referred", _("No customer with this number that you can see."))
        if referrer is not None and referred is not None:
            try:
                referral = services.referral_create(actor=request.user, referrer=referrer, referred=referred,
                                                    note=form.cleaned_data["note"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("referred", str(exc) or _("You may not change this customer."))
            else:
                flash.success(request, _("Referral recorded: %(referrer)s referred %(referred)s.")
                              % {"referrer": referrer.name, "referred": referred.name})
                return redirect(reverse("customer_detail", args=[referral.referred_id]) + "#referrals")
    return render(request, "referrals/form.html", {
        "nav_active": NAV, "title": _("Record a referral"), "form": form,
        "back": reverse("referral_list")}, status=422 if form.errors else 200)


@login_required
def rule_edit(request):
    _manager(request)
    rule = ReferralRule.current()
    form = RuleForm(request.POST or None, instance=rule if request.method != "POST" else None,
                    initial=None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(actor=request.user, data={k: form.cleaned_data[k] for k in RuleForm.Meta.fields})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            flash.success(request, _("The referral reward rule is saved."))
            return redirect("referral_rule")
    return render(request, "referrals/rule.html", {
        "nav_active": NAV, "title": _("Referral reward rule"), "form": form, "rule": rule},
        status=422 if form.errors else 200)


@login_required
def leaderboard(request):
    return render(request, "referrals/leaderboard.html", {
        "nav_active": NAV, "title": _("Top referrers"), "rows": selectors.leaderboard(viewer=request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def customer_code(request, customer_id):
    """The customer's referral link: shown (GET, when it exists) or made (POST) — for the 360 card."""
    customer = policy_for(request.user).visible(Customer.objects.filter(merged_into__isnull=True)) \
        .filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    if request.method == "POST":
        code = services.code_for(customer, actor=request.user)
    else:
        code = customer.referral_codes.order_by("created_at", "id").first()
    ctx = {"customer": customer, "code": code, "link": services.referral_link(code) if code else "",
           "may_record": services.may_record(request.user, customer)}
    if is_partial(request):
        return render(request, "referrals/_code.html", ctx)
    return render(request, "referrals/code.html", {"nav_active": NAV, "title": _("Referral link"), **ctx})


# -- the public form behind the link (no login) -----------------------------------------------

@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def public_form(request, code):
    """``/r/<code>/``: the rate limit, honeypot, language and headers of the public service form
    (kehu.service.views_intake), reused. The same thanks whether or not a referral was recorded."""
    from kehu.runtime import ratelimit
    from kehu.service import views_intake as intake_views

    found = services.code_lookup(code)
    if found is None:
        return intake_views._public(request, "service/public/unavailable.html",
                                    {"title": gettext_lazy("Form not available")}, status=404)
    language = intake_views._language(request) or translation.get_language()
    with translation.override(language):
        form = PublicReferralForm(request.POST or None)
        if request.method == "POST":
            if ratelimit.over_limit(f"referral:{intake_views._address(request)}", settings.KEHU_INTAKE_RATE_PER_IP):
                return intake_views._too_many(request)
            if form.is_robot:
                return redirect(_thanks_url(request, found.code))
            if form.is_valid():
                d = form.cleaned_data
                try:
                    services.referral_from_link(code=found, name=d["name"], phone=d["phone"], email=d["email"],
                                                consent_marketing=d["consent_marketing"])
                except ValidationError as exc:
                    add_service_errors(form, exc)
                else:
                    return redirect(_thanks_url(request, found.code))
        return intake_views._public(request, "referrals/public_form.html", {
            "title": _("A friend recommends us"), "form": form, "sent": request.GET.get("sent") == "1",
        }, status=200 if not form.errors else 422)


def _thanks_url(request, code: str) -> str:
    from kehu.service import views_intake as intake_views

    url = reverse("referral_public_form", args=[code]) + "?sent=1"
    if intake_views._language(request):
        url += f"&lang={intake_views._language(request)}"
    return url
