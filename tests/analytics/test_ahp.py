"""AHP: Saaty's drinks example, the CR refusal, hierarchies, properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.ahp import (
    AHP,
    SAATY_RANDOM_INDEX,
    AHPHierarchy,
    InconsistentJudgementsError,
    consistency_index,
    geometric_mean_priorities,
    pairwise_from_judgements,
    random_index,
    validate_pairwise,
)

# Saaty, T.L. (2008) "Decision making with the analytic hierarchy process",
# Int. J. Services Sciences 1(1):83–98, table "Which drink is consumed more in
# the US?" (rows dominate columns). Published priorities .177 .019 .042 .116
# .190 .129 .327 and CR = .022. (The same matrix is the drinks test of the
# AHPy package, which cites the same paper.)
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]


def test_saaty_drinks():
    m = AHP(labels=DRINKS).fit(DRINKS_MATRIX)
    np.testing.assert_allclose(m.weights_, [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327], atol=5e-4)
    assert m.cr_ == pytest.approx(0.022, abs=5e-4)
    assert m.lambda_max_ == pytest.approx(7 + 6 * 1.32 * m.cr_)
    assert m.ci_ == pytest.approx((m.lambda_max_ - 7) / 6)
    assert m.ri_ == 1.32
    assert m.weights_.sum() == pytest.approx(1.0)
    g = AHP(method="geometric", labels=DRINKS).fit(DRINKS_MATRIX)
    np.testing.assert_allclose(g.weights_, m.weights_, atol=0.01)  # nearly consistent: methods agree


def test_random_index_table_is_saatys():
    assert SAATY_RANDOM_INDEX == (0, 0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59)
    assert random_index(3) == 0.58
    with pytest.raises(ValueError):
        random_index(16)


def test_refusal_names_the_worst_judgement():
    a = np.array(DRINKS_MATRIX)
    a[0, 6], a[6, 0] = 9, 1 / 9  # "coffee is drunk 9 times more than water": contradicts the rest
    with pytest.raises(InconsistentJudgementsError) as err:
        AHP(labels=DRINKS).fit(a)
    e = err.value
    assert e.cr >= 0.10
    assert e.pair == ("coffee", "water") and (e.i, e.j) == (0, 6) and e.value == 9
    assert e.consistent < 3  # the other judgements put coffee below or near water
    msg = str(e)
    assert "coffee vs water" in msg and "entered 9" in msg and "CR = " in msg
    assert f"consider {e.suggested:g}" in msg or "consider 1/" in msg
    # taking the suggestion (rounded to the 1–9 scale) fixes it
    a[0, 6], a[6, 0] = e.suggested, 1 / e.suggested
    assert AHP(labels=DRINKS).fit(a).cr_ < 0.10
    # the check can be switched off, and then the worst judgement is still reported
    m = AHP(max_cr=None).fit(np.where(np.eye(7) == 1, 1, a))
    assert m.worst_judgement_ is not None


def test_validation():
    with pytest.raises(ValueError, match="reciprocal"):
        validate_pairwise([[1, 2], [2, 1]])
    with pytest.raises(ValueError, match="positive"):
        validate_pairwise([[1, -2], [-0.5, 1]])
    with pytest.raises(ValueError, match="diagonal"):
        validate_pairwise([[2, 2], [0.5, 1]])
    with pytest.raises(ValueError, match="square"):
        validate_pairwise([[1, 2, 3]])
    with pytest.raises(ValueError, match="missing"):
        pairwise_from_judgements(["a", "b", "c"], {("a", "b"): 3})
    a = pairwise_from_judgements(["a", "b", "c"], {("a", "b"): 3, ("c", "a"): 2, ("b", "c"): 1 / 5})
    assert a[0, 1] == 3 and a[1, 0] == pytest.approx(1 / 3) and a[0, 2] == pytest.approx(0.5)


def test_two_criteria_are_always_consistent():
    m = AHP().fit([[1, 4], [1 / 4, 1]])
    np.testing.assert_allclose(m.weights_, [0.8, 0.2])
    assert m.cr_ == 0 and consistency_index(m.lambda_max_, 2) == 0


def test_hierarchy_global_weights():
    # goal -> (service 3x price); service -> (attitude, timeliness, result) consistent 1:2:2
    tree = {
        "labels": ["service", "price"],
        "matrix": [[1, 3], [1 / 3, 1]],
        "children": {"service": {"labels": ["attitude", "timeliness", "result"],
                                 "matrix": [[1, 1 / 2, 1 / 2], [2, 1, 1], [2, 1, 1]]}},
    }
    h = AHPHierarchy().fit(tree)
    assert h.local_weights_[()] == pytest.approx({"service": 0.75, "price": 0.25})
    assert h.global_weights_ == pytest.approx({("service", "attitude"): 0.15, ("service", "timeliness"): 0.3,
                                               ("service", "result"): 0.3, ("price",): 0.25})
    assert sum(h.global_weights_.values()) == pytest.approx(1)
    bad = dict(tree)
    bad["children"] = {"service": {"labels": DRINKS, "matrix": np.array(DRINKS_MATRIX) ** 3}}
    with pytest.raises(InconsistentJudgementsError, match="under service"):
        AHPHierarchy().fit(bad)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.05, 20), min_size=2, max_size=9))
def test_consistent_matrices_give_back_their_weights(v):
    w = np.array(v) / sum(v)
    a = w[:, None] / w[None, :]
    m = AHP().fit(a)
    np.testing.assert_allclose(m.weights_, w, rtol=1e-6)
    assert m.cr_ == pytest.approx(0, abs=1e-7)
    np.testing.assert_allclose(geometric_mean_priorities(a), w, rtol=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.integers(3, 9), st.integers(0, 2**31 - 1))
def test_random_judgements_weights_sum_to_one(n, seed):
    rng = np.random.default_rng(seed)
    scale = np.array([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])
    a = np.ones((n, n))
    iu = np.triu_indices(n, 1)
    a[iu] = rng.choice(scale, size=iu[0].size)
    a[(iu[1], iu[0])] = 1 / a[iu]
    m = AHP(max_cr=None).fit(a)
    assert m.weights_.sum() == pytest.approx(1) and (m.weights_ > 0).all()
    assert m.lambda_max_ >= n - 1e-9
