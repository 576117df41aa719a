"""The results of a survey (tabs Results, Model results, Benchmarks, Report):
the figures of :func:`kehu.surveys.analysis.survey_results` for the wave the
user picks, as the user may see them, with charts, tables, exports (CSV and
Excel), the benchmarks to compare with, and the CSI report as a page and a
PDF.

Everyone active reads results (a salesperson's cover their own customers);
designers manage benchmarks (the services check again).
"""

from __future__ import annotations


from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from kehu.exports.audit import export_audit_finish, export_audit_start
from kehu.exports.http import export_tables_response
from kehu.surveys import analysis, charts, selectors, texts
from kehu.surveys.models import Benchmark, Survey
from kehu.surveys.navigation import survey_tabs
from kehu.surveys.services import analysis as svc
from kehu.web.views.common import add_service_errors, paginate


def _survey(request, pk) -> Survey:
    return selectors.survey_get(viewer=request.user, pk=pk)


def _wave(request, survey):
    ref = request.GET.get("wave", "")
    if ref:
        wave = analysis.wave_get(survey, ref)
        if wave is None:
            raise Http404
        return wave
    return analysis.default_wave(survey)


def _context(request, survey, tab, **extra):
    can_design = selectors.may_design_surveys(request.user)
    ctx = {"nav_active": "surveys", "survey": survey, "tabs": survey_tabs(survey, tab), "tab": tab,
           "can_design": can_design, "editable": False}
    ctx.update(extra)
    return ctx


def _results(request, survey, wave):
    return analysis.survey_results(viewer=request.user, survey=survey, wave=wave,
                                   language=translation.get_language())


BREAKDOWN_LABELS = {"region": gettext_lazy("Region"), "owner": gettext_lazy("Owner"),
                    "tier": gettext_lazy("Value tier"), "segment": gettext_lazy("Segment"),
                    "partner_type": gettext_lazy("Partner type"), "partner_level": gettext_lazy("Partner level"),
                    "partner": gettext_lazy("Partner")}


@login_required
def results_page(request, pk):
    survey = _survey(request, pk)
    wave = _wave(request, survey)
    r = _results(request, survey, wave)
    kinds = analysis.breakdown_kinds(survey)
    by = request.GET.get("by", kinds[0] if kinds else "")
    if by not in kinds:
        by = kinds[0] if kinds else ""
    show_suppressed = request.GET.get("small") == "1"
    groups = r["breakdowns"].get(by, [])
    hidden = sum(1 for g in groups if g["suppressed"])
    if not show_suppressed:
        groups = [g for g in groups if not g["suppressed"]]
    labels = charts.quadrant_labels()
    drivers = r["drivers"]
    if drivers:
        for d in drivers["items"]:
            d["quadrant_label"] = labels[d["quadrant"]]
    zone_rows = []
    if r["zones"]:
        zl = charts.zone_labels()
        zone_rows = [{"key": k, "label": zl[k], "count": r["zones"]["counts"][k], "share": r["zones"]["shares"][k]}
                     for k in zl]
    return render(request, "surveys/analysis/results.html", _context(
        request, survey, "results", title=_("Results"), r=r, wave=wave, waves=analysis.waves_with_responses(survey),
        by=by, breakdown_choices=[(k, BREAKDOWN_LABELS[k]) for k in kinds], groups=groups,
        hidden_groups=hidden, show_suppressed=show_suppressed, min_group=analysis.MIN_GROUP,
        index_chart=charts.index_bars(r["nodes"]) if r["nodes"] else None,
        ipa_chart=charts.ipa_chart(drivers) if drivers else None,
        trend_chart=charts.trend_chart(r["trend"]), zones_chart=charts.zones_chart(r["zones"]),
        zone_rows=zone_rows, quadrants=labels))


@login_required
def model_page(request, pk):
    survey = _survey(request, pk)
    wave = _wave(request, survey)
    r = _results(request, survey, wave)
    has_model = survey.constructs.exists()
    return render(request, "surveys/analysis/model.html", _context(
        request, survey, "model_results", title=_("Model results"), r=r, wave=wave, m=r["model"],
        waves=analysis.waves_with_responses(survey), has_model=has_model))


# --------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------

def _export_tables(r: dict) -> list[tuple[str, list[str], list[list]]]:
    """(sheet name, header, rows) of the results."""
    tables = [(_("Indicators"), [_("Code"), _("Indicator"), _("Level"), _("Weight"), _("Global weight"), _("Index"),
                                 _("Satisfaction rate (%)"), _("Respondents")],
               [[n["code"], n["name"], n["level"], n["weight"], n["global_weight"], n["index"],
                 n["satisfaction_rate"], n["n"]] for n in r["nodes"]])]
    summary = [[_("Wave"), r["wave"]["name"] if r["wave"] else ""], [_("Responses"), r["n"]],
               [_("Overall index"), r.get("overall")], [_("Satisfaction rate (%)"), r["satisfaction_rate"]]]
    if r["nps"]:
        summary += [[_("NPS"), r["nps"]["value"]], [_("NPS interval (95 percent), lower end"), r["nps"]["low"]],
                    [_("NPS interval (95 percent), upper end"), r["nps"]["high"]]]
    tables.insert(0, (_("Summary"), [_("Figure"), _("Value")], summary))
    if r["drivers"]:
        labels = charts.quadrant_labels()
        tables.append((_("Drivers"), [_("Code"), _("Driver"), _("Importance"), _("Performance"), _("Quadrant")],
                       [[d["code"], d["name"], d["importance"], d["performance"], labels[d["quadrant"]]]
                        for d in r["drivers"]["items"]]))
    rows = []
    for kind, groups in r["breakdowns"].items():
        for g in groups:
            if not g["suppressed"]:
                rows.append([str(BREAKDOWN_LABELS[kind]), g["label"], g["n"], g.get("index"),
                             g.get("satisfaction_rate"), g.get("nps")])
    if rows:
        tables.append((_("Breakdowns"), [_("By"), _("Group"), _("Respondents"), _("Index"),
                                         _("Satisfaction rate (%)"), _("NPS")], rows))
    if r["model"] and "paths" in r["model"]:
        tables.append((_("Paths"), [_("Path"), _("Coefficient"), pgettext("interval", "Low"), pgettext("interval", "High")],
                       [[k, p["coefficient"], p.get("low"), p.get("high")] for k, p in r["model"]["paths"].items()]))
        tables.append((_("Constructs"), [_("Construct"), _("Index"), "R²", "Cronbach α", _("Composite reliability"),
                                         "AVE"],
                       [[c["code"], c["index"], c["r2"], r["model"]["reliability"][c["code"]]["alpha"],
                         r["model"]["reliability"][c["code"]]["composite"], r["model"]["reliability"][c["code"]]["ave"]]
                        for c in r["model"]["constructs"]]))
    if r["trend"]:
        tables.append((_("Trend"), [_("Wave"), _("Respondents"), _("Index"), _("Satisfaction rate (%)"), _("NPS")],
                       [[t["wave"], t["n"], t["index"], t["satisfaction_rate"], t["nps"]] for t in r["trend"]]))
    return tables


@login_required
def results_export(request, pk):
    survey = _survey(request, pk)
    wave = _wave(request, survey)
    r = _results(request, survey, wave)
    fmt = request.GET.get("format", "xlsx")
    name = f"{survey.code}-{(wave.name if wave else 'results')}".replace(" ", "_")
    tables = _export_tables(r)
    return export_tables_response(request, tables, export="survey_results", fmt="csv" if fmt == "csv" else "xlsx",
                                  filename=name, object_id=survey.pk)


# --------------------------------------------------------------------------
# Benchmarks
# --------------------------------------------------------------------------

class BenchmarkForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Compared with"), max_length=100,
                           help_text=gettext_lazy("A competitor, or the industry's best."))
    indicator = forms.TypedChoiceField(label=gettext_lazy("Indicator"), required=False, coerce=int, empty_value=None,
                                       help_text=gettext_lazy("Leave empty to compare the overall index."))
    value = forms.FloatField(label=gettext_lazy("Score (0–100)"), min_value=0, max_value=100)
    wave = forms.TypedChoiceField(label=gettext_lazy("Wave"), required=False, coerce=int, empty_value=None,
                                  help_text=gettext_lazy("Leave empty to compare every wave with it."))
    source = forms.CharField(label=gettext_lazy("Source"), max_length=200, required=False,
                             help_text=gettext_lazy("Where the figure comes from, e.g. an industry report."))

    def __init__(self, *args, survey: Survey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [("", _("Overall index"))] + [
            (i.pk, f"{'· ' * (i.level - 1)}{texts.pick(i.name) or i.code}") for i in selectors.indicators(survey)]
        self.fields["wave"].choices = [("", _("Every wave"))] + [(w.pk, w.name) for w in selectors.waves(survey)]


def _designer(request, pk) -> Survey:
    survey = _survey(request, pk)
    if not selectors.may_design_surveys(request.user):
        raise PermissionDenied
    return survey


def _benchmark(survey, bid) -> Benchmark:
    try:
        return Benchmark.objects.select_related("indicator", "wave").get(survey=survey, pk=bid)
    except Benchmark.DoesNotExist:
        raise Http404 from None


@login_required
def benchmark_list(request, pk):
    survey = _survey(request, pk)
    qs = Benchmark.objects.filter(survey=survey).select_related("indicator", "wave")
    page = paginate(request, qs, ("name", "id"))
    return render(request, "surveys/analysis/benchmarks.html", _context(
        request, survey, "benchmarks", title=_("Benchmarks"), page=page))


@login_required
def benchmark_form(request, pk, bid=None):
    survey = _designer(request, pk)
    benchmark = _benchmark(survey, bid) if bid else None
    initial = {}
    if benchmark is not None:
        initial = {"name": benchmark.name, "indicator": benchmark.indicator_id, "value": benchmark.value,
                   "wave": benchmark.wave_id, "source": benchmark.source}
    form = BenchmarkForm(request.POST or None, survey=survey, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        data = {"name": d["name"], "value": d["value"], "source": d["source"],
                "indicator": survey.indicators.filter(pk=d["indicator"]).first() if d["indicator"] else None,
                "wave": survey.waves.filter(pk=d["wave"]).first() if d["wave"] else None}
        try:
            if benchmark is None:
                svc.benchmark_create(actor=request.user, survey=survey, **data)
                messages.success(request, _("Benchmark added."))
            else:
                svc.benchmark_update(actor=request.user, benchmark=benchmark, **data)
                messages.success(request, _("Benchmark saved."))
            return redirect("survey_benchmarks", survey.pk)
        except ValidationError as exc:
            add_service_errors(form, exc)
    title = _("Add a benchmark") if benchmark is None else _("Change the benchmark")
    return render(request, "surveys/analysis/benchmark_form.html", _context(
        request, survey, "benchmarks", title=title, form=form, benchmark=benchmark))


@login_required
def benchmark_delete(request, pk, bid):
    survey = _designer(request, pk)
    benchmark = _benchmark(survey, bid)
    if request.method == "POST":
        svc.benchmark_delete(actor=request.user, benchmark=benchmark)
        messages.success(request, _("Benchmark deleted."))
        return redirect("survey_benchmarks", survey.pk)
    return render(request, "surveys/analysis/benchmark_delete.html", _context(
        request, survey, "benchmarks", title=_("Delete the benchmark"), benchmark=benchmark))


# --------------------------------------------------------------------------
# The report
# --------------------------------------------------------------------------

@login_required
def report_page(request, pk):
    from kehu.surveys.report import report_context

    survey = _survey(request, pk)
    wave = _wave(request, survey)
    ctx = report_context(viewer=request.user, survey=survey, wave=wave, language=translation.get_language())
    return render(request, "surveys/analysis/report_page.html", _context(
        request, survey, "report", title=_("CSI report"), waves=analysis.waves_with_responses(survey), wave=wave,
        **ctx))


@login_required
def report_download(request, pk):
    from kehu.surveys.report import report_pdf

    survey = _survey(request, pk)
    wave = _wave(request, survey)
    event = export_audit_start(actor=request.user, export="survey_report", fmt="pdf", via="web",
                               filters={k: v for k, v in request.GET.items()}, object_id=survey.pk)
    pdf = report_pdf(viewer=request.user, survey=survey, wave=wave, language=translation.get_language())
    export_audit_finish(event, rows=None)
    name = f"{survey.code}-{wave.name if wave else 'report'}".replace(" ", "_")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.pdf")
    return response
