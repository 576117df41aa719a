"""The service analytics as charts and as a PDF (服务分析报告).

Charts are Vega-Altair specs (:mod:`kehu.web.charts`): drawn in the page by the
locally served Vega bundle, rendered to SVG on the server for the PDF. The PDF is
made by WeasyPrint from the same figures (:func:`kehu.service.analytics.service_report`)
with the Noto CJK fonts, as the CSI report does (:mod:`kehu.surveys.report`).
"""

from __future__ import annotations

import base64

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from kehu.web.charts import chart_spec, large_number_axis, render_svg


def volume_chart(report: dict) -> dict | None:
    import altair as alt

    rows = [{"month": m, "kind": item["label"], "cases": n}
            for item in report["volume"]["kind"] for m, n in item["months"].items()]
    if not report["total"]:
        return None
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("month:O", title=_("Month")),
        y=alt.Y("sum(cases):Q", title=_("Cases"), axis=large_number_axis()),
        color=alt.Color("kind:N", title=_("Kind")),
        tooltip=[alt.Tooltip("month:O", title=_("Month")), alt.Tooltip("kind:N", title=_("Kind")),
                 alt.Tooltip("cases:Q", title=_("Cases"))],
    )
    return chart_spec(chart)


def pareto_chart(report: dict) -> dict | None:
    import altair as alt

    rows = [{"cause": r["label"], "count": r["count"], "cumulative": r["cumulative"], "rank": i}
            for i, r in enumerate(report["pareto"]["rows"][:15])]
    if not rows:
        return None
    base = alt.Chart(alt.Data(values=rows)).encode(
        x=alt.X("cause:N", sort=alt.EncodingSortField("rank"), title=_("Cause"), axis=alt.Axis(labelLimit=140)))
    bars = base.mark_bar().encode(y=alt.Y("count:Q", title=_("Complaints")),
                                  tooltip=[alt.Tooltip("cause:N", title=_("Cause")),
                                           alt.Tooltip("count:Q", title=_("Complaints"))])
    line = base.mark_line(point=True, color="#c44e52").encode(
        y=alt.Y("cumulative:Q", title=_("Cumulative share"), axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1])),
        tooltip=[alt.Tooltip("cumulative:Q", title=_("Cumulative share"), format=".0%")])
    return chart_spec(alt.layer(bars, line).resolve_scale(y="independent"), height=300)


def backlog_chart(report: dict) -> dict | None:
    import altair as alt

    rows = [{"age": b["label"], "cases": b["count"], "rank": i} for i, b in enumerate(report["backlog"]["buckets"])]
    if not report["backlog"]["total"]:
        return None
    chart = alt.Chart(alt.Data(values=rows)).mark_bar().encode(
        x=alt.X("age:N", sort=alt.EncodingSortField("rank"), title=_("Age")),
        y=alt.Y("cases:Q", title=_("Open cases")),
        tooltip=[alt.Tooltip("age:N", title=_("Age")), alt.Tooltip("cases:Q", title=_("Open cases"))])
    return chart_spec(chart, height=220)


def charts(report: dict) -> dict:
    return {"volume": volume_chart(report), "pareto": pareto_chart(report), "backlog": backlog_chart(report)}


def tables(report: dict) -> dict:
    """The volume tables and the performance tables, titled (for the page and the PDF)."""
    v = report["volume"]
    return {"volume_tables": [("kind", _("Kind"), v["kind"]), ("category", _("Category"), v["category"]),
                              ("channel", _("Channel"), v["channel"]), ("product", _("Product"), v["product"])],
            **performance_tables(report)}


def performance_tables(report: dict) -> dict:
    """The team and the agent performance tables, titled."""
    return {"performance": [(report["teams"], _("Team")), (report["agents"], _("Agent"))]}


def _svg(spec: dict | None, language: str) -> str | None:
    if not spec:
        return None
    svg = render_svg(spec, language=language, width=620)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def report_html(*, viewer, filters, language: str) -> str:
    from kehu.service.analytics import service_report

    with translation.override(language):
        report = service_report(viewer=viewer, filters=filters)
        images = {k: _svg(v, language) for k, v in charts(report).items()}
        return render_to_string("service/analytics_pdf.html", {"r": report, "images": images, "pdf": True,
                                                                     **tables(report)})


def report_pdf(*, viewer, filters, language: str) -> bytes:
    """The report as PDF bytes (WeasyPrint; Chinese set in Noto Sans CJK)."""
    import logging

    from weasyprint import HTML

    for name in ("weasyprint", "fontTools"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return HTML(string=report_html(viewer=viewer, filters=filters, language=language)).write_pdf()
