"""Static files (kehu/runtime/staticfiles.py): collected once per change with hashed names and
compressed copies, served with a year-long immutable cache header; the chart library is one of
them, preloaded by the pages that draw charts. Without a collection the plain names still work."""

from __future__ import annotations

import gzip
import re

import pytest
from django.template import Context, Template
from django.templatetags.static import static
from django.urls import reverse

from kehu.runtime import staticfiles
from kehu.web import charts

pytestmark = pytest.mark.django_db


@pytest.fixture
def small_static(settings, tmp_path, monkeypatch):
    """A static tree of two files (one script, the chart bundle) instead of every app's."""
    source = tmp_path / "src" / "kehu"
    source.mkdir(parents=True)
    (source / "charts.js").write_text("document.querySelectorAll('[data-vega-chart]');\n" * 200)
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setattr(charts, "bundle_dir", lambda: cache)
    (cache / f"vega-bundle-{charts.bundle_version()}.js").write_text("window.vegaEmbed = function () {};\n" * 500)
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_DIRS = [tmp_path / "src"]
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder",
                                    "kehu.runtime.staticfiles.ChartBundleFinder"]
    yield tmp_path


def test_without_a_collection_plain_names_and_the_bundle_view():
    assert static("kehu/charts.js") == "/static/kehu/charts.js"
    assert charts.bundle_url() == reverse("vega_bundle", args=[charts.bundle_version()])


def test_collected_files_are_hashed_compressed_and_cached_for_good(small_static, client):
    assert staticfiles.collect_if_needed() is True
    assert staticfiles.collect_if_needed() is False  # nothing changed: not again
    script = static("kehu/charts.js")
    assert re.fullmatch(r"/static/kehu/charts\.[0-9a-f]{12}\.js", script)
    bundle = charts.bundle_url()
    assert re.fullmatch(rf"/static/kehu/vega-bundle-{charts.bundle_version()}\.[0-9a-f]{{12}}\.js", bundle)
    html = Template("{% load kehu_charts %}{% vega_scripts %}").render(Context())
    assert f'<link rel="preload" href="{bundle}" as="script">' in html
    assert re.findall(r'src="([^"]+)"', html) == [bundle, script]

    r = client.get(bundle, HTTP_ACCEPT_ENCODING="gzip")
    assert r.status_code == 200
    assert "immutable" in r["Cache-Control"] and "max-age=315360000" in r["Cache-Control"]
    assert r["Content-Encoding"] == "gzip"
    body = b"".join(r.streaming_content)
    assert gzip.decompress(body).decode().startswith("window.vegaEmbed")
    assert client.get(bundle, HTTP_ACCEPT_ENCODING="br").get("Content-Encoding") == "br"

    # a changed source is collected again, under a new name
    (small_static / "src" / "kehu" / "charts.js").write_text("// a new release\n" * 300)
    assert staticfiles.collect_if_needed() is True
    assert static("kehu/charts.js") != script


def test_a_file_the_manifest_does_not_know_keeps_its_plain_name(small_static):
    staticfiles.collect_if_needed()
    assert static("kehu/not-collected.css") == "/static/kehu/not-collected.css"
