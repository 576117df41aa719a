"""The charts of Customer value, as Vega-Lite specs built with Altair.

Each function takes figures the selectors computed (never a queryset) and
translated titles, and returns a spec for ``{% vega_chart %}`` or
:func:`kehu.web.charts.render_svg` (reports reuse them). Pages show the
same figures as a table beside each chart.
"""

from __future__ import annotations

import altair as alt

from kehu.web.charts import PALETTE, TIER_COLOURS, chart_spec, large_number_axis


def _plain(value):
    """Lazy translations and other objects as text; numbers and None as they are."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _data(rows: list[dict]) -> alt.Data:
    return alt.Data(values=[{k: _plain(v) for k, v in row.items()} for row in rows])


def pareto_chart(points: list[tuple[float, float]], *, x_title: str, y_title: str, series: str,
                 equality: str, height: int = 280) -> dict:
    """The cumulative share curve (customers from the largest) against the
    line of equal shares, with a mark at 20% of customers."""
    rows = [{"x": round(x * 100, 3), "y": round(y * 100, 3), "series": series} for x, y in points]
    rows += [{"x": 0, "y": 0, "series": equality}, {"x": 100, "y": 100, "series": equality}]
    base = alt.Chart(_data(rows)).encode(
        x=alt.X("x:Q", title=x_title, scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(tickCount=5)),
        y=alt.Y("y:Q", title=y_title, axis=alt.Axis(tickCount=5)),
        color=alt.Color("series:N", title=None, scale=alt.Scale(domain=[series, equality],
                                                                 range=[PALETTE[0], "#b9c0c8"])),
        strokeDash=alt.StrokeDash("series:N", legend=None, scale=alt.Scale(domain=[series, equality],
                                                                           range=[[1, 0], [4, 4]])),
        tooltip=[alt.Tooltip("x:Q", title=x_title, format=".1f"), alt.Tooltip("y:Q", title=y_title, format=".1f")],
    )
    rule = alt.Chart(_data([{"x": 20}])).mark_rule(color=PALETTE[1], strokeDash=[2, 2]).encode(x="x:Q")
    return chart_spec(alt.layer(base.mark_line(interpolate="linear"), rule), height=height)


def group_bars(rows: list[dict], *, category_title: str, value_title: str, money: bool = False,
               colours: dict[str, str] | None = None, horizontal: bool = True, height: int | None = None,
               tooltip_extra: list[tuple[str, str, str]] = ()) -> dict:
    """Bars per group: ``rows`` of ``{"key", "label", "value"}`` (plus the
    fields named in ``tooltip_extra`` as (field, title, format))."""
    order = [str(r["label"]) for r in rows]
    fmt = "$,.0f" if money else ",.0f"
    category = alt.Y("label:N", title=category_title, sort=order) if horizontal else \
        alt.X("label:N", title=category_title, sort=order, axis=alt.Axis(labelAngle=0))
    # counts are whole numbers: no 0.5 customer ticks
    axis = large_number_axis() if money else large_number_axis(tickMinStep=1)
    measure = alt.X("value:Q", title=value_title, axis=axis) if horizontal else \
        alt.Y("value:Q", title=value_title, axis=axis)
    encoding = {"y" if horizontal else "x": category, "x" if horizontal else "y": measure,
                "tooltip": [alt.Tooltip("label:N", title=category_title),
                            alt.Tooltip("value:Q", title=value_title, format=fmt)]
                + [alt.Tooltip(f"{f}:Q", title=t, format=fm) for f, t, fm in tooltip_extra]}
    if colours:
        keys = [r["key"] for r in rows]
        encoding["color"] = alt.Color("key:N", legend=None, scale=alt.Scale(
            domain=keys, range=[colours.get(k, PALETTE[0]) for k in keys]))
    chart = alt.Chart(_data(rows)).mark_bar().encode(**encoding)
    return chart_spec(chart, height=height or max(120, 28 * len(rows)))


def tier_bars(rows: list[dict], **kw) -> dict:
    return group_bars(rows, colours=TIER_COLOURS, **kw)


def histogram(rows: list[dict], *, x_title: str, y_title: str, height: int = 240) -> dict:
    """Customers per value band: ``rows`` of ``{"label", "customers"}`` in band order."""
    order = [str(r["label"]) for r in rows]
    chart = alt.Chart(_data(rows)).mark_bar().encode(
        x=alt.X("label:N", title=x_title, sort=order, axis=alt.Axis(labelAngle=-35)),
        y=alt.Y("customers:Q", title=y_title, axis=large_number_axis(tickMinStep=1)),
        tooltip=[alt.Tooltip("label:N", title=x_title), alt.Tooltip("customers:Q", title=y_title, format=",")],
    )
    return chart_spec(chart, height=height)


def heatmap(rows: list[dict], *, x_title: str, y_title: str, value_title: str, x_order: list[str],
            y_order: list[str], height: int | None = None, links: bool = False) -> dict:
    """A grid of counts: ``rows`` of ``{"x", "y", "value"}`` (and ``"href"``
    when ``links``: a click on a cell opens it)."""
    base = alt.Chart(_data(rows)).encode(
        x=alt.X("x:N", title=x_title, sort=x_order, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("y:N", title=y_title, sort=y_order),
    )
    rect_enc = {
        # the numbers are printed in the cells: no legend
        "color": alt.Color("value:Q", title=value_title, scale=alt.Scale(scheme="blues"), legend=None),
        "tooltip": [alt.Tooltip("y:N", title=y_title), alt.Tooltip("x:N", title=x_title),
                    alt.Tooltip("value:Q", title=value_title, format=",")],
    }
    if links:
        rect_enc["href"] = alt.Href("href:N")
    rect = base.mark_rect(cursor="pointer" if links else "default").encode(**rect_enc)
    dark = 0.6 * max([r["value"] or 0 for r in rows] or [0])
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("value:Q", format=","),
        color=alt.condition(alt.datum.value > dark, alt.value("white"), alt.value("#1b2733")),
    )
    return chart_spec(alt.layer(rect, text), height=height or max(180, 48 * len(y_order) + 40))


def expected_vs_actual(rows: list[dict], *, x_title: str, y_title: str, expected: str, actual: str,
                       height: int = 240) -> dict:
    """Holdout check: repeat purchases by number of calibration purchases,
    ``rows`` of ``{"x", "expected", "actual"}``."""
    long = [{"x": str(r["x"]), "series": expected, "value": r["expected"]} for r in rows] + \
           [{"x": str(r["x"]), "series": actual, "value": r["actual"]} for r in rows]
    order = [str(r["x"]) for r in rows]
    chart = alt.Chart(_data(long)).mark_bar().encode(
        x=alt.X("x:N", title=x_title, sort=order, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("series:N", sort=[expected, actual]),
        y=alt.Y("value:Q", title=y_title),
        color=alt.Color("series:N", title=None, sort=[expected, actual]),
        tooltip=[alt.Tooltip("x:N", title=x_title), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("value:Q", title=y_title, format=",.2f")],
    )
    return chart_spec(chart, height=height)


def tracking(rows: list[dict], *, x_title: str, y_title: str, expected: str, actual: str, split: str | None = None,
             height: int = 240) -> dict:
    """Tracking plot: expected and actual repeat purchases per period,
    ``rows`` of ``{"t", "expected", "actual"}`` (``t`` a date or a period
    number), with a rule where the calibration period ends."""
    temporal = bool(rows) and isinstance(rows[0]["t"], str) and len(rows[0]["t"]) >= 8
    long = [{"t": r["t"], "series": expected, "value": r["expected"]} for r in rows] + \
           [{"t": r["t"], "series": actual, "value": r["actual"]} for r in rows if r.get("actual") is not None]
    x = alt.X("t:T" if temporal else "t:Q", title=x_title)
    lines = alt.Chart(_data(long)).mark_line().encode(
        x=x, y=alt.Y("value:Q", title=y_title),
        color=alt.Color("series:N", title=None, sort=[expected, actual]),
        strokeDash=alt.StrokeDash("series:N", legend=None, sort=[expected, actual],
                                  scale=alt.Scale(range=[[4, 3], [1, 0]])),
        tooltip=[alt.Tooltip("t:T" if temporal else "t:Q", title=x_title), alt.Tooltip("series:N", title=" "),
                 alt.Tooltip("value:Q", title=y_title, format=",.1f")],
    )
    layers = [lines]
    if split is not None:
        layers.append(alt.Chart(_data([{"t": split}])).mark_rule(color=PALETTE[3], strokeDash=[3, 3])
                      .encode(x="t:T" if temporal else "t:Q"))
    return chart_spec(alt.layer(*layers), height=height)
