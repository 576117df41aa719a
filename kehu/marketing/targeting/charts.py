"""The targeting curve (Vega-Lite through Altair and kehu/web/charts.py): expected incremental
value V(N), cost C(N) and net value against the number of customers contacted, with the best N
marked. The page shows the same figures as a table beside it."""

from __future__ import annotations

import altair as alt

from kehu.web.charts import PALETTE, chart_spec, large_number_axis


def curve_chart(points: list[dict], *, best_n: int, value: str, cost: str, net: str, n_title: str,
                money_title: str, best_title: str) -> dict:
    series = [(value, "value"), (cost, "cost"), (net, "net")]
    rows = [{"n": p["n"], "series": label, "amount": round(p[key], 2)} for p in points for label, key in series]
    labels = [label for label, _key in series]
    lines = alt.Chart(alt.Data(values=rows)).mark_line().encode(
        x=alt.X("n:Q", title=n_title),
        y=alt.Y("amount:Q", title=money_title, axis=large_number_axis()),
        color=alt.Color("series:N", title=None, sort=labels,
                        scale=alt.Scale(domain=labels, range=[PALETTE[0], PALETTE[3], PALETTE[2]])),
        tooltip=[alt.Tooltip("series:N", title=" "), alt.Tooltip("n:Q", title=n_title, format=","),
                 alt.Tooltip("amount:Q", title=money_title, format=",.2f")],
    )
    rule = alt.Chart(alt.Data(values=[{"n": best_n, "label": best_title}])).mark_rule(
        color=PALETTE[1], strokeDash=[4, 4]).encode(x="n:Q", tooltip=[alt.Tooltip("label:N", title=" "),
                                                                      alt.Tooltip("n:Q", title=n_title)])
    return chart_spec(alt.layer(lines, rule), height=280)
