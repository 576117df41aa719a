import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
application = get_wsgi_application()

# Templates compiled before the workers fork (the pages of the navigation and their base).
WARM_MESSAGE = "Dashboard"
WARM_TEMPLATES = ("web/base.html", "web/dashboard.html", "insights/overview.html")


def warm_up() -> None:
    """Do now what the first request of a process would otherwise wait for: the URL
    configuration (the API's schemas alone take seconds to build), the reverse lookups
    and translation catalogues of each language, Altair's schema, jieba's dictionary and
    the main templates. ``kehu serve`` calls it before forking its workers, which inherit it all."""
    from django.conf import settings
    from django.template import TemplateDoesNotExist
    from django.template.loader import get_template
    from django.urls import get_resolver
    from django.utils import translation

    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 (imports every app's urls and the API)
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            resolver.reverse_dict  # noqa: B018 (populated per language)
            translation.gettext(WARM_MESSAGE)  # loads the catalogues
    import altair as alt

    from kehu.web.charts import chart_spec

    chart_spec(alt.Chart(alt.Data(values=[{"x": 1}])).mark_bar().encode(x="x:Q"))
    try:  # the Chinese word splitter of the survey keywords loads its dictionary (seconds)
        import jieba

        jieba.setLogLevel(60)
        jieba.initialize()
    except ImportError:
        pass
    for name in WARM_TEMPLATES:
        try:
            get_template(name)
        except TemplateDoesNotExist:
            pass
