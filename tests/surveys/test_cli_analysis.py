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
