"""Wave-over-wave significance tests and the satisfaction–loyalty zones.

* Index means of two waves, Welch's t-test (unequal variances; Welch 1947,
  Biometrika 34:28–35):

      t = (x̄_b − x̄_a) / √(s_a²/n_a + s_b²/n_b)
      ν = (s_a²/n_a + s_b²/n_b)² / [(s_a²/n_a)²/(n_a − 1) + (s_b²/n_b)²/(n_b − 1)]

  with the interval Δ ± t_(ν, 1−α/2) · SE; effect size Cohen's d with the
  pooled SD, s_p² = ((n_a − 1)s_a² + (n_b − 1)s_b²)/(n_a + n_b − 2), and
  Hedges' g = d · (1 − 3/(4(n_a + n_b) − 9)).
* Satisfaction rates of two waves, the two-proportion z-test with the pooled
  proportion p̂ = (x_a + x_b)/(n_a + n_b):

      z = (p_b − p_a) / √(p̂(1 − p̂)(1/n_a + 1/n_b)),

  the (unpooled, Wald) interval Δ ± z_(1−α/2) √(p_a(1−p_a)/n_a + p_b(1−p_b)/n_b)
  and Cohen's h = 2 asin √p_b − 2 asin √p_a (Cohen 1988).
* Satisfaction–loyalty zones (Jones & Sasser 1995, "Why satisfied customers
  defect", Harvard Business Review 73(6):88–99): on the 1–5 satisfaction
  scale 1–2 is the zone of defection (叛离带), 3–4 indifference (冷漠带) and 5
  affection (忠诚带) — only the completely satisfied are loyal, hence "80%
  satisfied is far from enough". A value x falls in defection if
  x < ``defection_below``, affection if x >= ``affection_from``, else
  indifference. Defaults (:data:`ZONE_THRESHOLDS`): "1-5" → (2.5, 4.5), which
  puts answers 1–2 / 3–4 / 5 in the three zones and handles averages;
  "0-100" → (50, 90), the same cuts on the five-level 20…100 scores
  (20, 40 / 60, 80 / 100) and on 0–100 indices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "WelchResult",
    "ProportionResult",
    "welch_t_test",
    "two_proportion_z_test",
    "ZONES",
    "ZONE_LABELS_ZH",
    "ZONE_THRESHOLDS",
    "loyalty_zones",
    "zone_shares",
]


@dataclass(frozen=True)
class WelchResult:
    mean_a: float
    mean_b: float
    difference: float  # b − a
    se: float
    t: float
    df: float
    p_value: float
    ci_low: float
    ci_high: float
    cohens_d: float
    hedges_g: float
    level: float


@dataclass(frozen=True)
class ProportionResult:
    p_a: float
    p_b: float
    difference: float  # b − a
    z: float
    p_value: float
    ci_low: float
    ci_high: float
    cohens_h: float
    level: float


def _clean(x) -> np.ndarray:
    a = np.asarray(x, float).ravel()
    return a[np.isfinite(a)]


def welch_t_test(a, b, level: float = 0.95) -> WelchResult:
    """Welch's t-test of mean(b) − mean(a) (NaN dropped), with CI and effect sizes."""
    xa, xb = _clean(a), _clean(b)
    na, nb = xa.size, xb.size
    if na < 2 or nb < 2:
        raise ValueError("each wave needs at least two answers")
    ma, mb = xa.mean(), xb.mean()
    va, vb = xa.var(ddof=1), xb.var(ddof=1)
    qa, qb = va / na, vb / nb
    se = float(np.sqrt(qa + qb))
    diff = float(mb - ma)
    if se == 0:
        t = 0.0 if diff == 0 else float(np.sign(diff) * np.inf)
        df = float(na + nb - 2)
        p = 1.0 if diff == 0 else 0.0
    else:
        t = diff / se
        df = float((qa + qb) ** 2 / (qa**2 / (na - 1) + qb**2 / (nb - 1)))
        p = float(2 * stats.t.sf(abs(t), df))
    q = float(stats.t.ppf(0.5 + level / 2, df))
    sp = np.sqrt(((na - 1) * va + (nb - 1) * vb) / (na + nb - 2))
    d = float(diff / sp) if sp > 0 else 0.0
    g = d * (1 - 3 / (4 * (na + nb) - 9))
    return WelchResult(float(ma), float(mb), diff, se, t, df, p, diff - q * se, diff + q * se, d, g, level)


def two_proportion_z_test(x_a: int, n_a: int, x_b: int, n_b: int, level: float = 0.95) -> ProportionResult:
    """Two-proportion z-test of p_b − p_a (e.g. satisfaction rates of two waves)."""
    if n_a <= 0 or n_b <= 0 or not (0 <= x_a <= n_a) or not (0 <= x_b <= n_b):
        raise ValueError("need 0 <= x <= n and n > 0 for both waves")
    pa, pb = x_a / n_a, x_b / n_b
    pooled = (x_a + x_b) / (n_a + n_b)
    se0 = np.sqrt(pooled * (1 - pooled) * (1 / n_a + 1 / n_b))
    diff = pb - pa
    if se0 == 0:
        z, p = 0.0, 1.0
    else:
        z = float(diff / se0)
        p = float(2 * stats.norm.sf(abs(z)))
    se = np.sqrt(pa * (1 - pa) / n_a + pb * (1 - pb) / n_b)
    q = float(stats.norm.ppf(0.5 + level / 2))
    h = float(2 * np.arcsin(np.sqrt(pb)) - 2 * np.arcsin(np.sqrt(pa)))
    return ProportionResult(pa, pb, float(diff), z, p, float(diff - q * se), float(diff + q * se), h, level)


ZONES = ("defection", "indifference", "affection")
ZONE_LABELS_ZH = {"defection": "叛离带", "indifference": "冷漠带", "affection": "忠诚带"}
ZONE_THRESHOLDS = {"1-5": (2.5, 4.5), "0-100": (50.0, 90.0)}


def loyalty_zones(satisfaction, scale: str = "1-5", thresholds: tuple[float, float] | None = None) -> np.ndarray:
    """Zone name per value ("defection", "indifference", "affection"; "" for NaN).

    ``thresholds`` = (defection_below, affection_from) overrides the defaults
    of ``scale`` (see the module docstring).
    """
    if thresholds is None:
        if scale not in ZONE_THRESHOLDS:
            raise ValueError(f"scale must be one of {sorted(ZONE_THRESHOLDS)} or give thresholds")
        thresholds = ZONE_THRESHOLDS[scale]
    lo, hi = map(float, thresholds)
    if not lo <= hi:
        raise ValueError("need defection_below <= affection_from")
    x = np.asarray(satisfaction, float)
    out = np.full(x.shape, "", dtype=object)
    ok = np.isfinite(x)
    out[ok & (x < lo)] = "defection"
    out[ok & (x >= lo) & (x < hi)] = "indifference"
    out[ok & (x >= hi)] = "affection"
    return out


def zone_shares(satisfaction, scale: str = "1-5", thresholds=None) -> dict[str, float]:
    """Share (0–1) of answered values in each zone."""
    z = loyalty_zones(satisfaction, scale, thresholds)
    answered = z[z != ""]
    n = answered.size
    return {k: (float((answered == k).sum()) / n if n else float("nan")) for k in ZONES}
