"""Pearson's correlation with its Fisher-z confidence interval.

For n pairs (x_i, y_i) with sample means x̄, ȳ,

    r = Σ (x_i − x̄)(y_i − ȳ) / √( Σ (x_i − x̄)² · Σ (y_i − ȳ)² ).

Fisher (1915, 1921): z = artanh(r) is close to normal with standard error
1/√(n − 3), so the (1 − α) interval is

    tanh( artanh(r) ± z_(1−α/2) / √(n − 3) ),

the interval ``scipy.stats.pearsonr(x, y).confidence_interval()`` gives by
default. The two-sided p-value of H0: ρ = 0 is that of
t = r √((n − 2) / (1 − r²)) on n − 2 degrees of freedom (exact for bivariate
normal data; equal to SciPy's beta-distribution p-value).

A correlation across a handful of teams is weak evidence: with n = 5 an
observed r = 0.6 has the 95 % interval (−0.60, 0.97). It says the two move
together in these data, never that one causes the other.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["Correlation", "pearson"]


@dataclass(frozen=True)
class Correlation:
    r: float | None
    n: int
    ci_low: float | None
    ci_high: float | None
    p_value: float | None
    level: float

    def as_dict(self) -> dict:
        return {"r": self.r, "n": self.n, "ci_low": self.ci_low, "ci_high": self.ci_high,
                "p_value": self.p_value, "level": self.level}


def pearson(x, y, *, level: float = 0.95) -> Correlation:
    """Pearson's r of the pairs (``x``, ``y``) with the Fisher-z interval at
    ``level``. Pairs with a missing value (NaN) are left out. ``r`` is None
    with fewer than 3 pairs or when either variable is constant; the interval
    is None with fewer than 4 pairs (the standard error 1/√(n − 3) needs n > 3)."""
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError("x and y must be one-dimensional and of the same length")
    keep = ~(np.isnan(x) | np.isnan(y))
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 3:
        return Correlation(None, n, None, None, None, level)
    dx, dy = x - x.mean(), y - y.mean()
    sxx, syy = float(dx @ dx), float(dy @ dy)
    if sxx == 0 or syy == 0:
        return Correlation(None, n, None, None, None, level)
    r = float(np.clip((dx @ dy) / math.sqrt(sxx * syy), -1.0, 1.0))
    if abs(r) == 1.0:
        p = 0.0
    else:
        t = r * math.sqrt((n - 2) / (1 - r * r))
        p = float(2 * stats.t.sf(abs(t), n - 2))
    if n < 4:
        return Correlation(r, n, None, None, p, level)
    z = math.atanh(r) if abs(r) < 1 else math.copysign(math.inf, r)
    half = stats.norm.ppf(0.5 + level / 2) / math.sqrt(n - 3)
    return Correlation(r, n, float(math.tanh(z - half)), float(math.tanh(z + half)), p, level)
