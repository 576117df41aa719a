"""The tabs of a survey's pages. Each part of the workflow adds its own
entries to :data:`SURVEY_TABS` (key, label, URL name taking the survey's
``pk``); a tab whose URL does not exist (its part is not installed) is left
out, so the parts can land in any order."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

SURVEY_TABS: list[tuple[str, object, str]] = [
    ("overview", _("Overview"), "survey_detail"),
    ("questions", _("Questionnaire"), "survey_questions"),
    ("indicators", _("Indicators and weights"), "survey_indicators"),
    ("model", _("Structural model"), "survey_model"),
    ("preview", _("Preview"), "survey_preview"),
    ("waves", _("Waves and answers"), "survey_waves"),
    ("results", _("Results"), "survey_results"),
    ("model_results", _("Model results"), "survey_model_results"),
    ("benchmarks", _("Benchmarks"), "survey_benchmarks"),
    ("actions", _("Improvement actions"), "survey_actions"),
    ("report", _("Report"), "survey_report"),
    # employee surveys only (kehu/surveys/staff), for those the policy lets read them
    ("staff", _("By team and role"), "survey_staff_results"),
    ("staff_customers", _("Staff and customers"), "survey_staff_customers"),
]


def survey_tabs(survey, active: str) -> list[dict]:
    tabs = []
    for key, label, name in SURVEY_TABS:
        if key.startswith("staff") and getattr(survey, "kind", "") != "employee":
            continue
        try:
            url = reverse(name, args=[survey.pk])
        except NoReverseMatch:
            continue
        tabs.append({"key": key, "label": label, "url": url, "active": key == active})
    return tabs
