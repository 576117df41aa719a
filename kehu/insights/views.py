"""Customer value (客户价值): the pages.

Every page reads through :mod:`kehu.insights.selectors` (the viewer's
visibility) and writes through services; figures come with a chart and the
same figures as a table.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext as _, gettext_lazy, ngettext, pgettext

from kehu.customers.models import Region
from kehu.insights import charts, selectors
from kehu.insights.explain import call_reason, churn_reasons, explain_score
from kehu.insights.forms import SegmentForm
from kehu.insights.models import (
    AbcClass, AnalysisRun, RfmGroup, RunStatus, SegmentKind, ValueTier,
)
from kehu.insights.permissions import (
    can_change_segment, can_change_settings, can_create_segment, can_start_run, sees_company_figures,
)
from kehu.insights.segments import (
    GROUP_FIELDS, rule_needs_scores, segment_create, segment_delete, segment_get, segment_list, segment_members,
    segment_run, segment_update,
)
from kehu.insights.selectors import MIGRATION_FIELDS, PARETO_BASES, ValueFilters
from kehu.org.policies import policy_for
from kehu.pagination import capped_count
from kehu.web.lists import chosen_sort, list_context
from kehu.privacy.masking import mask_customers
from kehu.sales.models import ProductLine
from kehu.web.templatetags.kehu_web import money, number
from kehu.web.views.common import PAGE_SIZES, add_service_errors, int_or_none, paginate
from kehu.web.views.customers import filter_users

TABS = [
    ("overview", gettext_lazy("Overview"), "value_overview"),
    ("rfm", gettext_lazy("RFM"), "value_rfm"),
    ("customers", gettext_lazy("Scores"), "value_scores"),
    ("churn", gettext_lazy("Churn warnings"), "value_churn"),
    ("migration", gettext_lazy("Migration"), "value_migration"),
    ("calls", gettext_lazy("My calls this week"), "value_calls"),
    ("segments", gettext_lazy("Segments"), "segment_list"),
    ("runs", gettext_lazy("Analyses"), "value_runs"),
]
BLANK = "-"  # a filter value meaning "no group" (a customer without a tier, ...)
FIELD_PARAM = {"tier": "tier", "rfm_group": "rfm", "abc_class": "abc"}
FIELD_LABELS = {"tier": gettext_lazy("Value tier"), "rfm_group": gettext_lazy("RFM group"),
                "abc_class": gettext_lazy("ABC class")}
FIELD_CHOICES = {"tier": ValueTier.choices, "rfm_group": RfmGroup.choices, "abc_class": AbcClass.choices}


# -- shared parts ----------------------------------------------------------------------

def _choice(value: str, choices) -> str:
    if value == BLANK:
        return BLANK
    return value if value in dict(choices) else ""


def parse_filters(request) -> ValueFilters:
    g = request.GET
    moved_from = None
    from_run = int_or_none(g.get("from_run"))
    from_field = g.get("from_field", "")
    if from_run and from_field in MIGRATION_FIELDS:
        value = g.get("from_value", "")
        moved_from = (from_run, from_field, "" if value == BLANK else _choice(value, FIELD_CHOICES[from_field]))
    return ValueFilters(
        team_id=int_or_none(g.get("team")),
        region=_choice(g.get("region", ""), Region.choices),
        product_line_id=int_or_none(g.get("line")),
        owner_id=int_or_none(g.get("owner")),
        tier=_choice(g.get("tier", ""), ValueTier.choices),
        rfm_group=_choice(g.get("rfm", ""), RfmGroup.choices),
        abc_class=_choice(g.get("abc", ""), AbcClass.choices),
        moved_from=moved_from,
    )


def _blank_groups(f: ValueFilters) -> ValueFilters:
    """``-`` in a group filter means "no group": the selectors filter on ``""``."""
    from dataclasses import replace

    return replace(f, tier=f.tier if f.tier != BLANK else "", rfm_group=f.rfm_group if f.rfm_group != BLANK else "",
                   abc_class=f.abc_class if f.abc_class != BLANK else "")


def scores_for(request, run, filters: ValueFilters, *, sort=None, churn=False):
    """The filtered scores (with ``-`` = blank group handled)."""
    qs = selectors.score_queryset(viewer=request.user, run=run, filters=_blank_groups(filters))
    for field, value in (("tier", filters.tier), ("rfm_group", filters.rfm_group), ("abc_class", filters.abc_class)):
        if value == BLANK:
            qs = qs.filter(**{field: ""})
    if churn:
        qs = qs.filter(churn_risk__gte=selectors.churn_threshold(run))
    return qs


def filter_query(filters: ValueFilters, run=None, **extra) -> str:
    """The query string of the filters (for links between the pages and to exports)."""
    params = {}
    if run is not None:
        params["run"] = run.pk
    for key, value in (("team", filters.team_id), ("region", filters.region), ("line", filters.product_line_id),
                       ("owner", filters.owner_id), ("tier", filters.tier), ("rfm", filters.rfm_group),
                       ("abc", filters.abc_class)):
        if value:
            params[key] = value
    if filters.moved_from:
        params.update({"from_run": filters.moved_from[0], "from_field": filters.moved_from[1],
                       "from_value": filters.moved_from[2] or BLANK})
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return urlencode(params)


def base_context(request, active: str, *, run=None, filters=None, title=""):
    policy = policy_for(request.user)
    from kehu.insights.services import runs_reap_dead

    runs_reap_dead()  # a run whose process died is not "running" in the notice
    context = {
        "nav_active": "value", "tab_active": active, "title": title,
        "tabs": [{"key": k, "label": label, "url": reverse(name)} for k, label, name in TABS],
        "run": run, "filters": filters or ValueFilters(),
        "can_start_run": can_start_run(request.user),
        "can_change_settings": can_change_settings(request.user),
        "company_figures": sees_company_figures(request.user),
        "active_run": AnalysisRun.objects.filter(status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).order_by(
            "-created_at", "-id").first(),
    }
    if filters is not None:
        context.update({
            "runs": list(selectors.finished_runs().only("id", "as_of")[:50]),
            "team_choices": policy.visible_teams().order_by("path"),
            "region_choices": Region.choices,
            "line_choices": ProductLine.objects.order_by("name", "id"),
            "owner_choices": filter_users(policy),
            "query": filter_query(filters, run),
        })
    return context


def _no_run(request, active: str, title: str):
    context = base_context(request, active, title=title)
    context["last_run"] = AnalysisRun.objects.order_by("-created_at", "-id").first()
    return render(request, "insights/no_run.html", context)


def _section(request, tab: str, title: str):
    """``(run, filters, None)`` for a page of figures, or ``(None, None, the
    page explaining that no analysis has finished yet)``."""
    run = selectors.scored_run(request.GET.get("run"))
    if run is None:
        return None, None, _no_run(request, tab, title)
    return run, parse_filters(request), None


def _tier_policies(run) -> dict[str, str]:
    """Each tier's customer policy as the run used it, in the user's language."""
    from kehu.insights.config import tier_policy

    params = run.parameters or {}
    levels = (params.get("tiers") or {}).get("levels") if isinstance(params.get("tiers"), dict) else None
    if not isinstance(levels, dict):
        return {}
    out = {}
    for tier in levels:
        try:
            out[tier] = tier_policy(params, tier)
        except (KeyError, TypeError, AttributeError):
            continue
    return out


def _amount(value: float) -> str:
    text = money(value)
    return text[:-3] if text.endswith(".00") else text


def _band_label(low: float, high: float) -> str:
    return f"{_amount(low)}–{_amount(high)}"


# -- overview ------------------------------------------------------------------------

@login_required
def overview(request):
    title = _("Customer value")
    run, filters, empty = _section(request, "overview", title)
    if empty:
        return empty
    qs = scores_for(request, run, filters)
    threshold = selectors.churn_threshold(run)
    figures = selectors.value_figures_for(viewer=request.user, run=run, filters=filters, qs=qs, threshold=threshold)
    basis = request.GET.get("basis", "revenue")
    basis = basis if basis in PARETO_BASES else "revenue"
    pareto = selectors.pareto_for(viewer=request.user, run=run, filters=filters, qs=qs, basis=basis)
    bins = selectors.clv_histogram_for(viewer=request.user, run=run, filters=filters, qs=qs,
                                       maximum=figures["clv_max"])
    policies = _tier_policies(run)
    tiers = [{"figure": g, "policy": policies.get(g.key, "")} for g in figures["tier"] if g.key]
    basis_label = _("revenue") if basis == "revenue" else _("gross margin")
    context = base_context(request, "overview", run=run, filters=filters, title=title)
    context.update({
        "figures": figures, "pareto": pareto, "basis": basis, "basis_label": basis_label, "tiers": tiers,
        "bins": [{"bin": b, "label": _band_label(b.low, b.high)} for b in bins],
        "threshold": threshold, "horizon": selectors.horizon_months(run),
    })
    if pareto is not None:
        context["pareto_chart"] = charts.pareto_chart(
            pareto.points, x_title=_("Share of customers, largest first (%)"),
            y_title=_("Share of %(basis)s (%%)") % {"basis": basis_label},
            series=_("Cumulative share"), equality=_("Equal shares"))
    if figures["customers"]:
        context["tier_chart"] = charts.tier_bars(
            [{"key": t["figure"].key, "label": t["figure"].label, "value": float(t["figure"].revenue)}
             for t in tiers], category_title=_("Value tier"), value_title=_("Revenue"), money=True)
        context["abc_chart"] = charts.group_bars(
            [{"key": g.key, "label": g.label, "value": g.customers} for g in figures["abc_class"] if g.key],
            category_title=_("ABC class"), value_title=pgettext("count", "Customers"), horizontal=False, height=200)
    if bins:
        context["clv_chart"] = charts.histogram(
            [{"label": b["label"], "customers": b["bin"].customers} for b in context["bins"]],
            x_title=_("Predicted lifetime value"), y_title=pgettext("count", "Customers"))
    return render(request, "insights/overview.html", context)


# -- RFM -------------------------------------------------------------------------------

@login_required
def rfm(request):
    title = _("RFM analysis")
    run, filters, empty = _section(request, "rfm", title)
    if empty:
        return empty
    qs = scores_for(request, run, filters)
    figures = selectors.value_figures_for(viewer=request.user, run=run, filters=filters, qs=qs,
                                          threshold=selectors.churn_threshold(run))
    heat = selectors.rf_heatmap_for(viewer=request.user, run=run, filters=filters, qs=qs)
    groups = [g for g in figures["rfm_group"] if g.key]
    scores = [str(i) for i in range(1, 6)]
    cells = [{"x": str(f), "y": str(r), "value": heat.get((r, f), {}).get("customers", 0)}
             for r in range(5, 0, -1) for f in range(1, 6)]
    grid = [{"r": r, "cells": [{"f": f, **heat.get((r, f), {"customers": 0, "revenue": 0})} for f in range(1, 6)]}
            for r in range(5, 0, -1)]
    context = base_context(request, "rfm", run=run, filters=filters, title=title)
    context.update({
        "figures": figures, "groups": groups, "grid": grid,
        "group_chart": charts.group_bars(
            [{"key": g.key, "label": g.label, "value": g.customers, "revenue": float(g.revenue)} for g in groups],
            category_title=_("RFM group"), value_title=pgettext("count", "Customers"),
            tooltip_extra=[("revenue", _("Revenue"), "$,.0f")]) if figures["customers"] else None,
        "heat_chart": charts.heatmap(
            cells, x_title=_("F score (how often)"), y_title=_("R score (how recently)"),
            value_title=pgettext("count", "Customers"), x_order=scores, y_order=scores[::-1]) if heat else None,
    })
    return render(request, "insights/rfm.html", context)


# -- score lists --------------------------------------------------------------------------

SORT_LABELS = {
    "clv": gettext_lazy("Predicted lifetime value"), "churn": gettext_lazy("Churn risk"),
    "at_risk": gettext_lazy("Revenue at risk"), "next_order": gettext_lazy("Expected next order"),
    "tier": gettext_lazy("Value tier"), "rfm": gettext_lazy("RFM group"),
}


def _paged_scores(request, qs, tiers):
    page = paginate(request, qs, tiers=tiers)
    count, more = (len(page.items), False) if not (page.has_next or page.has_prev) else capped_count(qs)
    return page, count, more


@login_required
def scores(request):
    title = _("Customer scores")
    run, filters, empty = _section(request, "customers", title)
    if empty:
        return empty
    sort = request.GET.get("sort", selectors.DEFAULT_SCORE_SORT)
    sort = sort if sort in selectors.SCORE_SORTS else selectors.DEFAULT_SCORE_SORT
    qs = scores_for(request, run, filters).select_related("customer", "customer__owner")
    page, count, more = _paged_scores(request, qs, selectors.SCORE_SORTS[sort])
    context = base_context(request, "customers", run=run, filters=filters, title=title)
    context.update({
        "page": page, "count": count, "count_more": more, "sort": sort, "per": page.page_size,
        "page_sizes": PAGE_SIZES, "threshold": selectors.churn_threshold(run),
        "sorts": [{"key": k, "label": v} for k, v in SORT_LABELS.items()],
        "tier_choices": ValueTier.choices, "rfm_choices": RfmGroup.choices, "abc_choices": AbcClass.choices,
        "export_query": filter_query(filters, run, sort=sort),
        "can_create_segment": can_create_segment(request.user),
        "moved_from_run": AnalysisRun.objects.filter(pk=filters.moved_from[0]).first() if filters.moved_from else None,
        **list_context(request, "value_scores", sort=sort),
    })
    return render(request, "insights/scores.html", context)


@login_required
def churn(request):
    title = _("Churn warnings")
    run, filters, empty = _section(request, "churn", title)
    if empty:
        return empty
    sort = request.GET.get("sort", "churn")
    sort = sort if sort in selectors.CHURN_SORTS else "churn"
    qs = scores_for(request, run, filters, churn=True).select_related("customer", "customer__owner")
    from django.db.models import Count, Sum

    totals = qs.order_by().aggregate(n=Count("id"), at_risk=Sum("revenue_at_risk"), revenue=Sum("revenue"))
    page = paginate(request, qs, tiers=selectors.SCORE_SORTS[sort])
    rows = [{"score": s, "reasons": churn_reasons(s)} for s in page.items]
    context = base_context(request, "churn", run=run, filters=filters, title=title)
    context.update({
        "page": page, "rows": rows, "totals": totals, "sort": sort, "per": page.page_size,
        "threshold": selectors.churn_threshold(run), "export_query": filter_query(filters, run, sort=sort),
        # the warning's quality on the run's backtest: a company-wide figure, for head office
        "backtest": ((run.results or {}).get("churn") or {}).get("backtest")
        if sees_company_figures(request.user) else None,
    })
    return render(request, "insights/churn.html", context)


@login_required
def calls(request):
    title = _("Customers to call this week")
    run = selectors.latest_run()
    today = timezone.localdate()
    qs, tiers = selectors.call_list(viewer=request.user, run=run, today=today)
    page = paginate(request, qs, tiers=tiers)
    mask_customers(viewer=request.user, customers=[s.customer for s in page.items])
    rows = [{"score": s, "reason": call_reason(s, run, today)} for s in page.items]
    context = base_context(request, "calls", run=run, title=title)
    context.update({"page": page, "rows": rows, "week_end": selectors.week_end(today), "today": today})
    return render(request, "insights/calls.html", context)


# -- migration -----------------------------------------------------------------------------

def _migration_runs(request, run_to):
    """(the earlier run to compare with, the field): ``from`` or the latest earlier finished run."""
    earlier = selectors.finished_runs().filter(as_of__lte=run_to.as_of).exclude(pk=run_to.pk)
    run_from = None
    from_id = int_or_none(request.GET.get("from"))
    if from_id:
        run_from = selectors.finished_runs().filter(pk=from_id).exclude(pk=run_to.pk).first()
    run_from = run_from or earlier.first()
    field = request.GET.get("field", "tier")
    return run_from, field if field in MIGRATION_FIELDS else "tier"


def _migration_groups(matrix, field):
    labels = list(FIELD_CHOICES[field]) + [("", _("None"))]
    present_from = [(k, l) for k, l in labels if any(key[0] == k for key in matrix)]
    present_to = [(k, l) for k, l in labels if any(key[1] == k for key in matrix)]
    return present_from, present_to


@login_required
def migration(request):
    title = _("Segment migration")
    run_to = selectors.scored_run(request.GET.get("run"))
    if run_to is None:
        return _no_run(request, "migration", title)
    run_from, field = _migration_runs(request, run_to)
    filters = parse_filters(request)
    context = base_context(request, "migration", run=run_to, filters=filters, title=title)
    context.update({"run_from": run_from, "field": field, "field_label": FIELD_LABELS[field],
                    "field_choices": [(k, FIELD_LABELS[k]) for k in MIGRATION_FIELDS],
                    "from_runs": list(selectors.finished_runs().exclude(pk=run_to.pk).only("id", "as_of")[:50])})
    if run_from is None:
        return render(request, "insights/migration.html", context)
    matrix = selectors.migration_matrix(viewer=request.user, run_from=run_from, run_to=run_to, field=field,
                                        filters=_blank_groups(filters.without_groups()))
    present_from, present_to = _migration_groups(matrix, field)
    base_filters = filters.without_groups()
    rows, cells = [], []
    for fk, fl in present_from:
        row = {"label": fl, "cells": [], "total": 0}
        for tk, tl in present_to:
            n = matrix.get((fk, tk), 0)
            href = reverse("value_scores") + "?" + filter_query(
                base_filters, run_to, from_run=run_from.pk, from_field=field, from_value=fk or BLANK,
                **{FIELD_PARAM[field]: tk or BLANK})
            row["cells"].append({"n": n, "href": href, "same": fk == tk})
            row["total"] += n
            cells.append({"x": str(tl), "y": str(fl), "value": n, "href": href})
        rows.append(row)
    context.update({
        "export_query": filter_query(base_filters, run_to, **{"from": run_from.pk, "field": field}),
        "columns": [str(l) for _k, l in present_to], "rows": rows, "total": sum(matrix.values()),
        "moved": sum(n for (a, b), n in matrix.items() if a != b),
        "chart": charts.heatmap(cells, x_title=_("In analysis #%(id)s") % {"id": run_to.pk},
                                y_title=_("In analysis #%(id)s") % {"id": run_from.pk}, value_title=pgettext("count", "Customers"),
                                x_order=[str(l) for _k, l in present_to], y_order=[str(l) for _k, l in present_from],
                                links=True) if cells else None,
    })
    return render(request, "insights/migration.html", context)


# -- segments ------------------------------------------------------------------------------

def _segment_form(request, data=None, initial=None):
    policy = policy_for(request.user)
    return SegmentForm(data, initial=initial, teams=policy.visible_teams().order_by("path"),
                       owners=filter_users(policy))


def _run_from_id(run_id):
    return AnalysisRun.objects.filter(pk=run_id).first() if run_id else None


# the sorts the lists offer (kehu.web.lists): each a keyset ordering ending in id
SEGMENT_SORTS = {"name": ("name", "id"), "-name": ("-name", "-id"),
                 "updated": ("updated_at", "id"), "-updated": ("-updated_at", "-id")}
RUN_SORTS = {"-id": ("-id",), "id": ("id",), "as_of": ("as_of", "id"), "-as_of": ("-as_of", "-id")}


@login_required
def segment_index(request):
    segments = segment_list(viewer=request.user)
    sort = chosen_sort(request, SEGMENT_SORTS, "name")
    page = paginate(request, segments, SEGMENT_SORTS[sort])
    context = base_context(request, "segments", title=_("Segments"))
    context.update({"page": page, "can_create": can_create_segment(request.user), "sort": sort,
                    **list_context(request, "segments", sort=sort)})
    return render(request, "insights/segments/list.html", context)


@login_required
def segment_new(request):
    if not can_create_segment(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = _segment_form(request, request.POST)
        if form.is_valid():
            data = form.service_data()
            try:
                segment = segment_create(actor=request.user, name=data["name"], description=data["description"],
                                         kind=data["kind"], rule=data["rule"], run=_run_from_id(data["run_id"]))
            except ValidationError as exc:
                add_service_errors(form, exc, SegmentForm.ERROR_FIELDS)
            else:
                messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
                return redirect("segment_detail", pk=segment.pk)
    else:
        form = _segment_form(request, initial=_initial_from_query(request))
    context = base_context(request, "segments", title=_("New segment"))
    context["form"] = form
    return render(request, "insights/segments/form.html", context)


def _initial_from_query(request) -> dict:
    """A new segment prefilled from the score list's filters ("Save as segment")."""
    f = parse_filters(request)
    initial = {}
    if f.region and f.region != BLANK:
        initial["region"] = f.region
    if f.team_id:
        initial["team_id"] = f.team_id
    if f.owner_id:
        initial["owner_id"] = f.owner_id
    for key, value in (("tier", f.tier), ("rfm_group", f.rfm_group), ("abc_class", f.abc_class)):
        if value and value != BLANK:
            initial[key] = [value]
    return initial


@login_required
def segment_edit(request, pk):
    segment = segment_get(viewer=request.user, pk=pk)
    if not can_change_segment(request.user, segment):
        raise PermissionDenied
    if request.method == "POST":
        form = _segment_form(request, request.POST)
        if form.is_valid():
            data = form.service_data()
            run = _run_from_id(data.pop("run_id"))
            try:
                segment_update(actor=request.user, segment=segment, data={**data, "run": run})
            except ValidationError as exc:
                add_service_errors(form, exc, SegmentForm.ERROR_FIELDS)
            else:
                messages.success(request, _("Segment %(name)s saved.") % {"name": segment.name})
                return redirect("segment_detail", pk=segment.pk)
    else:
        form = _segment_form(request, initial=SegmentForm.initial_from(segment))
    context = base_context(request, "segments", title=_("Edit %(name)s") % {"name": segment.name})
    context.update({"form": form, "segment": segment})
    return render(request, "insights/segments/form.html", context)


@login_required
def segment_remove(request, pk):
    segment = segment_get(viewer=request.user, pk=pk)
    if not can_change_segment(request.user, segment):
        raise PermissionDenied
    if request.method == "POST":
        segment_delete(actor=request.user, segment=segment)
        messages.success(request, _("Segment %(name)s deleted.") % {"name": segment.name})
        return redirect("segment_list")
    context = base_context(request, "segments", title=_("Delete %(name)s") % {"name": segment.name})
    context["segment"] = segment
    return render(request, "insights/segments/delete.html", context)


def describe_rule(segment) -> list[str]:
    """The segment's conditions in words."""
    from kehu.customers.models import CustomerType, LifecycleStage
    from kehu.org.models import Team, User

    rule = segment.rule or {}
    if segment.kind == SegmentKind.RUN_GROUP:
        field = rule.get("field")
        choices = dict(GROUP_FIELDS[field].choices) if field in GROUP_FIELDS else {}
        from kehu.insights.forms import GROUP_FIELD_LABELS

        return [f"{GROUP_FIELD_LABELS.get(field, field)}: {choices.get(rule.get('value'), rule.get('value'))}"]
    out = []
    c, s = rule.get("customer") or {}, rule.get("score") or {}
    names = {"kind": (_("Customer type"), dict(CustomerType.choices)),
             "stage": (_("Lifecycle stage"), dict(LifecycleStage.choices)),
             "region": (_("Region"), dict(Region.choices))}
    for key, (label, choices) in names.items():
        if c.get(key):
            out.append(f"{label}: {choices.get(c[key], c[key])}")
    if c.get("team_id"):
        out.append(_("Team: %(team)s and its sub-teams") % {
            "team": Team.objects.filter(pk=c["team_id"]).values_list("name", flat=True).first() or c["team_id"]})
    if c.get("owner_id"):
        owner = User.objects.filter(pk=c["owner_id"]).first()
        out.append(_("Owner: %(owner)s") % {"owner": owner or c["owner_id"]})
    for key, label in (("city", _("City")), ("industry", _("Industry")), ("tag", _("Tag"))):
        if c.get(key):
            out.append(f"{label}: {c[key]}")
    from kehu.insights.forms import GROUP_FIELD_LABELS

    for field, choices in GROUP_FIELDS.items():
        if s.get(field):
            labels = dict(choices.choices)
            out.append(f"{GROUP_FIELD_LABELS[field]}: " + ", ".join(str(labels.get(v, v)) for v in s[field]))
    if s.get("churn_risk_min") is not None:
        out.append(_("Churn risk at least %(value)s") % {"value": f"{number(s['churn_risk_min'] * 100)}%"})
    if s.get("churn_risk_max") is not None:
        out.append(_("Churn risk at most %(value)s") % {"value": f"{number(s['churn_risk_max'] * 100)}%"})
    if s.get("p_alive_min") is not None:
        out.append(_("Probability still active at least %(value)s") % {"value": f"{number(s['p_alive_min'] * 100)}%"})
    if s.get("p_alive_max") is not None:
        out.append(_("Probability still active at most %(value)s") % {"value": f"{number(s['p_alive_max'] * 100)}%"})
    for key, text in (("clv_min", _("Predicted lifetime value at least %(value)s")),
                      ("clv_max", _("Predicted lifetime value at most %(value)s")),
                      ("revenue_min", _("Revenue at least %(value)s")),
                      ("revenue_max", _("Revenue at most %(value)s"))):
        if s.get(key) is not None:
            out.append(text % {"value": money(s[key])})
    return out or [_("Every customer")]


@login_required
def segment_detail(request, pk):
    segment = segment_get(viewer=request.user, pk=pk)
    members = segment_members(segment=segment, viewer=request.user).select_related("owner")
    page = paginate(request, members, ("name_pinyin", "id"))
    count, more = (len(page.items), False) if not (page.has_next or page.has_prev) else capped_count(members)
    run = segment_run(segment) if rule_needs_scores(segment) else selectors.latest_run()
    scores = {}
    if run is not None and page.items:
        from kehu.insights.models import CustomerScore

        scores = {s.customer_id: s for s in CustomerScore.objects.filter(run=run, customer_id__in=[c.pk for c in
                                                                                                 page.items])}
    context = base_context(request, "segments", title=segment.name)
    context.update({
        "segment": segment, "page": page, "count": count, "count_more": more, "per": page.page_size,
        "rows": [{"customer": c, "score": scores.get(c.pk)} for c in page.items], "score_run": run,
        "conditions": describe_rule(segment), "needs_scores": rule_needs_scores(segment),
        "can_change": can_change_segment(request.user, segment),
    })
    return render(request, "insights/segments/detail.html", context)


# -- exports ----------------------------------------------------------------------------------

def _format(request) -> str:
    from kehu.insights.exports import FORMATS

    fmt = request.GET.get("format", "csv")
    if fmt not in FORMATS:
        raise Http404
    return fmt


def _ordered(qs, tiers):
    """A tiered listing in one ``ORDER BY`` (exports read it all, so the order of the first tier is enough)."""
    return qs.order_by(*tiers[0].ordering)


def _selection(request) -> list[int]:
    from kehu.web.lists import clean_ids

    try:
        return clean_ids(request.GET.getlist("ids"))
    except ValidationError:
        raise Http404 from None


@login_required
def scores_export(request):
    from kehu.insights.exports import export_response, score_rows

    fmt = _format(request)
    run = selectors.scored_run(request.GET.get("run"))
    if run is None:
        raise Http404
    sort = request.GET.get("sort", selectors.DEFAULT_SCORE_SORT)
    tiers = selectors.SCORE_SORTS.get(sort, selectors.SCORE_SORTS[selectors.DEFAULT_SCORE_SORT])
    qs = scores_for(request, run, parse_filters(request))
    ids = _selection(request)
    if ids:  # the list's selection (kehu.web.lists): only those of the rows the user may see
        qs = qs.filter(pk__in=ids)
    return export_response(request, score_rows(_ordered(qs, tiers)), export="value_scores", object_id=run.pk,
                           name=f"customer-scores-{run.pk}", fmt=fmt,
                           sheet=_("Customer scores"))


@login_required
def churn_export(request):
    from kehu.insights.exports import export_response, score_rows

    fmt = _format(request)
    run = selectors.scored_run(request.GET.get("run"))
    if run is None:
        raise Http404
    sort = request.GET.get("sort", "churn")
    tiers = selectors.SCORE_SORTS["at_risk" if sort == "at_risk" else "churn"]
    qs = scores_for(request, run, parse_filters(request), churn=True)
    return export_response(request, score_rows(_ordered(qs, tiers)), export="value_churn", object_id=run.pk,
                           name=f"churn-warnings-{run.pk}", fmt=fmt,
                           sheet=_("Churn warnings"))


@login_required
def groups_export(request):
    """The figures of the overview and RFM pages (same run and filters) as CSV or Excel:
    customers and revenue per value tier, ABC class and RFM group, and per R x F score."""
    from kehu.insights.exports import export_response

    fmt = _format(request)
    run = selectors.scored_run(request.GET.get("run"))
    if run is None:
        raise Http404
    qs = scores_for(request, run, parse_filters(request))
    figures = selectors.value_figures(qs, threshold=selectors.churn_threshold(run))
    rows = [[_("Grouping"), _("Group"), pgettext("count", "Customers"), _("Share of customers"), _("Revenue"),
             _("Share of revenue"), _("Predicted lifetime value")]]

    def share(v):
        return None if v is None else round(v, 4)

    for field, grouping in (("tier", _("Value tier")), ("abc_class", _("ABC class")), ("rfm_group", _("RFM group"))):
        for g in figures[field]:
            rows.append([grouping, str(g.label) if g.key else _("None"), g.customers, share(g.customer_share),
                         g.revenue, share(g.share), g.clv])
    total_revenue = figures["revenue"]
    for (r, f), cell in sorted(selectors.rf_heatmap(qs).items(), reverse=True):
        rows.append([_("R score x F score"), f"R{r} F{f}", cell["customers"],
                     share(cell["customers"] / figures["customers"]) if figures["customers"] else None,
                     cell["revenue"], share(float(cell["revenue"] / total_revenue)) if total_revenue > 0 else None,
                     None])
    return export_response(request, rows, export="value_groups", object_id=run.pk,
                           name=f"customer-value-groups-{run.pk}", fmt=fmt, sheet=_("Customer value"))


@login_required
def migration_export(request):
    """The migration matrix of the page (same runs, field and filters) as CSV or Excel:
    one row per group before, one column per group now, with totals."""
    from kehu.insights.exports import export_response

    fmt = _format(request)
    run_to = selectors.scored_run(request.GET.get("run"))
    if run_to is None:
        raise Http404
    run_from, field = _migration_runs(request, run_to)
    if run_from is None:
        raise Http404
    filters = parse_filters(request).without_groups()
    matrix = selectors.migration_matrix(viewer=request.user, run_from=run_from, run_to=run_to, field=field,
                                        filters=_blank_groups(filters))
    present_from, present_to = _migration_groups(matrix, field)
    corner = _("%(field)s: analysis #%(a)s ↓ / analysis #%(b)s →") % {
        "field": FIELD_LABELS[field], "a": run_from.pk, "b": run_to.pk}
    rows = [[corner] + [str(l) for _k, l in present_to] + [_("Total")]]
    for fk, fl in present_from:
        counts = [matrix.get((fk, tk), 0) for tk, _tl in present_to]
        rows.append([str(fl)] + counts + [sum(counts)])
    totals = [sum(matrix.get((fk, tk), 0) for fk, _fl in present_from) for tk, _tl in present_to]
    rows.append([_("Total")] + totals + [sum(totals)])
    return export_response(request, rows, export="value_migration", object_id=run_to.pk,
                           name=f"segment-migration-{run_from.pk}-{run_to.pk}-{field}", fmt=fmt,
                           sheet=_("Segment migration"))


@login_required
def segment_export(request, pk):
    from kehu.insights.exports import export_response, member_rows

    fmt = _format(request)
    segment = segment_get(viewer=request.user, pk=pk)
    members = segment_members(segment=segment, viewer=request.user)
    run = segment_run(segment) if rule_needs_scores(segment) else selectors.latest_run()
    return export_response(request, member_rows(members, run), export="segment", object_id=segment.pk,
                           name=f"segment-{segment.pk}", fmt=fmt,
                           sheet=_("Segment"))


# -- analyses (runs) -----------------------------------------------------------------------------

def _run_view_context(request, run):
    from kehu.insights.explain import run_results

    return {"run_obj": run, "results": run_results(run) if sees_company_figures(request.user) else None,
            "running": run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
            "can_retry": run.status == RunStatus.FAILED and can_start_run(request.user)}


@login_required
def run_index(request):
    sort = chosen_sort(request, RUN_SORTS, "-id")
    page = paginate(request, selectors.run_list(viewer=request.user), RUN_SORTS[sort])
    context = base_context(request, "runs", title=_("Value analyses"))
    context.update({"page": page, "latest": selectors.latest_run(), "sort": sort,
                    **list_context(request, "value_runs", sort=sort)})
    return render(request, "insights/runs/list.html", context)


@login_required
def run_detail(request, pk):
    run = selectors.run_get(viewer=request.user, pk=pk)
    context = base_context(request, "runs", title=_("Analysis #%(id)s") % {"id": run.pk})
    context.update(_run_view_context(request, run))
    if context["results"]:
        context.update(_run_charts(context["results"]))
    return render(request, "insights/runs/detail.html", context)


@login_required
def run_progress(request, pk):
    """The progress box of a run; htmx polls it while the run is queued or running."""
    run = selectors.run_get(viewer=request.user, pk=pk)
    response = render(request, "insights/runs/_progress.html", {"run_obj": run, **_run_view_context(request, run)})
    if run.status == RunStatus.SUCCEEDED and request.headers.get("HX-Request"):
        # the finished run's results are on the full page
        response["HX-Refresh"] = "true"
    return response


@login_required
def run_retry_view(request, pk):
    """Start a failed (or interrupted) analysis again: POST from its page."""
    from kehu.insights.services import run_retry

    if request.method != "POST":
        return redirect("value_run_detail", pk=pk)
    run = selectors.run_get(viewer=request.user, pk=pk)
    if not can_start_run(request.user):
        raise PermissionDenied
    try:
        run = run_retry(actor=request.user, run=run)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Analysis #%(id)s started again.") % {"id": run.pk})
    return redirect("value_run_detail", pk=run.pk)


@login_required
def run_create(request):
    from kehu.insights.forms import RunForm
    from kehu.insights.models import RunTrigger

    if not can_start_run(request.user):
        raise PermissionDenied
    if request.method == "POST":
        form = RunForm(request.POST)
        if form.is_valid():
            from kehu.insights.services import run_start

            d = form.cleaned_data
            try:
                run = run_start(actor=request.user, as_of=d["as_of"], calibration_end=d.get("calibration_end"),
                                holdout_end=d.get("holdout_end"), time_unit=d["time_unit"], model=d["model"],
                                trigger=RunTrigger.WEB)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Analysis #%(id)s started. It runs in the background; this page "
                                            "shows its progress.") % {"id": run.pk})
                return redirect("value_run_detail", pk=run.pk)
    else:
        form = RunForm()
    context = base_context(request, "runs", title=_("New value analysis"))
    context["form"] = form
    return render(request, "insights/runs/form.html", context)


def _run_charts(results: dict) -> dict:
    out = {}
    holdout = results.get("holdout") or {}
    rows = [r for r in holdout.get("by_frequency") or [] if r.get("customers")]
    if rows:
        out["holdout_chart"] = charts.expected_vs_actual(
            [{"x": r["frequency"], "expected": r.get("expected") or 0, "actual": r.get("actual") or 0} for r in rows],
            x_title=_("Purchases in the calibration period (repeat)"),
            y_title=_("Average repeat purchases in the holdout"), expected=_("Expected by the model"),
            actual=_("Actual"))
    tracking = holdout.get("tracking") or {}
    if tracking.get("end"):
        out["tracking_chart"] = charts.tracking(
            [{"t": t, "expected": e, "actual": a} for t, e, a in zip(tracking["end"], tracking.get("expected", []),
                                                                    tracking.get("actual", []))],
            x_title=_("Date"), y_title=_("Repeat purchases per period"), expected=_("Expected by the model"),
            actual=_("Actual"), split=tracking.get("calibration_end"))
    return out


# -- value settings -----------------------------------------------------------------------------

@login_required
def settings_view(request):
    from kehu.insights.settings_form import SettingsEditor

    if not can_change_settings(request.user):
        raise PermissionDenied
    editor = SettingsEditor.current()
    if request.method == "POST":
        editor = SettingsEditor.from_post(request.POST)
        if editor.save(actor=request.user):
            messages.success(request, _("Value settings saved. The next analysis uses them."))
            return redirect("value_settings")
        messages.error(request, _("Some settings are not valid; see the messages beside them."))
    context = base_context(request, "settings", title=_("Value settings"))
    context["editor"] = editor
    return render(request, "insights/settings.html", context)
