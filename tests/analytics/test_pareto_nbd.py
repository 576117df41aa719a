"""Pareto/NBD against Hardie's notes / FHL (2005) and lifetimes."""

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import check_grad
from scipy.special import gammaln

from kehu.analytics.datasets import load_cdnow_sample
from kehu.analytics.pareto_nbd import (
    ParetoNBD,
    pareto_nbd_log_likelihood,
    pareto_nbd_negative_log_likelihood,
    pareto_nbd_simulate,
)
from kehu.analytics.summary import summary_from_transactions


@pytest.fixture(scope="module")
def cdnow():
    d = load_cdnow_sample()
    return summary_from_transactions(d.customer_id, d.date, d.amount, observation_end="1997-09-30",
                                     freq="D", freq_multiplier=7)


def test_cdnow_parameters_match_published(cdnow):
    # Fader, Hardie & Lee (2005) "Counting your customers the easy way", Pareto/NBD on the
    # same data: r = 0.553, alpha = 10.578, s = 0.606, beta = 11.669, LL = -9595.0
    # (also Hardie's note "Implementing the Pareto/NBD model given interval-censored data").
    m = ParetoNBD().fit(cdnow.frequency, cdnow.recency, cdnow.T)
    p = m.params_
    assert p["r"] == pytest.approx(0.553, abs=5e-4)
    assert p["alpha"] == pytest.approx(10.578, abs=5e-3)
    assert p["s"] == pytest.approx(0.606, abs=5e-4)
    assert p["beta"] == pytest.approx(11.67, abs=5e-3)
    assert m.log_likelihood_ == pytest.approx(-9595.0, abs=0.05)
    # lifetimes 0.11.3 ParetoNBDFitter on the same summary, run by hand:
    # E[Y(39) | 2, 30.43, 38.86] = 1.45507, P(alive) = 0.86911, E[X(39)] = 1.21340.
    assert m.conditional_expected_purchases(39, 2, 30.43, 38.86) == pytest.approx(1.45507, abs=5e-4)
    assert m.probability_alive(2, 30.43, 38.86) == pytest.approx(0.86911, abs=5e-5)
    assert m.expected_purchases(39) == pytest.approx(1.21340, abs=5e-4)


@pytest.mark.parametrize("params", [(0.55, 10.5, 0.6, 11.7), (0.55, 14.0, 0.6, 8.0), (0.5, 10.0, 0.6, 10.0)])
def test_likelihood_equals_direct_integration(params):
    # The closed form (alpha > beta, alpha < beta, alpha = beta) against numerical
    # integration of the death-time integral (FHL 2005 note, eq. 11).
    r, a, s, b = params
    for x, tx, T in [(2, 30.43, 38.86), (0, 0, 38.86), (10, 20.0, 38.86), (1, 5.0, 5.0)]:
        J = quad(lambda u: (a + u) ** -(r + x) * (b + u) ** -(s + 1), tx, T, epsabs=0, epsrel=1e-13)[0]
        L = np.exp(gammaln(r + x) - gammaln(r) + r * np.log(a) + s * np.log(b)) * (
            (a + T) ** -(r + x) * (b + T) ** -s + s * J)
        assert pareto_nbd_log_likelihood(params, x, tx, T) == pytest.approx(np.log(L), rel=1e-11)


@pytest.mark.parametrize("params", [(0.55, 10.5, 0.6, 11.7), (0.55, 14.0, 0.6, 8.0), (2.0, 5.0, 1.5, 30.0)])
def test_gradient_matches_finite_differences(cdnow, params):
    args = (cdnow.frequency, cdnow.recency, cdnow.T)
    err = check_grad(lambda t: pareto_nbd_negative_log_likelihood(t, *args)[0],
                     lambda t: pareto_nbd_negative_log_likelihood(t, *args)[1], np.log(params))
    assert err < 1e-5


@pytest.mark.slow
def test_recovers_simulated_parameters():
    true = np.array([0.6, 8.0, 0.7, 12.0])
    rng = np.random.default_rng(7)
    T = rng.uniform(30, 78, 20_000)
    x, tx = pareto_nbd_simulate(true, T, rng)
    est = ParetoNBD().fit(x, tx, T).param_array_
    # r and alpha are well identified; s and beta less so (a flat ridge): 30% bands
    np.testing.assert_allclose(est[:2], true[:2], rtol=0.1)
    np.testing.assert_allclose(est[2:], true[2:], rtol=0.3)
