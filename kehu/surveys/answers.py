"""Answers as respondents give them: reading them from a form, a file or an
API body, checking them against the questionnaire, and the questionnaire
itself kept ready for the answer page.

An answer is a number for scored items (1–5, 0–10, 1–10), an option value
for single choice, a list of option values for multiple choice, a string for
free text. Only the questions shown (:func:`kehu.surveys.definitions.visible_questions`)
count: answers to questions hidden by a condition are dropped on submission.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from django.utils.translation import gettext as _

from kehu.surveys import definitions as defs
from kehu.surveys.scoring import ScoringPlan, scoring_plan
from kehu.validators import ANSWER_TEXT_MAX as TEXT_MAX


@dataclass
class SurveySpec:
    """A survey's questions in order and its scoring plan."""

    survey_id: int
    questions: list
    by_code: dict
    plan: ScoringPlan
    options: dict = field(default_factory=dict)  # code -> set of option values


_SPECS: dict = {}
SPEC_SECONDS = 10.0


def survey_spec(survey) -> SurveySpec:
    """The :class:`SurveySpec` of ``survey``, kept in this process for a few
    seconds (the answer page reads it on every request; a changed
    questionnaire shows after at most ``SPEC_SECONDS``)."""
    key = (survey.pk, survey.created_at, survey.updated_at)
    now = time.monotonic()
    hit = _SPECS.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    from kehu.surveys import selectors

    rows = list(selectors.questions(survey))
    spec = SurveySpec(survey_id=survey.pk, questions=rows, by_code={q.code: q for q in rows},
                      plan=scoring_plan(survey, rows),
                      options={q.code: {str(o.get("value")) for o in q.options or []} for q in rows
                               if q.kind in ("single", "multiple")})
    if len(_SPECS) > 200:
        _SPECS.clear()
    _SPECS[key] = (now + SPEC_SECONDS, spec)
    return spec


def clear_spec_cache() -> None:
    _SPECS.clear()


def _number(q, raw) -> tuple[Any, str | None]:
    lo, hi = defs.SCALES[q.kind]
    try:
        value = float(str(raw).strip().replace(",", "."))
    except (TypeError, ValueError):
        return None, _("Choose a value from %(lo)s to %(hi)s.") % {"lo": lo, "hi": hi}
    if not value.is_integer() or not lo <= value <= hi:
        return None, _("Choose a value from %(lo)s to %(hi)s.") % {"lo": lo, "hi": hi}
    return int(value), None


def clean_answer(q, raw, options: set | None = None) -> tuple[Any, str | None]:
    """``(value, error)`` for one raw answer (a string, number or list;
    blank = not answered → ``(None, None)``)."""
    if isinstance(raw, (list, tuple)):
        items = [str(v).strip() for v in raw if v is not None and str(v).strip()]
    else:
        items = [] if raw is None else [str(raw).strip()] if str(raw).strip() else []
    if not items:
        return None, None
    if q.kind in defs.SCALES:
        if len(items) > 1:
            return None, _("Give one answer.")
        return _number(q, items[0])
    if q.kind in ("single", "multiple"):
        allowed = options if options is not None else {str(o.get("value")) for o in q.options or []}
        if q.kind == "multiple" and len(items) == 1 and ("|" in items[0] or ";" in items[0]):
            items = [p.strip() for p in items[0].replace(";", "|").split("|") if p.strip()]
        unknown = [v for v in items if v not in allowed]
        if unknown:
            return None, _("“%(value)s” is not one of the options.") % {"value": unknown[0][:50]}
        if q.kind == "single":
            if len(items) > 1:
                return None, _("Choose one option.")
            return items[0], None
        return list(dict.fromkeys(items)), None
    text = " ".join(items) if len(items) > 1 else items[0]
    if len(text) > TEXT_MAX:
        return None, _("Use at most %(max)s characters.") % {"max": TEXT_MAX}
    return text, None


def read_answers(spec: SurveySpec, data: Mapping, *, getlist: bool = True) -> tuple[dict, dict]:
    """Answers and errors (question code → message) from ``data``: a
    ``QueryDict`` (a form), or a plain mapping of code → value (a file row, an
    API body). Questions not in ``data`` are not answered."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in spec.questions:
        if q.code not in data:
            continue
        raw = data.getlist(q.code) if getlist and hasattr(data, "getlist") else data.get(q.code)
        value, error = clean_answer(q, raw, spec.options.get(q.code))
        if error:
            errors[q.code] = error
        elif value is not None:
            answers[q.code] = value
    return answers, errors


def shown_answers(spec: SurveySpec, answers: Mapping) -> tuple[list, dict]:
    """The questions shown given ``answers`` and the answers to them only."""
    shown = defs.visible_questions(spec.questions, answers)
    return shown, {q.code: answers[q.code] for q in shown if q.code in answers}


def missing_required(spec: SurveySpec, answers: Mapping) -> dict:
    """Question code → message for every required question shown but not answered."""
    shown, kept = shown_answers(spec, answers)
    return {q.code: _("Please answer this question.") for q in shown if q.required and q.code not in kept}


def answers_of(response) -> dict:
    """The stored answers of ``response`` as question code → value."""
    out: dict[str, Any] = {}
    for a in response.answers.select_related("question").only(
            "number", "choices", "text", "question__code", "question__kind"):
        q = a.question
        if q.kind in defs.SCALES:
            if a.number is not None:
                out[q.code] = int(a.number) if float(a.number).is_integer() else a.number
        elif q.kind == "single":
            if a.choices:
                out[q.code] = a.choices[0]
        elif q.kind == "multiple":
            if a.choices:
                out[q.code] = list(a.choices)
        elif a.text:
            out[q.code] = a.text
    return out
