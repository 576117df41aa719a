import numpy as np
import pytest

from kehu.analytics.next_purchase import purchase_rhythm


def test_rhythm_and_expected_date():
    d = np.array(["2024-01-01", "2024-01-11", "2024-01-31", "2024-02-10", "2024-01-05", "2024-01-05"], "datetime64[D]")
    r = purchase_rhythm([1, 1, 1, 1, 2, 2], d, as_of="2024-03-01")
    assert r.n_purchase_days.tolist() == [4, 1]
    assert r.median_gap[0] == 10 and r.mean_gap[0] == pytest.approx(40 / 3)
    assert r.expected_next_date()[0] == np.datetime64("2024-02-20")
    assert r.days_since_last[0] == 20 and r.overdue_ratio[0] == 2
    assert np.isnan(r.median_gap[1]) and np.isnan(r.overdue_ratio[1])  # a single purchase day: no rhythm


def test_matches_a_per_customer_loop():
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 50, 2000)
    days = rng.integers(0, 400, 2000)
    r = purchase_rhythm(ids, days, as_of=400)
    for i, c in enumerate(r.customer_id):
        u = np.unique(days[ids == c])
        if len(u) > 1:
            g = np.diff(u)
            assert r.median_gap[i] == np.median(g)
            assert r.gap_std[i] == pytest.approx(np.std(g))
            assert r.overdue_ratio[i] == pytest.approx((400 - u[-1]) / np.median(g))
