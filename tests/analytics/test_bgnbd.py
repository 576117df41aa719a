"""BG/NBD against Fader, Hardie & Lee (2005) and against simulated data."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from kehu.analytics.bgnbd import (
    BGNBD,
    bgnbd_conditional_expected_purchases,
    bgnbd_expected_purchases,
    bgnbd_log_likelihood,
    bgnbd_negative_log_likelihood,
    bgnbd_probability_of_n_purchases,
    bgnbd_simulate,
)
from kehu.analytics.datasets import load_cdnow_sample
from kehu.analytics.summary import summary_from_transactions


@pytest.fixture(scope="module")
def cdnow():
    d = load_cdnow_sample()
    return summary_from_transactions(d.customer_id, d.date, d.amount, observation_end="1997-09-30",
                                     freq="D", freq_multiplier=7)


def sig3(v):
    return float(f"{v:.3g}")


def test_cdnow_parameters_match_the_paper(cdnow):
    # Fader, Hardie & Lee (2005) "Counting your customers the easy way", section 4:
    # r = 0.243, alpha = 4.414, a = 0.793, b = 2.426, LL = -9582.4 (39-week calibration,
    # weeks = days / 7 since the first purchase, observation end 1997-09-30).
    m = BGNBD().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    p = m.params_
    assert (sig3(p["r"]), sig3(p["alpha"]), sig3(p["a"]), sig3(p["b"])) == (0.243, 4.41, 0.793, 2.43)
    assert p["alpha"] == pytest.approx(4.414, abs=6e-4) and p["b"] == pytest.approx(2.426, abs=6e-4)
    assert m.log_likelihood_ == pytest.approx(-9582.4, abs=0.05)
    # Independent implementation: lifetimes 0.11.3 BetaGeoFitter on the same summary
    # (run by hand in a separate venv) gives E[Y(39) | 2, 30.43, 38.86] = 1.22591,
    # P(alive) = 0.72661 and E[X(39)] = 1.19501.
    assert m.conditional_expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.22591, abs=2e-5)
    assert m.probability_alive(2, 30.43, 38.86) == pytest.approx(0.72661, abs=2e-5)
    assert m.expected_purchases(39) == pytest.approx(1.19501, abs=2e-5)


def test_gradient_matches_finite_differences(cdnow):
    args = (cdnow.frequency, cdnow.recency, cdnow.T)
    for p in ([0.3, 4.0, 0.8, 2.5], [1.5, 20.0, 2.0, 0.7]):
        lp = np.log(p)
        err = check_grad(lambda t: bgnbd_negative_log_likelihood(t, *args)[0],
                         lambda t: bgnbd_negative_log_likelihood(t, *args)[1], lp)
        assert err < 1e-5


def test_weighted_rows_equal_repeated_rows():
    x, tx, T = np.array([0, 2, 5.0]), np.array([0, 3.0, 9.0]), np.array([10, 10, 12.0])
    w = np.array([3, 1, 2.0])
    v1 = bgnbd_negative_log_likelihood(np.zeros(4), x, tx, T, w)[0]
    rep = np.repeat(np.arange(3), [3, 1, 2])
    v2 = bgnbd_negative_log_likelihood(np.zeros(4), x[rep], tx[rep], T[rep])[0]
    assert v1 == pytest.approx(v2, rel=1e-12)


def test_probabilities_sum_to_one_and_match_expectation():
    params = (0.243, 4.414, 0.793, 2.426)
    probs = np.array([bgnbd_probability_of_n_purchases(39.0, n, params) for n in range(300)])
    assert probs.sum() == pytest.approx(1.0, abs=1e-6)
    assert (probs * np.arange(300)).sum() == pytest.approx(bgnbd_expected_purchases(39.0, params), rel=1e-4)


def test_conditional_expectation_for_zero_history_is_finite_and_positive():
    e = bgnbd_conditional_expected_purchases(10.0, 0, 0, 5.0, (0.5, 5.0, 1.5, 2.0))
    assert 0 < e < bgnbd_expected_purchases(10.0, (0.5, 5.0, 1.5, 2.0))


@pytest.mark.slow
def test_recovers_simulated_parameters():
    # Seeded simulation, 20,000 customers; asymptotic standard errors from the
    # inverse observed information (finite-difference Hessian of the analytic gradient).
    true = np.array([0.5, 6.0, 0.7, 2.5])
    rng = np.random.default_rng(20250101)
    T = rng.uniform(20, 52, 20_000)
    x, tx = bgnbd_simulate(true, T, rng)
    m = BGNBD().fit(x, tx, T)
    est = m.param_array_
    f = lambda p: np.mean(bgnbd_log_likelihood(p, x, tx, T))  # noqa: E731
    h = 1e-4 * est
    H = np.empty((4, 4))
    for i in range(4):
        for j in range(4):
            ei, ej = np.eye(4)[i] * h[i], np.eye(4)[j] * h[j]
            H[i, j] = (f(est + ei + ej) - f(est + ei - ej) - f(est - ei + ej) + f(est - ei - ej)) / (4 * h[i] * h[j])
    se = np.sqrt(np.diag(np.linalg.inv(-H * len(x))))
    assert np.all(np.abs(est - true) < 4 * se), (est, true, se)
