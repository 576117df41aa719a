"""Retention targeting by expected gain: small cases computed by hand, the uplift against statsmodels.

The Mantel–Haenszel risk ratio is checked against ``statsmodels.stats.contingency_tables.StratifiedTable``
and the one-campaign interval against statsmodels' log (Katz) interval of a risk ratio.
"""

import math

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.proportion import confint_proportions_2indep

from kehu.analytics.targeting import (
    DEFAULT_PRIOR_UPLIFT,
    expected_gain,
    measured_uplift,
    target_by_expected_gain,
)

# four customers: CLV, churn risk; uplift 0.2 -> gains 100, 80, 40, 18
CLV = [1000.0, 500.0, 2000.0, 100.0]
RISK = [0.5, 0.8, 0.1, 0.9]


def test_gain_and_curve_by_hand():
    assert expected_gain(CLV, RISK, 0.2) == pytest.approx([100, 80, 40, 18])
    t = target_by_expected_gain(CLV, RISK, 0.2, cost_per_contact=30)
    assert list(t.order) == [0, 1, 2, 3]
    assert list(t.n) == [0, 1, 2, 3, 4]
    assert t.value == pytest.approx([0, 100, 180, 220, 238])
    assert t.cost == pytest.approx([0, 30, 60, 90, 120])
    assert t.net == pytest.approx([0, 70, 120, 130, 118])
    assert (t.best_n, t.best_value, t.best_cost, t.best_net) == (3, pytest.approx(220), 90, pytest.approx(130))
    assert list(t.selected) == [True, True, True, False]  # the three gains above the 30 a contact costs
    assert t.unknown == 0 and t.max_n == 4


def test_fixed_cost_limits_and_budget():
    # a fixed cost of 100: net −30, 20, 30, 18 -> still 3; of 200: never worth it -> 0
    assert target_by_expected_gain(CLV, RISK, 0.2, 30, fixed_cost=100).best_n == 3
    none = target_by_expected_gain(CLV, RISK, 0.2, 30, fixed_cost=200)
    assert none.best_n == 0 and none.best_net == 0 and not none.selected.any()
    assert target_by_expected_gain(CLV, RISK, 0.2, 30, max_contacts=2).best_n == 2
    b = target_by_expected_gain(CLV, RISK, 0.2, 30, budget=75)  # 75 / 30 -> two contacts
    assert (b.max_n, b.best_n, b.best_net) == (2, 2, pytest.approx(120))
    assert target_by_expected_gain(CLV, RISK, 0.2, 30, fixed_cost=50, budget=60).best_n == 0  # 50 + 30 > 60
    assert target_by_expected_gain(CLV, RISK, 0.2, 30, fixed_cost=50, budget=80).max_n == 1
    # the curve is always the whole ranking; the limits only bound the best N
    assert b.net.size == 5


def test_per_customer_uplift_ties_and_unknowns():
    # uplift per segment: gains 1000·0.5·0.1 = 50, 500·0.8·0.3 = 120, 2000·0.1·0.3 = 60, 100·0.9·0.1 = 9
    t = target_by_expected_gain(CLV, RISK, [0.1, 0.3, 0.3, 0.1], cost_per_contact=55)
    assert list(t.order) == [1, 2, 0, 3] and t.best_n == 2
    # equal gains: by customer id when given, else by input order
    eq = target_by_expected_gain([100.0, 100.0, 100.0], [0.5, 0.5, 0.5], 0.2, 1, customer_ids=[30, 10, 20])
    assert list(eq.order) == [1, 2, 0]
    assert list(target_by_expected_gain([100.0, 100.0], [0.5, 0.5], 0.2, 1).order) == [0, 1]
    # unknown CLV or risk: no gain, never chosen, counted
    u = target_by_expected_gain([1000.0, np.nan, 500.0], [0.5, 0.5, np.nan], 0.2, 0)
    assert u.unknown == 2 and list(u.order) == [0] and list(u.selected) == [True, False, False]
    # a gain exactly equal to the cost adds nothing: the smaller N wins
    assert target_by_expected_gain([100.0, 100.0], [0.5, 0.3], 1.0, cost_per_contact=30).best_n == 1


def test_a_harmful_contact_targets_nobody():
    t = target_by_expected_gain(CLV, RISK, -0.05, cost_per_contact=0)
    assert t.best_n == 0 and (t.net[1:] < 0).all()


def test_validation():
    with pytest.raises(ValueError):
        expected_gain([1.0], [1.5], 0.1)
    with pytest.raises(ValueError):
        expected_gain([1.0, 2.0], [0.5], 0.1)
    with pytest.raises(ValueError):
        expected_gain([1.0], [0.5], [np.nan])
    with pytest.raises(ValueError):
        target_by_expected_gain(CLV, RISK, 0.2, -1)
    with pytest.raises(ValueError):
        target_by_expected_gain(CLV, RISK, 0.2, 1, max_contacts=-1)


def test_uplift_from_one_campaign_by_hand():
    # 80 of 1,000 treated left, 20 of 200 held out: churn 8% vs 10% -> RR 0.8, u 0.2, Δr 2 points
    u = measured_uplift(80, 1000, 20, 200)
    assert u.source == "measured" and u.reason == ""
    assert u.value == pytest.approx(0.2) and u.risk_ratio == pytest.approx(0.8)
    assert u.retention_difference == pytest.approx(0.02)
    assert u.value == pytest.approx(u.retention_difference / 0.10)  # u = Δr / churn_c
    se = math.sqrt(1 / 80 - 1 / 1000 + 1 / 20 - 1 / 200)  # Katz
    assert (u.ci_low, u.ci_high) == pytest.approx((1 - 0.8 * math.exp(1.959964 * se),
                                                   1 - 0.8 * math.exp(-1.959964 * se)), abs=1e-6)
    low, high = confint_proportions_2indep(80, 1000, 20, 200, method="log", compare="ratio")
    assert (u.ci_low, u.ci_high) == pytest.approx((1 - high, 1 - low))


def test_uplift_over_several_campaigns_against_statsmodels():
    churned_t, n_t = [80, 30, 150], [1000, 300, 2500]
    churned_c, n_c = [20, 12, 40], [200, 100, 300]
    u = measured_uplift(churned_t, n_t, churned_c, n_c)
    tables = [np.array([[a, n - a], [b, m - b]]) for a, n, b, m in zip(churned_t, n_t, churned_c, n_c)]
    rr = StratifiedTable(tables).riskratio_pooled
    assert u.risk_ratio == pytest.approx(rr) and u.value == pytest.approx(1 - rr)
    # Greenland–Robins variance by hand
    a, n, b, m = (np.array(x, float) for x in (churned_t, n_t, churned_c, n_c))
    big = n + m
    var = ((n * m * (a + b) - a * b * big) / big**2).sum() / ((a * m / big).sum() * (b * n / big).sum())
    assert u.ci_low == pytest.approx(1 - rr * math.exp(1.959964 * math.sqrt(var)), abs=1e-6)
    assert u.ci_high == pytest.approx(1 - rr * math.exp(-1.959964 * math.sqrt(var)), abs=1e-6)
    assert (u.campaigns, u.n_treated, u.n_control, u.churned_control) == (3, 3800, 600, 72)


def test_the_prior_when_nothing_is_measured():
    p = measured_uplift([], [], [], [])
    assert (p.value, p.source, p.reason) == (DEFAULT_PRIOR_UPLIFT, "prior", "no_campaign")
    assert math.isnan(p.ci_low)
    few = measured_uplift(3, 100, 2, 20)  # two control churners: too noisy to plan with
    assert few.source == "prior" and few.reason == "too_few_control_churners"
    assert few.retention_difference == pytest.approx(0.1 - 0.03)
    assert measured_uplift(3, 100, 2, 20, min_control_churners=1).source == "measured"
    assert measured_uplift(0, 500, 30, 100).reason == "no_treated_churners"
    assert measured_uplift(10, 100, 0, 0).reason == "no_campaign"  # no control group, nothing measured
    assert measured_uplift([], [], [], [], prior=0.05).value == 0.05
    with pytest.raises(ValueError):
        measured_uplift(5, 4, 1, 10)


def test_a_million_customers():
    rng = np.random.default_rng(0)
    n = 1_000_000
    clv = rng.gamma(2, 2000, n)
    risk = rng.beta(2, 8, n)
    t = target_by_expected_gain(clv, risk, 0.1, cost_per_contact=20)
    g = clv * risk * 0.1
    assert t.best_n == int((g > 20).sum())
    assert t.best_net == pytest.approx((g[g > 20] - 20).sum())
