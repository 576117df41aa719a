"""Wave-over-wave tests and satisfaction–loyalty zones."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from kehu.analytics.significance import loyalty_zones, two_proportion_z_test, welch_t_test, zone_shares


def test_welch_against_scipy_and_by_hand():
    a = [72.0, 75, 68, 80, 77, 71, 69, 74]
    b = [78.0, 82, 75, 85, 80, 79, 88, 76, 81, 90]
    r = welch_t_test(a, b)
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert r.t == pytest.approx(ref.statistic) and r.p_value == pytest.approx(ref.pvalue)
    va, vb = np.var(a, ddof=1) / 8, np.var(b, ddof=1) / 10
    assert r.df == pytest.approx((va + vb) ** 2 / (va**2 / 7 + vb**2 / 9))
    assert r.difference == pytest.approx(np.mean(b) - np.mean(a))
    q = stats.t.ppf(0.975, r.df)
    assert (r.ci_low, r.ci_high) == pytest.approx((r.difference - q * r.se, r.difference + q * r.se))
    sp = np.sqrt((7 * np.var(a, ddof=1) + 9 * np.var(b, ddof=1)) / 16)
    assert r.cohens_d == pytest.approx(r.difference / sp)
    assert r.hedges_g == pytest.approx(r.cohens_d * (1 - 3 / (4 * 18 - 9)))
    assert welch_t_test(a + [np.nan], b).t == pytest.approx(r.t)


def test_two_proportions_by_hand():
    # satisfaction rate 62% of 400 last wave, 70% of 500 this wave
    r = two_proportion_z_test(248, 400, 350, 500)
    pooled = 598 / 900
    z = 0.08 / np.sqrt(pooled * (1 - pooled) * (1 / 400 + 1 / 500))
    assert r.z == pytest.approx(z) and r.p_value == pytest.approx(2 * stats.norm.sf(z))
    se = np.sqrt(0.62 * 0.38 / 400 + 0.7 * 0.3 / 500)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.08 - 1.959964 * se, 0.08 + 1.959964 * se), abs=1e-6)
    assert r.cohens_h == pytest.approx(2 * np.arcsin(np.sqrt(0.7)) - 2 * np.arcsin(np.sqrt(0.62)))
    # agrees with the chi-square test of the 2 × 2 table (z² = χ² without continuity correction)
    chi2 = stats.chi2_contingency([[248, 152], [350, 150]], correction=False)[0]
    assert r.z**2 == pytest.approx(chi2)
    with pytest.raises(ValueError):
        two_proportion_z_test(5, 4, 1, 2)


def test_zones_default_thresholds():
    assert list(loyalty_zones([1, 2, 3, 4, 5])) == ["defection"] * 2 + ["indifference"] * 2 + ["affection"]
    assert list(loyalty_zones([20, 40, 60, 80, 100, 49.9, 90], scale="0-100")) == \
        ["defection", "defection", "indifference", "indifference", "affection", "defection", "affection"]
    assert loyalty_zones([np.nan])[0] == ""
    assert zone_shares([1, 5, 5, 3, np.nan]) == {"defection": 0.25, "indifference": 0.25, "affection": 0.5}
    assert list(loyalty_zones([7, 9], thresholds=(5, 9))) == ["indifference", "affection"]
    with pytest.raises(ValueError):
        loyalty_zones([1], scale="1-7")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(1, 5), min_size=1, max_size=50))
def test_zone_shares_sum_to_one_and_are_monotone(x):
    s = zone_shares(x)
    assert sum(s.values()) == pytest.approx(1)
    order = {"defection": 0, "indifference": 1, "affection": 2}
    z = [order[v] for v in loyalty_zones(sorted(x))]
    assert z == sorted(z)
