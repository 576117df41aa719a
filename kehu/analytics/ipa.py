"""Importance–performance analysis (IPA, 四分图).

Martilla, J.A. & James, J.C. (1977) "Importance-performance analysis",
Journal of Marketing 41(1):77–79.

For k drivers (indicator scores per respondent) and the overall satisfaction:

* performance_j = mean score of driver j (answered values only);
* importance_j, one of
  - "correlation" (derived): Pearson r(driver_j, overall) over the
    respondents who answered both;
  - "regression" (derived): standardised OLS coefficients of overall on all
    drivers, β = R_xx⁻¹ r_xy, over complete rows (collinear drivers share
    importance unpredictably — prefer "correlation" then);
  - "given": values supplied by the caller, e.g. stated importance from the
    questionnaire or PLS path coefficients / total effects.
* cut points: the means (default) or medians of the importance and the
  performance values across drivers, or fixed values (x_cut, y_cut).
* quadrants (a value on a cut counts as high):
  - "keep"          high importance, high performance — strengths to keep (继续保持)
  - "fix"           high importance, low performance — priorities to fix (重点改进)
  - "low_priority"  low importance, low performance (次要改进)
  - "overkill"      low importance, high performance — possible overkill (过度投入)
"""

from __future__ import annotations

import numpy as np

__all__ = ["QUADRANTS", "QUADRANT_LABELS_ZH", "quadrants", "IPA"]

QUADRANTS = ("keep", "fix", "low_priority", "overkill")
QUADRANT_LABELS_ZH = {"keep": "继续保持", "fix": "重点改进", "low_priority": "次要改进", "overkill": "过度投入"}


def quadrants(importance, performance, cuts=("mean", "mean")) -> tuple[np.ndarray, tuple[float, float]]:
    """(quadrant per driver, (importance cut, performance cut))."""
    imp = np.asarray(importance, float)
    perf = np.asarray(performance, float)
    if imp.shape != perf.shape or imp.ndim != 1:
        raise ValueError("importance and performance must be 1-D of equal length")

    def cut(values, how):
        if isinstance(how, str):
            if how == "mean":
                return float(np.nanmean(values))
            if how == "median":
                return float(np.nanmedian(values))
            raise ValueError(f"cut must be 'mean', 'median' or a number, got {how!r}")
        return float(how)

    ci, cp = cut(imp, cuts[0]), cut(perf, cuts[1])
    hi_i, hi_p = imp >= ci, perf >= cp
    q = np.where(hi_i & hi_p, "keep", np.where(hi_i, "fix", np.where(hi_p, "overkill", "low_priority")))
    return q.astype(object), (ci, cp)


class IPA:
    """Importance–performance analysis.

    Parameters: ``importance`` ("correlation", "regression" or "given"),
    ``cuts`` (pair of "mean" / "median" / number for importance and
    performance), ``names``.

    ``fit(drivers, overall=None, importance_values=None)``: ``drivers`` is
    respondents × k (NaN = not answered); ``overall`` the overall
    satisfaction per respondent (needed for derived importance);
    ``importance_values`` for "given". Fitted: ``importance_``,
    ``performance_``, ``quadrant_`` (array of names), ``cut_points_``,
    ``by_name_`` {name: (importance, performance, quadrant)}.
    """

    def __init__(self, importance: str = "correlation", cuts=("mean", "mean"), names=None):
        self.importance = importance
        self.cuts = cuts
        self.names = names

    def fit(self, drivers, overall=None, importance_values=None) -> IPA:
        x = np.asarray(drivers, float)
        if x.ndim != 2 or x.shape[1] == 0:
            raise ValueError("drivers must be a respondents × drivers matrix")
        k = x.shape[1]
        perf = np.array([np.nanmean(c) if np.isfinite(c).any() else np.nan for c in x.T])
        if self.importance == "given":
            if importance_values is None:
                raise ValueError("importance='given' needs importance_values")
            imp = np.asarray(importance_values, float)
            if imp.shape != (k,):
                raise ValueError(f"need {k} importance values")
        elif self.importance in ("correlation", "regression"):
            if overall is None:
                raise ValueError(f"importance={self.importance!r} needs the overall satisfaction")
            y = np.asarray(overall, float).ravel()
            if y.size != x.shape[0]:
                raise ValueError("overall must have one value per respondent")
            imp = self._correlations(x, y) if self.importance == "correlation" else self._regression(x, y)
        else:
            raise ValueError(f"importance must be 'correlation', 'regression' or 'given', got {self.importance!r}")
        q, cp = quadrants(imp, perf, self.cuts)
        self.importance_ = imp
        self.performance_ = perf
        self.quadrant_ = q
        self.cut_points_ = cp
        names = list(self.names) if self.names is not None else list(range(k))
        self.by_name_ = {n: (float(i), float(p), str(qq)) for n, i, p, qq in zip(names, imp, perf, q)}
        return self

    @staticmethod
    def _correlations(x, y):
        out = np.empty(x.shape[1])
        for j, c in enumerate(x.T):
            ok = np.isfinite(c) & np.isfinite(y)
            if ok.sum() < 3 or c[ok].std() == 0 or y[ok].std() == 0:
                out[j] = np.nan
            else:
                out[j] = np.corrcoef(c[ok], y[ok])[0, 1]
        return out

    @staticmethod
    def _regression(x, y):
        ok = np.isfinite(x).all(axis=1) & np.isfinite(y)
        if ok.sum() <= x.shape[1] + 1:
            raise ValueError("too few complete rows for a regression")
        z = np.column_stack([x[ok], y[ok]])
        r = np.corrcoef(z, rowvar=False)
        return np.linalg.lstsq(r[:-1, :-1], r[:-1, -1], rcond=None)[0]
