"""Numbers, money and dates as each language writes them (``kehu/formats``, ``kehu_web``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation


def _render(text: str, **context) -> str:
    return Template("{% load kehu_web %}" + text).render(Context(context))


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_money_and_numbers_are_grouped_by_thousands_in_both_languages(lang):
    with translation.override(lang):
        assert _render("{{ v|money }}", v=Decimal("1234567.505")) == "¥1,234,567.51"
        assert _render("{{ v|money:'USD' }}", v=Decimal("-42")) == "-$42.00"
        assert _render("{{ v|money:'CHF' }}", v=Decimal("1000")) == "CHF 1,000.00"
        assert _render("{{ v|number }}", v=12345) == "12,345"
        assert _render("{{ v|number:3 }}", v=Decimal("1234.5678")) == "1,234.568"
        assert _render("{{ v|percent }}", v=Decimal("35.25")) == "35.3%"
        assert _render("{{ v|money }} {{ v|number }} {{ v|percent }}", v=None) == "— — —"
        # Django's own grouping (``floatformat:"0g"``) agrees with the filters.
        assert Template('{{ v|floatformat:"0g" }}').render(Context({"v": 12345})) == "12,345"


def test_dates_follow_the_language():
    day = dt.date(2025, 3, 1)
    moment = dt.datetime(2025, 3, 1, 9, 30)
    template = '{{ d|date:"SHORT_DATE_FORMAT" }} | {{ m|date:"SHORT_DATETIME_FORMAT" }} | {{ d|date:"DATE_FORMAT" }}'
    with translation.override("zh-hans"):
        assert Template(template).render(Context({"d": day, "m": moment})) == "2025-03-01 | 2025-03-01 09:30 | 2025年3月1日"
    with translation.override("en"):
        assert Template(template).render(Context({"d": day, "m": moment})) == "03/01/2025 | 03/01/2025 9:30 a.m. | March 1, 2025"
