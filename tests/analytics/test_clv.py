import numpy as np
import pytest

from kehu.analytics.bgnbd import BGNBD
from kehu.analytics.clv import discounted_clv, historical_clv
from kehu.analytics.datasets import load_cdnow_sample
from kehu.analytics.gamma_gamma import GammaGamma
from kehu.analytics.summary import summary_from_transactions


def test_cdnow_clv_matches_lifetimes():
    # lifetimes 0.11.3 GammaGammaFitter.customer_lifetime_value(bgf, ..., time=12,
    # discount_rate=0.01, freq="W"), run by hand on the same fits: customers 1-3
    # 36.27398, 4.64094, 8.34448; total over 2,357 customers 71507.95.
    d = load_cdnow_sample()
    s = summary_from_transactions(d.customer_id, d.date, d.amount, observation_end="1997-09-30",
                                  freq="D", freq_multiplier=7)
    bg = BGNBD().fit(s.frequency, s.recency, s.T)
    gg = GammaGamma().fit(s.frequency, s.monetary_value)
    spend = gg.conditional_expected_spend(s.frequency, s.monetary_value)
    clv = discounted_clv(bg, spend, s.frequency, s.recency, s.T, months=12, discount_rate=0.01, time_unit="week")
    np.testing.assert_allclose(clv[:3], [36.27398, 4.64094, 8.34448], rtol=1e-4)
    assert clv.sum() == pytest.approx(71507.95, rel=1e-4)


def test_discounting_lowers_value():
    class Flat:
        def conditional_expected_purchases(self, t, x, tx, T):
            return np.asarray(t, float) * 0 + t / 4.345  # one purchase a month

    x = np.array([1.0])
    undiscounted = discounted_clv(Flat(), 10.0, x, x, x, months=12, discount_rate=0.0)
    assert undiscounted[0] == pytest.approx(120.0)
    assert discounted_clv(Flat(), 10.0, x, x, x, months=12, discount_rate=0.01)[0] == pytest.approx(
        sum(10 / 1.01**k for k in range(1, 13)))


def test_historical_clv():
    ids, tot = historical_clv([3, 1, 3], [5.0, 2.0, 1.0])
    assert ids.tolist() == [1, 3] and tot.tolist() == [2.0, 6.0]
    ids, tot = historical_clv([3, 1, 3], [5.0, 2.0, 1.0], customers=np.array([3, 2, 1]))
    assert tot.tolist() == [6.0, 0.0, 2.0]
