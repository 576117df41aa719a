import numpy as np
import pytest

from kehu.analytics.churn import backtest, churn_risk, revenue_at_risk


def test_score_contributions_and_missing_signals():
    c = churn_risk(p_alive=[0.9, 0.1, 0.5], overdue_ratio=[np.nan, 4, 2], drop=[0, 0.5, 0],
                   open_complaints=[0, 2, np.nan])
    assert ((c.score >= 0) & (c.score <= 1)).all()
    total = sum(np.nan_to_num(v) for v in c.contributions.values())
    np.testing.assert_allclose(total, c.score)
    assert "satisfaction" not in c.contributions  # not given: ignored, not invented
    assert np.isnan(c.contributions["overdue"][0])
    assert [k for k, _ in c.reasons(1)][:2] == ["p_alive", "overdue"]
    # customer 1: (0.4*0.9 + 0.25*1 + 0.2*0.5 + 0.05*0.75) / 0.9
    assert c.score[1] == pytest.approx((0.36 + 0.25 + 0.1 + 0.0375) / 0.9)
    # re-averaged over the signals each customer HAS: customer 0 lacks the
    # overdue ratio (0.4*0.1 + 0.2*0 + 0.05*0) / (0.4 + 0.2 + 0.05), customer 2
    # the complaints (0.4*0.5 + 0.25*0.5 + 0.2*0) / (0.4 + 0.25 + 0.2)
    assert c.score[0] == pytest.approx(0.04 / 0.65)
    assert c.score[2] == pytest.approx(0.325 / 0.85)
    assert c.contributions["p_alive"][2] == pytest.approx(0.2 / 0.85)


def test_satisfaction_hook():
    c = churn_risk(p_alive=[0.5, 0.5], satisfaction=[90, 40])
    assert c.score[1] > c.score[0]
    assert c.contributions["satisfaction"][0] == 0


def test_revenue_at_risk_and_backtest():
    at, total = revenue_at_risk([0.5, 0.1], [100, 1000])
    assert at.tolist() == [50, 100] and total == 150
    b = backtest([0.9, 0.8, 0.2, 0.1], [False, True, False, True], threshold=0.5)
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (1, 1, 1, 1)
    assert b["precision"] == 0.5 and b["recall"] == 0.5 and b["f1"] == 0.5
