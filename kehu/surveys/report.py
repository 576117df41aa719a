"""The CSI report (满意度测评报告) of a survey wave: an HTML page and a PDF.

Sections, as the seeds lay the report out (DOMAIN.md §5): objectives,
indicators and weights (with the weighting method, and λmax, CI and CR of
AHP judgements), the sample (wave, population, invitations, responses,
response rate), results (index per indicator, satisfaction rate, NPS,
zones, trend), drivers (importance–performance), benchmarks, and the
improvement actions with their baseline, target and whether the indicator
moved since.

Charts are the Vega-Lite specs of :mod:`kehu.surveys.charts` rendered to SVG
on the server (vl-convert, offline) and embedded as images; each is drawn once
and cached by the figures it draws and the language (:func:`_figures`, :func:`_svg`):
a wave's report draws them once, and again only when its answers change. The PDF is made
by WeasyPrint from the same HTML with the Noto CJK fonts installed on the
system (``fonts-noto-cjk``), so Chinese renders and is embedded.
"""

from __future__ import annotations

import base64
import hashlib
import json

from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.surveys import analysis, charts, selectors, texts
from kehu.surveys.models import Survey, Wave, WeightMethod
from kehu.web.charts import render_svg


SVG_CACHE_SECONDS = 7 * 24 * 3600


def _svg(spec: dict | None, language: str, width: int = 620) -> str | None:
    """A data URI of the chart as SVG, or None.

    Rendered once and kept in the cache under a hash of the spec — which holds the
    wave's figures and the translated titles —, the language and the width: a
    wave's report draws its charts once, and again only when its answers (hence
    its figures) change; no entry is ever stale, old ones expire."""
    if not spec:
        return None
    key = f"kehu:survey-report-svg:v1:{language}:{width}:{_digest(spec)}"

    def draw():
        svg = render_svg(spec, language=language, width=width)
        return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")

    return _cached(key, draw)


def _digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _cached(key: str, build):
    """``build()``, kept in the cache under ``key`` for a week (built each time when the cache is down)."""
    try:
        cached = cache.get(key)
    except Exception:
        cached = None
    if cached is not None:
        return cached
    value = build()
    try:
        cache.set(key, value, SVG_CACHE_SECONDS)
    except Exception:
        pass
    return value


def _figures(r: dict, drivers: dict | None, language: str) -> dict:
    """The report's charts as SVG data URIs, kept in the cache under a hash of the
    figures they draw and the language (so once per wave and change of its answers)."""
    drawn = _digest([r["nodes"], drivers, r["trend"], r["zones"], r["benchmarks"]])
    key = f"kehu:survey-report-figures:v1:{language}:{drawn}"

    def draw():
        ours = _("Our score")
        return {
            "index_svg": _svg(charts.index_bars(r["nodes"]) if r["nodes"] else None, language),
            "ipa_svg": _svg(charts.ipa_chart(drivers) if drivers else None, language),
            "trend_svg": _svg(charts.trend_chart(r["trend"]), language),
            "zones_svg": _svg(charts.zones_chart(r["zones"]), language),
            "benchmark_svg": _svg(charts.benchmark_chart(r["benchmarks"], ours_label=ours), language),
        }

    return _cached(key, draw)


def weight_groups(survey: Survey, language: str) -> list[dict]:
    """Each indicator with children: its children's weights and how they were set."""
    tree = selectors.indicator_tree(survey)
    if tree is None:
        return []
    groups = []
    for node in tree.walk():
        if not node.children:
            continue
        ind = node.indicator
        ahp = ind.ahp or {}
        groups.append({
            "name": texts.pick(ind.name, language) or ind.code, "code": ind.code, "level": ind.level,
            "method": ind.child_weight_method,
            "method_label": str(WeightMethod(ind.child_weight_method).label)
            if ind.child_weight_method in WeightMethod.values else ind.child_weight_method,
            "cr": ahp.get("cr") if ind.child_weight_method == WeightMethod.AHP else None,
            "ci": ahp.get("ci") if ind.child_weight_method == WeightMethod.AHP else None,
            "lambda_max": ahp.get("lambda_max") if ind.child_weight_method == WeightMethod.AHP else None,
            "children": [{"name": texts.pick(c.indicator.name, language) or c.indicator.code, "code": c.indicator.code,
                          "weight": c.indicator.weight, "global_weight": c.global_weight,
                          "questions": [q.code for q in c.questions]} for c in node.children],
        })
    return groups


def report_context(*, viewer, survey: Survey, wave: Wave | None = None, language: str | None = None) -> dict:
    """Everything the report's template needs."""
    language = texts.language_of(language)
    with translation.override(language):
        r = analysis.survey_results(viewer=viewer, survey=survey, wave=wave, language=language)
        drivers = r["drivers"]
        qlabels = charts.quadrant_labels()
        if drivers:
            for d in drivers["items"]:
                d["quadrant_label"] = qlabels[d["quadrant"]]
        zone_rows = []
        if r["zones"]:
            zl = charts.zone_labels()
            zone_rows = [{"label": zl[k], "count": r["zones"]["counts"][k], "share": r["zones"]["shares"][k]}
                         for k in zl]
        figures = _figures(r, drivers, language)
        fix = [d for d in (drivers or {}).get("items", []) if d["quadrant"] == "fix"]
        keep = [d for d in (drivers or {}).get("items", []) if d["quadrant"] == "keep"]
    return {"r": r, "report_language": language, "weight_groups": weight_groups(survey, language),
            "objectives": texts.pick(survey.description, language), "survey_title": texts.pick(survey.title, language)
            or survey.code, "generated_at": timezone.localtime(), "zone_rows": zone_rows, "fix": fix, "keep": keep,
            "has_constructs": survey.constructs.exists(), **figures}


def report_html(*, viewer, survey: Survey, wave: Wave | None = None, language: str | None = None) -> str:
    """The report as a standalone HTML document (what the PDF is made from)."""
    language = texts.language_of(language)
    ctx = report_context(viewer=viewer, survey=survey, wave=wave, language=language)
    with translation.override(language):
        return render_to_string("surveys/analysis/report_pdf.html", {**ctx, "survey": survey})


def report_pdf(*, viewer, survey: Survey, wave: Wave | None = None, language: str | None = None) -> bytes:
    """The report as PDF bytes (WeasyPrint; Chinese set in Noto Sans CJK)."""
    import logging

    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    html = report_html(viewer=viewer, survey=survey, wave=wave, language=language)
    return HTML(string=html).write_pdf()
