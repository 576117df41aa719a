"""The opportunity pages (商机): the list (on the shared list machinery), the kanban
board of a pipeline, the opportunity page (details, lines, contacts with their roles,
stage history, moves), and the forms that call the services. Reads through
``kehu.sales.opportunity_selectors``, writes through ``kehu.sales.opportunities``; the
policy decides (404 / 403)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.customers.models import Customer, DecisionRole
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import opportunity_selectors as selectors
from kehu.sales.models import LostReason, ProductLine, Stage, StageOutcome
from kehu.sales.opportunities import (
    MoveNotAllowed, OpportunityConflict, opportunity_create, opportunity_lose, opportunity_move, opportunity_reopen,
    opportunity_update, opportunity_win,
)
from kehu.sales.quote_selectors import QuoteFilters, quote_list
from kehu.sales.opportunity_forms import (
    FilterForm, LineFormSet, MoveForm, OpportunityForm, contact_choices, contacts_from_post,
)
from kehu.web.lists import list_context
from kehu.web.views.common import add_service_errors, int_or_none, paginate

_SENTINEL = 987654321   # a number no row has, replaced by each row's own in a reversed URL

SORT_TIERS = {
    "-created": [Tier(Q(), ("-created_at", "-id"))],
    "created": [Tier(Q(), ("created_at", "id"))],
    "name": [Tier(Q(), ("name", "id"))],
    "-name": [Tier(Q(), ("-name", "-id"))],
    "amount": [Tier(Q(), ("amount", "id"))],
    "-amount": [Tier(Q(), ("-amount", "-id"))],
    "close": [Tier(Q(expected_close__isnull=False), ("expected_close", "id")),
              Tier(Q(expected_close__isnull=True), ("-created_at", "-id"))],
    "-close": [Tier(Q(expected_close__isnull=False), ("-expected_close", "-id")),
               Tier(Q(expected_close__isnull=True), ("-created_at", "-id"))],
}


def _choices(request):
    policy = policy_for(request.user)
    pipelines = list(selectors.pipelines())
    stages = list(Stage.objects.filter(pipeline__active=True).select_related("pipeline")
                  .order_by("pipeline__id", "position", "id"))
    users = list(policy.assignable_users().order_by("display_name", "username")
                 .only("id", "username", "display_name", "first_name", "last_name", "team_id", "role")[:500])
    return {"pipelines": pipelines, "stages": stages, "users": users,
            "product_lines": list(ProductLine.objects.order_by("name"))}


def _filters(values: dict) -> selectors.OpportunityFilters:
    return selectors.OpportunityFilters(
        pipeline_id=values["pipeline"], stage_id=values.get("stage"), outcome=values.get("outcome", ""),
        owner_id=values["owner"], product_line_id=values["product_line"], close_from=values["close_from"],
        close_to=values["close_to"], q=values["q"])


@login_required
def opportunity_list(request):
    choices = _choices(request)
    form = FilterForm(request.GET or None, **choices)
    f = form.values()
    qs = selectors.opportunity_list(viewer=request.user, filters=_filters(f)).only(*selectors.ROW_FIELDS)
    page = paginate(request, qs, tiers=SORT_TIERS[f["sort"]])
    detail, customer = reverse("opportunity_detail", args=[_SENTINEL]), reverse("customer_detail", args=[_SENTINEL])
    for o in page.items:    # each row's links worked out here, not reversed twice per row by the template
        o.detail_url = detail.replace(str(_SENTINEL), str(o.pk))
        o.customer_url = customer.replace(str(_SENTINEL), str(o.customer_id))
    return render(request, "sales/opportunities/list.html", {
        "nav_active": "opportunities", "title": _("Opportunities"), "form": form, "page": page, "filters": f,
        "can_create": policy_for(request.user).can_create_opportunities,
        **list_context(request, "opportunities", sort=f["sort"]),
    })


def _board_pipeline(request, pipelines):
    wanted = int_or_none(request.GET.get("pipeline"))
    by_pk = {p.pk: p for p in pipelines}
    if wanted in by_pk:
        return by_pk[wanted]
    return next((p for p in pipelines if p.is_default), pipelines[0] if pipelines else None)


def _prepare_cards(request, columns: list[dict], all_columns: list[dict]) -> None:
    """What each card of ``columns`` shows, worked out once per board instead of once per
    card in the template (a board shows up to 20 cards in each of its columns): whether
    the viewer may move it, its links, and its stage list with its stage selected."""
    from django.utils.html import format_html_join

    policy = policy_for(request.user)
    stages = [c["stage"] for c in all_columns]
    detail = reverse("opportunity_detail", args=[_SENTINEL])
    move = reverse("opportunity_move", args=[_SENTINEL])
    options: dict[int, str] = {}
    movable = policy.changeable_opportunity_ids(card for col in columns for card in col["cards"])
    for col in columns:
        for card in col["cards"]:
            card.may_move = card.pk in movable
            card.detail_url = detail.replace(str(_SENTINEL), str(card.pk))
            card.move_url = move.replace(str(_SENTINEL), str(card.pk))
            if card.may_move and card.stage_id not in options:
                options[card.stage_id] = format_html_join(
                    "", "<option value=\"{}\"{}>{}</option>",
                    ((s.pk, " selected" if s.pk == card.stage_id else "", s.name)
                     for s in stages if s.active or s.pk == card.stage_id))
            card.stage_options = options.get(card.stage_id, "")


@login_required
def opportunity_board(request):
    """The kanban board of one pipeline: a column per stage with its count, total and
    weighted total; cards paged per column; move by drag and drop, by keyboard (the
    card's stage list) or without JavaScript (the card's small form)."""
    choices = _choices(request)
    pipeline = _board_pipeline(request, choices["pipelines"])
    form = FilterForm(request.GET or None, board=True, **choices)
    f = form.values()
    columns = []
    if pipeline is not None:
        f["pipeline"] = pipeline.pk
        columns = selectors.board(viewer=request.user, pipeline=pipeline, filters=_filters(f))
    _prepare_cards(request, columns, columns)
    return render(request, "sales/opportunities/board.html", {
        "nav_active": "opportunities", "title": _("Pipeline board"), "form": form, "pipeline": pipeline,
        "columns": columns, "stages": [c["stage"] for c in columns], "query": request.GET.urlencode(),
        "board_next": f"{reverse('opportunity_board')}?{request.GET.urlencode()}",
    })


@login_required
def opportunity_board_column(request, stage_pk):
    """The next cards of one column (the board's "more" link, through htmx)."""
    stage = Stage.objects.select_related("pipeline").filter(pk=stage_pk).first()
    if stage is None:
        from django.http import Http404

        raise Http404
    choices = _choices(request)
    form = FilterForm(request.GET or None, board=True, **choices)
    f = form.values()
    offset = max(int_or_none(request.GET.get("offset")) or 0, 0)
    columns = selectors.board(viewer=request.user, pipeline=stage.pipeline, filters=_filters(f),
                              more={stage.pk: offset})
    col = next(c for c in columns if c["stage"].pk == stage.pk)
    _prepare_cards(request, [col], columns)
    return render(request, "sales/opportunities/_column_cards.html", {
        "col": col, "stages": [c["stage"] for c in columns], "pipeline": stage.pipeline,
        "query": request.GET.urlencode(),
        "board_next": f"{reverse('opportunity_board')}?{request.GET.urlencode()}",
    })


@login_required
def opportunity_detail(request, pk):
    opp = selectors.opportunity_get(viewer=request.user, pk=pk)
    can_change = policy_for(request.user).can_change_opportunity(opp)
    stages = [s for s in selectors.stages(opp.pipeline) if s.active]   # no move into a stage no longer in use
    return render(request, "sales/opportunities/detail.html", {
        "nav_active": "opportunities", "title": opp.name, "opp": opp, "can_change": can_change,
        "lines": list(selectors.opportunity_lines(opp)), "contacts": list(selectors.opportunity_contacts(opp)),
        "history": list(selectors.stage_history(opp)), "is_open": opp.stage.outcome == StageOutcome.OPEN,
        "move_stages": [s for s in stages if s.outcome == StageOutcome.OPEN and s.pk != opp.stage_id],
        "open_stages": [s for s in stages if s.outcome == StageOutcome.OPEN],
        "lost_reasons": list(selectors.lost_reasons()),
        "quotes": list(quote_list(viewer=request.user, filters=QuoteFilters(opportunity_id=opp.pk))
                       .order_by("-created_at", "-id")[:50]),
        "can_quote": policy_for(request.user).can_change(opp.customer),
    })


def _customer_for_create(request):
    policy = policy_for(request.user)
    customer_id = int_or_none(request.POST.get("customer") or request.GET.get("customer"))
    if not customer_id:
        return None
    customer = policy.get_visible(customer_id)
    if not policy.can_change(customer):
        raise PermissionDenied
    return customer


def _form_parts(request, choices, customer, *, opp=None):
    contacts = list(customer.contacts.order_by("name", "id"))
    if request.method == "POST":
        formset = LineFormSet(request.POST, prefix="lines", form_kwargs={"product_lines": choices["product_lines"]})
        chosen = {c["contact"].pk: c["role"] for c in contacts_from_post(request.POST, contacts)}
    else:
        initial = [{"product_line": ln.product_line_id, "amount": ln.amount, "note": ln.note}
                   for ln in selectors.opportunity_lines(opp)] if opp else []
        formset = LineFormSet(initial=initial, prefix="lines", form_kwargs={"product_lines": choices["product_lines"]})
        chosen = {c.contact_id: c.role for c in selectors.opportunity_contacts(opp)} if opp else {}
    return formset, contacts, contact_choices(contacts, chosen)


def _lines(formset) -> list[dict]:
    return [ln for ln in (f.service_line() for f in formset.forms if f.cleaned_data) if ln]


@login_required
def opportunity_create_view(request):
    """Open an opportunity: for the customer of ``?customer=`` (from the 360 page), or a
    customer searched for first."""
    policy = policy_for(request.user)
    if not policy.can_create_opportunities:
        raise PermissionDenied
    customer = _customer_for_create(request)
    if customer is None:
        q = (request.GET.get("q") or "").strip()
        matches = list(policy.changeable(Customer.objects.filter(
            Q(name__icontains=q) | Q(ref__iexact=q))).order_by("name", "id")[:20]) if q else []
        return render(request, "sales/opportunities/pick_customer.html", {
            "nav_active": "opportunities", "title": _("New opportunity"), "q": q, "matches": matches})
    choices = _choices(request)
    form = OpportunityForm(request.POST or None, **{k: choices[k] for k in ("pipelines", "stages", "users")})
    formset, contacts, contact_rows = _form_parts(request, choices, customer)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.service_data()
        data["customer"] = customer
        try:
            opp = opportunity_create(actor=request.user, data=data, lines=_lines(formset),
                                     contacts=contacts_from_post(request.POST, contacts))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Opportunity “%(name)s” opened.") % {"name": opp.name})
            return redirect("opportunity_detail", pk=opp.pk)
    return render(request, "sales/opportunities/form.html", {
        "nav_active": "opportunities", "title": _("New opportunity"), "form": form, "formset": formset,
        "contact_rows": contact_rows, "customer": customer, "decision_roles": DecisionRole.choices,
        "back": reverse("customer_detail", args=[customer.pk]) if request.GET.get("from") == "customer"
        else reverse("opportunity_list"),
    })


def _changeable(request, pk):
    opp = selectors.opportunity_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change_opportunity(opp):
        raise PermissionDenied
    return opp


@login_required
def opportunity_edit_view(request, pk):
    opp = _changeable(request, pk)
    choices = _choices(request)
    fields = ("name", "probability", "expected_close", "competitor", "source", "owner", "next_step", "next_step_on")
    initial = {f: getattr(opp, f) for f in fields if f != "owner"}
    initial["owner"] = opp.owner_id
    users = choices["users"] + ([opp.owner] if opp.owner_id and opp.owner not in choices["users"] else [])
    form = OpportunityForm(request.POST or None, initial=initial, editing=True, users=users)
    formset, contacts, contact_rows = _form_parts(request, choices, opp.customer, opp=opp)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        data = form.service_data()
        try:
            opportunity_update(actor=request.user, opportunity=opp, data=data,
                               version=int_or_none(request.POST.get("version")), lines=_lines(formset),
                               contacts=contacts_from_post(request.POST, contacts))
        except ValidationError as exc:
            add_service_errors(form, exc)
        except OpportunityConflict as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Opportunity saved."))
            return redirect("opportunity_detail", pk=opp.pk)
    return render(request, "sales/opportunities/form.html", {
        "nav_active": "opportunities", "title": _("Edit the opportunity"), "form": form, "formset": formset,
        "contact_rows": contact_rows, "customer": opp.customer, "opp": opp, "decision_roles": DecisionRole.choices,
        "back": reverse("opportunity_detail", args=[opp.pk]),
    })


def _back(request, opp):
    nxt = request.POST.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return redirect(nxt)
    return redirect("opportunity_detail", pk=opp.pk)


def _report(request, exc) -> None:
    messages.error(request, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))


@login_required
@require_POST
def opportunity_move_view(request, pk):
    """One stage move (the opportunity page's buttons, the board's card form, a drop on
    the board). A move to the lost stage without a reason goes to the page's "lose" form."""
    opp = _changeable(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the stage to move to."))
        return _back(request, opp)
    d = form.cleaned_data
    stage = Stage.objects.filter(pk=d["stage"], pipeline_id=opp.pipeline_id).first()
    reason = LostReason.objects.filter(pk=d["lost_reason"]).first() if d["lost_reason"] else None
    if stage is not None and stage.outcome == StageOutcome.LOST and reason is None:
        messages.info(request, _("Say why “%(name)s” was lost.") % {"name": opp.name})
        target = reverse("opportunity_detail", args=[opp.pk]) + "#lose"
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = target
            return response
        return redirect(target)
    try:
        opportunity_move(actor=request.user, opportunity=opp, stage=stage, version=d["version"], note=d["note"],
                         lost_reason=reason, lost_note=d["lost_note"])
    except (ValidationError, OpportunityConflict, MoveNotAllowed) as exc:
        _report(request, exc)
        if request.headers.get("HX-Request"):   # the board swaps only itself: reload it to show why
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
    else:
        messages.success(request, _("“%(name)s” is now at “%(stage)s”.") % {"name": opp.name, "stage": stage.name})
    return _back(request, opp)


@login_required
@require_POST
def opportunity_win_view(request, pk):
    opp = _changeable(request, pk)
    try:
        opportunity_win(actor=request.user, opportunity=opp, version=int_or_none(request.POST.get("version")),
                        note=request.POST.get("note", "")[:5000])
    except (ValidationError, OpportunityConflict, MoveNotAllowed) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("“%(name)s” is won.") % {"name": opp.name})
    return _back(request, opp)


@login_required
@require_POST
def opportunity_lose_view(request, pk):
    opp = _changeable(request, pk)
    reason_id = int_or_none(request.POST.get("lost_reason"))
    reason = LostReason.objects.filter(pk=reason_id).first() if reason_id else None
    try:
        opportunity_lose(actor=request.user, opportunity=opp, lost_reason=reason,
                         lost_note=request.POST.get("lost_note", "")[:5000],
                         version=int_or_none(request.POST.get("version")))
    except (ValidationError, OpportunityConflict, MoveNotAllowed) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("“%(name)s” is lost.") % {"name": opp.name})
    return _back(request, opp)


@login_required
@require_POST
def opportunity_reopen_view(request, pk):
    opp = _changeable(request, pk)
    stage_id = int_or_none(request.POST.get("stage"))
    stage = Stage.objects.filter(pk=stage_id).first() if stage_id else None
    try:
        opportunity_reopen(actor=request.user, opportunity=opp, stage=stage,
                           version=int_or_none(request.POST.get("version")))
    except (ValidationError, OpportunityConflict, MoveNotAllowed) as exc:
        _report(request, exc)
    else:
        messages.success(request, _("“%(name)s” is open again.") % {"name": opp.name})
    return _back(request, opp)


# -- the funnel ---------------------------------------------------------------------

def _funnel_chart(report):
    import altair as alt

    from kehu.web.charts import chart_spec

    if not report.overall or not report.overall.total:
        return None
    rows = [{"stage": r.stage.name, "rank": i, "reached": r.reached, "conversion": r.conversion}
            for i, r in enumerate(report.overall.stages)]
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        y=alt.Y("stage:N", sort=alt.EncodingSortField("rank"), title=_("Stage")),
        x=alt.X("reached:Q", title=_("Reached"), axis=alt.Axis(tickMinStep=1, format="d")),
        tooltip=[alt.Tooltip("stage:N", title=_("Stage")), alt.Tooltip("reached:Q", title=_("Reached")),
                 alt.Tooltip("conversion:Q", title=_("To the next stage"), format=".0%")])
    return chart_spec(chart, height=max(60 * len(rows), 160))


@login_required
def opportunity_funnel(request):
    """The funnel of one pipeline for the opportunities created in a period: conversion
    between stages, days in each stage, win rate and cycle length, with a breakdown by
    owner, team, product line or source. Only the opportunities the viewer may see."""
    from kehu.sales.funnel_selectors import FunnelFilters, funnel_report
    from kehu.sales.opportunity_forms import FunnelForm

    choices = _choices(request)
    form = FunnelForm(request.GET or None, **choices)
    v = form.values()
    report = funnel_report(viewer=request.user, filters=FunnelFilters(**v))
    return render(request, "sales/opportunities/funnel.html", {
        "nav_active": "opportunities", "title": _("Sales funnel"), "form": form, "report": report,
        "chart": _funnel_chart(report), "by_label": dict(FunnelForm.BY).get(v["by"], ""),
    })
