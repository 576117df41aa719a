"""The scatter chart of staff beside customers: one point per team, staff
satisfaction across, customer satisfaction up, with the least-squares line
(a Vega-Lite spec by Altair, drawn with ``{% vega_chart %}``)."""

from __future__ import annotations

import altair as alt
from django.utils.translation import gettext as _

from kehu.web.charts import PALETTE, chart_spec


def staff_customer_scatter(rows: list[dict], *, height: int = 320) -> dict | None:
    points = [{"team": r["label"], "staff": r["staff_index"], "customers": r["customer_index"]}
              for r in rows if r["leaf"] and not r["suppressed"] and r["staff_index"] is not None
              and r["customer_index"] is not None]
    if len(points) < 2:
        return None
    base = alt.Chart(alt.Data(values=points))
    dots = base.mark_circle(size=120, opacity=0.9, color=PALETTE[0]).encode(
        x=alt.X("staff:Q", title=_("Staff satisfaction (index)"), scale=alt.Scale(zero=False, padding=20)),
        y=alt.Y("customers:Q", title=_("Customer satisfaction (index)"), scale=alt.Scale(zero=False, padding=20)),
        tooltip=[alt.Tooltip("team:N", title=_("Team")), alt.Tooltip("staff:Q", format=".1f"),
                 alt.Tooltip("customers:Q", format=".1f")])
    names = base.mark_text(align="left", dx=8, fontSize=11).encode(x="staff:Q", y="customers:Q", text="team:N")
    line = base.transform_regression("staff", "customers").mark_line(strokeDash=[4, 4], color="#8c8c8c").encode(
        x="staff:Q", y="customers:Q")
    return chart_spec(alt.layer(dots, names, line), height=height)
