"""Importance–performance analysis (四分图)."""

import numpy as np
import pytest

from kehu.analytics.ipa import IPA, QUADRANT_LABELS_ZH, quadrants


def test_quadrants_by_means_and_given_cuts():
    q, cuts = quadrants([0.8, 0.7, 0.2, 0.1], [60, 90, 50, 95])
    assert cuts == (0.45, 73.75)
    assert list(q) == ["fix", "keep", "low_priority", "overkill"]
    q, cuts = quadrants([0.8, 0.7, 0.2, 0.1], [60, 90, 50, 95], cuts=(0.5, 80))
    assert cuts == (0.5, 80)
    q, _ = quadrants([0.5, 0.1], [80, 70], cuts=(0.5, 80))  # on the cut counts as high
    assert list(q) == ["keep", "low_priority"]
    assert set(QUADRANT_LABELS_ZH) == {"keep", "fix", "low_priority", "overkill"}


def simulated():
    rng = np.random.default_rng(8)
    n = 2000
    d = rng.normal(size=(n, 3))
    overall = 0.7 * d[:, 0] + 0.3 * d[:, 1] + 0.05 * d[:, 2] + 0.5 * rng.normal(size=n)
    scores = 70 + 10 * d + np.array([-10, 5, 10])  # driver 0 important but weak
    return scores, overall


def test_derived_importance_by_correlation_and_regression():
    x, y = simulated()
    m = IPA(names=["repair", "billing", "app"]).fit(x, y)
    expected = [np.corrcoef(x[:, j], y)[0, 1] for j in range(3)]
    np.testing.assert_allclose(m.importance_, expected)
    np.testing.assert_allclose(m.performance_, x.mean(axis=0))
    assert m.by_name_["repair"][2] == "fix"
    assert m.by_name_["app"][2] == "overkill"
    r = IPA(importance="regression").fit(x, y)
    beta = np.linalg.lstsq((x - x.mean(0)) / x.std(0), (y - y.mean()) / y.std(), rcond=None)[0]
    np.testing.assert_allclose(r.importance_, beta, atol=1e-10)


def test_given_importance_and_missing_answers():
    x, y = simulated()
    x[::7, 1] = np.nan
    m = IPA(importance="given").fit(x, importance_values=[0.6, 0.3, 0.1])
    assert m.performance_[1] == pytest.approx(np.nanmean(x[:, 1]))
    assert m.importance_.tolist() == [0.6, 0.3, 0.1]
    c = IPA().fit(x, y)
    ok = ~np.isnan(x[:, 1])
    assert c.importance_[1] == pytest.approx(np.corrcoef(x[ok, 1], y[ok])[0, 1])
    with pytest.raises(ValueError, match="importance_values"):
        IPA(importance="given").fit(x)
    with pytest.raises(ValueError, match="overall"):
        IPA().fit(x)
