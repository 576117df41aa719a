"""Campaign lift: checked against statsmodels and SciPy on the same numbers, and Newcombe's published table.

References: Newcombe (1998), Statistics in Medicine 17:873–890, Table II (method 10,
the hybrid score interval), and the independent implementations
``statsmodels.stats.proportion.confint_proportions_2indep`` / ``proportions_ztest`` and
``scipy.stats.ttest_ind(..., equal_var=False)``.
"""

import math

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from kehu.analytics.lift import (
    campaign_lift,
    response_lift,
    revenue_lift,
    revenue_lift_from_sums,
    wilson_interval,
)

# Newcombe (1998) Table II, method 10: (x1, n1, x2, n2) -> (lower, upper), four decimals as printed
NEWCOMBE_TABLE_II = [
    ((56, 70, 48, 80), (0.0524, 0.3339)),
    ((9, 10, 3, 10), (0.1705, 0.8090)),
    ((6, 7, 2, 7), (0.0582, 0.8062)),
    ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000)),
]


@pytest.mark.parametrize("counts,expected", NEWCOMBE_TABLE_II)
def test_newcombe_interval_matches_the_published_table(counts, expected):
    r = response_lift(*counts)
    assert (round(r.ci_low, 4), round(r.ci_high, 4)) == expected


def test_response_lift_against_statsmodels():
    rng = np.random.default_rng(16)
    for _ in range(200):
        nt, nc = rng.integers(1, 3000), rng.integers(1, 800)
        xt, xc = rng.integers(0, nt + 1), rng.integers(0, nc + 1)
        for level in (0.9, 0.95, 0.99):
            for method, sm in (("newcombe", "newcomb"), ("wald", "wald")):
                r = response_lift(xt, nt, xc, nc, level=level, method=method)
                low, high = confint_proportions_2indep(xt, nt, xc, nc, method=sm, compare="diff", alpha=1 - level)
                assert (r.ci_low, r.ci_high) == pytest.approx((low, high), abs=1e-12)
        r = response_lift(xt, nt, xc, nc)
        if 0 < xt + xc < nt + nc:
            z, p = proportions_ztest([xt, xc], [nt, nc])
            assert (r.z, r.p_value) == pytest.approx((z, p), rel=1e-9, abs=1e-12)


def test_response_lift_figures_by_hand():
    # 12% of 9,000 treated responded, 10% of 1,000 held out
    r = response_lift(1080, 9000, 100, 1000)
    assert r.rate_treated == pytest.approx(0.12) and r.rate_control == pytest.approx(0.10)
    assert r.difference == pytest.approx(0.02) and r.relative == pytest.approx(0.2)
    assert r.incremental_responders == pytest.approx(180)
    assert (r.incremental_responders_low, r.incremental_responders_high) == pytest.approx(
        (r.ci_low * 9000, r.ci_high * 9000))
    chi2 = stats.chi2_contingency([[1080, 7920], [100, 900]], correction=False)[0]
    assert r.z**2 == pytest.approx(chi2)
    assert not r.significant and r.ci_low < 0 < r.ci_high  # 2 points on 1,000 controls is within noise
    assert response_lift(1350, 9000, 100, 1000).significant  # 15% against 10% is not


def test_wilson_interval_against_statsmodels():
    from statsmodels.stats.proportion import proportion_confint

    for x, n in [(0, 10), (3, 10), (10, 10), (81, 263)]:
        assert wilson_interval(x, n) == pytest.approx(proportion_confint(x, n, method="wilson"))


def test_response_edge_cases():
    no_control = response_lift(30, 100, 0, 0)
    assert not no_control.estimable and no_control.reason == "no_control"
    assert math.isnan(no_control.difference) and math.isnan(no_control.ci_low) and not no_control.significant
    assert no_control.rate_treated == pytest.approx(0.3) and math.isnan(no_control.rate_control)
    assert response_lift(0, 0, 3, 10).reason == "no_treated"
    # zero variance: nobody responded anywhere
    zero = response_lift(0, 500, 0, 100)
    assert zero.difference == 0 and zero.z == 0 and zero.p_value == 1 and not zero.significant
    assert zero.ci_low < 0 < zero.ci_high  # Newcombe keeps its width
    wald = response_lift(0, 500, 0, 100, method="wald")
    assert wald.ci_low == wald.ci_high == 0  # Wald collapses: why Newcombe is the default
    assert math.isnan(zero.relative)
    with pytest.raises(ValueError):
        response_lift(11, 10, 1, 10)
    with pytest.raises(ValueError):
        response_lift(1, 10, 1, 10, method="exact")
    with pytest.raises(ValueError):
        response_lift(1, 10, 1, 10, level=95)


def test_revenue_lift_against_scipy_welch():
    rng = np.random.default_rng(7)
    for level in (0.9, 0.95):
        # revenue per customer: most buy nothing, buyers spend a gamma amount
        t = np.where(rng.random(4000) < 0.12, rng.gamma(2, 300, 4000), 0.0)
        c = np.where(rng.random(500) < 0.10, rng.gamma(2, 300, 500), 0.0)
        r = revenue_lift(t, c, level=level)
        ref = stats.ttest_ind(t, c, equal_var=False)
        ci = ref.confidence_interval(confidence_level=level)
        assert (r.ci_low, r.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-10)
        assert (r.t, r.p_value, r.df) == pytest.approx((ref.statistic, ref.pvalue, ref.df), rel=1e-10)
        assert r.difference == pytest.approx(t.mean() - c.mean())
        assert r.incremental_revenue == pytest.approx(r.difference * 4000)
        assert (r.incremental_revenue_low, r.incremental_revenue_high) == pytest.approx(
            (ci.low * 4000, ci.high * 4000), rel=1e-10)
        assert r.significant == (r.p_value < 1 - level)


def test_revenue_from_sums_equals_arrays():
    rng = np.random.default_rng(3)
    t, c = rng.normal(120, 40, 300), rng.normal(100, 50, 80)
    a = revenue_lift(t, c)
    b = revenue_lift_from_sums(t.size, t.sum(), (t**2).sum(), c.size, c.sum(), (c**2).sum())
    for f in ("difference", "se", "df", "p_value", "ci_low", "ci_high", "incremental_revenue"):
        assert getattr(b, f) == pytest.approx(getattr(a, f), rel=1e-9)


def test_revenue_edge_cases():
    assert revenue_lift([1.0, 2.0], []).reason == "no_control"
    assert revenue_lift([], [1.0, 2.0]).reason == "no_treated"
    one = revenue_lift([1.0, 2.0, 3.0], [5.0])
    assert one.reason == "too_few" and not one.estimable and one.mean_control == 5
    # zero variance, no difference: nobody bought in either group
    zero = revenue_lift(np.zeros(50), np.zeros(10))
    assert (zero.difference, zero.ci_low, zero.ci_high, zero.p_value) == (0, 0, 0, 1)
    assert zero.df == 58 and not zero.significant
    # zero variance with a difference: the interval is the point, p = 0
    fixed = revenue_lift(np.full(50, 100.0), np.zeros(10))
    assert (fixed.ci_low, fixed.ci_high, fixed.p_value) == (100, 100, 0) and fixed.significant
    assert fixed.incremental_revenue == 5000
    # one group constant: Welch still holds (df = n_other − 1)
    half = revenue_lift([0.0, 0, 0, 0], [1.0, 2, 3, 4, 5])
    assert half.df == pytest.approx(4)
    assert half.ci_low == pytest.approx(stats.ttest_ind([0.0, 0, 0, 0], [1.0, 2, 3, 4, 5],
                                                        equal_var=False).confidence_interval().low)
    with pytest.raises(ValueError):
        revenue_lift([1.0, np.nan], [1.0, 2.0])


def _synthetic_campaign(seed, n=20000):
    rng = np.random.default_rng(seed)
    tier = rng.choice(np.array(["gold", "silver", "bronze"]), n, p=[0.1, 0.3, 0.6])
    control = rng.random(n) < 0.1
    base = np.select([tier == "gold", tier == "silver"], [0.30, 0.15], 0.05)
    responded = rng.random(n) < base + np.where(control, 0.0, 0.03)
    revenue = np.where(responded, rng.gamma(2, np.select([tier == "gold", tier == "silver"], [800, 300], 100)), 0.0)
    return control, responded, revenue, tier


def test_campaign_lift_per_stratum_equals_the_direct_calls():
    control, responded, revenue, tier = _synthetic_campaign(1)
    res = campaign_lift(control, responded, revenue, tier)
    assert list(res.strata) == ["bronze", "gold", "silver"]
    for label, s in res.strata.items():
        m = tier == label
        t, c = m & ~control, m & control
        direct = response_lift(int(responded[t].sum()), int(t.sum()), int(responded[c].sum()), int(c.sum()))
        assert s.response == direct
        ref = stats.ttest_ind(revenue[t], revenue[c], equal_var=False)
        ci = ref.confidence_interval()
        assert (s.revenue.ci_low, s.revenue.ci_high) == pytest.approx((ci.low, ci.high), rel=1e-9)
        assert s.revenue.p_value == pytest.approx(ref.pvalue, rel=1e-9)


def test_pooled_is_the_treated_weighted_stratified_estimate():
    control, responded, revenue, tier = _synthetic_campaign(2)
    res = campaign_lift(control, responded, revenue, tier)
    nt = np.array([res.strata[k].response.n_treated for k in res.strata], float)
    w = nt / nt.sum()
    d = np.array([res.strata[k].response.difference for k in res.strata])
    v = np.array([s.response.rate_treated * (1 - s.response.rate_treated) / s.response.n_treated
                  + s.response.rate_control * (1 - s.response.rate_control) / s.response.n_control
                  for s in res.strata.values()])
    pr = res.pooled.response
    assert pr.method == "stratified-wald"
    assert pr.difference == pytest.approx(w @ d)
    se = np.sqrt(w**2 @ v)
    assert (pr.ci_low, pr.ci_high) == pytest.approx((w @ d - 1.959964 * se, w @ d + 1.959964 * se), abs=1e-6)
    assert pr.p_value == pytest.approx(2 * stats.norm.sf(abs(w @ d) / se))
    # revenue: Σ w_h Δ_h, Var Σ w_h²(s_t²/n_t + s_c²/n_c), Welch–Satterthwaite ν over the six group terms
    terms, dfs, dy = [], [], []
    for label in res.strata:
        m = tier == label
        yt, yc = revenue[m & ~control], revenue[m & control]
        wh = yt.size / nt.sum()
        terms += [wh**2 * yt.var(ddof=1) / yt.size, wh**2 * yc.var(ddof=1) / yc.size]
        dfs += [yt.size - 1, yc.size - 1]
        dy.append(wh * (yt.mean() - yc.mean()))
    terms = np.array(terms)
    nu = terms.sum() ** 2 / (terms**2 / np.array(dfs)).sum()
    q = stats.t.ppf(0.975, nu)
    ry = res.pooled.revenue
    assert ry.difference == pytest.approx(sum(dy)) and ry.df == pytest.approx(nu)
    assert (ry.ci_low, ry.ci_high) == pytest.approx((sum(dy) - q * np.sqrt(terms.sum()),
                                                     sum(dy) + q * np.sqrt(terms.sum())))
    assert ry.incremental_revenue == pytest.approx(sum(dy) * nt.sum())
    assert res.excluded_response == res.excluded_revenue == 0


def test_one_stratum_pooled_is_that_stratum():
    control, responded, revenue, _ = _synthetic_campaign(3)
    res = campaign_lift(control, responded, revenue)
    assert list(res.strata) == ["all"]
    assert res.pooled.response == res.strata["all"].response
    assert res.pooled.response.method == "newcombe"
    ref = stats.ttest_ind(revenue[~control], revenue[control], equal_var=False).confidence_interval()
    assert (res.pooled.revenue.ci_low, res.pooled.revenue.ci_high) == pytest.approx((ref.low, ref.high))
    assert campaign_lift(control, responded).pooled.revenue is None


def test_strata_without_a_control_are_left_out_of_the_pool_and_counted():
    control, responded, revenue, tier = _synthetic_campaign(4)
    tier = tier.astype(object)
    tier[:5] = "diamond"
    control[:5] = False  # a tiny stratum whose control group rounded to nobody
    res = campaign_lift(control, responded, revenue, tier)
    assert res.strata["diamond"].response.reason == "no_control"
    assert res.strata["diamond"].revenue.reason == "no_control"
    assert res.excluded_response == res.excluded_revenue == 5
    assert res.pooled.response.estimable and res.pooled.response.n_treated == int((~control).sum()) - 5
    # no stratum with both groups: nothing to pool
    none = campaign_lift([True, True, False, False], [1, 0, 1, 0], [5.0, 0, 9, 0], ["a", "a", "b", "b"])
    assert none.pooled.response.reason == "no_overlap" and none.pooled.revenue.reason == "too_few"
    assert campaign_lift([False, False], [1, 0], [3.0, 0.0]).pooled.response.reason == "no_control"
    assert campaign_lift([False, False], [1, 0], [3.0, 0.0]).pooled.revenue.reason == "no_control"


def test_newcombe_interval_covers_the_true_lift():
    # 2,000 simulated campaigns with a true lift of 2 points: the 95% interval covers it about 95% of the time
    rng = np.random.default_rng(11)
    reps, nt, nc = 2000, 900, 100
    xt = rng.binomial(nt, 0.12, reps)
    xc = rng.binomial(nc, 0.10, reps)
    covered = sum(r.ci_low <= 0.02 <= r.ci_high for r in (response_lift(a, nt, b, nc) for a, b in zip(xt, xc)))
    # binomial(2000, 0.95) lies in [0.93, 0.97] with probability > 0.9999
    assert 0.93 <= covered / reps <= 0.97
