"""Gamma-Gamma against Fader, Hardie & Lee (2005) "RFM and CLV" and Hardie's note."""

import numpy as np
import pytest
from scipy.optimize import check_grad

from kehu.analytics.datasets import load_cdnow_sample
from kehu.analytics.gamma_gamma import (
    GammaGamma,
    gamma_gamma_conditional_expected_spend,
    gamma_gamma_negative_log_likelihood,
)
from kehu.analytics.summary import summary_from_transactions


@pytest.fixture(scope="module")
def cdnow():
    d = load_cdnow_sample()
    return summary_from_transactions(d.customer_id, d.date, d.amount, observation_end="1997-09-30",
                                     freq="D", freq_multiplier=7)


def test_cdnow_parameters_match_published(cdnow):
    # Fader & Hardie (2013) "The Gamma-Gamma model of monetary value", CDNOW, 946
    # customers with repeat purchases: p = 6.25, q = 3.74, gamma = 15.44 (LL = -4055.9).
    m = GammaGamma().fit(cdnow.frequency, cdnow.monetary_value)
    p = m.params_
    assert (round(p["p"], 2), round(p["q"], 2), round(p["gamma"], 2)) == (6.25, 3.74, 15.44)
    assert m.n_customers_ == 946
    assert m.log_likelihood_ == pytest.approx(-4055.9, abs=0.05)
    # lifetimes 0.11.3 conditional_expected_average_profit, run by hand: customer 1 24.6539,
    # customer 2 18.9100, customer 3 (x = 0: population mean) 35.1704.
    e = m.conditional_expected_spend(cdnow.frequency[:3], cdnow.monetary_value[:3])
    np.testing.assert_allclose(e, [24.6539, 18.9100, 35.1704], atol=2e-3)


def test_gradient_matches_finite_differences(cdnow):
    k = cdnow.frequency > 0
    args = (cdnow.frequency[k], cdnow.monetary_value[k])
    for p in ([6.0, 4.0, 15.0], [1.0, 10.0, 2.0]):
        err = check_grad(lambda t: gamma_gamma_negative_log_likelihood(t, *args)[0],
                         lambda t: gamma_gamma_negative_log_likelihood(t, *args)[1], np.log(p))
        assert err < 1e-5


def test_expected_spend_is_weighted_average():
    p, q, g = 6.25, 3.74, 15.44
    pop = g * p / (q - 1)
    x, m = 4.0, 30.0
    w = p * x / (p * x + q - 1)
    assert gamma_gamma_conditional_expected_spend(x, m, (p, q, g)) == pytest.approx(w * m + (1 - w) * pop)


def test_recovers_simulated_parameters():
    rng = np.random.default_rng(3)
    p, q, g = 5.0, 4.0, 20.0
    n = 20_000
    x = rng.integers(1, 10, n)
    nu = rng.gamma(q, 1 / g, n)
    z = rng.gamma(np.repeat(p, x.sum()), np.repeat(1 / nu, x))
    m = np.add.reduceat(z, np.r_[0, np.cumsum(x)[:-1]]) / x
    est = GammaGamma().fit(x, m).param_array_
    np.testing.assert_allclose(est, [p, q, g], rtol=0.15)
