"""Net Promoter Score with its sampling error.

Reichheld, F. (2003) "The one number you need to grow", Harvard Business
Review 81(12):46–54: on the 0–10 "would you recommend" item, promoters answer
9–10, passives 7–8, detractors 0–6, and

    NPS = 100 · (p − d),      p = promoters / n,  d = detractors / n.

Each answer contributes +1 (promoter), 0 or −1 (detractor), so NPS/100 is a
mean of a three-valued variable with variance p + d − (p − d)²; hence

    Var(NPS) = 100² · (p + d − (p − d)²) / n,      SE = √Var,

and the normal-approximation interval NPS ± z_(1−α/2) · SE (not clipped to
[−100, 100]; with n below ~30 or p, d near 0 or 1 it is rough).

Two independent waves a and b: Δ = NPS_b − NPS_a, SE_Δ = √(Var_a + Var_b),
z = Δ / SE_Δ, two-sided p = 2(1 − Φ(|z|)), interval Δ ± z_(1−α/2) SE_Δ.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["NPSResult", "NPSDifference", "nps", "nps_from_counts", "nps_difference", "NetPromoterScore"]


@dataclass(frozen=True)
class NPSResult:
    nps: float
    promoters: int
    passives: int
    detractors: int
    n: int
    variance: float
    se: float
    ci_low: float
    ci_high: float
    level: float

    @property
    def promoter_share(self) -> float:
        return self.promoters / self.n

    @property
    def detractor_share(self) -> float:
        return self.detractors / self.n


@dataclass(frozen=True)
class NPSDifference:
    difference: float  # b − a
    se: float
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    level: float


def _answers(scores) -> np.ndarray:
    a = np.asarray(scores, float).ravel()
    a = a[~np.isnan(a)]
    if a.size == 0:
        raise ValueError("no answers")
    if ((a < 0) | (a > 10) | (a != np.round(a))).any():
        raise ValueError("NPS answers are whole numbers 0–10")
    return a


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return float(stats.norm.ppf(0.5 + level / 2))


def nps_from_counts(promoters: int, passives: int, detractors: int, level: float = 0.95) -> NPSResult:
    """NPS, variance, SE and interval from the three counts (see module docstring)."""
    n = promoters + passives + detractors
    if n <= 0:
        raise ValueError("no answers")
    p, d = promoters / n, detractors / n
    score = 100.0 * (p - d)
    var = 100.0**2 * (p + d - (p - d) ** 2) / n
    se = float(np.sqrt(var))
    z = _z(level)
    return NPSResult(score, promoters, passives, detractors, n, var, se, score - z * se, score + z * se, level)


def nps(scores, level: float = 0.95) -> NPSResult:
    """NPS of 0–10 answers (NaN = no answer) with its normal-approximation interval."""
    a = _answers(scores)
    promoters = int((a >= 9).sum())
    detractors = int((a <= 6).sum())
    return nps_from_counts(promoters, a.size - promoters - detractors, detractors, level)


def nps_difference(a: NPSResult, b: NPSResult, level: float = 0.95) -> NPSDifference:
    """Wave b minus wave a for independent samples: Δ, SE, z-test and interval."""
    diff = b.nps - a.nps
    se = float(np.sqrt(a.variance + b.variance))
    if se == 0:
        z = 0.0 if diff == 0 else float(np.sign(diff) * np.inf)
    else:
        z = diff / se
    p = float(2 * stats.norm.sf(abs(z)))
    q = _z(level)
    return NPSDifference(diff, se, z, p, diff - q * se, diff + q * se, level)


class NetPromoterScore:
    """scikit-learn style wrapper: ``NetPromoterScore(level).fit(scores)``.

    Fitted: ``result_`` (:class:`NPSResult`), ``nps_``, ``se_``, ``ci_``.
    """

    def __init__(self, level: float = 0.95):
        self.level = level

    def fit(self, scores) -> NetPromoterScore:
        r = nps(scores, self.level)
        self.result_ = r
        self.nps_ = r.nps
        self.se_ = r.se
        self.ci_ = (r.ci_low, r.ci_high)
        return self

    def compare(self, earlier: NetPromoterScore) -> NPSDifference:
        """This wave minus an earlier fitted wave."""
        return nps_difference(earlier.result_, self.result_, self.level)
