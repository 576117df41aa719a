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
