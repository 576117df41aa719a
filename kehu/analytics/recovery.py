"""The service-recovery paradox: do customers whose complaint was put right do better than those who never complained?

The paradox (McCollough & Bharadwaj 1992; de Matos, Henrique & Rossi 2007,
Journal of Service Research 10(1):60–77, a meta-analysis) says a customer whose
problem was resolved to their satisfaction can end up more loyal than one who
never had a problem (DOMAIN.md §6: 投诉是金, 化解就是利润). Kehu tests it on
the company's own customers:

* **Groups.** *Recovered*: customers with a complaint resolved to their
  satisfaction. *Comparable*: customers with no complaint, of the same value
  tier and tenure band (exact matching on the stratum tier × tenure band).
  Per stratum, ``m = min(recovered, comparable // ratio)`` recovered customers
  and ``ratio × m`` comparable ones are drawn at random (seeded), so both groups
  have the same mix of tiers and tenures; recovered customers without enough
  comparable ones are left out and counted (``n_unmatched``).
* **Repurchase** (bought again in the follow-up period; a proportion): the
  difference of rates recovered − comparable with its Wald interval and the
  two-proportion z-test (pooled), as in :func:`kehu.analytics.significance.two_proportion_z_test`;
  and, over the strata, the Cochran–Mantel–Haenszel test (Mantel & Haenszel
  1959, JNCI 22:719–748; Agresti, *Categorical Data Analysis*, 3rd ed. 2013,
  §6.4.2) with the Mantel–Haenszel common odds ratio. For stratum *k* with
  2 × 2 table [[a, b], [c, d]] (rows recovered / comparable, columns bought
  again / not), n₁ = a + b, n₂ = c + d, m₁ = a + c, m₂ = b + d, N = n₁ + n₂:

      E(a) = n₁m₁/N,   V(a) = n₁n₂m₁m₂ / (N²(N − 1))
      CMH = (|Σ(a − E(a))| − c)² / ΣV(a)   (c = ½ with the continuity correction, else 0)
      OR_MH = Σ(ad/N) / Σ(bc/N)

  CMH is referred to χ² with one degree of freedom; strata with N < 2 carry no
  information and are skipped.
* **Later satisfaction** (a score; means): Welch's t-test of recovered −
  comparable with its interval (:func:`kehu.analytics.significance.welch_t_test`),
  on the matched customers who answered.

The verdict per measure is ``higher`` / ``lower`` when the recovered group
differs at the significance level (CMH p-value for repurchase, Welch's for
satisfaction), else ``no_difference``; ``too_few`` when a group is too small
(no matched pair for repurchase, fewer than two answers for satisfaction). The
paradox is *supported* when some measure is higher and none lower.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from kehu.analytics.significance import two_proportion_z_test, welch_t_test

__all__ = [
    "CMHResult",
    "Matched",
    "MeanComparison",
    "ProportionComparison",
    "RecoveryResult",
    "Subject",
    "cmh_test",
    "match_comparable",
    "recovery_paradox",
]


@dataclass(frozen=True)
class Subject:
    """One customer: identity, matching keys, and the outcomes in the follow-up period."""

    id: Hashable
    tier: str
    tenure_band: str
    repurchased: bool
    satisfaction: float | None = None

    @property
    def stratum(self) -> tuple[str, str]:
        return self.tier, self.tenure_band


@dataclass(frozen=True)
class Matched:
    recovered: tuple[Subject, ...]
    comparable: tuple[Subject, ...]
    n_unmatched: int  # recovered customers left out for want of comparable ones
    strata: dict  # (tier, tenure band) → (recovered kept, comparable kept)


def match_comparable(
    recovered: Iterable[Subject], comparable: Iterable[Subject], *, ratio: int = 1, seed: int = 0
) -> Matched:
    """Exact matching on tier × tenure band, ``ratio`` comparable customers per recovered one."""
    if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
        raise ValueError("the matching ratio is a whole number, at least 1")
    rec, com = defaultdict(list), defaultdict(list)
    for s in recovered:
        rec[s.stratum].append(s)
    for s in comparable:
        com[s.stratum].append(s)
    rng = np.random.default_rng(seed)
    kept_r: list[Subject] = []
    kept_c: list[Subject] = []
    strata = {}
    unmatched = 0
    for key in sorted(rec, key=repr):
        r, c = rec[key], com.get(key, [])
        m = min(len(r), len(c) // ratio)
        unmatched += len(r) - m
        if m == 0:
            continue
        kept_r += [r[i] for i in sorted(rng.choice(len(r), size=m, replace=False))]
        kept_c += [c[i] for i in sorted(rng.choice(len(c), size=m * ratio, replace=False))]
        strata[key] = (m, m * ratio)
    return Matched(tuple(kept_r), tuple(kept_c), unmatched, strata)


@dataclass(frozen=True)
class CMHResult:
    statistic: float
    p_value: float
    odds_ratio: float  # Mantel–Haenszel common odds ratio (nan when undefined)
    strata: int  # strata used (N >= 2)


def cmh_test(tables: Sequence, *, correction: bool = False) -> CMHResult:
    """Cochran–Mantel–Haenszel test of 2 × 2 tables [[a, b], [c, d]] (formulas in the module docstring)."""
    t = np.asarray(tables, dtype=float).reshape(-1, 2, 2)
    if (t < 0).any() or not np.isfinite(t).all():
        raise ValueError("the tables hold counts, not negative")
    n = t.sum(axis=(1, 2))
    t = t[n >= 2]
    n = n[n >= 2]
    if t.shape[0] == 0:
        raise ValueError("no stratum has two customers or more")
    a, b, c, d = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
    n1, n2, m1, m2 = a + b, c + d, a + c, b + d
    expected = n1 * m1 / n
    variance = n1 * n2 * m1 * m2 / (n**2 * (n - 1))
    vsum = variance.sum()
    num = abs((a - expected).sum())
    if correction:
        num = max(num - 0.5, 0.0)
    if vsum == 0:
        statistic, p = 0.0, 1.0
    else:
        statistic = float(num**2 / vsum)
        p = float(stats.chi2.sf(statistic, 1))
    top, bottom = (a * d / n).sum(), (b * c / n).sum()
    odds = float(top / bottom) if bottom > 0 else (float("inf") if top > 0 else float("nan"))
    return CMHResult(statistic, p, odds, int(t.shape[0]))


@dataclass(frozen=True)
class ProportionComparison:
    """Repurchase: recovered vs comparable."""

    n_recovered: int
    n_comparable: int
    rate_recovered: float
    rate_comparable: float
    difference: float  # recovered − comparable
    ci_low: float
    ci_high: float
    z: float
    p_value: float  # two-proportion z-test on the matched groups
    cmh_statistic: float
    cmh_p_value: float  # stratified (tier × tenure band): the verdict's test
    odds_ratio: float  # Mantel–Haenszel
    level: float
    verdict: str


@dataclass(frozen=True)
class MeanComparison:
    """Later satisfaction: recovered vs comparable."""

    n_recovered: int
    n_comparable: int
    mean_recovered: float
    mean_comparable: float
    difference: float  # recovered − comparable
    ci_low: float
    ci_high: float
    t: float
    df: float
    p_value: float
    level: float
    verdict: str


@dataclass(frozen=True)
class RecoveryResult:
    n_recovered: int  # matched
    n_comparable: int  # matched
    n_unmatched: int
    strata: int
    repurchase: ProportionComparison | None
    satisfaction: MeanComparison | None
    alpha: float

    @property
    def verdicts(self) -> tuple[str, str]:
        return (
            self.repurchase.verdict if self.repurchase else "too_few",
            self.satisfaction.verdict if self.satisfaction else "too_few",
        )

    @property
    def paradox_supported(self) -> bool:
        v = self.verdicts
        return "higher" in v and "lower" not in v


def _verdict(difference: float, p_value: float, alpha: float) -> str:
    if p_value < alpha and difference > 0:
        return "higher"
    if p_value < alpha and difference < 0:
        return "lower"
    return "no_difference"


def recovery_paradox(
    recovered: Iterable[Subject],
    comparable: Iterable[Subject],
    *,
    ratio: int = 1,
    seed: int = 0,
    level: float = 0.95,
    alpha: float = 0.05,
    correction: bool = False,
) -> RecoveryResult:
    """Match, then compare repurchase and later satisfaction (see the module docstring)."""
    if not 0 < level < 1 or not 0 < alpha < 1:
        raise ValueError("the confidence level and the significance level are between 0 and 1")
    m = match_comparable(recovered, comparable, ratio=ratio, seed=seed)
    nr, nc = len(m.recovered), len(m.comparable)
    repurchase = None
    if nr and nc:
        xr = sum(bool(s.repurchased) for s in m.recovered)
        xc = sum(bool(s.repurchased) for s in m.comparable)
        z = two_proportion_z_test(xc, nc, xr, nr, level=level)  # b − a = recovered − comparable
        tables = []
        for key in m.strata:
            r = [s for s in m.recovered if s.stratum == key]
            c = [s for s in m.comparable if s.stratum == key]
            ar, ac = sum(s.repurchased for s in r), sum(s.repurchased for s in c)
            tables.append([[ar, len(r) - ar], [ac, len(c) - ac]])
        cmh = cmh_test(tables, correction=correction)  # every matched stratum has two customers or more
        repurchase = ProportionComparison(
            nr, nc, z.p_b, z.p_a, z.difference, z.ci_low, z.ci_high, z.z, z.p_value,
            cmh.statistic, cmh.p_value, cmh.odds_ratio, level, _verdict(z.difference, cmh.p_value, alpha),
        )  # fmt: skip
    satisfaction = None
    sr = [float(s.satisfaction) for s in m.recovered if s.satisfaction is not None and np.isfinite(s.satisfaction)]
    sc = [float(s.satisfaction) for s in m.comparable if s.satisfaction is not None and np.isfinite(s.satisfaction)]
    if len(sr) >= 2 and len(sc) >= 2:
        w = welch_t_test(sc, sr, level=level)  # b − a = recovered − comparable
        satisfaction = MeanComparison(
            len(sr), len(sc), w.mean_b, w.mean_a, w.difference, w.ci_low, w.ci_high, w.t, w.df, w.p_value,
            level, _verdict(w.difference, w.p_value, alpha),
        )  # fmt: skip
    return RecoveryResult(nr, nc, m.n_unmatched, len(m.strata), repurchase, satisfaction, alpha)
