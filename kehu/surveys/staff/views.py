"""Pages of employee satisfaction: inviting employees from the wave page,
the results by team and role, and staff beside customers per team (with
the correlation and its scatter chart), each with a CSV/.xlsx export.

Who reads them is the policy's ``employee_result_team_ids``
(kehu/org/policies.py); a viewer who may read none gets a 404, as for a
record that does not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.exports.http import export_tables_response
from kehu.org.models import Team
from kehu.org.policies import policy_for
from kehu.surveys import analysis, selectors
from kehu.surveys import selectors_distribution as dsel
from kehu.surveys.models import Survey, SurveyKind
from kehu.surveys.navigation import survey_tabs
from kehu.surveys.staff import charts, results
from kehu.surveys.staff.services import employees_invite


def _survey(request, pk) -> Survey:
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    if survey.kind != SurveyKind.EMPLOYEE or not policy_for(request.user).may_see_employee_results:
        raise Http404
    return survey


def _wave(request, survey):
    ref = request.GET.get("wave", "")
    wave = analysis.wave_get(survey, ref) if ref else analysis.default_wave(survey)
    if ref and wave is None:
        raise Http404
    return wave


def _context(request, survey, tab, **extra):
    return {"nav_active": "surveys", "survey": survey, "tabs": survey_tabs(survey, tab), "tab": tab,
            "can_design": selectors.may_design_surveys(request.user), "editable": False,
            "waves": analysis.waves_with_responses(survey), **extra}


@login_required
@require_POST
def invite(request, pk, w):
    """The wave page's "Invite employees" (all, or the teams chosen)."""
    survey = selectors.survey_get(viewer=request.user, pk=pk)
    wave = dsel.wave_get(viewer=request.user, pk=w, survey=survey)
    if survey.kind != SurveyKind.EMPLOYEE:
        raise Http404
    ids = [int(t) for t in request.POST.getlist("teams") if str(t).isdigit()]
    teams = list(Team.objects.filter(pk__in=ids)) if ids else None
    try:
        counts = employees_invite(actor=request.user, wave=wave, teams=teams)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("You may not do this."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(invited)d employees invited (%(already)d had been already), "
                                    "%(sent)d e-mails sent, %(without)d without an e-mail address: hand them "
                                    "their links from the invitations list.") % {
            "invited": counts["invited"], "already": counts["already"], "sent": counts["sent"],
            "without": counts["without_email"]})
    return redirect("survey_wave_detail", pk=survey.pk, w=wave.pk)


@login_required
def team_results(request, pk):
    survey = _survey(request, pk)
    wave = _wave(request, survey)
    r = results.team_role_results(viewer=request.user, wave=wave) if wave else None
    return render(request, "surveys/staff/results.html", _context(
        request, survey, "staff", title=_("Employee results by team and role"), wave=wave, r=r))


@login_required
def staff_and_customers(request, pk):
    survey = _survey(request, pk)
    wave = _wave(request, survey)
    r = results.staff_and_customers(viewer=request.user, wave=wave) if wave else None
    corr = r["correlations"].get("customer_index") if r else None
    return render(request, "surveys/staff/customers.html", _context(
        request, survey, "staff_customers", title=_("Staff and customers by team"), wave=wave, r=r,
        corr=corr, measures=results.measures(),
        chart=charts.staff_customer_scatter(r["rows"]) if r else None))


def export_tables(*, viewer, wave) -> list[tuple[str, list, list]]:
    """(sheet, header, rows) of the employee results of ``wave`` as ``viewer`` may read them."""
    r = results.team_role_results(viewer=viewer, wave=wave)
    s = results.staff_and_customers(viewer=viewer, wave=wave)
    head = [_("Group"), _("Respondents"), _("Index"), _("Satisfaction rate (%)"), "eNPS"]

    def line(g):
        return [g["label"], g["n"], g["index"], g["satisfaction_rate"], g["enps"]] if not g["suppressed"] \
            else [g["label"], _("fewer than %(n)d respondents: not shown") % {"n": r["threshold"]}, None, None, None]

    tables = [(_("Summary"), [_("Figure"), _("Value")],
               [[_("Wave"), wave.name], [_("Anonymity threshold"), r["threshold"]],
                [_("Period of the customer figures"), f"{s['period'][0]} – {s['period'][1]}"]]
               + ([[_("All respondents"), r["total"]["n"]]] if r["total"] and not r["total"]["suppressed"] else []))]
    tables.append((_("Teams"), head, [line(g) for g in r["teams"]]))
    if r["roles"]:
        tables.append((_("Roles"), head, [line(g) for g in r["roles"]]))
    labels = results.measures()
    tables.append((_("Staff and customers"),
                   [_("Team"), _("Staff index"), _("Customers"), labels["customer_index"], labels["nps"],
                    labels["complaint_rate"], labels["churn_risk"], _("Lost customers")],
                   [[x["label"], x["staff_index"], x["customers"], x["customer_index"], x["nps"], x["complaint_rate"],
                     x["churn_risk"], x["lost"]] for x in s["rows"]]))
    tables.append((_("Correlation"), [_("Customer figure"), "r", _("Teams"), _("Lower end of the 95 percent interval"),
                                      _("Upper end of the 95 percent interval"), "p"],
                   [[labels[k], c["r"], c["n"], c["ci_low"], c["ci_high"], c["p_value"]]
                    for k, c in s["correlations"].items()]))
    return tables


@login_required
def export(request, pk):
    survey = _survey(request, pk)
    wave = _wave(request, survey)
    if wave is None:
        raise Http404
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    return export_tables_response(request, export_tables(viewer=request.user, wave=wave), export="employee_results",
                                  fmt=fmt, filename=f"{survey.code}-{wave.name}-staff".replace(" ", "_"),
                                  object_id=survey.pk)
