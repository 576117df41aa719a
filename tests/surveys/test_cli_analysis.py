"""``kehu survey analyze`` (JSON keys and the readable table) and ``kehu survey report``."""

import json

import pytest

from kehu.cli import main
from kehu.surveys.services.definitions import survey_create_from_template
from kehu.surveys.simulate import fill_wave
from tests.surveys.factories import WaveFactory, respond
from tests.surveys.test_csi_natural_gas import ANSWERS


def test_analyze_json_has_the_keys_of_the_issue(org, capsys):
    acsi = survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi")
    wave = WaveFactory(survey=acsi, name="2026 Q1")
    fill_wave(wave=wave, n=60, seed=1)
    assert main(["survey", "analyze", "acsi", "--wave", "2026 Q1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for key in ("index", "satisfaction_rate", "nps", "paths", "r2", "reliability", "nodes", "model", "wave", "n"):
        assert key in data, key
    assert data["n"] == 60 and data["wave"]["name"] == "2026 Q1"
    assert "SAT->CL" in data["paths"] and "coefficient" in data["paths"]["SAT->CL"]
    assert set(data["reliability"]["SAT"]) >= {"alpha", "composite", "ave"}
    assert "SAT" in data["r2"]


def test_analyze_the_seeds_example(org, gas, capsys):
    wave = WaveFactory(survey=gas, name="H1")
    respond(wave, ANSWERS[0], nps=9)
    respond(wave, ANSWERS[1], nps=5)
    assert main(["survey", "analyze", gas.code, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["index"]["csi"] == 74.5 and data["satisfaction_rate"] == 50.0
    assert data["nps"]["value"] == 0 and data["nps"]["low"] < 0 < data["nps"]["high"]
    assert main(["survey", "analyze", gas.code, "--language", "en"]) == 0
    out = capsys.readouterr().out
    assert "Satisfaction rate: 50.0%" in out and "Gas supply quality" in out and "74.5" in out


def test_analyze_errors(org, gas, capsys):
    assert main(["survey", "analyze", "nope"]) == 2
    assert "no survey with the code nope" in capsys.readouterr().err
    assert main(["survey", "analyze", gas.code, "--wave", "none"]) == 2
    assert main(["survey", "analyze", gas.code]) == 0
    assert "No responses yet." in capsys.readouterr().out


@pytest.mark.slow
def test_report_writes_a_pdf(org, gas, tmp_path, capsys):
    fill_wave(wave=WaveFactory(survey=gas), n=20, seed=2)
    out = tmp_path / "report.pdf"
    assert main(["survey", "report", gas.code, "--pdf", str(out), "--language", "zh-hans"]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert main(["survey", "report", gas.code, "--pdf", str(tmp_path / "no" / "such" / "dir.pdf")]) == 2


def test_without_wave_the_latest_closed_wave_is_chosen_not_an_open_one(org, gas, capsys):
    """An open wave with one response gave "满意率 0.0%": without --wave the
    report and analyze take the latest closed wave, and say so when there is
    none yet."""
    from kehu.surveys.models import WaveStatus

    closed = WaveFactory(survey=gas, name="2026 H1", status=WaveStatus.CLOSED)
    respond(closed, ANSWERS[0], nps=9)
    respond(closed, ANSWERS[1], nps=5)
    still_open = WaveFactory(survey=gas, name="2026 H2", status=WaveStatus.OPEN)
    respond(still_open, ANSWERS[1], nps=2)
    assert main(["survey", "analyze", gas.code, "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["wave"]["name"] == "2026 H1" and captured.err == ""
    closed.delete()
    assert main(["survey", "analyze", gas.code, "--json", "--language", "en"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["wave"]["name"] == "2026 H2"
    assert "no closed wave with responses yet" in captured.err and "2026 H2" in captured.err


def test_figures_from_fewer_responses_than_planned_are_marked(org, gas, capsys, client_for):
    from django.urls import reverse

    wave = WaveFactory(survey=gas, name="2026 H1", sample_design={"size": 30, "confidence": 0.95, "margin": 0.05})
    respond(wave, ANSWERS[0], nps=9)
    respond(wave, ANSWERS[1], nps=5)
    assert main(["survey", "analyze", gas.code, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["sample"]["below_plan"] is True and data["sample"]["planned_size"] == 30
    assert main(["survey", "analyze", gas.code, "--language", "en"]) == 0
    out = capsys.readouterr().out
    assert "fewer responses (2) than the planned sample (30)" in out and "Satisfaction rate: 50.0%*" in out
    client = client_for(org.users.admin)
    for name in ("survey_results", "survey_report"):
        html = client.get(reverse(name, args=[gas.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert 'data-testid="below-plan"' in html, name
    from kehu.surveys.report import report_html

    assert 'data-testid="below-plan"' in report_html(viewer=org.users.admin, survey=gas, wave=wave, language="en")
    wave.sample_design = {"size": 2}
    wave.save()
    assert main(["survey", "analyze", gas.code, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sample"]["below_plan"] is False
