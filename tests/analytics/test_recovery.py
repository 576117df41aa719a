"""The service-recovery paradox test (kehu.analytics.recovery), checked against SciPy on the same numbers.

Formula sources: Welch (1947), Biometrika 34:28–35 (Welch's t); Mantel & Haenszel
(1959), JNCI 22:719–748 and Agresti, Categorical Data Analysis, 3rd ed. (2013)
§6.4.2 (the CMH statistic and the MH common odds ratio). SciPy supplies the
references: scipy.stats.ttest_ind(equal_var=False) and its confidence_interval,
scipy.stats.chi2_contingency, scipy.stats.hypergeom (the exact mean and variance
of each stratum's cell under independence, which is what CMH sums) and
scipy.stats.contingency.odds_ratio.
"""

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats.contingency import odds_ratio

from kehu.analytics.recovery import Subject, cmh_test, match_comparable, recovery_paradox


def cmh_by_scipy(tables, correction=False):
    """The CMH statistic assembled from SciPy's hypergeometric distribution, stratum by stratum."""
    num = var = 0.0
    for (a, b), (c, d) in tables:
        n = a + b + c + d
        if n < 2:
            continue
        # population n, a + c of them "bought again", a + b drawn (the recovered row)
        with np.errstate(all="ignore"):  # SciPy's kurtosis term divides by M − 3 even when only "mv" is asked
            mean, v = stats.hypergeom.stats(M=n, n=a + c, N=a + b, moments="mv")
        num += a - float(mean)
        var += float(v)
    num = abs(num) - (0.5 if correction else 0.0)
    return num**2 / var


TABLES = [  # tier × tenure strata: rows recovered / comparable, columns bought again / not
    [[18, 7], [30, 20]],
    [[9, 11], [14, 26]],
    [[25, 5], [44, 16]],
    [[4, 6], [5, 15]],
]


@pytest.mark.parametrize("correction", [False, True])
def test_cmh_against_scipy(correction):
    r = cmh_test(TABLES, correction=correction)
    ref = cmh_by_scipy(TABLES, correction)
    assert r.statistic == pytest.approx(ref, rel=1e-12)
    assert r.p_value == pytest.approx(stats.chi2.sf(ref, 1), rel=1e-10)
    t = np.asarray(TABLES, float)
    n = t.sum(axis=(1, 2))
    mh = (t[:, 0, 0] * t[:, 1, 1] / n).sum() / (t[:, 0, 1] * t[:, 1, 0] / n).sum()
    assert r.odds_ratio == pytest.approx(mh) and r.strata == 4


def test_cmh_with_one_stratum_is_pearsons_chi_square_times_n_minus_1_over_n():
    table = [[48, 12], [35, 25]]
    r = cmh_test([table])
    chi2 = stats.chi2_contingency(table, correction=False).statistic
    assert r.statistic == pytest.approx(chi2 * 119 / 120)
    assert r.odds_ratio == pytest.approx(odds_ratio(table, kind="sample").statistic)


def test_cmh_refusals_and_empty_strata():
    with pytest.raises(ValueError, match="two customers"):
        cmh_test([[[1, 0], [0, 0]]])
    with pytest.raises(ValueError, match="counts"):
        cmh_test([[[1, -1], [3, 4]]])
    # a one-customer stratum carries no information and is skipped
    assert cmh_test(TABLES + [[[1, 0], [0, 0]]]).statistic == pytest.approx(cmh_test(TABLES).statistic)
    # nobody bought again anywhere: no variance, no evidence
    r = cmh_test([[[0, 5], [0, 5]]])
    assert (r.statistic, r.p_value) == (0.0, 1.0)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 40), min_size=4, max_size=4), min_size=1, max_size=6))
def test_cmh_matches_scipy_on_any_tables(cells):
    tables = [[[a, b], [c, d]] for a, b, c, d in cells]
    informative = [
        t for t in tables
        if sum(map(sum, t)) >= 2 and 0 < t[0][0] + t[1][0] < sum(map(sum, t)) and 0 < sum(t[0]) < sum(map(sum, t))
    ]  # fmt: skip
    assume(any(sum(map(sum, t)) >= 2 for t in tables))  # else refused: test_cmh_refusals_and_empty_strata
    r = cmh_test(tables)
    if not informative:
        assert (r.statistic, r.p_value) == (0.0, 1.0)
    else:
        assert r.statistic == pytest.approx(cmh_by_scipy(tables), rel=1e-9, abs=1e-12)


def people(prefix, tier, band, bought, not_bought, scores=()):
    out = []
    for i in range(bought + not_bought):
        sat = scores[i] if i < len(scores) else None
        out.append(Subject(f"{prefix}{tier}{band}{i}", tier, band, i < bought, sat))
    return out


def test_matching_is_exact_on_tier_and_tenure_and_seeded():
    rec = people("r", "A", "1-3y", 3, 2) + people("r", "B", "<1y", 2, 0) + people("r", "C", "3y+", 1, 0)
    com = people("c", "A", "1-3y", 10, 10) + people("c", "B", "<1y", 1, 2)  # nobody comparable in C
    m = match_comparable(rec, com, ratio=2, seed=7)
    assert m.strata == {("A", "1-3y"): (5, 10), ("B", "<1y"): (1, 2)}
    assert m.n_unmatched == 1 + 1  # one B (three comparable for two places) and the C customer
    assert sorted(s.stratum for s in m.comparable).count(("A", "1-3y")) == 10
    assert m == match_comparable(rec, com, ratio=2, seed=7)
    with pytest.raises(ValueError, match="ratio"):
        match_comparable(rec, com, ratio=0)


def test_recovery_paradox_against_scipy_on_the_same_numbers():
    rng = np.random.default_rng(2026)
    rec, com = [], []
    spec = [("A", "3y+", 30, 0.80, 0.60), ("A", "<1y", 20, 0.60, 0.45), ("B", "1-3y", 40, 0.50, 0.40)]
    for tier, band, n, p_rec, p_com in spec:
        for i in range(n):
            rec.append(Subject(f"r{tier}{band}{i}", tier, band, rng.random() < p_rec, float(rng.normal(4.3, 0.5))))
        for i in range(3 * n):
            sat = float(rng.normal(4.0, 0.7)) if i % 4 else None  # some never answered
            com.append(Subject(f"c{tier}{band}{i}", tier, band, rng.random() < p_com, sat))
    r = recovery_paradox(rec, com, ratio=2, seed=1)
    m = match_comparable(rec, com, ratio=2, seed=1)
    assert (r.n_recovered, r.n_comparable, r.n_unmatched, r.strata) == (90, 180, 0, 3)

    # repurchase: the two-proportion z-test is Pearson's chi-square without correction (z² = χ²)
    xr = sum(s.repurchased for s in m.recovered)
    xc = sum(s.repurchased for s in m.comparable)
    table = [[xr, 90 - xr], [xc, 180 - xc]]
    chi = stats.chi2_contingency(table, correction=False)
    rp = r.repurchase
    assert rp.rate_recovered == pytest.approx(xr / 90) and rp.rate_comparable == pytest.approx(xc / 180)
    assert rp.difference == pytest.approx(xr / 90 - xc / 180)
    assert rp.z**2 == pytest.approx(chi.statistic) and rp.p_value == pytest.approx(chi.pvalue)
    se = np.sqrt(rp.rate_recovered * (1 - rp.rate_recovered) / 90 + rp.rate_comparable * (1 - rp.rate_comparable) / 180)
    q = stats.norm.ppf(0.975)
    assert (rp.ci_low, rp.ci_high) == pytest.approx((rp.difference - q * se, rp.difference + q * se))
    # stratified: CMH over the three strata
    strata = []
    for key in m.strata:
        a = sum(s.repurchased for s in m.recovered if s.stratum == key)
        c = sum(s.repurchased for s in m.comparable if s.stratum == key)
        strata.append([[a, m.strata[key][0] - a], [c, m.strata[key][1] - c]])
    assert rp.cmh_statistic == pytest.approx(cmh_by_scipy(strata))
    assert rp.cmh_p_value == pytest.approx(stats.chi2.sf(rp.cmh_statistic, 1))

    # later satisfaction: Welch's t, recovered − comparable, on those who answered
    sr = [s.satisfaction for s in m.recovered if s.satisfaction is not None]
    sc = [s.satisfaction for s in m.comparable if s.satisfaction is not None]
    ref = stats.ttest_ind(sr, sc, equal_var=False)
    ci = ref.confidence_interval(0.95)
    sa = r.satisfaction
    assert (sa.n_recovered, sa.n_comparable) == (len(sr), len(sc))
    assert sa.t == pytest.approx(ref.statistic) and sa.p_value == pytest.approx(ref.pvalue)
    assert sa.df == pytest.approx(ref.df)
    assert (sa.ci_low, sa.ci_high) == pytest.approx((ci.low, ci.high))
    assert sa.difference == pytest.approx(np.mean(sr) - np.mean(sc))
    assert sa.verdict == "higher" and r.paradox_supported


def test_verdicts():
    # recovered customers buy again less: the paradox is not supported
    rec = people("r", "A", "x", 10, 40)
    com = people("c", "A", "x", 40, 10)
    r = recovery_paradox(rec, com)
    assert r.repurchase.verdict == "lower" and r.satisfaction is None
    assert r.verdicts == ("lower", "too_few") and not r.paradox_supported
    # the same rates: no difference
    r = recovery_paradox(people("r", "A", "x", 10, 10), people("c", "A", "x", 10, 10))
    assert r.repurchase.verdict == "no_difference" and r.repurchase.difference == 0
    # nobody comparable: too few to say
    r = recovery_paradox(people("r", "A", "x", 3, 3), people("c", "B", "x", 3, 3))
    assert r.repurchase is None and r.verdicts == ("too_few", "too_few") and r.n_unmatched == 6
    with pytest.raises(ValueError):
        recovery_paradox([], [], level=1.5)
