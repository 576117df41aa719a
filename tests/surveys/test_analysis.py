"""The results of a wave (kehu.surveys.analysis) on hand-checked data, and
who sees which answers."""

import math

import pytest

from kehu.surveys.analysis import keywords, survey_results
from kehu.surveys.models import ResponseStatus
from kehu.surveys.services.definitions import survey_create_from_template
from kehu.surveys.simulate import fill_wave
from tests.factories import CustomerFactory
from tests.surveys.factories import BenchmarkFactory, ImprovementActionFactory, WaveFactory, respond
from tests.surveys.test_csi_natural_gas import ANSWERS, BY_HAND


@pytest.fixture
def gas_wave(gas, customers):
    wave = WaveFactory(survey=gas, name="2026 H1")
    respond(wave, ANSWERS[0], customer=customers.n1, nps=10)
    respond(wave, ANSWERS[1], customer=customers.e1, nps=3)
    respond(wave, {"Q1": 1}, customer=customers.e1, status=ResponseStatus.PARTIAL)  # partial: not counted
    return wave


def test_the_seeds_example_scored_by_hand(org, gas, gas_wave):
    r = survey_results(viewer=org.users.admin, survey=gas, wave=gas_wave, use_cache=False)
    assert r["n"] == 2
    assert r["csi"] == pytest.approx(74.5)
    for node, value in BY_HAND.items():
        assert r["index"][node] == pytest.approx(value), node
    # satisfied: the CSI of a respondent at or above 80 (86 yes, 63 no)
    assert r["satisfaction_rate"] == pytest.approx(50.0)
    by_code = {n["code"]: n for n in r["nodes"]}
    assert by_code["repair"]["n"] == 1 and by_code["csi"]["level"] == 1
    assert by_code["pressure"]["global_weight"] == pytest.approx(0.2)
    # zones on 0–100: 63 indifference, 86 indifference (affection from 90)
    assert r["zones"]["counts"] == {"defection": 0, "indifference": 2, "affection": 0}


def test_nps_with_its_interval(org, gas, gas_wave):
    r = survey_results(viewer=org.users.admin, survey=gas, wave=gas_wave, use_cache=False)
    # one promoter, one detractor: p = d = 0.5, NPS 0, Var = 100²·(0.5 + 0.5 − 0)/2 = 5000
    assert r["nps"]["value"] == 0
    se = math.sqrt(100**2 * (0.5 + 0.5 - 0) / 2)
    assert r["nps"]["high"] == pytest.approx(1.959964 * se, abs=0.01)
    assert r["nps"]["promoters"] == 1 and r["nps"]["detractors"] == 1


def test_a_salesperson_sees_only_their_customers_answers(org, gas, gas_wave):
    mine = survey_results(viewer=org.users.sales_n1, survey=gas, wave=gas_wave, use_cache=False)
    assert mine["n"] == 1
    assert mine["csi"] == pytest.approx(86.0)
    assert mine["scope"] == f"user:{org.users.sales_n1.pk}"
    other = survey_results(viewer=org.users.sales_n1b, survey=gas, wave=gas_wave, use_cache=False)
    assert other["n"] == 0 and other["csi"] is None
    assert survey_results(viewer=org.users.east_manager, survey=gas, wave=gas_wave)["csi"] == pytest.approx(63.0)
    assert survey_results(viewer=org.users.analyst, survey=gas, wave=gas_wave)["n"] == 2


def test_cached_results_follow_new_answers(org, gas, gas_wave, customers):
    first = survey_results(viewer=org.users.admin, survey=gas, wave=gas_wave)
    assert first["n"] == 2
    respond(gas_wave, ANSWERS[0], customer=customers.n1b)
    assert survey_results(viewer=org.users.admin, survey=gas, wave=gas_wave)["n"] == 3


def test_benchmarks_and_improvement_actions(org, gas, gas_wave):
    supply = gas.indicators.get(code="supply")
    BenchmarkFactory(survey=gas, name="行业最佳", value=80)
    BenchmarkFactory(survey=gas, name="Competitor A", indicator=supply, value=70)
    ImprovementActionFactory(survey=gas, indicator=supply, baseline=60, target=75, title="Pressure checks")
    r = survey_results(viewer=org.users.admin, survey=gas, wave=gas_wave, use_cache=False)
    gaps = {b["name"]: b["gap"] for b in r["benchmarks"]}
    assert gaps == {"行业最佳": pytest.approx(-5.5), "Competitor A": pytest.approx(2.0)}
    (action,) = r["actions"]
    assert action["now"] == 72.0 and action["moved"] == 12.0 and not action["reached"]


def test_trend_and_significance_between_waves(org, gas):
    w1 = WaveFactory(survey=gas, name="w1")
    fill_wave(wave=w1, n=120, seed=1)
    w2 = WaveFactory(survey=gas, name="w2")
    fill_wave(wave=w2, n=120, seed=2, shift=1.0)
    r = survey_results(viewer=org.users.admin, survey=gas, wave=w2, use_cache=False)
    assert [t["wave"] for t in r["trend"]] == ["w1", "w2"]
    assert r["trend"][1]["index"] > r["trend"][0]["index"]
    cmp = r["comparison"]
    assert cmp["previous"] == "w1"
    assert cmp["index"]["difference"] > 0 and cmp["index"]["significant"]
    assert set(cmp["indicators"]) >= {"csi", "supply", "pressure"}
    # the drivers: one row per leaf indicator, each in a quadrant
    assert {d["quadrant"] for d in r["drivers"]["items"]} <= {"keep", "fix", "low_priority", "overkill"}
    assert len(r["drivers"]["items"]) == 8


def test_the_path_model_of_an_acsi_wave(org):
    acsi = survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi")
    wave = WaveFactory(survey=acsi)
    fill_wave(wave=wave, n=300, seed=5)
    r = survey_results(viewer=org.users.admin, survey=acsi, wave=wave, bootstrap=50, use_cache=False)
    m = r["model"]
    assert "error" not in m
    assert set(r["paths"]) == {"CE->PQ", "CE->PV", "CE->SAT", "PQ->PV", "PQ->SAT", "PV->SAT", "SAT->CC", "SAT->CL",
                               "CC->CL"}
    assert r["paths"]["SAT->CC"]["coefficient"] < 0 < r["paths"]["SAT->CL"]["coefficient"]
    assert r["paths"]["PQ->SAT"]["low"] <= r["paths"]["PQ->SAT"]["coefficient"] <= r["paths"]["PQ->SAT"]["high"]
    assert set(r["r2"]) == {"PQ", "PV", "SAT", "CC", "CL"}
    assert 0.6 < r["reliability"]["SAT"]["alpha"] <= 1 and 0.5 < r["reliability"]["SAT"]["ave"] <= 1
    assert m["satisfaction"] == "SAT" and r["overall_basis"] == "model"
    assert 0 <= r["model"]["index"]["SAT"] <= 100
    assert {d["code"] for d in r["drivers"]["items"]} == {"CE", "PQ", "PV"}


def test_too_few_answers_for_the_model_say_so(org):
    acsi = survey_create_from_template(actor=org.users.admin, template="acsi", code="acsi")
    wave = WaveFactory(survey=acsi)
    fill_wave(wave=wave, n=4, seed=5)
    r = survey_results(viewer=org.users.admin, survey=acsi, wave=wave, use_cache=False)
    assert "Too few complete answers" in r["model"]["error"]


def test_breakdowns_suppress_small_groups(org, gas):
    north = [CustomerFactory(owner=org.users.sales_n1, region="north") for _ in range(6)]
    east = [CustomerFactory(owner=org.users.sales_e1, region="east") for _ in range(2)]
    wave = WaveFactory(survey=gas)
    fill_wave(wave=wave, n=8, seed=3, customers=north + east)
    r = survey_results(viewer=org.users.admin, survey=gas, wave=wave, use_cache=False)
    regions = {g["key"]: g for g in r["breakdowns"]["region"]}
    assert regions["north"]["n"] == 6 and regions["north"]["index"] is not None
    assert regions["east"]["suppressed"] and "index" not in regions["east"]


def test_no_responses_is_an_empty_result(org, gas):
    r = survey_results(viewer=org.users.admin, survey=gas)
    assert r["n"] == 0 and r["wave"] is None and r["index"] == {} and r["nps"] is None


def test_keywords_segment_chinese_and_drop_stop_words():
    words = {k["word"]: k["count"] for k in keywords([
        "维修人员上门太慢，我们等了三天。", "维修及时，非常满意", "The repair crew was slow and the repair was late"])}
    assert words["维修"] == 2
    assert "我们" not in words and "非常" not in words and "the" not in words
    assert words["repair"] == 1  # once per answer


def test_cached_results_follow_a_reassigned_customer(org, gas, gas_wave, customers):
    from kehu.customers.models import Customer

    assert survey_results(viewer=org.users.sales_n1b, survey=gas, wave=gas_wave)["n"] == 0
    Customer.objects.filter(pk=customers.n1.pk).update(owner=org.users.sales_n1b)
    assert survey_results(viewer=org.users.sales_n1b, survey=gas, wave=gas_wave)["n"] == 1
