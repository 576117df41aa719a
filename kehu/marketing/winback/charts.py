"""The lost-revenue report's charts (Vega-Lite through Altair and kehu/web/charts.py).
The page shows the same figures as a table beside each chart."""

from __future__ import annotations

import altair as alt

from kehu.web.charts import PALETTE, chart_spec, large_number_axis


def reason_shares_chart(rows: list[dict], *, ours: str, reference: str, category_title: str,
                        value_title: str) -> dict:
    """Our share of the losses per reason beside the documents' reference share
    (grouped horizontal bars, in percent)."""
    values = []
    for row in rows:
        label = str(row["label"])
        if row["share"] is not None:
            values.append({"label": label, "series": ours, "value": float(row["share"])})
        if row["reference_share"] is not None:
            values.append({"label": label, "series": reference, "value": float(row["reference_share"])})
    order = [str(r["label"]) for r in rows]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        y=alt.Y("label:N", title=category_title, sort=order),
        yOffset=alt.YOffset("series:N", sort=[ours, reference]),
        x=alt.X("value:Q", title=value_title, scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=[ours, reference],
                                                                 range=[PALETTE[0], "#b9c0c8"])),
        tooltip=[alt.Tooltip("label:N", title=category_title), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("value:Q", title=value_title, format=".1f")],
    )
    return chart_spec(chart, height=max(180, 44 * len(order)))


def period_chart(rows: list[dict], *, period_title: str, value_title: str) -> dict:
    """Revenue lost per month or quarter."""
    values = [{"period": r["period"], "value": float(r["revenue_lost"])} for r in rows]
    chart = alt.Chart(alt.Data(values=values)).mark_bar().encode(
        x=alt.X("period:N", title=period_title, sort=[r["period"] for r in rows], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("value:Q", title=value_title, axis=large_number_axis()),
        tooltip=[alt.Tooltip("period:N", title=period_title), alt.Tooltip("value:Q", title=value_title,
                                                                          format=",.2f")],
    )
    return chart_spec(chart, height=220)
