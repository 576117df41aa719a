"""``kehu survey analyze CODE`` and ``kehu survey report CODE --pdf OUT``: the
results of a wave on the terminal (or as JSON) and the CSI report as a PDF.

Both read as the whole company by default (the first administrator), or as
``--as USERNAME`` (a salesperson's results cover their own customers).

Exit codes: 0 done; 2 usage errors (no such survey, wave or user, a file
that cannot be written).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.utils.translation import gettext as _

from kehu.surveys import definitions as defs


def register(sub) -> None:
    analyze = sub.add_parser("analyze", help=_("the results of a survey wave: index per indicator, satisfaction "
                                               "rate, NPS, the structural model"))
    analyze.add_argument("code", help=_("the survey's code"))
    analyze.add_argument("--wave", metavar="W", help=_("the wave's name or id (default: the latest with responses)"))
    analyze.add_argument("--json", action="store_true", help=_("print the results as JSON"))
    analyze.add_argument("--as", dest="as_user", metavar="USERNAME",
                         help=_("see the results as this user (default: the whole company)"))
    analyze.add_argument("--language", choices=("zh-hans", "en"), help=_("language of names and labels"))
    model = analyze.add_argument_group(_("structural model (default: the survey's own options, see docs/surveys.md)"))
    model.add_argument("--scheme", choices=("path", "centroid", "factorial"),
                       help=_("the inner weighting scheme of PLS path modelling"))
    model.add_argument("--scaled", dest="scaled", action="store_true", default=None,
                       help=_("standardise the items before estimating"))
    model.add_argument("--unscaled", dest="scaled", action="store_false",
                       help=_("estimate on the items as answered"))
    model.add_argument("--bootstrap", type=int, metavar="N", help=_("bootstrap resamples of the intervals (0: none)"))
    model.add_argument("--seed", type=int, metavar="S", help=_("the bootstrap's random seed"))
    analyze.set_defaults(func=_analyze)

    report = sub.add_parser("report", help=_("write the CSI report (满意度测评报告) of a wave as a PDF"))
    report.add_argument("code", help=_("the survey's code"))
    report.add_argument("--wave", metavar="W", help=_("the wave's name or id (default: the latest with responses)"))
    report.add_argument("--pdf", metavar="OUT", required=True, help=_("the PDF file to write"))
    report.add_argument("--language", choices=("zh-hans", "en"), help=_("the report's language"))
    report.add_argument("--as", dest="as_user", metavar="USERNAME",
                        help=_("write the report as this user (default: the whole company)"))
    report.set_defaults(func=_report)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _setup(args):
    from kehu.imports.cli import _actor
    from kehu.surveys import analysis
    from kehu.surveys.models import Survey

    survey = Survey.objects.filter(code=args.code).first()
    if survey is None:
        _err(_("error: no survey with the code %(code)s") % {"code": args.code})
        return None
    wave = None
    if args.wave:
        wave = analysis.wave_get(survey, args.wave)
        if wave is None:
            _err(_("error: survey %(code)s has no wave %(wave)s") % {"code": survey.code, "wave": args.wave})
            return None
    actor = _actor(args.as_user)
    if actor is None:
        return None
    return survey, wave, actor


def _language(args) -> str:
    from django.utils import translation

    return args.language or translation.get_language() or "zh-hans"


def _analyze(args) -> int:
    from django.utils import translation

    from kehu.surveys.analysis import survey_results

    found = _setup(args)
    if found is None:
        return 2
    survey, wave, actor = found
    overrides = {k: getattr(args, k) for k in ("scheme", "scaled", "bootstrap", "seed") if getattr(args, k) is not None}
    for key, value in overrides.items():
        problem = defs.model_option_errors(key, value)
        if problem:
            _err(_("error: --%(option)s: %(problem)s") % {"option": key, "problem": problem})
            return 2
    language = _language(args)
    with translation.override(language):
        results = survey_results(viewer=actor, survey=survey, wave=wave, language=language,
                                 model_options=overrides)
        if args.json:
            print(json.dumps(results, ensure_ascii=False, indent=2, default=str))
            return 0
        print_table(results)
    return 0


def _num(v, fmt: str = ".1f") -> str:
    return "—" if v is None else format(v, fmt)


def print_table(r: dict) -> None:
    """The results as readable text."""
    title = r["survey"]["title"] or r["survey"]["code"]
    print(title)
    if r["wave"] is None:
        print(_("No responses yet."))
        return
    print(_("Wave: %(wave)s · responses: %(n)d") % {"wave": r["wave"]["name"], "n": r["n"]})
    if not r["n"]:
        print(_("No responses you may see in this wave."))
        return
    print(_("Satisfaction rate: %(rate)s%%") % {"rate": _num(r["satisfaction_rate"])})
    if r["nps"]:
        n = r["nps"]
        print(_("NPS: %(value)s (95%% interval %(low)s to %(high)s, n = %(n)d)") % {
            "value": _num(n["value"]), "low": _num(n["low"]), "high": _num(n["high"]), "n": n["n"]})
    if r["nodes"]:
        print()
        print(f"{_('Indicator'):<40} {_('Weight'):>8} {_('Index'):>8} {_('Satisfied %'):>12} {'n':>6}")
        for node in r["nodes"]:
            label = "  " * (node["level"] - 1) + (node["name"] or node["code"])
            print(f"{label[:40]:<40} {_num(node['weight'], '.3f'):>8} {_num(node['index']):>8} "
                  f"{_num(node['satisfaction_rate']):>12} {node['n']:>6}")
    for parent in r.get("weights") or []:
        ahp = parent.get("ahp")
        if ahp:
            print()
            print(_("AHP weights of %(name)s: λmax %(lambda_max)s, CI %(ci)s, RI %(ri)s, CR %(cr)s (%(verdict)s)") % {
                "name": parent["name"], "lambda_max": _num(ahp["lambda_max"], ".4f"), "ci": _num(ahp["ci"], ".4f"),
                "ri": _num(ahp["ri"], ".2f"), "cr": _num(ahp["cr"], ".4f"),
                "verdict": _("consistent") if ahp["consistent"] else _("not consistent")})
    model = r.get("model")
    if model and "error" in model:
        print()
        print(model["error"])
    elif model:
        print()
        opts = model.get("options") or {}
        print(_("Structural model (PLS path modelling, n = %(n)d, %(b)d bootstrap resamples, seed %(seed)s, "
                "%(scheme)s scheme, %(scaling)s)") % {
            "n": model["n"], "b": model["bootstrap"], "seed": opts.get("seed", "—"), "scheme": opts.get("scheme", "—"),
            "scaling": _("standardised items") if opts.get("scaled", True) else _("items as answered")})
        print(f"{_('Path'):<24} {_('Coefficient'):>12} {_('95% interval'):>22}")
        for key, p in model["paths"].items():
            interval = f"[{_num(p.get('low'), '.3f')}, {_num(p.get('high'), '.3f')}]"
            print(f"{key:<24} {_num(p['coefficient'], '.3f'):>12} {interval:>22}")
        print()
        print(f"{_('Construct'):<24} {_('Index'):>8} {'R²':>8} {'α':>8} {'CR':>8} {'AVE':>8}")
        for c in model["constructs"]:
            rel = model["reliability"].get(c["code"], {})
            print(f"{c['code']:<24} {_num(c['index']):>8} {_num(c['r2'], '.3f'):>8} {_num(rel.get('alpha'), '.3f'):>8}"
                  f" {_num(rel.get('composite'), '.3f'):>8} {_num(rel.get('ave'), '.3f'):>8}")
    if r.get("comparison") and r["comparison"].get("index"):
        c = r["comparison"]["index"]
        print()
        print(_("Against %(wave)s: %(diff)s points (p = %(p)s)") % {
            "wave": r["comparison"]["previous"], "diff": _num(c["difference"], "+.1f"), "p": _num(c["p_value"], ".3f")})


def _report(args) -> int:
    from kehu.exports.audit import export_audit_finish, export_audit_start
    from kehu.surveys.report import report_pdf

    found = _setup(args)
    if found is None:
        return 2
    survey, wave, actor = found
    language = _language(args)
    event = export_audit_start(actor=actor, export="survey_report", fmt="pdf", via="cli", object_id=survey.pk,
                               filters={"wave": wave.name if wave else "", "language": language})
    pdf = report_pdf(viewer=actor, survey=survey, wave=wave, language=language)
    try:
        Path(args.pdf).write_bytes(pdf)
    except OSError as exc:
        _err(_("error: cannot write %(file)s: %(error)s") % {"file": args.pdf, "error": exc.strerror or exc})
        return 2
    export_audit_finish(event, rows=None)
    print(_("Wrote the report of survey %(code)s to %(file)s.") % {"code": survey.code, "file": args.pdf})
    return 0
