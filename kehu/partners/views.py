"""The partner pages: the list (the shared list machinery), a partner's page (its tree,
contract, territory, users, targets with progress, customers, orders and scorecard), create
and edit, targets, adding a partner user, and the channel manager's overview (the ranking).

Who may (kehu/org/policies.py): the pages are read by those who may read partners
(:attr:`may_read_partners`, else 403); creating and changing partners and their targets is
for :attr:`may_manage_partners`; adding a partner user (a login) is for administrators, as
every user (kehu.org.services.user_create). Customers, orders and figures are those the
viewer may see."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Sum
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.utils.translation import gettext_lazy, pgettext_lazy

from kehu.engagement.selectors import partner_open_tasks
from kehu.exports.http import export_response
from kehu.org.models import Role
from kehu.org.partners import partner_create, partner_target_set, partner_update
from kehu.org.policies import policy_for
from kehu.partners import selectors
from kehu.partners.forms import OverviewForm, PartnerFilterForm, PartnerForm, PartnerUserForm, PeriodForm, TargetForm
from kehu.partners.scorecard import (
    RANKING_SORTS, figures_table, partner_ranking, partner_scorecard, sort_figures,
)
from kehu.web.lists import Column, ListSpec, chosen_sort, list_context
from kehu.web.views.common import add_service_errors, paginate

NAV = "partners"


def _reader(request):
    if not policy_for(request.user).may_read_partners:
        raise PermissionDenied


def _manager(request):
    if not policy_for(request.user).may_manage_partners:
        raise PermissionDenied


def _posted(request):
    return request.POST if request.method == "POST" else None


def _fmt(request) -> str:
    return "csv" if request.GET.get("format") == "csv" else "xlsx"


def _partner_rows(viewer):
    return selectors.partner_list(viewer=viewer) if policy_for(viewer).may_read_partners else \
        selectors.partner_list(viewer=viewer).none()


PARTNERS_LIST = ListSpec(
    name="partners", label=gettext_lazy("Partners"), url_name="partner_list",
    columns=(
        Column("code", gettext_lazy("Partner code"), "code"),
        Column("name", gettext_lazy("Name"), "name"),
        Column("kind", gettext_lazy("Type"), "kind"),
        Column("level", gettext_lazy("Level"), "level", "num"),
        Column("parent", gettext_lazy("Parent partner"), cls="hide-sm"),
        Column("manager", gettext_lazy("Channel manager"), "manager", "hide-sm"),
        Column("margin", gettext_lazy("Margin (%)"), "margin", "num hide-sm"),
        Column("contract_end", gettext_lazy("Contract end"), "contract_end", "hide-sm nowrap"),
        Column("active", pgettext_lazy("partner", "Active")),
    ),
    rows=_partner_rows,
    row_label=lambda p: f"{p.code} {p.name}",
    may_change=lambda viewer: policy_for(viewer).may_manage_partners,
)

SORTS = {
    "code": ("code", "id"), "-code": ("-code", "-id"),
    "name": ("name", "id"), "-name": ("-name", "-id"),
    "kind": ("kind", "code", "id"), "-kind": ("-kind", "-code", "-id"),
    "level": ("level", "code", "id"), "-level": ("-level", "-code", "-id"),
    "manager": ("manager__username", "code", "id"), "-manager": ("-manager__username", "-code", "-id"),
    "margin": ("margin_pct", "code", "id"), "-margin": ("-margin_pct", "-code", "-id"),
    "contract_end": ("contract_end", "id"), "-contract_end": ("-contract_end", "-id"),
}


def _filters(request):
    form = PartnerFilterForm(request.GET or None)
    filters = selectors.PartnerFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.PartnerFilters(q=d.get("q") or "", kind=d.get("kind") or "", level=d.get("level"),
                                           manager=d.get("manager"), active=d.get("active") or "")
    return form, filters


@login_required
def partner_list(request):
    _reader(request)
    form, filters = _filters(request)
    sort = chosen_sort(request, SORTS, "code")
    page = paginate(request, selectors.partner_list(viewer=request.user, filters=filters), SORTS[sort])
    return render(request, "partners/partner_list.html", {
        "nav_active": NAV, "title": _("Partners"), "form": form, "page": page, "sort": sort,
        "filtered": filters != selectors.PartnerFilters(),
        "may_manage": policy_for(request.user).may_manage_partners,
        "export_query": request.GET.urlencode(),
        **list_context(request, "partners", sort=sort),
    })


@login_required
def partner_export(request):
    """The partners of the list's filters (or the ids ticked), as CSV or .xlsx."""
    _reader(request)
    _form, filters = _filters(request)
    qs = selectors.partner_list(viewer=request.user, filters=filters).order_by("path", "id")
    ids = [int(i) for i in request.GET.getlist("ids") if i.isdigit()]
    if ids:
        qs = qs.filter(pk__in=ids)

    def rows():
        yield [_("Partner code"), _("Name"), _("Type"), _("Level"), _("Parent partner"), _("Channel manager"),
               _("Regions"), _("Provinces"), _("Cities"), _("Industries"), _("Contract start"), _("Contract end"),
               _("Partner margin (%)"), _("Phone"), _("E-mail"), _("Address"), pgettext("partner", "Active")]
        for p in qs.iterator(chunk_size=500):
            yield [p.code, p.name, p.get_kind_display(), p.level, p.parent.code if p.parent else "",
                   p.manager.username if p.manager else "", ", ".join(p.regions), ", ".join(p.provinces),
                   ", ".join(p.cities), ", ".join(p.industries), p.contract_start, p.contract_end,
                   float(p.margin_pct), p.phone, p.email, p.address, _("Yes") if p.is_active else _("No")]

    return export_response(request, rows(), export="partners", fmt=_fmt(request), filename="partners",
                           sheet="partners")


def _target_progress(viewer, partner) -> list[dict]:
    """The latest targets with the sales made against them (the partner's own orders the viewer sees)."""
    from kehu.sales.models import OrderStatus

    out = []
    orders = selectors.partner_orders(viewer=viewer, partner=partner, include_sub=False).exclude(
        status=OrderStatus.CANCELLED)
    for t in selectors.partner_targets(partner)[:8]:
        sales = orders.filter(order_date__gte=t.period_start, order_date__lte=t.period_end).aggregate(
            s=Sum("amount"))["s"] or Decimal("0")
        pct = round(100 * float(sales) / float(t.revenue), 1) if t.revenue else None
        out.append({"target": t, "sales": sales, "pct": pct, "bar": min(int(pct or 0), 100)})
    return out


@login_required
def partner_detail(request, pk):
    _reader(request)
    partner = selectors.partner_get(viewer=request.user, pk=pk)
    form = PeriodForm(request.GET or None)
    period = form.period()
    policy = policy_for(request.user)
    customers = selectors.partner_customers(viewer=request.user, partner=partner)
    orders = selectors.partner_orders(viewer=request.user, partner=partner)
    return render(request, "partners/partner_detail.html", {
        "nav_active": NAV, "title": f"{partner.code} {partner.name}", "partner": partner,
        "ancestors": _ancestors(partner), "children": selectors.partner_children(viewer=request.user, partner=partner),
        "users": selectors.partner_users(partner), "targets": _target_progress(request.user, partner),
        "customers": customers.order_by("name", "id")[:20], "customer_count": customers.count(),
        "orders": orders.order_by("-order_date", "-id")[:20], "order_count": orders.count(),
        "form": form, "period": period,
        "own": partner_scorecard(viewer=request.user, partner=partner, period=period),
        "with_sub": partner_scorecard(viewer=request.user, partner=partner, period=period, include_sub=True),
        "may_manage": policy.may_manage_partners, "may_add_users": policy.may_manage_partners,
        # the tasks about the partner: never for partner users (kehu/org/policies.py)
        "may_read_tasks": policy.may_read_partner_tasks,
        "open_tasks": (partner_open_tasks(viewer=request.user, partner=partner)
                       if policy.may_read_partner_tasks else []),
        "today": timezone.localdate(),
    })


def _ancestors(partner) -> list:
    ids = [int(x) for x in partner.path.strip("/").split("/") if x and int(x) != partner.pk]
    by_id = {p.pk: p for p in type(partner).objects.filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


@login_required
def partner_create_view(request):
    _manager(request)
    form = PartnerForm(_posted(request), initial={"parent": request.GET.get("parent"), "is_active": True,
                                                  "margin_pct": 0, "kind": "agent_l1"})
    if request.method == "POST" and form.is_valid():
        try:
            partner = partner_create(data=form.service_data(), parent=form.cleaned_data.get("parent"),
                                     actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Partner %(name)s created.") % {"name": partner.name})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/partner_form.html", {"nav_active": NAV, "title": _("New partner"),
                                                          "form": form})


@login_required
def partner_edit(request, pk):
    _manager(request)
    partner = selectors.partner_get(viewer=request.user, pk=pk)
    form = PartnerForm(_posted(request), partner=partner)
    if request.method == "POST" and form.is_valid():
        try:
            partner_update(partner=partner, data=form.service_data(), parent=form.cleaned_data.get("parent"),
                           actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Partner %(name)s saved.") % {"name": partner.name})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/partner_form.html", {
        "nav_active": NAV, "title": _("Edit partner %(name)s") % {"name": partner.name}, "form": form,
        "partner": partner})


@login_required
def partner_target(request, pk):
    _manager(request)
    partner = selectors.partner_get(viewer=request.user, pk=pk)
    period = PeriodForm().period()
    form = TargetForm(_posted(request), initial={"period_start": period.start, "period_end": period.end,
                                                 "new_customers": 0})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            partner_target_set(partner=partner, period_start=d["period_start"], period_end=d["period_end"],
                               revenue=d["revenue"], new_customers=d["new_customers"], actor=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/partner_target.html", {
        "nav_active": NAV, "title": _("Target of %(name)s") % {"name": partner.name}, "form": form,
        "partner": partner, "targets": selectors.partner_targets(partner)})


@login_required
def partner_user_create(request, pk):
    """A login for a person of the partner (role partner); without a password, a reset link
    is e-mailed so that they choose their own."""
    from kehu.org.services import user_create, user_send_password_reset

    if not policy_for(request.user).may_manage_partners:
        raise PermissionDenied
    partner = selectors.partner_get(viewer=request.user, pk=pk)
    form = PartnerUserForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = user_create(username=d["username"], password=d["password"] or None, role=Role.PARTNER,
                               display_name=d["display_name"], email=d["email"], partner=partner,
                               actor=request.user)
            if not d["password"]:
                user_send_password_reset(user=user, actor=request.user,
                                         base_url=f"{request.scheme}://{request.get_host()}")
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if d["password"]:
                messages.success(request, _("User %(name)s created.") % {"name": user.username})
            else:
                messages.success(request, _("User %(name)s created; a reset link was sent to %(email)s.") % {
                    "name": user.username, "email": user.email})
            return redirect("partner_detail", pk=partner.pk)
    return render(request, "partners/partner_user_form.html", {
        "nav_active": NAV, "title": _("New user of %(name)s") % {"name": partner.name}, "form": form,
        "partner": partner})


def _overview(request):
    form = OverviewForm(request.GET or None)
    period = form.period()
    mine = (form.cleaned_data.get("mine") if form.is_bound and form.is_valid() else "") or ""
    if not mine:  # a channel manager starts with their own partners; others with all
        mine = "mine" if request.user.managed_partners.exists() else "all"
    kind = form.cleaned_data.get("kind", "") if form.is_bound and form.is_valid() else ""
    rows = partner_ranking(viewer=request.user, period=period, manager=request.user if mine == "mine" else None,
                           include_sub=form.include_sub(), kind=kind)
    sort = sort_figures(rows, request.GET.get("sort", "rank"))
    return form, period, mine, rows, sort


OVERVIEW_COLUMNS = [
    ("rank", gettext_lazy("Rank")), ("code", gettext_lazy("Partner")), ("sales", gettext_lazy("Sales")),
    ("growth", gettext_lazy("Growth")), ("margin", gettext_lazy("Gross margin")),
    ("margin_rate", gettext_lazy("Margin rate")), ("partner_margin", gettext_lazy("Partner margin")),
    ("overdue", gettext_lazy("Overdue share")), ("days_to_pay", gettext_lazy("Days to pay")),
    ("attainment", gettext_lazy("Attainment")), ("customers", gettext_lazy("Customers")),
    ("churn", gettext_lazy("Churn risk")), ("satisfaction", gettext_lazy("Satisfaction")),
    ("nps", gettext_lazy("NPS")), ("complaints", gettext_lazy("Complaint rate")),
    ("sla", gettext_lazy("SLA compliance")),
]


@login_required
def partner_overview(request):
    _reader(request)
    form, period, mine, rows, sort = _overview(request)
    query = request.GET.copy()
    query.pop("sort", None)
    headers = []
    for key, label in OVERVIEW_COLUMNS:
        state = "asc" if sort == key else "desc" if sort == "-" + key else ""
        headers.append({"key": key, "label": label, "state": state, "sortable": key in RANKING_SORTS,
                        "next": "-" + key if state == "asc" else key})
    return render(request, "partners/partner_overview.html", {
        "nav_active": "partner_overview", "title": _("Channel overview"), "form": form, "period": period,
        "rows": rows, "sort": sort, "headers": headers, "base_query": query.urlencode(), "mine": mine,
        "export_query": request.GET.urlencode(),
    })


@login_required
def partner_ranking_export(request):
    _reader(request)
    _form, period, _mine, rows, _sort = _overview(request)
    name = f"partner-ranking-{period.start:%Y%m%d}-{period.end:%Y%m%d}"
    return export_response(request, figures_table(rows), export="partner_ranking", fmt=_fmt(request),
                           filename=name, sheet="ranking")
