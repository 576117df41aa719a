"""``kehu survey load``, ``export`` and ``templates``."""

import json

import pytest

from kehu.cli import main
from kehu.surveys.models import Survey

pytestmark = pytest.mark.django_db


def test_load_a_template_then_export_and_load_the_file_again(org, tmp_path, capsys):
    assert main(["survey", "load", "--template", "natural-gas", "--code", "gas-2026"]) == 0
    out = capsys.readouterr().out
    assert "Created survey gas-2026" in out and "11 questions, 12 indicators" in out
    target = tmp_path / "gas.yaml"
    assert main(["survey", "export", "gas-2026", str(target)]) == 0
    assert "Wrote survey gas-2026" in capsys.readouterr().out
    text = target.read_text(encoding="utf-8")
    assert "供气压力" in text and "weight: 0.6" in text
    assert main(["survey", "load", str(target), "--code", "gas-copy"]) == 0
    capsys.readouterr()
    assert main(["survey", "export", "gas-copy", "-", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["code"] == "gas-copy" and data["indicators"]["children"][0]["children"][0]["weight"] == 0.6
    assert Survey.objects.get(code="gas-copy").created_by == org.users.admin


def test_load_reports_every_problem_with_its_line(org, tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("code: x\ntitle: {en: X}\nquestions:\n  - {code: Q1, kind: stars, text: {en: Q}}\n"
                   "  - {code: Q1, kind: text, text: {en: Again}}\n", encoding="utf-8")
    assert main(["survey", "load", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: line 4, questions[0].kind: Unknown question kind 'stars'" in err
    assert f"{bad}: line 5, questions[1].code: The question code Q1 is used twice." in err
    assert "was not loaded" in err and not Survey.objects.exists()


def test_usage_errors(org, tmp_path, capsys):
    assert main(["survey", "load", str(tmp_path / "missing.yaml")]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["survey", "load"]) == 2
    assert main(["survey", "load", "--template", "nope"]) == 2
    assert "kehu survey templates" in capsys.readouterr().err
    assert main(["survey", "export", "nope", "-"]) == 2
    assert main(["survey", "load", "--template", "nps"]) == 0
    assert main(["survey", "load", "--template", "nps"]) == 1
    assert "already exists" in capsys.readouterr().err


def test_replace_a_draft(org, tmp_path, capsys):
    assert main(["survey", "load", "--template", "nps", "--code", "x"]) == 0
    f = tmp_path / "x.json"
    f.write_text(json.dumps({"code": "x", "title": {"en": "Short"},
                             "questions": [{"code": "A", "kind": "text", "text": {"en": "Anything?"}}]}))
    assert main(["survey", "load", str(f), "--replace"]) == 0
    assert list(Survey.objects.get(code="x").questions.values_list("code", flat=True)) == ["A"]


def test_templates_are_listed(capsys):
    assert main(["survey", "templates"]) == 0
    out = capsys.readouterr().out
    for name in ("natural-gas", "acsi", "ecsi", "servqual", "nps", "complaint-return-visit", "employee"):
        assert name in out
