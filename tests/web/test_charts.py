"""Charts: the vega bundle is served from this server (never a CDN), cached;
specs render to SVG/PNG offline with Chinese labels; the page embeds them safely."""

from __future__ import annotations

import gzip
import json
import re

import altair as alt
import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

from kehu.web import charts

pytestmark = pytest.mark.django_db


def test_bundle_is_served_locally_compressed_and_cached_for_a_year(client, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    charts.bundle_bytes.cache_clear()
    try:
        url = reverse("vega_bundle", args=[charts.bundle_version()])
        r = client.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
        assert r.status_code == 200
        assert r["Content-Type"].startswith("text/javascript")
        assert r["Content-Encoding"] == "gzip"
        assert "max-age=31536000" in r["Cache-Control"] and "immutable" in r["Cache-Control"]
        js = gzip.decompress(r.content).decode()
        assert "window.vegaEmbed" in js and len(js) > 100_000
        assert list(tmp_path.glob("cache/vega-bundle-*.js")), "the bundle is kept for the next process"
        plain = client.get(url)
        assert "Content-Encoding" not in plain and plain.content.decode() == js
        assert client.get(url, HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304
    finally:
        charts.bundle_bytes.cache_clear()


def test_scripts_tag_points_at_the_local_bundle_and_static_script():
    html = Template("{% load kehu_charts %}{% vega_scripts %}").render(Context())
    sources = re.findall(r'src="([^"]+)"', html)
    assert sources == [reverse("vega_bundle", args=[charts.bundle_version()]), "/static/kehu/charts.js"]


def test_chart_tag_embeds_json_that_cannot_close_the_script(client):
    spec = charts.chart_spec(alt.Chart(alt.Data(values=[{"x": "</script><b>金牌", "y": 1}])).mark_bar().encode(
        x="x:N", y="y:Q"))
    with translation.override("zh-hans"):
        html = Template("{% load kehu_charts %}{% vega_chart spec label %}").render(
            Context({"spec": spec, "label": "各等级 <客户>"}))
    assert "</script><b>" not in html and 'aria-label="各等级 &lt;客户&gt;"' in html
    payload = json.loads(re.search(r'<script type="application/json">(.*?)</script>', html).group(1))
    assert payload["spec"]["data"]["values"][0]["x"] == "</script><b>金牌"
    assert payload["options"]["actions"] is False
    assert payload["options"]["formatLocale"]["currency"] == ["¥", ""]
    assert "$schema" not in payload["spec"]  # nothing for the browser to fetch


def test_specs_render_to_svg_and_png_offline_with_chinese_labels():
    chart = alt.Chart(alt.Data(values=[{"tier": "金牌", "n": 3}, {"tier": "银牌", "n": 5}])).mark_bar().encode(
        x=alt.X("tier:N", title="价值等级"), y=alt.Y("n:Q", title="客户数"))
    spec = charts.chart_spec(chart)
    svg = charts.render_svg(spec, language="zh-hans")
    assert svg.startswith("<svg") and "金牌" in svg and "价值等级" in svg
    png = charts.render_png(spec, language="en", scale=1)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("language, expected, unexpected", [
    ("zh-hans", ["1.2亿", "5万", "800"], ["G", "M", "k"]),
    ("en", ["120M", "50K", "800"], ["G", "亿", "万"]),
])
def test_money_axes_use_the_languages_large_units(language, expected, unexpected):
    # issue 13, item 14: "0.1G" on a Chinese revenue chart; Chinese writes 万 and 亿
    from kehu.insights.charts import group_bars

    rows = [{"key": "a", "label": "甲", "value": 120_000_000}, {"key": "b", "label": "乙", "value": 50_000},
            {"key": "c", "label": "丙", "value": 800}]
    with translation.override(language):
        spec = group_bars(rows, category_title="客户", value_title="收入", money=True)
    labels = " ".join(re.findall(r">([^<>]+)</text>", charts.render_svg(spec, language=language)))
    ticks = [t for t in labels.split() if re.match(r"^-?[\d.,]+\D*$", t)]
    for part in expected:
        with translation.override(language):
            expr = charts.large_number_label_expr()
        assert part in _eval_label_expr(expr, {"120000000": None, "50000": None, "800": None}), part
    assert ticks, labels
    for t in ticks:
        assert not any(u in t for u in unexpected), (t, labels)


def _eval_label_expr(expr: str, values: dict) -> str:
    """The labels the expression gives for ``values``, rendered by Vega itself (vl-convert)."""
    data = [{"v": float(v)} for v in values]
    spec = {"data": {"values": data}, "mark": "text", "width": 200, "height": 100,
            "encoding": {"y": {"field": "v", "type": "ordinal"},
                         "text": {"field": "label", "type": "nominal"}},
            "transform": [{"calculate": expr.replace("datum.value", "datum.v"), "as": "label"}]}
    return charts.render_svg(spec)
