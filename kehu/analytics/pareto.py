"""ABC / Pareto analysis of a per-customer value (revenue, margin, contribution).

* Cumulative share curve (Lorenz curve read from the top): customers sorted by
  value, largest first; point k is (k/n, sum of the top k values / total).
* Gini coefficient (values >= 0), with x_(1) <= ... <= x_(n) ascending:

      G = sum_i (2i - n - 1) x_(i) / (n sum_i x_i),   0 <= G <= 1 - 1/n < 1,

  0 when all values are equal (or all zero). Invariant to the order of the
  rows and to multiplying all values by a positive constant.
* "The top x% of customers make y% of the value": ``top_share(values, x)``;
  the inverse, the smallest share of customers making y%: ``share_for_value``.
* ABC classes: walking down the sorted list, a customer is A while the
  cumulative share *before* them is below ``a`` (so the customer who crosses
  80% is still A), B while it is below ``b``, else C. Equal values are ordered
  by their position in the input (stable sort), so results are reproducible.
* Two-axis grids: each customer high/low on two measures against thresholds
  (default the medians; a value at the threshold is high).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "ParetoCurve",
    "pareto_curve",
    "gini",
    "top_share",
    "share_for_value",
    "abc_classes",
    "ABC",
    "two_axis_grid",
]


@dataclass(frozen=True)
class ParetoCurve:
    order: np.ndarray  # row indices, largest value first
    customer_share: np.ndarray  # k / n, k = 1..n
    value_share: np.ndarray  # cumulative value share of the top k


def _values(values):
    v = np.asarray(values, float).ravel()
    if v.size == 0:
        raise ValueError("no values")
    if not np.isfinite(v).all():
        raise ValueError("values must be finite")
    return v


def pareto_curve(values) -> ParetoCurve:
    """Cumulative value share of the top k customers, k = 1..n (ends at 1).

    Negative values (loss-making customers) are allowed: the curve then rises
    above 1 before coming back to 1 at the end. The total must be positive.
    """
    v = _values(values)
    total = v.sum()
    if total <= 0:
        raise ValueError("the total value must be positive")
    order = np.argsort(-v, kind="stable")
    cum = np.cumsum(v[order]) / total
    cum[-1] = 1.0  # exact end point despite rounding
    return ParetoCurve(order, np.arange(1, v.size + 1) / v.size, cum)


def gini(values) -> float:
    """Gini coefficient of non-negative values (see the module docstring)."""
    v = _values(values)
    if (v < 0).any():
        raise ValueError("the Gini coefficient needs non-negative values")
    total = v.sum()
    if total == 0:
        return 0.0
    x = np.sort(v)
    n = x.size
    i = np.arange(1, n + 1)
    return float(np.clip(((2 * i - n - 1) @ x) / (n * total), 0.0, 1.0))


def top_share(values, top_fraction=0.2) -> float:
    """Share of the total made by the top ``ceil(top_fraction * n)`` customers."""
    if not 0 < top_fraction <= 1:
        raise ValueError("top_fraction must be in (0, 1]")
    c = pareto_curve(values)
    k = int(np.ceil(top_fraction * len(c.value_share) - 1e-12))
    return float(c.value_share[max(k, 1) - 1])


def share_for_value(values, value_fraction=0.8) -> float:
    """Smallest share of customers (from the top) whose values reach ``value_fraction``."""
    if not 0 < value_fraction <= 1:
        raise ValueError("value_fraction must be in (0, 1]")
    c = pareto_curve(values)
    k = int(np.argmax(c.value_share >= value_fraction - 1e-12))
    return float(c.customer_share[k])


def abc_classes(values, a=0.8, b=0.95):
    """Class "A", "B" or "C" per customer by cumulative share thresholds."""
    if not 0 < a <= b <= 1:
        raise ValueError("need 0 < a <= b <= 1")
    c = pareto_curve(values)
    before = np.r_[0.0, c.value_share[:-1]]
    cls_sorted = np.where(before < a - 1e-12, "A", np.where(before < b - 1e-12, "B", "C"))
    out = np.empty(len(before), dtype="<U1")
    out[c.order] = cls_sorted
    return out


class ABC:
    """ABC analysis: ``fit(values)`` sets ``classes_``, ``curve_``, ``gini_``
    (None if a value is negative), ``counts_``, ``value_shares_`` (share of the
    total per class) and ``top20_share_`` (what the top 20% make)."""

    def __init__(self, a=0.8, b=0.95):
        self.a = a
        self.b = b

    def fit(self, values):
        v = _values(values)
        self.classes_ = abc_classes(v, self.a, self.b)
        self.curve_ = pareto_curve(v)
        self.gini_ = gini(v) if (v >= 0).all() else None
        total = v.sum()
        self.counts_ = {k: int((self.classes_ == k).sum()) for k in "ABC"}
        self.value_shares_ = {k: float(v[self.classes_ == k].sum() / total) for k in "ABC"}
        self.top20_share_ = top_share(v, 0.2)
        return self


GRID_CELLS = ("high_high", "high_low", "low_high", "low_low")


def two_axis_grid(x, y, *, x_threshold=None, y_threshold=None):
    """Split customers on two measures (e.g. volume x growth, margin x contribution).

    Returns (cell names per customer: "high_high", "high_low" (x high, y low),
    "low_high", "low_low"; the thresholds used; counts per cell). NaN on an
    axis gives the cell "unknown".
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.shape != y.shape:
        raise ValueError("x and y must have the same shape")
    xt = float(np.nanmedian(x)) if x_threshold is None else float(x_threshold)
    yt = float(np.nanmedian(y)) if y_threshold is None else float(y_threshold)
    xh, yh = x >= xt, y >= yt
    idx = 2 * (~xh) + (~yh)
    cells = np.asarray(GRID_CELLS, dtype=object)[idx]
    unknown = np.isnan(x) | np.isnan(y)
    cells[unknown] = "unknown"
    counts = {c: int((cells == c).sum()) for c in GRID_CELLS + ("unknown",)}
    return cells, (xt, yt), counts
