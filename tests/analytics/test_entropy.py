"""Entropy weights: Xu (2004) example, normalisations, properties."""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from kehu.analytics.entropy import EntropyWeights, entropy_weights

# Xu (2004), the example matrix and weights quoted in issue 4: four indicators,
# the fourth almost constant. Reproduced by plain column shares
# (normalise="sum"), not by min-max scaling first (see kehu/analytics/entropy.py).
XU = [[30, 30, 38, 29], [19, 54, 86, 29], [19, 15, 85, 28.9], [68, 70, 60, 29]]


def test_xu_2004():
    m = EntropyWeights().fit(XU)
    np.testing.assert_allclose(m.weights_, [0.4630, 0.3992, 0.1378, 0.0000], atol=5e-5)
    assert m.divergence_[3] < 1e-5
    np.testing.assert_allclose(m.entropy_ + m.divergence_, 1)


def test_minmax_and_cost_indicators():
    w, e = entropy_weights(XU, normalise="minmax")
    np.testing.assert_allclose(w, [0.4694, 0.2066, 0.1755, 0.1484], atol=5e-5)
    # a cost indicator is reversed: (max - x)/(max - min)
    x = np.array([[1, 10.0], [2, 20], [3, 30], [10, 40]])
    w_benefit, _ = entropy_weights(x, "minmax")
    w_cost, _ = entropy_weights(x, "minmax", cost=[0])
    assert not np.allclose(w_benefit, w_cost)
    w_flip, _ = entropy_weights(np.column_stack([11 - x[:, 0], x[:, 1]]), "minmax")
    np.testing.assert_allclose(w_cost, w_flip)
    with pytest.raises(ValueError, match="minmax"):
        entropy_weights(x, cost=[0])


def test_zero_and_constant_columns():
    x = np.array([[0, 5, 1.0], [0, 5, 2], [0, 5, 3]])
    w, e = entropy_weights(x)
    assert w[0] == 0 and w[1] == pytest.approx(0) and w[2] == pytest.approx(1)
    with pytest.raises(ValueError, match="constant"):
        entropy_weights([[1, 2], [1, 2], [1, 2]])
    with pytest.raises(ValueError, match="non-negative"):
        entropy_weights([[1, -2], [1, 2]])
    # 0·ln 0 = 0: a zero entry is fine
    w, _ = entropy_weights([[0, 1], [4, 2], [1, 3.0]])
    assert np.isfinite(w).all()


matrices = st.integers(2, 8).flatmap(lambda m: st.integers(1, 6).flatmap(
    lambda n: st.lists(st.lists(st.floats(0, 1000), min_size=n, max_size=n), min_size=m, max_size=m)))


@settings(max_examples=150, deadline=None)
@given(matrices, st.floats(0.01, 100))
def test_weights_sum_to_one_and_are_scale_free(rows, c):
    x = np.array(rows)
    spread = x.max(axis=0) - x.min(axis=0)
    if (spread == 0).all():  # every column constant or zero: no weights, and a clear refusal
        with pytest.raises(ValueError, match="constant"):
            entropy_weights(x)
        return
    assume((spread > 1e-4 * np.maximum(x.max(axis=0), 1)).any())  # clearly not constant (d_j is of order spread²)
    w, e = entropy_weights(x)
    assert w.sum() == pytest.approx(1) and (w >= 0).all()
    assert ((e >= 0) & (e <= 1)).all()
    w2, _ = entropy_weights(x * c)  # shares do not change with the unit
    np.testing.assert_allclose(w2, w, atol=1e-8)
    perm = np.random.default_rng(0).permutation(x.shape[0])
    np.testing.assert_allclose(entropy_weights(x[perm])[0], w, atol=1e-10)
