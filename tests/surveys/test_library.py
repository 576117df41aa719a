"""The shipped templates (kehu/surveys/library): each loads, is complete in
both languages, creates a survey, and exports back to the same definition."""

import re

import pytest

from kehu.surveys import definitions as defs
from kehu.surveys import texts
from kehu.surveys.models import Survey
from kehu.surveys.selectors import survey_definition, survey_problems
from kehu.surveys.services.definitions import survey_create_from_template

NAMES = ["natural-gas", "acsi", "ecsi", "servqual", "nps", "complaint-return-visit", "employee", "partner"]
CJK = re.compile(r"[\u4e00-\u9fff]")


def _texts(value, path=""):
    if isinstance(value, dict):
        if value and set(value) <= set(texts.LANGUAGES):
            yield path, value
            return
        for k, v in value.items():
            yield from _texts(v, f"{path}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _texts(v, f"{path}[{i}]")


def test_every_template_is_shipped_and_listed_in_order():
    assert [t.name for t in defs.library_templates()] == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_template_texts_are_in_both_languages(name):
    definition = defs.library_template(name).definition
    found = list(_texts(definition))
    assert found
    for path, value in found:
        assert texts.is_complete(value), (name, path, value)
        assert CJK.search(value["zh-hans"]), (name, path)
        assert not CJK.search(value["en"]), (name, path)


@pytest.mark.parametrize("name", NAMES)
def test_template_creates_a_survey_ready_for_use_that_exports_the_same(org, name):
    template = defs.library_template(name)
    survey = survey_create_from_template(actor=org.users.admin, template=name, code=f"t-{name}")
    assert survey.status == "draft" and survey.template == name
    assert survey.questions.count() == template.question_count
    assert not [p.message for p in survey_problems(survey)], name
    exported = survey_definition(survey)
    expected = dict(template.definition, code=f"t-{name}")
    assert defs.dump(exported) == defs.dump(expected)


def test_template_contents(db):
    gas = defs.library_template("natural-gas").definition
    assert [c["code"] for c in gas["indicators"]["children"]] == ["supply", "repair", "reading"]
    acsi = defs.library_template("acsi").definition
    assert {c["code"] for c in acsi["constructs"]} == {"CE", "PQ", "PV", "SAT", "CC", "CL"}
    assert ["SAT", "CL"] in acsi["paths"] and all(q["kind"] in ("scale10", "text") for q in acsi["questions"])
    ecsi = defs.library_template("ecsi").definition
    assert "IMAG" in {c["code"] for c in ecsi["constructs"]} and ["IMAG", "CUSA"] in ecsi["paths"]
    assert len([q for q in ecsi["questions"] if q["construct"]]) == 24  # Tenenhaus et al. (2005)
    servqual = defs.library_template("servqual").definition
    dims = {c["code"]: c["weight"] for c in servqual["indicators"]["children"]}
    assert dims == {"reliability": 0.32, "responsiveness": 0.22, "assurance": 0.19, "empathy": 0.16,
                    "tangibles": 0.11}
    assert len([q for q in servqual["questions"] if q["indicator"]]) == 22  # Parasuraman et al. (1988)
    nps = defs.library_template("nps").definition
    assert nps["questions"][0]["kind"] == "nps"
    assert {q["code"]: q["show_if"].get("op") for q in nps["questions"]}["FIX"] == "<="
    assert defs.library_template("employee").definition["kind"] == "employee"
    assert Survey.objects.count() == 0
