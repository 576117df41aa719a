import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.tiers import ScoreComponent, Scorecard, TierRule, ValueTiers, seed_scorecard

maybe = st.one_of(st.floats(-2, 3, allow_nan=False), st.just(float("nan")))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(maybe, maybe), min_size=1, max_size=100))
def test_scorecard_is_sum_of_parts_and_bounded(rows):
    metrics = {"collection_rate": np.array([r[0] for r in rows]), "margin_rate": np.array([r[1] for r in rows])}
    sc = seed_scorecard().fit(metrics)
    parts = sc.component_scores_
    np.testing.assert_allclose(sc.total_, parts["payment_collection"] + parts["margin"])
    assert (sc.total_ >= 0).all() and (sc.total_ <= 40).all() and sc.max_total_ == 40
    for p in parts.values():
        assert (p >= 0).all() and (p <= 20).all()
    best = sc.total_.max()
    assert (sc.rank_[sc.total_ == best] == 1).all()


def test_seed_scorecard_values():
    sc = seed_scorecard().fit({"collection_rate": [1.0, 0.9, 0.4], "margin_rate": [0.3, 0.15, -0.1]})
    assert sc.component_scores_["payment_collection"].tolist() == [20, 16, 0]
    assert sc.component_scores_["margin"].tolist() == [20, 10, 0]
    assert sc.rank_.tolist() == [1, 2, 3]


def test_linear_smaller_is_better():
    c = ScoreComponent("dso", "days_sales_outstanding", 10, "linear", low=90, high=30)
    assert c.score([30, 60, 90, 120]).tolist() == [10, 5, 0, 0]
    assert Scorecard([c]).fit({"days_sales_outstanding": [30, 30, 60]}).rank_.tolist() == [1, 1, 3]


def test_tier_rules_first_match_and_nan():
    tiers = ValueTiers().fit({"margin": [-1, 5, 5, 5, np.nan], "value_pct": [0.9, 0.9, 0.6, 0.1, np.nan]})
    assert tiers.tiers_.tolist() == ["do_not_serve", "gold", "silver", "bronze", "bronze"]
    assert tiers.policies_[1].startswith("Key account")
    custom = ValueTiers(rules=[TierRule("gold", (("clv", ">=", 1000), ("margin", ">", 0)), "p")],
                        default_tier="other").fit({"clv": [2000, 2000], "margin": [1, 0]})
    assert custom.tiers_.tolist() == ["gold", "other"] and custom.counts_ == {"gold": 1, "other": 1}
