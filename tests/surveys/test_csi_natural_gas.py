"""The seeds' natural-gas example (DOMAIN.md §5) scored by hand equals the
CSI that kehu.analytics.csi computes over the survey made from the template.

DOMAIN.md §5: five-level items scored 满意 100, 较满意 80, 一般 60, 较不满意 40,
不满意 20; gas supply quality = pressure 0.6 + gas quality 0.4; repair
quality = attitude 0.2 + timeliness 0.4 + result 0.4; meter reading quality
= reader's attitude 0.3 + reading errors 0.4 + bill on time 0.3; the three
groups weigh equally in the template (the seeds give no weights for them).
"""

import pytest

from kehu.analytics.csi import CSI
from kehu.surveys.selectors import csi_tree, leaf_score_matrix
from tests.surveys.conftest import add_responses

# Two customers. The second had no repair, so the repair questions were not
# shown (Q3 = no) and their CSI is the weighted mean of the other two groups.
ANSWERS = [
    {"Q1": 5, "Q2": 4, "Q3": "yes", "Q4": 3, "Q5": 4, "Q6": 5, "Q7": 4, "Q8": 5, "Q9": 3, "Q10": 4},
    {"Q1": 3, "Q2": 2, "Q3": "no", "Q7": 5, "Q8": 4, "Q9": 2, "Q10": 3},
]

# By hand:
#   customer 1: supply  = 0.6·100 + 0.4·80           = 92
#               repair  = 0.2·60 + 0.4·80 + 0.4·100  = 84
#               reading = 0.3·80 + 0.4·100 + 0.3·60  = 82
#               CSI     = (92 + 84 + 82) / 3         = 86
#   customer 2: supply  = 0.6·60 + 0.4·40            = 52
#               reading = 0.3·100 + 0.4·80 + 0.3·40  = 74
#               CSI     = (52 + 74) / 2              = 63   (no repair: the two groups answered)
#   index: supply (92 + 52)/2 = 72, repair 84, reading (82 + 74)/2 = 78, CSI (86 + 63)/2 = 74.5;
#   satisfaction rate (CSI ≥ 80): 1 of 2 = 50 %.
BY_HAND = {"csi": 74.5, "supply": 72.0, "repair": 84.0, "reading": 78.0, "pressure": 80.0, "repair_attitude": 60.0}


def test_natural_gas_csi_by_hand_equals_computed(gas):
    wave = add_responses(gas, ANSWERS)
    codes, matrix = leaf_score_matrix(survey=gas, wave=wave)
    assert codes == ["pressure", "gas_quality", "repair_attitude", "repair_timeliness", "repair_result",
                     "reader_attitude", "reading_accuracy", "bill_on_time"]
    model = CSI(csi_tree(gas), cut=gas.satisfied_from).fit(matrix, items=codes)
    assert model.csi_ == pytest.approx(74.5)
    for node, value in BY_HAND.items():
        assert model.index_[node] == pytest.approx(value), node
    assert model.satisfaction_rate_["csi"] == pytest.approx(50.0)
    assert model.global_weights_["pressure"] == pytest.approx(0.6 / 3)
    assert model.global_weights_["reading_accuracy"] == pytest.approx(0.4 / 3)


def test_complete_answers_give_the_sum_of_global_weights_times_scores(gas):
    # With every item answered, CSI = Σ W_leaf · mean score (W = product of the weights from the root).
    row = {"Q1": 5, "Q2": 1, "Q3": "yes", "Q4": 2, "Q5": 3, "Q6": 4, "Q7": 5, "Q8": 1, "Q9": 2}
    wave = add_responses(gas, [row])
    codes, matrix = leaf_score_matrix(survey=gas, wave=wave)
    expected = (0.6 * 100 + 0.4 * 20) / 3 + (0.2 * 40 + 0.4 * 60 + 0.4 * 80) / 3 + (0.3 * 100 + 0.4 * 20 + 0.3 * 40) / 3
    assert CSI(csi_tree(gas)).fit(matrix, items=codes).csi_ == pytest.approx(expected)
