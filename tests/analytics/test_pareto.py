import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.pareto import ABC, abc_classes, gini, pareto_curve, share_for_value, top_share, two_axis_grid

# Money amounts: zero or at least one cent (subnormal floats are not amounts, and
# scaling one can underflow to a zero total).
values = st.lists(st.one_of(st.just(0.0), st.floats(0.01, 1e6)), min_size=1, max_size=200).filter(lambda v: sum(v) > 0)


@settings(max_examples=100, deadline=None)
@given(values, st.floats(0.01, 1000))
def test_curve_and_gini_properties(v, scale):
    v = np.array(v)
    c = pareto_curve(v)
    assert (np.diff(c.value_share) >= -1e-12).all()
    assert c.value_share[-1] == 1.0
    g = gini(v)
    assert 0 <= g < 1
    perm = np.random.default_rng(1).permutation(len(v))
    assert gini(v[perm]) == pytest.approx(g, abs=1e-12)
    assert gini(v * scale) == pytest.approx(g, abs=1e-9)
    np.testing.assert_allclose(pareto_curve(v * scale).value_share, c.value_share, atol=1e-9)


def test_known_values():
    assert gini([1, 1, 1, 1]) == 0
    assert gini([0, 0, 0, 1]) == pytest.approx(0.75)  # (n-1)/n for one customer holding all
    v = [100, 50, 30, 10, 5, 5, 0]
    assert abc_classes(v).tolist() == ["A", "A", "A", "B", "C", "C", "C"]
    assert top_share(v, 0.2) == pytest.approx(0.75)  # top ceil(1.4) = 2 customers: 150 / 200
    assert share_for_value(v, 0.8) == pytest.approx(3 / 7)
    m = ABC().fit(v)
    assert m.counts_ == {"A": 3, "B": 1, "C": 3}
    assert m.value_shares_["A"] == pytest.approx(0.9)


def test_two_axis_grid():
    cells, th, counts = two_axis_grid([1, 2, 3, 4], [4, 3, 2, np.nan])
    assert th == (2.5, 3.0)
    assert cells.tolist() == ["low_high", "low_high", "high_low", "unknown"]
    cells, _, _ = two_axis_grid([1, 5], [1, 5], x_threshold=3, y_threshold=3)
    assert cells.tolist() == ["low_low", "high_high"]
