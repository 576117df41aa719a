"""The churn step of the value pipeline (``kehu.insights.pipeline._churn``):
what the overdue signal compares with, tested on arrays without a database."""

import numpy as np
import pytest

from kehu.insights.config import default_config
from kehu.insights.pipeline import _churn


def _run(gap, since_last):
    n = len(gap)
    nan = np.full(n, np.nan)
    return _churn(None, x=None, t_x=None, T=None, gap=np.asarray(gap, float), since_last=np.asarray(since_last, float),
                  cur=np.zeros(n), prev=np.zeros(n), satisfaction=nan, complaints=nan, cfg=default_config(),
                  p_alive=np.ones(n))


def test_a_one_time_buyer_is_compared_with_the_typical_customers_rhythm():
    # Customers 0-2 buy every 10, 20 and 30 days (typical gap: the median, 20);
    # customer 3 bought once, 100 days ago. BG/NBD gives such a buyer
    # P(alive) = 1, so without the fallback to the typical gap the overdue
    # signal would be missing and the buyer never warned about.
    risk, values = _run(gap=[10, 20, 30, np.nan], since_last=[10, 20, 30, 100])
    assert values["overdue"].tolist() == pytest.approx([1.0, 1.0, 1.0, 100 / 20])
    assert not np.isnan(risk.contributions["overdue"][3])
    assert risk.score[3] > risk.score[0]
    assert "overdue" in dict(risk.reasons(3))


def test_with_no_rhythm_anywhere_the_overdue_signal_is_missing_not_invented():
    risk, values = _run(gap=[np.nan, np.nan], since_last=[5, 500])
    assert np.isnan(values["overdue"]).all()
    assert risk.score.tolist() == [0.0, 0.0]  # P(alive) 1 is the only signal
