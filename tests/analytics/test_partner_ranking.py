"""kehu.analytics.partner_ranking: partners ranked with the customers' ABC and tier logic.

References: the percentile and the "min" rank are checked against SciPy on the same
numbers (``scipy.stats.percentileofscore(kind="strict")``, ``scipy.stats.rankdata(
method="min")``); the ABC classes are those of :func:`kehu.analytics.pareto.abc_classes`
(tested in test_pareto.py against the worked example there)."""

import numpy as np
import pytest
from scipy import stats

from kehu.analytics.partner_ranking import PartnerRanking, growth, min_rank, percentile_rank
from kehu.analytics.tiers import TierRule, default_tier_rules


def test_growth():
    assert growth(120, 100) == pytest.approx(0.2)
    assert growth(50, 100) == pytest.approx(-0.5)
    assert growth(10, 0) is None and growth(10, None) is None
    assert growth(0, 10) == pytest.approx(-1.0)


def test_percentile_and_rank_match_scipy():
    v = np.array([100.0, 50, 30, 30, 5, 0, 250])
    expected = [stats.percentileofscore(v, x, kind="strict") / 100 for x in v]
    np.testing.assert_allclose(percentile_rank(v), expected)
    np.testing.assert_array_equal(min_rank(v), stats.rankdata(-v, method="min").astype(int))
    assert len(percentile_rank([])) == 0


def test_ranking_classes_tiers_and_ranks():
    revenue = [100, 50, 30, 10, 5, 5, 0]
    margin = [20, 10, -1, 2, 1, 1, 0]
    r = PartnerRanking(rules=default_tier_rules()).fit({"revenue": revenue, "margin": margin})
    assert r.abc_.tolist() == ["A", "A", "A", "B", "C", "C", "C"]
    assert r.rank_.tolist() == [1, 2, 3, 4, 5, 5, 7]
    # loss makers first; then gold from the 80th percentile (6/7), silver from the 50th (5/7)
    assert r.tiers_.tolist() == ["gold", "silver", "do_not_serve", "bronze", "bronze", "bronze", "bronze"]


def test_rules_on_metrics_partners_lack_never_match():
    rules = (TierRule("gold", (("clv", ">=", 0),)),)
    r = PartnerRanking(rules=rules).fit({"revenue": [10, 20]})
    assert r.tiers_.tolist() == ["bronze", "bronze"]


def test_no_sales_no_classes():
    r = PartnerRanking().fit({"revenue": [0, 0]})
    assert r.abc_.tolist() == ["", ""] and r.rank_.tolist() == [1, 1]
    assert len(PartnerRanking().fit({"revenue": []}).tiers_) == 0


def test_elapsed_share_counts_both_days_and_stays_within_0_and_1():
    import datetime as dt

    from kehu.analytics.partner_ranking import elapsed_share

    q = (dt.date(2026, 10, 1), dt.date(2026, 12, 31))              # 92 days
    assert elapsed_share(*q, dt.date(2026, 10, 1)) == pytest.approx(1 / 92)
    assert elapsed_share(*q, dt.date(2026, 11, 15)) == pytest.approx(46 / 92)
    assert elapsed_share(*q, dt.date(2026, 9, 1)) == 0.0 and elapsed_share(*q, dt.date(2027, 1, 5)) == 1.0


@pytest.mark.parametrize("sales, target, elapsed, behind", [
    (34, 100, 0.5, True),     # 34% < 0.7 x 50% = 35%
    (35, 100, 0.5, False),    # at the line is not behind
    (0, 100, 0.2, False),     # too early in the period (before a quarter of it)
    (0, 100, 0.25, True),
    (10, 0, 0.9, False),      # no target: never behind
    (None, 100, 1.0, True),   # nothing sold by the end
])
def test_behind_target(sales, target, elapsed, behind):
    from kehu.analytics.partner_ranking import behind_target

    assert behind_target(sales, target, elapsed, ratio=0.7, after=0.25) is behind
