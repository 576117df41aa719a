"""Charts: one Vega-Lite spec, drawn in the browser or rendered to SVG/PNG.

Charts are built with Vega-Altair (``import altair as alt``) from figures
the selectors computed, and turned into a plain Vega-Lite spec (a dict) by
:func:`chart_spec`, which adds the house look (fonts that have Chinese
glyphs, colours, sizes). The same spec then

- draws in the page: ``{% load kehu_charts %}``, ``{% vega_scripts %}``
  once in ``{% block head %}``, and ``{% vega_chart spec label %}`` where
  the chart goes. The browser loads vega, vega-lite and vega-embed from
  :func:`bundle_view`, a bundle made by ``vl_convert.javascript_bundle()``
  from the installed ``vl-convert-python`` package and served from this
  server (never a CDN), gzip-compressed, at a URL that carries the package
  version so browsers keep it for a year. Numbers and dates are formatted
  with the locale of the page's language (``¥`` and ``2025年3月1日`` in
  Chinese);
- renders on the server, offline, for reports and e-mails:
  :func:`render_svg` and :func:`render_png` (vl-convert embeds Vega in Rust
  and uses the system fonts, Noto CJK for Chinese).

Every chart on a page needs an accessible fallback: the caller shows the
same figures as a table (screen readers, no JavaScript, printing), and
``label`` is read out for the chart itself.

The bundle is built once per vl-convert version (a few seconds) and kept in
``var/cache/``; ``kehu serve`` builds it before it listens and collects it with
the static files (:mod:`kehu.runtime.staticfiles`), so pages load it under a
hashed name, compressed, cached by browsers for good (:func:`bundle_url`);
without collected static files it comes from :func:`bundle_view`.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified
from django.utils.translation import get_language
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

FONT = ('"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", '
        '"Helvetica Neue", Arial, sans-serif')
PALETTE = ["#2f6fa8", "#e39b2f", "#4d9a6a", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"]
# The value tiers' colours: gold, silver, bronze, do-not-serve.
TIER_COLOURS = {"gold": "#d4a017", "silver": "#9aa5b1", "bronze": "#b06d3b", "do_not_serve": "#5f6368"}

_lock = threading.Lock()


def vl_convert_version() -> str:
    import vl_convert

    return getattr(vl_convert, "__version__", "") or vl_convert.get_vega_version()


def _locale_name(language: str | None = None) -> str:
    language = (language or get_language() or "en").lower()
    return "zh-CN" if language.startswith("zh") else "en-US"


@lru_cache(maxsize=4)
def format_locales(language: str) -> dict[str, Any]:
    """d3 number and time locales of ``language`` (zh-hans → zh-CN), from vl-convert."""
    import vl_convert

    name = _locale_name(language)
    return {"formatLocale": vl_convert.get_format_locale(name),
            "timeFormatLocale": vl_convert.get_time_format_locale(name)}


# Axis labels of large numbers: Chinese counts in 万 (10⁴) and 亿 (10⁸), as
# Chinese business writing does; English in K, M and B. d3's SI format
# ("~s") would print 0.1G or 20µ, which neither language uses for money.
_AXIS_UNITS = {"zh-CN": ((1e8, "亿"), (1e4, "万")), "en-US": ((1e9, "B"), (1e6, "M"), (1e3, "K"))}


def large_number_label_expr(language: str | None = None) -> str:
    """A Vega expression that writes ``datum.value`` with the language's large units (3 significant digits)."""
    expr = "format(datum.value, ',.3~r')"
    for size, unit in reversed(_AXIS_UNITS[_locale_name(language)]):
        expr = (f"abs(datum.value) >= {size:.0f} ? format(datum.value / {size:.0f}, ',.3~r') + '{unit}' : "
                f"({expr})")
    return expr


def large_number_axis(language: str | None = None, **kw):
    """An Altair axis for amounts and counts that can run into the millions (see :func:`large_number_label_expr`)."""
    import altair as alt

    return alt.Axis(labelExpr=large_number_label_expr(language), **kw)


def chart_spec(chart, *, width: int | str = "container", height: int = 260) -> dict:
    """The Vega-Lite spec of an Altair ``chart`` with the house look.

    ``width="container"`` fills the chart's box in the page; server-side
    rendering needs a number (:func:`render_svg` sets one when missing).
    """
    # Altair's JSON-schema validation of a spec took half of the value page's time at a
    # million customers (~40 ms of ~65 ms); the specs are built by our code, and the tests
    # (and DEBUG) validate every one they build (settings.KEHU_VALIDATE_CHARTS).
    validate = bool(getattr(settings, "KEHU_VALIDATE_CHARTS", settings.DEBUG))
    spec = chart.to_dict(validate=validate) if hasattr(chart, "to_dict") else dict(chart)
    spec.pop("$schema", None)  # an identifier only; nothing is ever fetched from it
    spec.setdefault("width", width)
    spec.setdefault("height", height)
    spec.setdefault("autosize", {"type": "fit", "contains": "padding"})
    config = spec.setdefault("config", {})
    config.setdefault("font", FONT)
    config.setdefault("view", {}).update({"stroke": None})
    config.setdefault("range", {}).setdefault("category", PALETTE)
    config.setdefault("axis", {}).update({"labelFontSize": 12, "titleFontSize": 12, "titleFontWeight": "normal",
                                          "gridColor": "#e8ebef", "domainColor": "#b9c0c8"})
    config.setdefault("legend", {}).update({"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"})
    config.setdefault("bar", {}).setdefault("color", PALETTE[0])
    config.setdefault("line", {}).setdefault("color", PALETTE[0])
    return spec


def embed_payload(spec: dict, language: str | None = None) -> str:
    """The JSON a page embeds for ``kehu/charts.js``: the spec and vega-embed's options."""
    # ast + the bundled interpreter: Vega evaluates its expressions without eval()/new Function;
    # no <style> elements inserted (kehu/vega-embed.css has those rules). Both for the
    # Content-Security-Policy (docs/operations.md).
    options = {"actions": False, "renderer": "svg", "ast": True, "defaultStyle": False,
               "tooltip": {"disableDefaultStyle": True}, **format_locales(language or get_language() or "en")}
    return json.dumps({"spec": spec, "options": options}, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def _server_spec(spec: dict, width: int) -> dict:
    spec = json.loads(json.dumps(spec, default=str))
    if spec.get("width") == "container":
        spec["width"] = width
    return spec


def render_svg(spec: dict, *, language: str | None = None, width: int = 640) -> str:
    """The chart as SVG text, rendered on the server (no browser, no network)."""
    import vl_convert

    name = _locale_name(language)
    return vl_convert.vegalite_to_svg(_server_spec(spec, width), format_locale=name, time_format_locale=name)


def render_png(spec: dict, *, language: str | None = None, width: int = 640, scale: float = 2.0) -> bytes:
    """The chart as a PNG image (``scale`` 2 for print and high-density screens)."""
    import vl_convert

    name = _locale_name(language)
    return vl_convert.vegalite_to_png(_server_spec(spec, width), scale=scale, format_locale=name,
                                      time_format_locale=name)


# -- the JavaScript bundle ----------------------------------------------------------

def bundle_version() -> str:
    """Short id of the bundle in use: part of its URL, so a new vl-convert is a new URL."""
    return hashlib.sha1(vl_convert_version().encode()).hexdigest()[:10]


def bundle_dir():
    """Where the built bundle is kept (``var/cache``)."""
    return settings.VAR_DIR / "cache"


def bundle_static_name() -> str:
    """The bundle's name among the static files (:mod:`kehu.runtime.staticfiles`)."""
    return f"kehu/vega-bundle-{bundle_version()}.js"


def bundle_path(*, build: bool = True):
    """The bundle's file, built first when missing and ``build`` (None when
    missing and not ``build``, or when the home cannot be written)."""
    path = bundle_dir() / f"vega-bundle-{bundle_version()}.js"
    if path.exists():
        return path
    if not build:
        return None
    with _lock:
        if not path.exists():
            import vl_convert

            js = vl_convert.javascript_bundle().encode("utf-8")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(js)
                tmp.replace(path)
            except OSError:
                return None  # a read-only home: bundle_bytes serves it from memory
    return path


@lru_cache(maxsize=1)
def bundle_bytes() -> tuple[bytes, bytes]:
    """``(javascript, gzip of it)``: vega, vega-lite and vega-embed as one
    script that sets ``window.vegaEmbed``; made once per vl-convert version
    and kept in ``var/cache``."""
    path = bundle_path(build=True)
    js = None
    try:
        js = path.read_bytes() if path is not None else None
    except OSError:
        js = None
    if not js:
        import vl_convert

        js = vl_convert.javascript_bundle().encode("utf-8")
    return js, gzip.compress(js, compresslevel=6, mtime=0)


def bundle_url() -> str:
    """Where pages load the bundle from: its hashed static file (compressed,
    cached for good) once ``kehu serve`` collected the static files, else
    :func:`bundle_view` (tests, development)."""
    from django.contrib.staticfiles.storage import staticfiles_storage
    from django.urls import reverse

    name = bundle_static_name()
    if getattr(staticfiles_storage, "has_hashed", None) and staticfiles_storage.has_hashed(name):
        return staticfiles_storage.url(name)
    return reverse("vega_bundle", args=[bundle_version()])


@require_GET
@cache_control(public=True, max_age=31536000, immutable=True)
def bundle_view(request, version: str):
    """Serve the chart bundle (the URL carries :func:`bundle_version`)."""
    etag = f'"{bundle_version()}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponseNotModified()
    js, gz = bundle_bytes()
    if "gzip" in request.headers.get("Accept-Encoding", ""):
        response = HttpResponse(gz, content_type="text/javascript; charset=utf-8")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(js, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Vary"] = "Accept-Encoding"
    return response
