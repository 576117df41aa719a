"""The lead pool's pages (公海, kehu.sales.pool): the pool list (on the shared list machinery,
with claim and — for managers — assign as bulk actions), claiming one customer, returning a
customer to the pool from its page (with a reason, confirmed), the customer page's ownership
card, the settings page (administrators), and the public lead form (no login)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_http_methods, require_POST

from kehu.customers.models import Customer, Source
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import pool
from kehu.sales.models import PoolSettings
from kehu.sales.pool_selectors import PoolFilters, pool_counts, pool_list
from kehu.web.lists import BulkAction, Column, ListSpec, list_context
from kehu.web.views.common import add_service_errors, paginate

SORT_TIERS = {
    "-created": [Tier(Q(), ("-created_at", "-id"))],
    "created": [Tier(Q(), ("created_at", "id"))],
    "name": [Tier(Q(), ("name_pinyin", "id"))],
    "-name": [Tier(Q(), ("-name_pinyin", "-id"))],
}


# -- the list's spec (registered by kehu.web.lists) ---------------------------------------

def _rows(viewer):
    return pool_list(viewer=viewer)


def _bulk_claim(actor, customer, _value):
    try:
        pool.lead_claim(actor=actor, customer=customer)
    except (pool.AlreadyClaimed, pool.PoolLimitReached) as exc:
        raise ValidationError(str(exc)) from None


def _bulk_assign(actor, customer, owner):
    try:
        pool.lead_assign(actor=actor, customer=customer, owner=owner)
    except pool.AlreadyClaimed as exc:
        raise ValidationError(str(exc)) from None


def _may_claim(viewer) -> bool:
    return policy_for(viewer).may_claim


def _may_assign(viewer) -> bool:
    return policy_for(viewer).may_assign_pool


POOL_LIST = ListSpec(
    name="pool", label=gettext_lazy("Lead pool"), url_name="pool_list",
    columns=(
        Column("name", gettext_lazy("Name"), "name"), Column("ref", gettext_lazy("Code"), cls="hide-sm"),
        Column("pool", gettext_lazy("Pool")), Column("stage", gettext_lazy("Stage"), cls="hide-sm"),
        Column("city", gettext_lazy("City")), Column("industry", gettext_lazy("Industry"), cls="hide-sm"),
        Column("source", gettext_lazy("Source"), cls="hide-sm"),
        Column("created", gettext_lazy("Added"), "created", "nowrap hide-sm"),
    ),
    rows=_rows,
    actions=(
        BulkAction("claim", gettext_lazy("Claim"), _bulk_claim, may=_may_claim),
        BulkAction("assign", gettext_lazy("Assign to"), _bulk_assign, value="owner", confirm=True, may=_may_assign),
    ),
    row_label=lambda c: f"{c.ref} {c.name}",
    may_change=_may_claim,
)


# -- pages --------------------------------------------------------------------------

class PoolFilterForm(forms.Form):
    q = forms.CharField(label=gettext_lazy("Search"), required=False, max_length=100)
    pool = forms.ChoiceField(label=gettext_lazy("Pool"), required=False, choices=[
        ("", gettext_lazy("All pools")), ("company", gettext_lazy("Company pool")),
        ("team", gettext_lazy("Team pools"))])
    team = forms.TypedChoiceField(label=gettext_lazy("Team"), required=False, coerce=int, empty_value=None)
    source = forms.ChoiceField(label=gettext_lazy("Source"), required=False,
                               choices=[("", gettext_lazy("Any"))] + list(Source.choices))
    sort = forms.ChoiceField(required=False, widget=forms.HiddenInput, choices=[(k, k) for k in SORT_TIERS])

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", gettext_lazy("Any"))] + [(t.pk, t.name) for t in teams]

    def values(self) -> dict:
        d = self.cleaned_data if self.is_valid() else {}
        return {"q": d.get("q") or "", "pool": d.get("pool") or "", "team": d.get("team"),
                "source": d.get("source") or "", "sort": d.get("sort") or "-created"}


@login_required
def pool_list_view(request):
    policy = policy_for(request.user)
    if not policy.active:
        raise PermissionDenied
    teams = list(policy.visible_teams().order_by("path")) if policy.sees_everything else list(
        policy.visible_teams().filter(pk__in=policy.pool_team_ids).order_by("path"))
    form = PoolFilterForm(request.GET or None, teams=teams)
    f = form.values()
    qs = pool_list(viewer=request.user, filters=PoolFilters(q=f["q"], pool=f["pool"], team_id=f["team"],
                                                           source=f["source"]))
    page = paginate(request, qs, tiers=SORT_TIERS[f["sort"]])
    settings_row = pool.pool_settings()
    return render(request, "sales/pool/list.html", {
        "nav_active": "pool", "title": _("Lead pool"), "form": form, "page": page, "filters": f,
        "counts": pool_counts(request.user), "may_claim": policy.may_claim, "settings_row": settings_row,
        "held": pool.leads_held(request.user), "is_admin": policy.is_admin,
        **list_context(request, "pool", sort=f["sort"]),
    })


@login_required
@require_POST
def pool_claim_view(request, pk):
    customer = Customer.objects.filter(pk=pk).first()
    if customer is None:
        raise Http404
    try:
        pool.lead_claim(actor=request.user, customer=customer)
    except (pool.AlreadyClaimed, pool.PoolLimitReached) as exc:
        messages.error(request, str(exc))
        return redirect("pool_list")
    messages.success(request, _("%(name)s is now yours.") % {"name": customer.name})
    return redirect("customer_detail", pk=customer.pk)


class ReturnForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Why does it go back?"), max_length=300,
                             widget=forms.Textarea(attrs={"rows": 3}),
                             help_text=gettext_lazy("Your colleagues see this when they look at the pool."))


@login_required
@require_http_methods(["GET", "POST"])
def pool_return_view(request, pk):
    policy = policy_for(request.user)
    customer = policy.get_visible(pk)
    if customer.owner_id is None or policy.read_only or not policy.can_change(customer):
        raise PermissionDenied
    form = ReturnForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pool.lead_release(actor=request.user, customer=customer, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s went back to the pool.") % {"name": customer.name})
            return redirect("pool_list") if not policy.can_view(customer) else redirect("customer_detail", pk=pk)
    return render(request, "sales/pool/return.html", {
        "nav_active": "customers", "title": _("Return to the pool"), "customer": customer, "form": form,
    }, status=422 if form.errors else 200)


class PoolSettingsForm(forms.ModelForm):
    class Meta:
        model = PoolSettings
        fields = list(pool.POOL_SETTINGS_FIELDS)


@login_required
@require_http_methods(["GET", "POST"])
def pool_settings_view(request):
    if not policy_for(request.user).is_admin:
        raise PermissionDenied
    form = PoolSettingsForm(request.POST or None, instance=pool.pool_settings())
    if request.method == "POST" and form.is_valid():
        try:
            pool.pool_settings_save(actor=request.user, data={k: form.cleaned_data[k]
                                                              for k in pool.POOL_SETTINGS_FIELDS})
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("The lead pool settings are saved."))
            return redirect("pool_settings")
    return render(request, "sales/pool/settings.html", {
        "nav_active": "settings", "title": _("Lead pool settings"), "form": form,
    }, status=422 if form.errors else 200)


# -- the public lead form (no login) ---------------------------------------------------------

def _public_form_base():
    from kehu.service.forms import PublicCaseForm

    return PublicCaseForm


class PublicLeadForm(_public_form_base()):
    """What a prospective buyer sends: the public service form's name, phone, e-mail and
    honeypot (``website``) with their checks, and the company instead of a case."""

    kind = reference = description = attachment = None
    company = forms.CharField(label=gettext_lazy("Company"), max_length=200)
    city = forms.CharField(label=gettext_lazy("City"), max_length=50, required=False)
    message = forms.CharField(label=gettext_lazy("What do you need?"), max_length=2000, required=False,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=gettext_lazy("Grades, sizes, quantities, delivery place and date."))
    field_order = ["company", "name", "phone", "email", "city", "message", "website"]

    def clean(self):
        cleaned = super().clean()
        for key in ("company", "message", "city"):
            if isinstance(cleaned.get(key), str):
                cleaned[key] = cleaned[key].replace("\x00", "").strip()
        if "company" in cleaned and not cleaned["company"]:
            self.add_error("company", _("Tell us your company's name."))
        return cleaned


@ensure_csrf_cookie
@require_http_methods(["GET", "POST"])
def public_lead_form(request):
    """``/leads/form/``: the rate limit, honeypot, language and headers of the public service
    form (kehu.service.views_intake), reused."""
    from kehu.runtime import ratelimit
    from kehu.service import views_intake as intake_views

    language = intake_views._language(request) or translation.get_language()
    with translation.override(language):
        form = PublicLeadForm(request.POST or None)
        if request.method == "POST":
            if ratelimit.over_limit(f"leadform:{intake_views._address(request)}", settings.KEHU_INTAKE_RATE_PER_IP):
                return intake_views._too_many(request)
            if form.is_robot:       # told "thank you", nothing written
                return intake_views._public(request, "sales/pool/public_thanks.html", {"title": _("Thank you")})
            if form.is_valid():
                d = form.cleaned_data
                remarks = "\n".join(x for x in (_("Contact: %(name)s") % {"name": d["name"]}, d["message"]) if x)
                try:
                    pool.lead_create(actor=None, data={
                        "name": d["company"], "phone": d["phone"], "email": d["email"], "city": d["city"],
                        "source": Source.WEB, "remarks": remarks})
                except ValidationError as exc:
                    add_service_errors(form, exc, {"name": "company", "remarks": "message"})
                else:
                    url = reverse("public_lead_form") + "?sent=1"
                    if intake_views._language(request):
                        url += f"&lang={intake_views._language(request)}"
                    return redirect(url)
        return intake_views._public(request, "sales/pool/public_form.html", {
            "title": _("Ask for a quote"), "form": form, "sent": request.GET.get("sent") == "1",
        }, status=200 if not form.errors else 422)
