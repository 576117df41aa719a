"""Weights through the services: manual, equal, AHP (Saaty 2008) and entropy
(Xu 2004), stored with the method that set them."""

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from kehu.surveys.models import Indicator, WeightMethod
from kehu.surveys.services.definitions import (
    ahp_check, entropy_matrix, indicator_create, question_create, survey_create, weights_set_ahp,
    weights_set_entropy, weights_set_equal, weights_set_manual,
)
from tests.surveys.conftest import add_responses

# Saaty, T.L. (2008) "Decision making with the analytic hierarchy process",
# Int. J. Services Sciences 1(1):83–98: "Which drink is consumed more in the
# U.S.?" Published priorities .177 .019 .042 .116 .190 .129 .327, CR = .022.
DRINKS = [("coffee", "Coffee", "咖啡"), ("wine", "Wine", "葡萄酒"), ("tea", "Tea", "茶"), ("beer", "Beer", "啤酒"),
          ("sodas", "Sodas", "汽水"), ("milk", "Milk", "牛奶"), ("water", "Water", "水")]
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, "1/2"],
    ["1/9", 1, "1/3", "1/9", "1/9", "1/9", "1/9"],
    ["1/5", 3, 1, "1/3", "1/4", "1/3", "1/9"],
    ["1/2", 9, 3, 1, "1/2", 1, "1/3"],
    [1, 9, 4, 2, 1, 2, "1/2"],
    [1, 9, 3, 1, "1/2", 1, "1/3"],
    [2, 9, 9, 3, 2, 3, 1],
]
SAATY_PRIORITIES = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]


@pytest.fixture
def drinks(org):
    admin = org.users.admin
    survey = survey_create(actor=admin, code="drinks", title={"en": "Drinks", "zh-hans": "饮料"})
    root = indicator_create(actor=admin, survey=survey, parent=None, code="consumption",
                            name={"en": "Consumption", "zh-hans": "消费量"})
    for code, en, zh in DRINKS:
        indicator_create(actor=admin, survey=survey, parent=root, code=code, name={"en": en, "zh-hans": zh})
    root.refresh_from_db()
    return root


def test_saaty_drinks_through_the_service(org, drinks):
    result = weights_set_ahp(actor=org.users.admin, parent=drinks, matrix=DRINKS_MATRIX)
    np.testing.assert_allclose(result["weights"], SAATY_PRIORITIES, atol=5e-4)
    assert result["cr"] == pytest.approx(0.022, abs=5e-4) and result["ok"]
    drinks.refresh_from_db()
    assert drinks.child_weight_method == WeightMethod.AHP
    stored = drinks.ahp
    assert stored["cr"] == pytest.approx(0.022, abs=5e-4)
    assert stored["lambda_max"] == pytest.approx(7 + 6 * stored["ci"])
    assert stored["ci"] == pytest.approx(stored["cr"] * 1.32)  # Saaty's RI for n = 7
    assert stored["order"] == [c for c, _en, _zh in DRINKS]
    assert stored["matrix"][0][6] == 0.5 and stored["matrix"][6][0] == 2
    weights = dict(Indicator.objects.filter(parent=drinks).values_list("code", "weight"))
    np.testing.assert_allclose([weights[c] for c, _en, _zh in DRINKS], SAATY_PRIORITIES, atol=5e-4)


def test_inconsistent_judgements_are_refused_naming_the_worst_one(org, drinks):
    matrix = [row[:] for row in DRINKS_MATRIX]
    matrix[0][6], matrix[6][0] = 9, "1/9"  # coffee 9× water: contradicts every other judgement
    with translation.override("en"), pytest.raises(ValidationError) as err:
        weights_set_ahp(actor=org.users.admin, parent=drinks, matrix=matrix)
    message = err.value.message_dict["matrix"][0]
    assert "Coffee compared with Water" in message and "you entered 9" in message and "CR = " in message
    drinks.refresh_from_db()
    assert drinks.child_weight_method == WeightMethod.MANUAL  # nothing saved
    with translation.override("zh-hans"):
        result = ahp_check(parent=drinks, matrix=matrix)
    assert not result["ok"] and result["cr"] >= 0.10
    assert "咖啡" in result["message"] and "水" in result["message"] and "一致" in result["message"]
    assert result["worst"]["i"] == 0 and result["worst"]["j"] == 6


def test_malformed_matrices_are_refused(org, drinks):
    with pytest.raises(ValidationError) as err:
        weights_set_ahp(actor=org.users.admin, parent=drinks, matrix=[[1, 2], [0.5, 1]])
    assert "7 rows of 7" in str(err.value)
    bad = [row[:] for row in DRINKS_MATRIX]
    bad[1][2] = "x"
    with pytest.raises(ValidationError) as err:
        weights_set_ahp(actor=org.users.admin, parent=drinks, matrix=bad)
    assert "Row 2, column 3" in str(err.value)
    bad = [row[:] for row in DRINKS_MATRIX]
    bad[1][2] = 3  # not the reciprocal of tea/wine = 3
    with pytest.raises(ValidationError) as err:
        weights_set_ahp(actor=org.users.admin, parent=drinks, matrix=bad)
    assert "reciprocal" in str(err.value)


def test_manual_weights_are_normalised_and_validated(org, gas):
    supply = gas.indicators.get(code="supply")
    result = weights_set_manual(actor=org.users.admin, parent=supply, weights={"pressure": 7, "gas_quality": 3})
    assert result["weights"] == {"pressure": 0.7, "gas_quality": 0.3} and result["normalised_from"] == 10
    supply.refresh_from_db()
    assert supply.child_weight_method == WeightMethod.MANUAL and supply.ahp == {}
    with pytest.raises(ValidationError) as err:
        weights_set_manual(actor=org.users.admin, parent=supply, weights={"pressure": -1, "gas_quality": 1})
    assert "pressure" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        weights_set_manual(actor=org.users.admin, parent=supply, weights={"pressure": 1})
    assert "gas_quality" in err.value.message_dict
    with pytest.raises(ValidationError):
        weights_set_manual(actor=org.users.admin, parent=supply, weights={"pressure": 0, "gas_quality": 0})
    root = gas.indicators.get(code="csi")
    weights_set_equal(actor=org.users.admin, parent=root)
    assert sorted(root.children.values_list("weight", flat=True)) == pytest.approx([1 / 3] * 3)


def test_only_designers_set_weights(org, gas):
    supply = gas.indicators.get(code="supply")
    for user in (org.users.analyst, org.users.sales_n1, org.users.north_manager):
        with pytest.raises(PermissionDenied):
            weights_set_manual(actor=user, parent=supply, weights={"pressure": 1, "gas_quality": 1})
    weights_set_manual(actor=org.users.north_marketing, parent=supply, weights={"pressure": 1, "gas_quality": 1})
    weights_set_manual(actor=org.users.hq_manager, parent=supply, weights={"pressure": 1, "gas_quality": 1})


# Xu, X. (2004) "A note on the subjective and objective integrated approach to
# determine attribute weights", European Journal of Operational Research
# 156(2):530–532: the matrix [[30,30,38,29],[19,54,86,29],[19,15,85,28.9],
# [68,70,60,29]] gives the entropy weights (0.4630, 0.3992, 0.1378, 0.0000).
#
# Xu's figures are not answers a questionnaire can give, but entropy weights
# depend on each column only up to a factor (p_ij = x_ij / Σ_i x_ij), so four
# respondents whose scores on four indicators are proportional to his columns
# reproduce them. Each indicator here is a group of two 1–10 items (0–10 for
# the fourth) with the weights shown; the respondents' group scores are then
# exactly Xu's columns times 10/9·…: A = 100/9·(0.3a + 0.7b − 1) ∝ (30, 19, 19, 68).
XU_WEIGHTS = [0.4630, 0.3992, 0.1378, 0.0000]
XU_DESIGN = [  # (group, item kind, item weights)
    ("A", "scale10", (0.3, 0.7)),
    ("B", "scale10", (0.3, 0.7)),
    ("C", "scale10", (0.1, 0.9)),
    ("D", "nps", (0.328, 0.672)),
]
XU_ANSWERS = [  # per respondent: (A1, A2, B1, B2, C1, C2, D1, D2)
    (4, 4, 4, 4, 3, 5, 8, 3),
    (5, 2, 5, 7, 6, 10, 8, 3),
    (5, 2, 6, 1, 5, 10, 10, 2),
    (5, 9, 8, 8, 7, 7, 8, 3),
]


@pytest.fixture
def xu(org):
    admin = org.users.admin
    survey = survey_create(actor=admin, code="xu", title={"en": "Entropy"})
    root = indicator_create(actor=admin, survey=survey, parent=None, code="index", name={"en": "Index"})
    for group, kind, item_weights in XU_DESIGN:
        node = indicator_create(actor=admin, survey=survey, parent=root, code=group, name={"en": f"Group {group}"})
        for k in (1, 2):
            leaf = indicator_create(actor=admin, survey=survey, parent=node, code=f"{group}{k}",
                                    name={"en": f"Item {group}{k}"})
            question_create(actor=admin, survey=survey, data={
                "code": f"{group}{k}", "kind": kind, "text": {"en": f"Item {group}{k}?"}, "indicator": leaf})
        weights_set_manual(actor=admin, parent=node, weights=dict(zip(("%s1" % group, "%s2" % group), item_weights)))
    codes = [f"{g}{k}" for g, _kind, _w in XU_DESIGN for k in (1, 2)]
    wave = add_responses(survey, [dict(zip(codes, row)) for row in XU_ANSWERS])
    root.refresh_from_db()
    return root, wave


def test_xu_entropy_weights_from_a_waves_answers(org, xu):
    root, wave = xu
    matrix, codes, left_out = entropy_matrix(parent=root, wave=wave)
    xu_matrix = np.array([[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]])
    ratios = matrix / xu_matrix  # each column a constant multiple of Xu's
    np.testing.assert_allclose(ratios, np.broadcast_to(ratios[0], ratios.shape), rtol=1e-12)
    assert codes == ["A", "B", "C", "D"] and left_out == 0
    result = weights_set_entropy(actor=org.users.admin, parent=root, wave=wave)
    np.testing.assert_allclose([result["weights"][c] for c in codes], XU_WEIGHTS, atol=5e-5)
    root.refresh_from_db()
    assert root.child_weight_method == WeightMethod.ENTROPY
    assert root.ahp["basis"] == "entropy" and root.ahp["wave"] == wave.name and root.ahp["respondents"] == 4
    stored = dict(root.children.values_list("code", "weight"))
    np.testing.assert_allclose([stored[c] for c in codes], XU_WEIGHTS, atol=5e-5)


def test_entropy_needs_two_complete_respondents(org, xu):
    root, _wave = xu
    lonely = add_responses(root.survey, [{"A1": 5, "A2": 5, "B1": 5, "B2": 5, "C1": 5, "C2": 5, "D1": 5, "D2": 5}])
    with pytest.raises(ValidationError) as err:
        weights_set_entropy(actor=org.users.admin, parent=root, wave=lonely)
    assert "at least two complete responses" in str(err.value)
