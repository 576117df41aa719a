"""Template tags for charts (see :mod:`kehu.web.charts`).

``{% vega_scripts %}`` once per page (in ``{% block head %}``), then
``{% vega_chart spec label %}`` for each chart: a box the script fills with
the chart, labelled for screen readers. The caller shows the same figures
as a table next to it.
"""

from __future__ import annotations

from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from kehu.web import charts

register = template.Library()

_JSON_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


@register.simple_tag
def vega_scripts():
    bundle = charts.bundle_url()
    script = static("kehu/charts.js")
    # preloaded: the browser fetches the library while it still reads the page
    return format_html('<link rel="preload" href="{}" as="script">\n<link rel="preload" href="{}" as="script">\n'
                       '<link rel="stylesheet" href="{}">\n<script src="{}" defer></script>\n'
                       '<script src="{}" defer></script>',
                       bundle, script, static("kehu/vega-embed.css"), bundle, script)


@register.simple_tag
def vega_chart(spec, label, height=None):
    payload = charts.embed_payload(spec).translate(_JSON_ESCAPES)
    # A height as data, set by kehu/charts.js: the Content-Security-Policy refuses style attributes.
    min_height = str(int(height)) if height else ""
    return format_html(
        '<div class="chart" role="img" aria-label="{}" data-vega-chart data-min-height="{}">'
        '<script type="application/json">{}</script></div>',
        # JSON inside <script> is raw text: it is kept out of HTML by escaping <, > and &
        # as \u003C, \u003E, \u0026 (above), not by HTML entities, which JSON.parse would not read.
        label, min_height, mark_safe(payload),
    )
