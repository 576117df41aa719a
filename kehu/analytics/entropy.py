"""Objective indicator weights by the entropy weight method (熵权法).

For m alternatives (rows: respondents, regions, waves …) and n indicators
(columns), with x_ij >= 0:

    p_ij = x_ij / Σ_i x_ij                       (column shares)
    e_j  = −k Σ_i p_ij ln p_ij,  k = 1 / ln m,   with 0·ln 0 = 0
    d_j  = 1 − e_j                               (degree of diversification)
    w_j  = d_j / Σ_j d_j

An indicator whose values barely differ between alternatives (e_j ≈ 1)
carries little information and gets a weight near 0.

``normalise``:

* ``"sum"`` (default): the shares above straight from the raw values, for
  benefit indicators measured on a ratio scale. This reproduces the worked
  example of Xu (2004) quoted in issue 4: [[30,30,38,29],[19,54,86,29],
  [19,15,85,28.9],[68,70,60,29]] → w = (0.4630, 0.3992, 0.1378, 0.0000)
  (checked to 4 decimals in tests/analytics/test_entropy.py). Min-max scaling
  first would turn the nearly constant fourth column into [1, 1, 0, 1] and
  give it a weight of 0.148 instead of ≈ 0 (w = 0.4694, 0.2066, 0.1755,
  0.1484), so the published figures are the "sum" ones.
* ``"minmax"``: first r_ij = (x_ij − min_j)/(max_j − min_j) for benefit
  indicators and (max_j − x_ij)/(max_j − min_j) for cost indicators (listed
  in ``cost``), then the shares of r. A constant column gets e_j = 1 (w = 0).

A column of zeros (no information) gets e_j = 1. If every column has
e_j = 1 there is nothing to weight by and ``ValueError`` is raised.
"""

from __future__ import annotations

import numpy as np

__all__ = ["entropy_weights", "EntropyWeights"]


def _shares(x: np.ndarray) -> np.ndarray:
    s = x.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(s > 0, x / np.where(s > 0, s, 1), np.nan)
    return p


def entropy_weights(x, normalise: str = "sum", cost=()) -> tuple[np.ndarray, np.ndarray]:
    """(w, e): entropy weights and entropies of the columns of ``x``.

    See the module docstring for the formulas; ``cost`` holds column indices
    of cost indicators (smaller is better; only with ``normalise="minmax"``).
    """
    a = np.asarray(x, float)
    if a.ndim != 2 or a.shape[0] < 2 or a.shape[1] < 1:
        raise ValueError(f"need a matrix with at least 2 rows and 1 column, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("the matrix has missing or infinite values")
    m, n = a.shape
    cost = sorted(set(int(c) for c in cost))
    if any(not 0 <= c < n for c in cost):
        raise ValueError(f"cost columns out of range 0..{n - 1}: {cost}")
    if normalise == "sum":
        if cost:
            raise ValueError("cost indicators need normalise='minmax'")
        if (a < 0).any():
            raise ValueError("shares need non-negative values; use normalise='minmax' for signed data")
        r = a
    elif normalise == "minmax":
        lo, hi = a.min(axis=0), a.max(axis=0)
        rng = hi - lo
        safe = np.where(rng > 0, rng, 1.0)
        r = (a - lo) / safe
        if cost:
            r[:, cost] = (hi[cost] - a[:, cost]) / safe[cost]
        r[:, rng == 0] = 0.0
    else:
        raise ValueError(f"normalise must be 'sum' or 'minmax', got {normalise!r}")
    p = _shares(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    e = -plogp.sum(axis=0) / np.log(m)
    e = np.where(np.isnan(p).all(axis=0), 1.0, e)  # a zero column carries no information
    e = np.clip(e, 0.0, 1.0)
    d = 1.0 - e
    d[d < 1e-12] = 0.0  # a constant column's entropy is 1 up to rounding
    if d.sum() <= 0:
        raise ValueError("every indicator is constant across the rows: entropy weights are undefined")
    return d / d.sum(), e


class EntropyWeights:
    """Entropy weight method, scikit-learn style.

    Parameters: ``normalise`` ("sum" or "minmax"), ``cost`` (column indices of
    cost indicators). Fitted: ``weights_``, ``entropy_`` (e_j),
    ``divergence_`` (d_j = 1 − e_j).
    """

    def __init__(self, normalise: str = "sum", cost=()):
        self.normalise = normalise
        self.cost = cost

    def fit(self, x) -> EntropyWeights:
        w, e = entropy_weights(x, self.normalise, self.cost)
        self.weights_ = w
        self.entropy_ = e
        self.divergence_ = 1.0 - e
        return self
