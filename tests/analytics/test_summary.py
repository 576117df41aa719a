"""Transaction summary: lifetimes semantics and the published CDNOW preparation."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.datasets import load_cdnow_sample
from kehu.analytics.summary import calibration_and_holdout, summary_from_transactions, to_periods


def D(s):
    return np.array(s, dtype="datetime64[D]")


def test_same_day_purchases_count_once_and_monetary_excludes_first():
    ids = [7, 7, 7, 7, 9]
    dates = D(["2024-01-01", "2024-01-01", "2024-01-05", "2024-01-10", "2024-01-03"])
    amt = [10.0, 5.0, 20.0, 40.0, 3.0]
    s = summary_from_transactions(ids, dates, amt, observation_end="2024-01-11")
    assert s.customer_id.tolist() == [7, 9]
    assert s.frequency.tolist() == [2, 0]
    assert s.recency.tolist() == [9, 0]
    assert s.T.tolist() == [10, 8]
    assert s.monetary_value.tolist() == [30.0, 0.0]  # mean of 20 and 40; first day (15) excluded


def test_weeks_are_calendar_weeks_like_pandas_to_period_W():
    # pandas Period('W') = W-SUN: Monday..Sunday. 2024-01-07 is a Sunday, 2024-01-08 a Monday.
    p = to_periods(np.array(["2024-01-01", "2024-01-07", "2024-01-08"], "datetime64[D]").astype(np.int64), "W")
    assert p[0] == p[1] and p[2] == p[1] + 1
    s = summary_from_transactions([1, 1, 1], D(["2024-01-01", "2024-01-07", "2024-01-08"]),
                                  observation_end="2024-01-20", freq="W")
    assert (s.frequency[0], s.recency[0], s.T[0]) == (1, 1, 2)


def test_string_ids_and_later_transactions_dropped():
    s = summary_from_transactions(np.array(["b", "a", "a"]), D(["2024-01-02", "2024-01-01", "2024-03-01"]),
                                  observation_end="2024-01-31")
    assert s.customer_id.tolist() == ["a", "b"]
    assert s.frequency.tolist() == [0, 0]


def test_cdnow_matches_hardies_published_summary():
    # Fader & Hardie's CDNOW summary (the `cdnow_customers_summary_with_transactions.csv`
    # shipped with lifetimes): customer 1 x=2, t_x=30.43, T=38.86, zbar=22.35;
    # 2 x=1, 1.71, 38.86, 11.77. Weeks are days / 7 to the calibration end 1997-09-30.
    d = load_cdnow_sample()
    s = summary_from_transactions(d.customer_id, d.date, d.amount, observation_end="1997-09-30",
                                  freq="D", freq_multiplier=7)
    assert len(s) == 2357
    assert s.frequency.sum() == 2457 and (s.frequency > 0).sum() == 946  # FHL 2005 / Hardie's GG note: 946
    np.testing.assert_allclose([s.frequency[0], s.recency[0], s.T[0], s.monetary_value[0]],
                               [2, 30.43, 38.86, 22.35], atol=0.005)
    np.testing.assert_allclose([s.frequency[1], s.recency[1], s.T[1], s.monetary_value[1]],
                               [1, 1.71, 38.86, 11.77], atol=0.005)


def test_cdnow_weekly_matches_lifetimes():
    # lifetimes 0.11.3 summary_data_from_transaction_data(df, "id", "date", "amount",
    # observation_period_end="1998-06-30", freq="W"), run by hand: customer 1 ->
    # frequency 3, recency 49, T 78, monetary 23.7233; customer 2 -> 1, 2, 78, 11.77.
    d = load_cdnow_sample()
    s = summary_from_transactions(d.customer_id, d.date, d.amount, observation_end="1998-06-30", freq="W")
    np.testing.assert_allclose([s.frequency[0], s.recency[0], s.T[0], s.monetary_value[0]],
                               [3, 49, 78, 23.723333], atol=1e-6)
    np.testing.assert_allclose([s.frequency[1], s.recency[1], s.T[1], s.monetary_value[1]], [1, 2, 78, 11.77])


def test_cdnow_holdout_matches_lifetimes():
    # lifetimes 0.11.3 calibration_and_holdout_data(..., calibration_period_end="1997-09-30",
    # observation_period_end="1998-06-30", freq="D", freq_multiplier=7), run by hand:
    # 1,882 holdout repeat purchases in total, duration 39 weeks, customer 1's holdout mean 26.48.
    d = load_cdnow_sample()
    ch = calibration_and_holdout(d.customer_id, d.date, d.amount, calibration_end="1997-09-30",
                                 observation_end="1998-06-30", freq="D", freq_multiplier=7)
    assert ch.frequency_holdout.sum() == 1882
    assert ch.duration_holdout == 39
    assert ch.monetary_value_holdout[0] == pytest.approx(26.48)


def test_calibration_and_holdout():
    ids = [1, 1, 1, 1, 2, 3]
    dates = D(["2024-01-01", "2024-01-10", "2024-02-05", "2024-02-05", "2024-02-10", "2024-01-20"])
    amt = [1.0, 2.0, 3.0, 5.0, 7.0, 1.0]
    ch = calibration_and_holdout(ids, dates, amt, calibration_end="2024-01-31", observation_end="2024-02-29")
    assert ch.calibration.customer_id.tolist() == [1, 3]  # customer 2 first bought in the holdout
    assert ch.frequency_holdout.tolist() == [1, 0]
    assert ch.monetary_value_holdout.tolist() == [4.0, 0.0]  # lifetimes: mean of the raw holdout rows
    assert ch.duration_holdout == 29


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 60), st.floats(0, 100)), min_size=1, max_size=80),
       st.sampled_from(["D", "W"]))
def test_summary_properties(rows, freq):
    ids = np.array([r[0] for r in rows])
    days = np.array([r[1] for r in rows])
    amt = np.array([r[2] for r in rows])
    s = summary_from_transactions(ids, days, amt, observation_end=60, freq=freq)
    periods = to_periods(days, freq)
    for i, c in enumerate(s.customer_id):
        distinct = len(np.unique(periods[ids == c]))
        assert s.frequency[i] == distinct - 1
        assert s.frequency[i] <= len(np.unique(days[ids == c])) - 1
    assert (s.recency <= s.T).all() and (s.recency >= 0).all()
    assert (s.monetary_value[s.frequency == 0] == 0).all()
