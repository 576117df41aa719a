"""Pearson's r and its Fisher-z interval (kehu.analytics.correlation) against
SciPy on the same numbers: ``scipy.stats.pearsonr(x, y)`` (statistic,
pvalue) and ``.confidence_interval(confidence_level)``, whose default method
is the Fisher transformation (SciPy 1.11+ documentation of
``PearsonRResult.confidence_interval``)."""

import math

import numpy as np
import pytest
from scipy import stats

from kehu.analytics.correlation import pearson

CASES = [
    # employee satisfaction vs customer satisfaction of eight teams
    ([62.0, 71.5, 68.2, 80.1, 75.4, 58.9, 66.0, 73.3], [70.2, 76.9, 74.0, 83.5, 77.1, 69.8, 71.4, 80.0]),
    # five teams, a weak negative relation
    ([55.0, 60.0, 65.0, 70.0, 75.0], [3.1, 2.2, 2.9, 1.7, 2.4]),
    # random, seeded
    (list(np.random.default_rng(7).normal(70, 8, 30)), list(np.random.default_rng(8).normal(75, 6, 30))),
]


@pytest.mark.parametrize("x,y", CASES)
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_matches_scipy(x, y, level):
    ours = pearson(x, y, level=level)
    ref = stats.pearsonr(x, y)
    ci = ref.confidence_interval(confidence_level=level)
    assert ours.n == len(x)
    assert ours.r == pytest.approx(ref.statistic, abs=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-12)
    assert ours.ci_low == pytest.approx(ci.low, abs=1e-12)
    assert ours.ci_high == pytest.approx(ci.high, abs=1e-12)


def test_few_teams_give_a_wide_interval():
    # n = 5, r = 0.8: tanh(artanh(0.8) ± 1.96/√2) = (−0.24, 0.99): wide, as few teams give
    x = [1.0, 2.0, 3.0, 4.0, 5.0]
    y = [2.0, 1.0, 4.0, 3.0, 5.0]
    c = pearson(x, y)
    assert c.r == pytest.approx(0.8)
    half = 1.959963984540054 / math.sqrt(2)
    assert c.ci_low == pytest.approx(math.tanh(math.atanh(0.8) - half))
    assert c.ci_high - c.ci_low > 0.8


def test_missing_pairs_and_degenerate_cases():
    c = pearson([1, 2, float("nan"), 4, 5], [2, 1, 3, 4, float("nan")])
    assert c.n == 3 and c.r is not None and c.ci_low is None
    assert pearson([1, 2], [3, 4]).r is None
    assert pearson([1, 1, 1, 1], [1, 2, 3, 4]).r is None
    with pytest.raises(ValueError):
        pearson([1, 2, 3], [1, 2])
