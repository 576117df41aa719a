import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.rfm import RFM, RFM_GROUP_NAMES_ZH, period_comparison, period_totals, quintile_scores, rfm_from_transactions

floats = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=100, deadline=None)
@given(st.lists(floats, min_size=1, max_size=200))
def test_scores_in_range_and_monotone(values):
    v = np.array(values)
    s = quintile_scores(v)
    assert s.min() >= 1 and s.max() <= 5
    order = np.argsort(v, kind="stable")
    assert (np.diff(s[order]) >= 0).all()  # never decreases as the value grows
    for val in np.unique(v):
        assert len(np.unique(s[v == val])) == 1  # ties share a score
    assert (quintile_scores(v, higher_is_better=False) == quintile_scores(-v)).all()
    perm = np.random.default_rng(0).permutation(len(v))
    assert (quintile_scores(v[perm]) == s[perm]).all()


def test_distinct_values_fill_quintiles():
    assert quintile_scores(np.arange(10)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]


def test_eight_groups_rule_table():
    # The model's own groups against the docstring's table (the 均值法 rule
    # written out by hand): with basis="value" and fixed thresholds, a value AT
    # the threshold is high (at or above for F and M, at or below for
    # recency), one step past it low. Each (R, F, M) combination appears once.
    hi_lo = {"R": (10.0, 11.0), "F": (3.0, 2.0), "M": (100.0, 99.0)}
    combos = [(r, f, m) for m in (True, False) for r in (True, False) for f in (True, False)]
    recency = [hi_lo["R"][not r] for r, f, m in combos]
    frequency = [hi_lo["F"][not f] for r, f, m in combos]
    monetary = [hi_lo["M"][not m] for r, f, m in combos]
    model = RFM(thresholds=(10, 3, 100), basis="value").fit(recency, frequency, monetary)
    assert model.high_.tolist() == [list(c) for c in combos]
    assert [RFM_GROUP_NAMES_ZH[g] for g in model.groups_] == [
        "重要价值", "重要发展", "重要保持", "重要挽留", "一般价值", "一般发展", "一般保持", "一般挽留"]
    # on the score basis a score equal to its threshold is high too
    scores = RFM(thresholds=(3, 3, 3)).fit(np.arange(10.0)[::-1], np.arange(10.0), np.arange(10.0))
    assert (scores.f_score_ == 3).any()
    assert (scores.high_[:, 1] == (scores.f_score_ >= 3)).all() and scores.high_[scores.f_score_ == 3, 1].all()


def test_groups_from_values():
    recency = np.array([1.0, 1, 100, 100, 1, 1, 100, 100])
    freq = np.array([9.0, 1, 9, 1, 9, 1, 9, 1])
    mon = np.array([500.0, 500, 500, 500, 5, 5, 5, 5])
    m = RFM(basis="value").fit(recency, freq, mon)
    assert list(m.groups_) == ["important_value", "important_develop", "important_keep", "important_retain",
                               "general_value", "general_develop", "general_keep", "general_retain"]
    assert sum(m.group_counts_.values()) == 8


def test_rfm_from_transactions_and_period_drop():
    d = np.array(["2024-01-01", "2024-01-01", "2024-02-15", "2024-03-01"], "datetime64[D]")
    ids, r, f, mon = rfm_from_transactions([1, 1, 1, 2], d, [10.0, 5, 15, 7], as_of="2024-03-01")
    assert ids.tolist() == [1, 2] and r.tolist() == [15, 0] and f.tolist() == [2, 1] and mon.tolist() == [15, 7]
    custs, cur, prev = period_totals([1, 1, 1, 2], d, [10.0, 5, 15, 7], as_of="2024-03-01", period_days=45)
    assert cur.tolist() == [15, 7] and prev.tolist() == [15, 0]
    change, flag, drop = period_comparison([5.0, 9, 3], [10.0, 10, 0], drop_threshold=0.3)
    assert flag.tolist() == [True, False, False] and drop.tolist() == [0.5, 0.1, 0.0]
    assert np.isnan(change[2])
