"""Running a survey from the command line (issue 13, item 16): waves
(create with a sample, open and send, close, list), the weights (AHP with its
consistency ratio, entropy from a wave), and the structural model's options
in the survey file and on ``kehu survey analyze``."""

from __future__ import annotations

import json

import pytest

from kehu.cli import main
from kehu.surveys import definitions as defs
from kehu.surveys.models import Indicator, Invitation, Wave, WaveStatus
from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status, weights_set_ahp
from kehu.surveys.simulate import fill_wave
from tests.factories import CustomerFactory
from tests.surveys.factories import WaveFactory, respond
from tests.surveys.test_csi_natural_gas import ANSWERS

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main(["survey", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_a_wave_from_creation_to_closing(org, gas, capsys, mailoutbox):
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    for k in range(6):
        # two of them have not consented: the consent gate holds their invitations back
        CustomerFactory(name=f"燃气用户{k}", owner=org.users.sales_n1, region="north", email=f"u{k}@example.com",
                        consent_data_processing=k % 3 != 0)
    CustomerFactory(name="华东用户", owner=org.users.sales_e1, region="east", email="east@example.com")
    code, out, err = run(capsys, "wave", "create", "gas", "2026 Q4", "--filter", "region=north", "--sample", "5",
                         "--seed", "7", "--closes", "2099-12-31")
    assert code == 0, err
    wave = Wave.objects.get(survey=gas, name="2026 Q4")
    assert wave.status == WaveStatus.PLANNED and wave.sample_design["seed"] == 7
    assert wave.invitations.count() == 5 and "5 customers invited of 6 eligible" in out
    assert not wave.invitations.filter(customer__region="east").exists()

    code, out, err = run(capsys, "wave", "open", "gas", "2026 Q4", "--send")
    assert code == 0, err
    wave.refresh_from_db()
    consenting = wave.invitations.filter(customer__consent_data_processing=True).count()
    assert consenting in (3, 4)  # five of six sampled: at least one of the two without consent
    assert wave.status == WaveStatus.OPEN and f"{consenting} invitations sent" in out and len(mailoutbox) == consenting
    assert f"{5 - consenting} invitation" in out and "held back" in out

    code, out, _ = run(capsys, "wave", "list", "gas", "--json")
    rows = json.loads(out)
    assert [(r["name"], r["status"], r["invitations"], r["responses"]) for r in rows] == [("2026 Q4", "open", 5, 0)]

    code, out, err = run(capsys, "wave", "close", "gas", str(wave.pk))
    assert code == 0, err
    wave.refresh_from_db()
    assert wave.status == WaveStatus.CLOSED and wave.closes_on is not None


def test_wave_commands_refuse_clearly(org, gas, capsys):
    code, _, err = run(capsys, "wave", "create", "nosuch", "W")
    assert code == 2 and "no survey" in err
    code, _, err = run(capsys, "wave", "create", "gas", "W", "--filter", "region")
    assert code == 2 and "KEY=VALUE" in err
    code, _, err = run(capsys, "wave", "create", "gas", "W", "--filter", "colour=red")
    assert code == 1 and "colour" in err and not Wave.objects.exists()
    # the survey is still a draft: opening is refused by the service, in words
    assert run(capsys, "wave", "create", "gas", "W")[0] == 0
    code, _, err = run(capsys, "wave", "open", "gas", "W")
    assert code == 1 and "into use" in err
    code, _, err = run(capsys, "wave", "close", "gas", "nosuch")
    assert code == 2 and "no wave" in err
    # an empty sample leaves no wave behind
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    code, _, err = run(capsys, "wave", "create", "gas", "Empty", "--filter", "region=west", "--sample", "3")
    assert code == 1 and "empty" in err and not Wave.objects.filter(name="Empty").exists()
    # a salesperson may not run waves
    code, _, err = run(capsys, "wave", "create", "gas", "Mine", "--as", "sales_n1")
    assert code == 1 and not Wave.objects.filter(name="Mine").exists()


def test_weights_show_the_ahp_consistency_ratio_unrounded(org, gas, capsys):
    repair = Indicator.objects.get(survey=gas, code="repair")
    # attitude : timeliness : result judged 1 : 3 : 3 (consistent, CR 0)
    weights_set_ahp(actor=org.users.admin, parent=repair, matrix=[[1, "1/3", "1/3"], [3, 1, 1], [3, 1, 1]])
    code, out, err = run(capsys, "weights", "gas", "--indicator", "repair", "--json")
    assert code == 0, err
    (entry,) = json.loads(out)
    assert entry["method"] == "ahp" and entry["weights"]["repair_attitude"] == pytest.approx(1 / 7, abs=1e-12)
    assert entry["ahp"]["cr"] == pytest.approx(0, abs=1e-12) and entry["ahp"]["consistent"]
    assert entry["ahp"]["order"] == ["repair_attitude", "repair_timeliness", "repair_result"]
    # and in kehu survey analyze --json, with the same unrounded figures
    wave = WaveFactory(survey=gas, name="H1")
    respond(wave, ANSWERS[0], nps=9)
    assert main(["survey", "analyze", "gas", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    repair_entry = next(w for w in data["weights"] if w["indicator"] == "repair")
    assert repair_entry == entry
    assert next(w for w in data["weights"] if w["indicator"] == "supply")["weights"] == {
        "pressure": 0.6, "gas_quality": 0.4}
    assert main(["survey", "analyze", "gas", "--language", "en"]) == 0
    assert "CR 0.0000 (consistent)" in capsys.readouterr().out


def test_entropy_weights_from_a_wave(org, gas, capsys):
    wave = WaveFactory(survey=gas, name="H1")
    for answers in ANSWERS:
        respond(wave, answers, nps=8)
    code, _, err = run(capsys, "weights", "gas", "--indicator", "supply", "--entropy")
    assert code == 2 and "--wave" in err
    code, out, err = run(capsys, "weights", "gas", "--indicator", "supply", "--entropy", "--wave", "H1", "--json")
    assert code == 0, err
    (entry,) = json.loads(out)
    assert entry["method"] == "entropy" and entry["entropy"]["wave"] == "H1"
    assert sum(entry["weights"].values()) == pytest.approx(1)
    assert Indicator.objects.get(survey=gas, code="supply").child_weight_method == "entropy"


def test_model_options_in_the_file_and_on_the_command_line(org, capsys, tmp_path):
    acsi = survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi")
    definition = defs.validate({**defs.parse(defs.dump(_definition(acsi))), "code": "acsi-2",
                                "model": {"scheme": "centroid", "scaled": False, "bootstrap": 25, "seed": 11}})
    assert definition["model"] == {"scheme": "centroid", "scaled": False, "bootstrap": 25, "seed": 11}
    path = tmp_path / "acsi-2.yaml"
    path.write_text(defs.dump(definition), encoding="utf-8")
    assert main(["survey", "load", str(path)]) == 0
    capsys.readouterr()
    wave = WaveFactory(survey=acsi.__class__.objects.get(code="acsi-2"), name="2026 Q1")
    fill_wave(wave=wave, n=60, seed=1)
    assert main(["survey", "analyze", "acsi-2", "--json"]) == 0
    model = json.loads(capsys.readouterr().out)["model"]
    assert model["options"] == {"scheme": "centroid", "scaled": False, "bootstrap": 25, "seed": 11}
    assert model["bootstrap"] == 25
    # the command line changes them for one run; the same seed gives the same intervals
    args = ["survey", "analyze", "acsi-2", "--json", "--scheme", "path", "--scaled", "--bootstrap", "30", "--seed", "3"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)["model"]
    assert first["options"] == {"scheme": "path", "scaled": True, "bootstrap": 30, "seed": 3}
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["model"]["paths"] == first["paths"]
    # the survey file written back keeps the options
    assert main(["survey", "export", "acsi-2", str(tmp_path / "back.yaml")]) == 0
    assert "scheme: centroid" in (tmp_path / "back.yaml").read_text(encoding="utf-8")
    # bad options are refused by name, in the file and on the command line
    with pytest.raises(defs.DefinitionError) as exc:
        defs.validate({**definition, "model": {"scheme": "magic", "bootstrap": -1, "colour": 1}})
    assert {p.path for p in exc.value.problems} == {"model.scheme", "model.bootstrap", "model.colour"}
    assert main(["survey", "analyze", "acsi-2", "--bootstrap", "99999"]) == 2
    assert "--bootstrap" in capsys.readouterr().err


def _definition(survey):
    from kehu.surveys.selectors import survey_definition

    return survey_definition(survey)
