"""GET /surveys/{id}/results (the JSON of `kehu survey analyze --json`) and the benchmarks API."""

import pytest

from kehu.surveys.models import Benchmark
from tests.api.conftest import assert_error
from tests.surveys.factories import WaveFactory, respond
from tests.surveys.test_csi_natural_gas import ANSWERS

pytestmark = pytest.mark.django_db


@pytest.fixture
def gas(org):
    from kehu.surveys.services.definitions import survey_create_from_template

    return survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")


@pytest.fixture
def gas_wave(gas, customers):
    wave = WaveFactory(survey=gas, name="2026 H1")
    respond(wave, ANSWERS[0], customer=customers.n1, nps=10)
    respond(wave, ANSWERS[1], customer=customers.e1, nps=3)
    return wave


def test_results_match_the_hand_computed_example(org, gas, gas_wave, api_as):
    data = api_as(org.users.admin).get(f"/surveys/{gas.pk}/results", {"wave": gas_wave.name}).json()
    assert data["index"]["csi"] == 74.5 and data["satisfaction_rate"] == 50.0
    assert data["nps"]["value"] == 0 and data["wave"]["id"] == gas_wave.pk and data["scope"] == "all"
    mine = api_as(org.users.sales_n1).get(f"/surveys/{gas.pk}/results").json()
    assert mine["index"]["csi"] == 86.0 and mine["n"] == 1


def test_unknown_wave_and_survey_are_404(org, gas, gas_wave, api_as):
    api = api_as(org.users.admin)
    assert_error(api.get(f"/surveys/{gas.pk}/results", {"wave": "nope"}), 404, "not_found")
    assert_error(api.get("/surveys/999999/results"), 404, "not_found")


def test_benchmarks_round_trip_with_validation(org, gas, gas_wave, api_as):
    api = api_as(org.users.admin)
    r = api.post(f"/surveys/{gas.pk}/benchmarks", {"name": "Competitor", "value": 120})
    assert r.status_code == 422
    r = api.post(f"/surveys/{gas.pk}/benchmarks", {"name": "Competitor", "value": 70, "indicator": "nope"})
    assert_error(r, 422, "validation_error")
    r = api.post(f"/surveys/{gas.pk}/benchmarks", {"name": "Competitor", "value": 70, "indicator": "supply",
                                                   "wave_id": gas_wave.pk})
    assert r.status_code == 201, r.content
    bid = r.json()["id"]
    assert r.json()["indicator"] == "supply"
    r = api.patch(f"/surveys/{gas.pk}/benchmarks/{bid}", {"indicator": None, "value": 75})
    assert r.status_code == 200 and r.json()["indicator"] is None and r.json()["value"] == 75
    results = api.get(f"/surveys/{gas.pk}/results").json()
    assert results["benchmarks"][0]["gap"] == pytest.approx(-0.5)
    assert api.delete(f"/surveys/{gas.pk}/benchmarks/{bid}").status_code == 204
    assert not Benchmark.objects.exists()
