"""Stratified random control groups: exact shares, reproducibility, and randomness checked statistically.

The statistical checks use SciPy's two-sample Kolmogorov–Smirnov and chi-square tests
(independent implementations) on large synthetic segments over several seeds.
"""

import itertools
from collections import Counter

import numpy as np
import pytest
from scipy import stats

from kehu.analytics.control_groups import assign_control, control_sizes


def test_control_sizes_round_half_up():
    assert control_sizes({"gold": 25, "silver": 10, "one": 1, "five": 5, "none": 0}, 0.1) == \
        {"gold": 3, "silver": 1, "one": 0, "five": 1, "none": 0}  # 2.5 -> 3, 0.5 -> 1
    assert control_sizes({"a": 10}, 0.15) == {"a": 2}  # 1.5 exactly as written, not 1.4999…
    assert control_sizes({"a": 10}, "0.35") == {"a": 4}
    assert control_sizes({"a": 1}, 0.5) == {"a": 1}
    assert control_sizes({"a": 7}, 0) == {"a": 0} and control_sizes({"a": 7}, 1) == {"a": 7}
    for bad in (-0.1, 1.5, "x", float("nan")):
        with pytest.raises(ValueError):
            control_sizes({"a": 3}, bad)


def _segment(n, seed=0):
    rng = np.random.default_rng(seed)
    ids = rng.choice(np.arange(1, 10 * n), n, replace=False)
    tier = rng.choice(np.array(["gold", "silver", "bronze", "none"]), n, p=[0.05, 0.15, 0.4, 0.4])
    return ids, tier


def test_exactly_the_rounded_share_in_every_stratum():
    ids, tier = _segment(50_003)
    tier[:7] = "diamond"  # a small stratum: 0.1 · 7 = 0.7 -> 1
    for share in (0.1, 0.05, 0.5, 0.333):
        mask = assign_control(ids, tier, share, seed=5)
        sizes = {t: int((tier == t).sum()) for t in np.unique(tier)}
        expected = control_sizes(sizes, share)
        assert {t: int(mask[tier == t].sum()) for t in sizes} == expected
    assert not assign_control(ids, tier, 0, seed=5).any() and assign_control(ids, tier, 1, seed=5).all()
    assert assign_control(ids, None, 0.2, seed=1).sum() == round(0.2 * ids.size)


def test_reproducible_with_the_seed_and_free_of_input_order():
    ids, tier = _segment(20_000, seed=1)
    a = assign_control(ids, tier, 0.1, seed=123)
    assert (assign_control(ids, tier, 0.1, seed=123) == a).all()
    assert (assign_control(ids, tier, 0.1, seed=124) != a).any()
    perm = np.random.default_rng(9).permutation(ids.size)
    assert (assign_control(ids[perm], tier[perm], 0.1, seed=123) == a[perm]).all()
    # lists of Python objects give the same draw as NumPy arrays
    assert (assign_control(ids.tolist(), tier.astype(object).tolist(), 0.1, seed=123) == a).all()
    codes = np.unique(tier, return_inverse=True)[1]  # integer labels in the same sorted order
    assert (assign_control(ids, codes, 0.1, seed=123) == a).all()


def test_every_subset_is_equally_likely():
    # 2 of 5 customers over 20,000 seeds: each of the C(5, 2) = 10 subsets about 2,000 times
    ids = np.array([11, 3, 7, 20, 5])
    counts = Counter(tuple(ids[assign_control(ids, None, 0.4, seed=s)]) for s in range(20_000))
    assert len(counts) == 10
    observed = [counts[tuple(sorted(c, key=list(ids).index))] for c in itertools.combinations(ids, 2)]
    assert sum(observed) == 20_000
    assert stats.chisquare(observed).pvalue > 1e-3


def test_assignment_is_independent_of_covariates():
    # a large synthetic segment: spend depends on tier, region is a category, older customers have small ids
    n = 200_000
    rng = np.random.default_rng(2026)
    ids = np.arange(1, n + 1)
    tier = rng.choice(np.array(["gold", "silver", "bronze"]), n, p=[0.1, 0.3, 0.6])
    spend = rng.lognormal(np.select([tier == "gold", tier == "silver"], [8.0, 7.0], 6.0), 1.0)
    region = rng.choice(np.array(["华东", "华北", "华南", "西南", "东北"]), n)
    p_values = []
    for seed in range(5):
        mask = assign_control(ids, tier, 0.1, seed=seed)
        for t in ("gold", "silver", "bronze"):
            m = tier == t
            p_values.append(stats.ks_2samp(spend[m & mask], spend[m & ~mask]).pvalue)
            p_values.append(stats.ks_2samp(ids[m & mask], ids[m & ~mask]).pvalue)
        table = [[int(((region == r) & mask).sum()), int(((region == r) & ~mask).sum())] for r in np.unique(region)]
        p_values.append(stats.chi2_contingency(table)[1])
    assert min(p_values) > 1e-3
    # and the p-values themselves look uniform, not piled near 0
    assert stats.kstest(p_values, "uniform").pvalue > 1e-3


def test_a_million_customers():
    # Its speed is for `kehu bench marketing` to measure, not for a test on a shared machine.
    ids, tier = _segment(1_000_000, seed=3)
    mask = assign_control(ids, tier, 0.1, seed=7)
    assert abs(int(mask.sum()) - 100_000) <= 4  # one rounding per stratum


def test_validation():
    with pytest.raises(ValueError, match="unique"):
        assign_control([1, 2, 2], None, 0.1, seed=1)
    with pytest.raises(ValueError, match="integers"):
        assign_control(["a", "b"], None, 0.1, seed=1)
    with pytest.raises(ValueError, match="seed"):
        assign_control([1, 2], None, 0.1, seed=-1)
    with pytest.raises(ValueError, match="seed"):
        assign_control([1, 2], None, 0.1, seed=1.5)
    with pytest.raises(ValueError, match="one label"):
        assign_control([1, 2], ["a"], 0.1, seed=1)
    with pytest.raises(ValueError, match="share"):
        assign_control([1, 2], None, 2, seed=1)
    assert assign_control([], None, 0.1, seed=1).shape == (0,)
    assert assign_control([], [], 0.1, seed=1).shape == (0,)
