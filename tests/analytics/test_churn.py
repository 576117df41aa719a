import warnings
from decimal import Decimal

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


# --- the published model, value by value (module docstring); these pin the
# defaults and boundaries that mutation testing showed untested (docs/testing.md)

def test_each_signal_to_risk_as_published():
    # p_alive: 1 - P(alive), P(alive) clipped to [0, 1]
    c = churn_risk(p_alive=[-0.5, 0.0, 0.3, 1.0, 1.5])
    np.testing.assert_allclose(c.score, [1.0, 1.0, 0.7, 0.0, 0.0])
    # overdue: clip((ratio - 1) / (full_overdue - 1), 0, 1), full_overdue 3 by default
    c = churn_risk(overdue_ratio=[0.5, 1.0, 2.0, 3.0, 5.0])
    np.testing.assert_allclose(c.score, [0.0, 0.0, 0.5, 1.0, 1.0])
    c = churn_risk(overdue_ratio=[3.0, 5.0, 9.0], full_overdue=5)
    np.testing.assert_allclose(c.score, [0.5, 1.0, 1.0])
    # drop: as is, clipped to [0, 1]
    c = churn_risk(drop=[-0.2, 0.3, 1.4])
    np.testing.assert_allclose(c.score, [0.0, 0.3, 1.0])
    # satisfaction: clip((good - s) / (good - bad), 0, 1), good 80 and bad 40 by default
    c = churn_risk(satisfaction=[95, 80, 70, 60, 40, 10])
    np.testing.assert_allclose(c.score, [0.0, 0.0, 0.25, 0.5, 1.0, 1.0])
    c = churn_risk(satisfaction=[90, 75, 60], satisfaction_good=90, satisfaction_bad=60)
    np.testing.assert_allclose(c.score, [0.0, 0.5, 1.0])
    # complaints: 1 - 0.5 ** n, a negative count is none, NaN is unavailable
    c = churn_risk(open_complaints=[-1, 0, 1, 2, np.nan])
    np.testing.assert_allclose(c.score, [0.0, 0.0, 0.5, 0.75, np.nan])
    assert c.signals_used == ("complaints",)


def test_default_weights_as_published():
    # every signal at risk 1 for customer 0, only one at a time for the others
    c = churn_risk(p_alive=[0.0, 0.0, 1, 1, 1, 1], overdue_ratio=[3.0, 1, 3, 1, 1, 1],
                   drop=[1.0, 0, 0, 1, 0, 0], satisfaction=[40.0, 80, 80, 80, 40, 80],
                   open_complaints=[50.0, 0, 0, 0, 0, 50])
    assert c.signals_used == ("p_alive", "overdue", "drop", "satisfaction", "complaints")
    np.testing.assert_allclose(c.score, [1.0, 0.4, 0.25, 0.2, 0.1, 0.05], atol=1e-12)
    np.testing.assert_allclose(c.contributions["p_alive"], [0.4, 0.4, 0, 0, 0, 0], atol=1e-12)
    # a signal missing from the weights counts nothing; weights are relative
    c = churn_risk(p_alive=[0.0, 1.0], drop=[0.0, 1.0], weights={"p_alive": 2.0})
    np.testing.assert_allclose(c.score, [1.0, 0.0])
    np.testing.assert_allclose(c.contributions["drop"], [0.0, 0.0])
    # a zero weight is allowed; all weights zero leaves the score unknown
    c = churn_risk(p_alive=[0.0], drop=[1.0], weights={"p_alive": 1.0, "drop": 0.0})
    np.testing.assert_allclose(c.score, [1.0])
    c = churn_risk(p_alive=[0.0], weights={"p_alive": 0.0})
    assert np.isnan(c.score[0]) and np.isnan(c.contributions["p_alive"][0])


def test_reasons_and_flag_thresholds():
    # contributions: p_alive 0.4 * 0.125 = 0.05 (the default minimum, kept), drop 0.2 * 0.2 = 0.04 (dropped)
    c = churn_risk(p_alive=[0.875], drop=[0.2], overdue_ratio=[3.0], weights={"p_alive": 0.4, "drop": 0.2,
                                                                             "overdue": 0.4})
    reasons = c.reasons(0)
    assert [k for k, _ in reasons] == ["overdue", "p_alive"]
    assert reasons[0][1] == pytest.approx(0.4) and reasons[1][1] == pytest.approx(0.05)
    assert all(isinstance(v, float) for _, v in reasons)
    assert [k for k, _ in c.reasons(0, min_contribution=0.0)] == ["overdue", "p_alive", "drop"]
    # an unavailable signal is never a reason
    c = churn_risk(p_alive=[0.0], overdue_ratio=[np.nan])
    assert [k for k, _ in c.reasons(0, min_contribution=0.0)] == ["p_alive"]
    # flagged: score >= 0.5 by default
    c = churn_risk(drop=[0.49, 0.5, 0.9])
    assert c.flagged().tolist() == [False, True, True]
    assert c.flagged(0.9).tolist() == [False, False, True]


def test_validation_errors_with_their_messages():
    with pytest.raises(ValueError, match="^at least one signal is needed$"):
        churn_risk()
    with pytest.raises(ValueError, match=r"^full_overdue must be > 1$"):
        churn_risk(drop=[0.1], full_overdue=1)
    with pytest.raises(ValueError, match=r"^full_overdue must be > 1$"):
        churn_risk(drop=[0.1], full_overdue=0.5)
    churn_risk(overdue_ratio=[1.5], full_overdue=1.5)  # just above 1 is fine
    with pytest.raises(ValueError, match="^satisfaction_good must be above satisfaction_bad$"):
        churn_risk(drop=[0.1], satisfaction_good=60, satisfaction_bad=60)
    churn_risk(satisfaction=[50], satisfaction_good=61, satisfaction_bad=60)
    with pytest.raises(ValueError, match="^weights must be non-negative$"):
        churn_risk(drop=[0.1], weights={"drop": 1.0, "p_alive": -0.1})
    with pytest.raises(ValueError, match=r"^drop: expected shape \(3,\), got \(2,\)$"):
        churn_risk(p_alive=[0.1, 0.2, 0.3], drop=[0.1, 0.2])
    with pytest.raises(ValueError, match=r"^complaints: expected shape \(3,\), got \(2,\)$"):
        churn_risk(drop=[0.1, 0.2, 0.3], open_complaints=[1, 2])


def test_revenue_at_risk_ignores_unknowns():
    at, total = revenue_at_risk([np.nan, 0.5, 0.2], [100.0, 40.0, np.nan])
    assert at[0] == 0 and at[1] == 20 and np.isnan(at[2])
    assert total == 20.0 and isinstance(total, float)


def test_backtest_edges():
    # default threshold 0.5, inclusive; a NaN risk is left out of every count
    b = backtest([0.5, 0.49, np.nan, 0.7], [False, False, False, True])
    assert b["threshold"] == 0.5
    assert (b["tp"], b["fp"], b["fn"], b["tn"], b["n"]) == (1, 1, 1, 0, 3)
    assert b["churn_rate"] == pytest.approx(2 / 3)
    assert b["precision"] == 0.5 and b["recall"] == 0.5 and b["f1"] == pytest.approx(0.5)
    b = backtest([0.9, 0.1, 0.2], [False, True, True], threshold=0.3)
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (1, 0, 0, 2)
    assert b["precision"] == 1.0 and b["recall"] == 1.0 and b["f1"] == 1.0
    assert b["churn_rate"] == pytest.approx(1 / 3) and b["threshold"] == 0.3
    # no warnings: precision unknown; no churners: recall unknown
    b = backtest([0.1, 0.2], [False, True])
    assert np.isnan(b["precision"]) and b["recall"] == 0.0 and b["f1"] == 0.0
    b = backtest([0.9, 0.2], [True, True])
    assert b["precision"] == 0.0 and np.isnan(b["recall"]) and b["f1"] == 0.0
    assert b["churn_rate"] == 0.0
    # nothing to count at all
    b = backtest([np.nan], [True])
    assert np.isnan(b["precision"]) and np.isnan(b["recall"]) and np.isnan(b["f1"])
    assert np.isnan(b["churn_rate"]) and b["n"] == 0
    with pytest.raises(ValueError, match="^risk and bought_next_period must have the same shape$"):
        backtest([0.1, 0.2], [True])


def test_values_as_the_database_gives_them():
    # Decimal (numeric columns) and 0/1 floats are read as numbers and truth values
    d = Decimal
    c = churn_risk(p_alive=[d("0.25")], overdue_ratio=[d("2")], drop=[d("0.5")], satisfaction=[d("60")],
                   open_complaints=[d("1")])
    np.testing.assert_allclose(c.score, [(0.4 * 0.75 + 0.25 * 0.5 + 0.2 * 0.5 + 0.1 * 0.5 + 0.05 * 0.5)])
    at, total = revenue_at_risk([d("0.5")], [100.0])
    assert total == 50.0
    at, total = revenue_at_risk([0.5], [d("100")])
    assert total == 50.0
    b = backtest([d("0.9"), d("0.1")], np.array([0.0, 1.0]))
    assert (b["tp"], b["fp"], b["fn"], b["tn"]) == (1, 0, 0, 1)


def test_no_runtime_warnings_where_nothing_is_known():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c = churn_risk(p_alive=[0.0, np.nan], weights={"p_alive": 0.0})
        assert np.isnan(c.score).all()
        b = backtest([np.nan], [False])
        assert np.isnan(b["churn_rate"])


def test_f1_is_zero_not_unknown_when_there_is_something_to_count():
    # tp 0, fp 1, fn 1: F1 = 2*0 / (0 + 1 + 1) = 0
    b = backtest([0.9, 0.1], [True, False])
    assert (b["tp"], b["fp"], b["fn"]) == (0, 1, 1) and b["f1"] == 0.0
    # tp 1, fp 2, fn 0: F1 = 2 / (2 + 2) = 0.5
    b = backtest([0.9, 0.9, 0.9], [False, True, True])
    assert (b["tp"], b["fp"], b["fn"]) == (1, 2, 0) and b["f1"] == 0.5
