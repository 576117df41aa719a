"""Weighted-average CSI: the seeds' natural-gas example scored by hand, missing answers, properties."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.csi import CSI, Node, node_scores
from kehu.analytics.likert import likert5_scores

# DOMAIN.md §5, the seeds' natural-gas supply example. The sub-weights are the
# seeds'; the level-1 weights are ours (the seeds give none): gas supply 0.4,
# repair 0.3, meter reading 0.3.
GAS = Node("CSI", children=(
    Node("gas supply quality", 0.4, children=(
        Node("pressure", 0.6), Node("gas quality", 0.4))),
    Node("repair quality", 0.3, children=(
        Node("repair attitude", 0.2), Node("repair timeliness", 0.4), Node("repair result", 0.4))),
    Node("meter reading quality", 0.3, children=(
        Node("reader attitude", 0.3), Node("reading errors", 0.4), Node("bill on time", 0.3))),
))
ITEMS = ["pressure", "gas quality", "repair attitude", "repair timeliness", "repair result", "reader attitude",
         "reading errors", "bill on time"]

# Three respondents' five-level answers (None = skipped).
ANSWERS = [
    ["满意", "较满意", "较满意", "一般", "较满意", "满意", "满意", "较满意"],
    ["一般", "一般", "较不满意", "不满意", "较不满意", "较满意", "一般", "一般"],
    ["较满意", None, "满意", "较满意", None, "一般", "较满意", "满意"],
]


def test_natural_gas_example_scored_by_hand():
    x = likert5_scores(ANSWERS)
    # scores: r1 = 100 80 | 80 60 80 | 100 100 80
    #         r2 =  60 60 | 40 20 40 |  80  60 60
    #         r3 =  80 -- | 100 80 -- |  60  80 100
    # r1: gas   = .6*100 + .4*80          = 60 + 32       = 92
    #     repair = .2*80 + .4*60 + .4*80  = 16 + 24 + 32  = 72
    #     meter = .3*100 + .4*100 + .3*80 = 30 + 40 + 24  = 94
    #     CSI   = .4*92 + .3*72 + .3*94   = 36.8 + 21.6 + 28.2 = 86.6
    # r2: gas = 36 + 24 = 60; repair = 8 + 8 + 16 = 32; meter = 24 + 24 + 18 = 66
    #     CSI = .4*60 + .3*32 + .3*66 = 24 + 9.6 + 19.8 = 53.4
    # r3 (two skips, weights re-normalised over what was answered):
    #     gas = .6*80 / .6 = 80; repair = (.2*100 + .4*80) / .6 = 52/.6 = 86.667
    #     meter = 18 + 32 + 30 = 80
    #     CSI = .4*80 + .3*86.667 + .3*80 = 32 + 26 + 24 = 82
    # CSI = (86.6 + 53.4 + 82) / 3 = 222 / 3 = 74.0
    # satisfied (>= 80): r1 86.6 and r3 82 -> 2 of 3 = 66.67 %
    m = CSI(GAS).fit(x, items=ITEMS)
    assert m.csi_ == pytest.approx(74.0)
    assert m.index_["gas supply quality"] == pytest.approx((92 + 60 + 80) / 3)
    assert m.index_["repair quality"] == pytest.approx((72 + 32 + 52 / 0.6) / 3)
    assert m.index_["meter reading quality"] == pytest.approx((94 + 66 + 80) / 3)
    assert m.satisfaction_rate_["CSI"] == pytest.approx(200 / 3)
    assert m.satisfaction_rate_["repair quality"] == pytest.approx(100 / 3)  # only r3's 86.7
    assert m.index_["gas quality"] == pytest.approx(70.0)  # (80 + 60) / 2 answered
    assert m.n_answered_["gas quality"] == 2 and m.n_answered_["CSI"] == 3
    assert m.global_weights_["pressure"] == pytest.approx(0.24)
    assert m.global_weights_["reading errors"] == pytest.approx(0.12)
    assert sum(m.global_weights_.values()) == pytest.approx(1.0)
    assert m.levels_ == {**{n: 3 for n in ITEMS}, "CSI": 1, "gas supply quality": 2, "repair quality": 2,
                         "meter reading quality": 2}
    scores = node_scores(GAS, x, ITEMS)
    np.testing.assert_allclose(scores["CSI"], [86.6, 53.4, 82.0])


def test_complete_answers_equal_global_weights_times_item_means():
    rng = np.random.default_rng(4)
    x = rng.choice([20.0, 40, 60, 80, 100], size=(500, 8))
    m = CSI(GAS).fit(x, items=ITEMS)
    expected = sum(m.global_weights_[name] * x[:, k].mean() for k, name in enumerate(ITEMS))
    assert m.csi_ == pytest.approx(expected)


def test_tree_from_dict_integer_items_and_four_levels():
    tree = {"name": "CSI", "children": [
        {"name": "product value", "weight": 0.5, "children": [
            {"name": "expectation", "weight": 0.5, "children": [
                {"name": "q1", "weight": 1.0, "item": 0}]},
            {"name": "experience", "weight": 0.5, "children": [
                {"name": "q2", "weight": 0.5, "item": 1}, {"name": "q3", "weight": 0.5, "item": 2}]}]},
        {"name": "brand value", "weight": 0.5, "children": [{"name": "q4", "item": 3}]}]}
    x = np.array([[100, 80, 60, 40.0]])
    m = CSI(tree).fit(x)
    # product = .5*100 + .5*(.5*80 + .5*60) = 50 + 35 = 85; CSI = .5*85 + .5*40 = 62.5
    assert m.csi_ == pytest.approx(62.5)
    deeper = {"name": "root", "children": [{"name": "a", "children": [{"name": "b", "children": [
        {"name": "c", "children": [{"name": "d", "item": 0}]}]}]}]}
    with pytest.raises(ValueError, match="at most 4"):
        CSI(deeper).fit(x)


def test_weight_validation():
    bad = Node("CSI", children=(Node("a", 3, item=0), Node("b", 1, item=1)))
    with pytest.warns(UserWarning, match="normalised"):
        m = CSI(bad).fit([[100, 20.0]])
    assert m.normalised_nodes_ == ["CSI"]
    assert m.csi_ == pytest.approx(0.75 * 100 + 0.25 * 20)
    with pytest.raises(ValueError, match="sum to 4"):
        CSI(bad, on_unnormalised="raise").fit([[100, 20.0]])
    with pytest.raises(ValueError, match="positive"):
        CSI(Node("CSI", children=(Node("a", 0, item=0), Node("b", 1, item=1)))).fit([[1, 2.0]])
    with pytest.raises(ValueError, match="unique"):
        CSI(Node("CSI", children=(Node("a", 0.5, item=0), Node("a", 0.5, item=1)))).fit([[1, 2.0]])
    with pytest.raises(ValueError, match="0–100"):
        CSI(GAS).fit(np.full((2, 8), 5.0) * 30, items=ITEMS)
    with pytest.raises(ValueError, match="not a column"):
        CSI(GAS).fit(np.full((2, 8), 50.0), items=ITEMS[:-1] + ["other"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CSI(GAS).fit(np.full((2, 8), 50.0), items=ITEMS)  # exact weights: no warning


def test_nobody_answered_a_branch():
    x = likert5_scores(ANSWERS)
    x[:, 0:2] = np.nan  # gas supply skipped by everyone
    m = CSI(GAS).fit(x, items=ITEMS)
    assert np.isnan(m.index_["gas supply quality"]) and m.n_answered_["gas supply quality"] == 0
    # the root re-weights over repair (0.3) and meter reading (0.3): r1 = (72 + 94)/2 = 83
    assert node_scores(GAS, x, ITEMS)["CSI"][0] == pytest.approx(83.0)


answers = st.lists(st.lists(st.one_of(st.none(), st.sampled_from([20.0, 40, 60, 80, 100])), min_size=8,
                            max_size=8), min_size=1, max_size=30)


@settings(max_examples=100, deadline=None)
@given(answers, st.randoms(use_true_random=False))
def test_properties_range_and_sibling_order(rows, rnd):
    x = np.array([[np.nan if v is None else v for v in r] for r in rows])
    m = CSI(GAS).fit(x, items=ITEMS)
    for name, value in m.index_.items():
        assert np.isnan(value) or -1e-9 <= value <= 100 + 1e-9
    for name, rate in m.satisfaction_rate_.items():
        assert np.isnan(rate) or 0 <= rate <= 100

    def shuffled(node):
        kids = [shuffled(c) for c in node.children]
        rnd.shuffle(kids)
        return Node(node.name, node.weight, tuple(kids), node.item)

    m2 = CSI(shuffled(GAS)).fit(x, items=ITEMS)
    for name, value in m.index_.items():
        assert m2.index_[name] == pytest.approx(value, nan_ok=True)
    assert sum(m2.global_weights_.values()) == pytest.approx(1.0)
