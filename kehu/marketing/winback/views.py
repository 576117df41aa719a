"""The win-back pages: the lost-revenue report (and its export), the losses, the
win-back list, marking a customer lost (with a confirmation) and won back. Reads
through :mod:`.selectors`, writes through :mod:`.services`; the policy decides (404
for what the viewer may not see, 403 for what they may only read)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.exports.http import export_response, export_tables_response
from kehu.marketing.winback import charts, selectors
from kehu.marketing.winback.forms import FilterForm, MarkLostForm, ReportFilterForm, WonBackForm
from kehu.marketing.winback.lists import CANDIDATES, LOSSES
from kehu.marketing.winback.models import LossReason
from kehu.marketing.winback.services import loss_create, loss_preview, loss_won_back
from kehu.org.models import User
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.web.lists import chosen_sort, list_context
from kehu.web.views.common import add_service_errors, paginate

NAV = "winback"
LOSS_SORTS = {
    "-lost_on": [Tier(Q(), ("-lost_on", "-id"))], "lost_on": [Tier(Q(), ("lost_on", "id"))],
    "-revenue": [Tier(Q(), ("-revenue_lost", "-id"))], "revenue": [Tier(Q(), ("revenue_lost", "id"))],
}
CANDIDATE_SORTS = {
    "-expected": [Tier(Q(), ("-expected_value", "-id"))], "expected": [Tier(Q(), ("expected_value", "id"))],
}


def _owners(viewer):
    ids = selectors.loss_visible(viewer=viewer).exclude(owner_id=None).values("owner_id")
    return list(User.objects.filter(pk__in=ids).order_by("display_name", "username")[:500])


def _filters(values: dict) -> selectors.LossFilters:
    return selectors.LossFilters(date_from=values["date_from"], date_to=values["date_to"], reason=values["reason"],
                                 owner_id=values["owner_id"], status=values["status"], q=values["q"])


def _fmt(request) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


def _query(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k not in ("format", "cursor", "sort", "per", "cols")])


# -- the report ----------------------------------------------------------------------------------

def _report(request):
    form = ReportFilterForm(request.GET or None, owners=_owners(request.user))
    values = form.values()
    return form, values, selectors.loss_report(viewer=request.user, filters=_filters(values), period=values["period"])


@login_required
def report(request):
    form, values, result = _report(request)
    chart = period = None
    if result["total"]["losses"]:
        chart = charts.reason_shares_chart(result["by_reason"], ours=_("Our losses"),
                                           reference=_("Reference share (documents)"),
                                           category_title=_("Reason"), value_title=_("Share of losses (%)"))
        period = charts.period_chart(result["by_period"], period_title=_("Period"), value_title=_("Revenue lost"))
    return render(request, "winback/report.html", {
        "nav_active": NAV, "title": _("Lost customers and win-back"), "form": form, "r": result, "chart": chart,
        "period_chart": period, "query": _query(request), "period_label": values["period"],
    })


def report_tables(result: dict) -> list[tuple[str, list, list]]:
    """The report as tables (the export; the command prints the same)."""
    reasons = [[r["label"], r["losses"], r["share"], r["reference_share"], r["revenue_lost"], r["revenue_share"],
                r["won_back"]] for r in result["by_reason"]]
    owners = [[r["owner"] or "—", r["losses"], r["revenue_lost"], r["won_back"]] for r in result["by_owner"]]
    periods = [[r["period"], r["losses"], r["revenue_lost"], r["won_back"]] for r in result["by_period"]]
    return [
        (_("By reason"), [_("Reason"), _("Losses"), _("Our share (%)"), _("Reference share (%)"), _("Revenue lost"),
                          _("Share of revenue lost (%)"), _("Won back")], reasons),
        (_("By owner"), [_("Owner when lost"), _("Losses"), _("Revenue lost"), _("Won back")], owners),
        (_("By period"), [_("Period"), _("Losses"), _("Revenue lost"), _("Won back")], periods),
    ]


@login_required
def report_export(request):
    _form, values, result = _report(request)
    return export_tables_response(request, report_tables(result), export="winback_report", fmt=_fmt(request),
                                  filename=f"lost-revenue-{dt.date.today():%Y%m%d}")


# -- the losses ------------------------------------------------------------------------------------

def _losses(request):
    form = FilterForm(request.GET or None, owners=_owners(request.user))
    values = form.values()
    return form, selectors.loss_list(viewer=request.user, filters=_filters(values))


@login_required
def losses(request):
    form, qs = _losses(request)
    sort = chosen_sort(request, LOSS_SORTS, "-lost_on")
    page = paginate(request, qs, tiers=LOSS_SORTS[sort])
    return render(request, "winback/losses.html", {
        "nav_active": NAV, "title": _("Lost customers"), "form": form, "page": page, "query": _query(request),
        **list_context(request, LOSSES, sort=sort),
    })


def loss_rows(qs):
    yield [_("Customer code"), _("Customer"), _("Date lost"), _("Reason"), _("Other reason"), _("Revenue lost"),
           _("Predicted value forgone"), _("Value to win back"), _("Owner when lost"), _("Recorded by"),
           _("Won back on"), _("Won back by"), _("Note")]
    for loss in qs.iterator(chunk_size=2000):
        yield [loss.customer.ref, loss.customer.name, loss.lost_on, str(loss.get_reason_display()),
               loss.reason_other, loss.revenue_lost, loss.predicted_value, loss.expected_value,
               str(loss.owner or ""), str(loss.recorded_by or ""), loss.won_back_on,
               str(loss.get_won_back_how_display() if loss.won_back_how else ""), loss.note]


@login_required
def losses_export(request):
    _form, qs = _losses(request)
    return export_response(request, loss_rows(qs.order_by("-lost_on", "-id")), export="winback_losses",
                           fmt=_fmt(request), filename=f"lost-customers-{dt.date.today():%Y%m%d}",
                           sheet="losses")


# -- the win-back list -----------------------------------------------------------------------------

@login_required
def candidates(request):
    reason = request.GET.get("reason", "")
    reason = reason if reason in LossReason.values else ""
    qs = selectors.winback_candidates(viewer=request.user, reason=reason)
    sort = chosen_sort(request, CANDIDATE_SORTS, "-expected")
    page = paginate(request, qs, tiers=CANDIDATE_SORTS[sort])
    return render(request, "winback/candidates.html", {
        "nav_active": NAV, "title": _("Win-back list"), "page": page, "reason": reason,
        "reasons": [(v, l) for v, l in LossReason.choices if v not in ("died", "moved")],
        **list_context(request, CANDIDATES, sort=sort),
    })


# -- marking a customer lost and won back ------------------------------------------------------------

@login_required
def mark_lost(request, pk):
    """The form (reason, date, note), then a confirmation page that shows what the loss
    will record; only the confirmed POST writes."""
    customer = policy_for(request.user).get_changeable(pk)
    current = selectors.open_loss(customer.pk)
    form = MarkLostForm(request.POST or None)
    preview = None
    if request.method == "POST" and current is None and form.is_valid():
        d = form.cleaned_data
        if request.POST.get("confirm") == "yes":
            try:
                loss_create(actor=request.user, customer=customer, reason=d["reason"],
                            reason_other=d["reason_other"], lost_on=d["lost_on"], note=d["note"])
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("%(name)s is marked lost.") % {"name": customer.name})
                return redirect(reverse("customer_detail", args=[customer.pk]) + "#winback")
        else:
            preview = loss_preview(customer=customer, reason=d["reason"], lost_on=d["lost_on"])
            preview["reason_label"] = d["reason_other"] if d["reason"] == "other" else dict(
                LossReason.choices)[d["reason"]]
    return render(request, "winback/mark_lost.html", {
        "nav_active": "customers", "title": _("Mark %(name)s lost") % {"name": customer.name},
        "customer": customer, "form": form, "preview": preview, "current": current,
    })


@login_required
def won_back(request, pk):
    loss = selectors.loss_get(viewer=request.user, pk=pk)
    if not policy_for(request.user).can_change(loss.customer):
        raise PermissionDenied
    form = WonBackForm(request.POST or None)
    if request.method == "POST" and loss.is_open and form.is_valid():
        try:
            loss_won_back(actor=request.user, loss=loss, won_back_on=form.cleaned_data["won_back_on"],
                          note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("%(name)s is marked won back.") % {"name": loss.customer.name})
            return redirect(reverse("customer_detail", args=[loss.customer_id]) + "#winback")
    return render(request, "winback/won_back.html", {
        "nav_active": "customers", "title": _("Mark %(name)s won back") % {"name": loss.customer.name},
        "loss": loss, "form": form,
    })
