"""NPS with its variance, interval and wave comparison."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.nps import NetPromoterScore, nps, nps_difference, nps_from_counts


def test_nps_interval_formula():
    # 50 promoters, 30 passives, 20 detractors of 100: p = .5, d = .2
    answers = [10] * 30 + [9] * 20 + [8] * 15 + [7] * 15 + [6] * 10 + [0] * 10
    r = nps(answers)
    assert r.nps == pytest.approx(30.0)
    # Var = 100² (p + d − (p − d)²)/n = 10000 (0.7 − 0.09)/100 = 61
    assert r.variance == pytest.approx(61.0)
    assert r.se == pytest.approx(np.sqrt(61))
    assert (r.ci_low, r.ci_high) == pytest.approx((30 - 1.959964 * np.sqrt(61), 30 + 1.959964 * np.sqrt(61)))
    r90 = nps(answers, level=0.90)
    assert r90.ci_high - r90.nps == pytest.approx(1.644854 * np.sqrt(61), rel=1e-6)
    assert (r.promoters, r.passives, r.detractors, r.n) == (50, 30, 20, 100)


def test_variance_is_the_variance_of_plus_zero_minus_one():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 11, 400)
    r = nps(a)
    v = np.where(a >= 9, 100.0, np.where(a <= 6, -100.0, 0.0))
    assert r.nps == pytest.approx(v.mean())
    assert r.variance == pytest.approx(v.var() / len(v))  # population variance / n


def test_two_waves():
    a = nps_from_counts(50, 30, 20)  # NPS 30, Var 61
    b = nps_from_counts(120, 50, 30, level=0.95)  # n 200, p .6, d .15: NPS 45, Var 10000 (.75 - .2025)/200 = 27.375
    assert b.variance == pytest.approx(27.375)
    d = nps_difference(a, b)
    assert d.difference == pytest.approx(15)
    assert d.se == pytest.approx(np.sqrt(61 + 27.375))
    assert d.z == pytest.approx(15 / np.sqrt(88.375))
    assert d.p_value == pytest.approx(0.1102, abs=5e-4)
    assert d.ci_low < 0 < d.ci_high
    m1, m2 = NetPromoterScore().fit([10, 9, 3]), NetPromoterScore().fit([10, 10, 10, 8])
    assert m2.compare(m1).difference == pytest.approx(75 - 100 / 3)  # 3 of 4 promoters vs 2 - 1 of 3


def test_validation():
    with pytest.raises(ValueError):
        nps([11])
    with pytest.raises(ValueError):
        nps([7.5])
    with pytest.raises(ValueError):
        nps([np.nan])
    assert nps([10, np.nan, 0]).n == 2


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 10), min_size=1, max_size=300))
def test_properties(a):
    r = nps(a)
    assert -100 <= r.nps <= 100
    assert r.variance >= -1e-9 and r.ci_low <= r.nps <= r.ci_high
