"""The charts of survey results, as Vega-Lite specs built with Altair from the
figures of :func:`kehu.surveys.analysis.survey_results` (never a queryset).
Pages draw them with ``{% vega_chart %}``; the CSI report renders them to
SVG with :func:`kehu.web.charts.render_svg`. Pages show the same figures as a
table beside each chart."""

from __future__ import annotations

import altair as alt
from django.utils.translation import gettext as _

from kehu.web.charts import PALETTE, chart_spec

QUADRANT_COLOURS = {"keep": "#4d9a6a", "fix": "#c44e52", "low_priority": "#8c8c8c", "overkill": "#e39b2f"}
ZONE_COLOURS = {"defection": "#c44e52", "indifference": "#e39b2f", "affection": "#4d9a6a"}


def quadrant_labels() -> dict[str, str]:
    return {"keep": _("Strengths to keep"), "fix": _("Priorities to fix"),
            "low_priority": _("Lower priorities"), "overkill": _("Possible overkill")}


def zone_labels() -> dict[str, str]:
    return {"defection": _("Defection zone"), "indifference": _("Indifference zone"),
            "affection": _("Affection zone")}


def _data(rows):
    return alt.Data(values=[{k: (str(v) if v is not None and not isinstance(v, (int, float, bool)) else v)
                             for k, v in row.items()} for row in rows])


def index_bars(nodes: list[dict], *, height: int | None = None) -> dict | None:
    """The index of every indicator below the root, as horizontal bars."""
    rows = [{"label": ("· " * (n["level"] - 2)) + (n["name"] or n["code"]), "value": n["index"], "level": n["level"]}
            for n in nodes if n["level"] > 1 and n["index"] is not None]
    if not rows:
        return None
    order = [r["label"] for r in rows]
    chart = alt.Chart(_data(rows)).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=order),
        x=alt.X("value:Q", title=_("Index (0–100)"), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("level:O", title=_("Level"), scale=alt.Scale(range=[PALETTE[0], "#7fa7cc", "#b7cfe3"]),
                        legend=None),
        tooltip=[alt.Tooltip("label:N", title=_("Indicator")), alt.Tooltip("value:Q", title=_("Index"), format=".1f")],
    )
    text = chart.mark_text(align="left", dx=3, fontSize=11).encode(text=alt.Text("value:Q", format=".1f"))
    return chart_spec(alt.layer(chart, text), height=height or max(120, 22 * len(rows)))


def ipa_chart(drivers: dict, *, height: int = 320) -> dict | None:
    """The importance–performance quadrant chart (四分图) with its cut lines."""
    items = [d for d in drivers.get("items", []) if d["importance"] is not None and d["performance"] is not None]
    if not items:
        return None
    labels = quadrant_labels()
    rows = [{"name": d["name"], "importance": d["importance"], "performance": d["performance"],
             "quadrant": labels[d["quadrant"]]} for d in items]
    domain = [labels[k] for k in ("keep", "fix", "low_priority", "overkill")]
    colours = [QUADRANT_COLOURS[k] for k in ("keep", "fix", "low_priority", "overkill")]
    imp_title = _("Importance (correlation with the overall score)") if drivers["basis"] == "correlation" \
        else _("Importance (total effect on satisfaction)")
    base = alt.Chart(_data(rows))
    points = base.mark_circle(size=110, opacity=0.9).encode(
        x=alt.X("importance:Q", title=imp_title, scale=alt.Scale(zero=False, padding=20)),
        y=alt.Y("performance:Q", title=_("Performance (index)"), scale=alt.Scale(zero=False, padding=20)),
        color=alt.Color("quadrant:N", title=None, scale=alt.Scale(domain=domain, range=colours)),
        tooltip=[alt.Tooltip("name:N", title=_("Driver")), alt.Tooltip("importance:Q", format=".3f"),
                 alt.Tooltip("performance:Q", format=".1f"), alt.Tooltip("quadrant:N", title=_("Quadrant"))],
    )
    names = base.mark_text(align="left", dx=7, fontSize=11).encode(x="importance:Q", y="performance:Q", text="name:N")
    vline = alt.Chart(_data([{"x": drivers["importance_cut"]}])).mark_rule(strokeDash=[4, 4], color="#8c8c8c") \
        .encode(x="x:Q")
    hline = alt.Chart(_data([{"y": drivers["performance_cut"]}])).mark_rule(strokeDash=[4, 4], color="#8c8c8c") \
        .encode(y="y:Q")
    return chart_spec(alt.layer(points, names, vline, hline), height=height)


def trend_chart(trend: list[dict], *, height: int = 240) -> dict | None:
    """Index, satisfaction rate and NPS wave after wave."""
    if len(trend) < 2:
        return None
    series = {"index": _("Index"), "satisfaction_rate": _("Satisfaction rate (%)"), "nps": _("NPS")}
    rows = [{"wave": t["wave"], "series": series[k], "value": t[k]} for t in trend for k in series
            if t.get(k) is not None]
    order = [t["wave"] for t in trend]
    chart = alt.Chart(_data(rows)).mark_line(point=True).encode(
        x=alt.X("wave:N", title=_("Wave"), sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=None),
        color=alt.Color("series:N", title=None),
        tooltip=[alt.Tooltip("wave:N", title=_("Wave")), alt.Tooltip("series:N", title=_("Figure")),
                 alt.Tooltip("value:Q", format=".1f")],
    )
    return chart_spec(chart, height=height)


def zones_chart(zones: dict, *, height: int = 90) -> dict | None:
    """Shares of respondents in the satisfaction–loyalty zones, one stacked bar."""
    if not zones:
        return None
    labels = zone_labels()
    rows = [{"zone": labels[k], "share": zones["shares"][k], "order": i} for i, k in enumerate(labels)]
    chart = alt.Chart(_data(rows)).mark_bar().encode(
        x=alt.X("share:Q", title=_("Share of respondents (%)"), stack="zero", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("zone:N", title=None, scale=alt.Scale(domain=list(labels.values()),
                                                               range=list(ZONE_COLOURS.values()))),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("zone:N", title=_("Zone")), alt.Tooltip("share:Q", format=".1f")],
    )
    return chart_spec(chart, height=height)


def benchmark_chart(benchmarks: list[dict], *, ours_label: str, height: int | None = None) -> dict | None:
    """Our score next to each benchmark (定点超越), one bar each, ours first per indicator."""
    rows = []
    seen = set()
    for b in benchmarks:
        if b["ours"] is not None and b["indicator_name"] not in seen:
            rows.append({"label": f"{b['indicator_name']} · {ours_label}", "who": ours_label, "value": b["ours"]})
            seen.add(b["indicator_name"])
        rows.append({"label": f"{b['indicator_name']} · {b['name']}", "who": _("Benchmark"), "value": b["value"]})
    if not rows:
        return None
    order = [r["label"] for r in rows]
    chart = alt.Chart(_data(rows)).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=order),
        x=alt.X("value:Q", title=_("Score (0–100)"), scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("who:N", title=None, scale=alt.Scale(domain=[ours_label, _("Benchmark")],
                                                              range=[PALETTE[0], PALETTE[1]])),
        tooltip=[alt.Tooltip("label:N", title=_("Compared with")), alt.Tooltip("value:Q", format=".1f")],
    )
    text = chart.mark_text(align="left", dx=3, fontSize=11).encode(text=alt.Text("value:Q", format=".1f"))
    return chart_spec(alt.layer(chart, text), height=height or max(80, 22 * len(rows)))
