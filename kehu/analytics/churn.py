"""Churn early warning (流失预警): a risk score with its reasons, revenue at risk, backtest.

Each signal is turned into a risk in [0, 1]:

* ``p_alive``      (model P(alive)):             1 - P(alive)
* ``overdue``      (days since last / usual gap): clip((ratio - 1) / (full_overdue - 1), 0, 1);
                   due on time -> 0, ``full_overdue`` (default 3) times the usual gap -> 1
* ``drop``         (period-over-period drop fraction in [0, 1], see rfm.period_comparison): as is
* ``satisfaction`` (0-100 index, optional):      clip((good - s) / (good - bad), 0, 1),
                   default good 80, bad 40
* ``complaints``   (open complaints, optional):  1 - 0.5 ** n

The score is the weighted mean over the signals *available for that
customer* (an array that is None, or a NaN entry, is ignored, not invented):

    score_i = sum_k w_k c_ik / sum_{k available} w_k,

and the contribution of signal k is w_k c_ik / sum_{k available} w_k, so the
contributions add up to the score and the largest ones are the reasons.
Default weights: p_alive 0.4, overdue 0.25, drop 0.2, satisfaction 0.1,
complaints 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_WEIGHTS", "ChurnRisk", "churn_risk", "revenue_at_risk", "backtest"]

DEFAULT_WEIGHTS = {"p_alive": 0.4, "overdue": 0.25, "drop": 0.2, "satisfaction": 0.1, "complaints": 0.05}
SIGNALS = tuple(DEFAULT_WEIGHTS)


@dataclass(frozen=True)
class ChurnRisk:
    score: np.ndarray
    contributions: dict  # signal -> (n,) array, NaN where the signal is unavailable
    signals_used: tuple

    def reasons(self, i, *, min_contribution=0.05):
        """The signals behind customer i's score, largest contribution first."""
        items = [(k, float(v[i])) for k, v in self.contributions.items()
                 if not np.isnan(v[i]) and v[i] >= min_contribution]
        return sorted(items, key=lambda kv: -kv[1])

    def flagged(self, threshold=0.5):
        return self.score >= threshold


def _risk_components(n, *, p_alive, overdue_ratio, drop, satisfaction, open_complaints,
                     full_overdue, satisfaction_good, satisfaction_bad):
    comps = {}
    if p_alive is not None:
        comps["p_alive"] = 1.0 - np.clip(np.asarray(p_alive, float), 0.0, 1.0)
    if overdue_ratio is not None:
        r = np.asarray(overdue_ratio, float)
        comps["overdue"] = np.clip((r - 1.0) / (full_overdue - 1.0), 0.0, 1.0)
    if drop is not None:
        comps["drop"] = np.clip(np.asarray(drop, float), 0.0, 1.0)
    if satisfaction is not None:
        s = np.asarray(satisfaction, float)
        comps["satisfaction"] = np.clip((satisfaction_good - s) / (satisfaction_good - satisfaction_bad), 0.0, 1.0)
    if open_complaints is not None:
        c = np.asarray(open_complaints, float)
        comps["complaints"] = np.where(np.isnan(c), np.nan, 1.0 - 0.5 ** np.maximum(c, 0.0))
    for k, v in comps.items():
        if v.shape != (n,):
            raise ValueError(f"{k}: expected shape ({n},), got {v.shape}")
    return comps


def churn_risk(*, p_alive=None, overdue_ratio=None, drop=None, satisfaction=None, open_complaints=None,
               weights=None, full_overdue=3.0, satisfaction_good=80.0, satisfaction_bad=40.0) -> ChurnRisk:
    """Risk score in [0, 1] per customer and each signal's contribution (module docstring)."""
    given = [a for a in (p_alive, overdue_ratio, drop, satisfaction, open_complaints) if a is not None]
    if not given:
        raise ValueError("at least one signal is needed")
    if full_overdue <= 1:
        raise ValueError("full_overdue must be > 1")
    if satisfaction_good <= satisfaction_bad:
        raise ValueError("satisfaction_good must be above satisfaction_bad")
    n = len(np.asarray(given[0]))
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    if any(v < 0 for v in w.values()):
        raise ValueError("weights must be non-negative")
    comps = _risk_components(n, p_alive=p_alive, overdue_ratio=overdue_ratio, drop=drop,
                             satisfaction=satisfaction, open_complaints=open_complaints,
                             full_overdue=full_overdue, satisfaction_good=satisfaction_good,
                             satisfaction_bad=satisfaction_bad)
    num = np.zeros(n)
    den = np.zeros(n)
    for k, c in comps.items():
        avail = ~np.isnan(c)
        wk = w.get(k, 0.0)
        num += np.where(avail, wk * np.nan_to_num(c), 0.0)
        den += np.where(avail, wk, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(den > 0, num / den, np.nan)
        contributions = {k: np.where(~np.isnan(c) & (den > 0), w.get(k, 0.0) * c / den, np.nan)
                         for k, c in comps.items()}
    return ChurnRisk(score, contributions, tuple(comps))


def revenue_at_risk(risk, expected_revenue):
    """Per-customer risk x expected revenue (e.g. next-year CLV or last year's revenue), and the total."""
    r = np.nan_to_num(np.asarray(risk, float))
    v = np.asarray(expected_revenue, float)
    at_risk = r * v
    return at_risk, float(np.nansum(at_risk))


def backtest(risk, bought_next_period, *, threshold=0.5):
    """Quality of the warning on history.

    ``risk`` scored at an as-of date; ``bought_next_period`` whether each
    customer bought in the period after it. A churner is a customer who did
    not buy; a warning is risk >= threshold. Returns precision, recall, F1,
    the confusion counts and the base churn rate. Precision is NaN with no
    warnings, recall NaN with no churners.
    """
    r = np.asarray(risk, float)
    bought = np.asarray(bought_next_period, bool)
    if r.shape != bought.shape:
        raise ValueError("risk and bought_next_period must have the same shape")
    ok = ~np.isnan(r)
    warn = (r >= threshold) & ok
    churn = ~bought & ok
    tp = int((warn & churn).sum())
    fp = int((warn & ~churn).sum())
    fn = int((~warn & churn & ok).sum())
    tn = int((~warn & ~churn & ok).sum())
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * tp / (2 * tp + fp + fn) if (2 * tp + fp + fn) else float("nan")
    return {"threshold": threshold, "precision": precision, "recall": recall, "f1": f1,
            "tp": tp, "fp": fp, "fn": fn, "tn": tn, "n": int(ok.sum()),
            "churn_rate": float(churn.sum() / ok.sum()) if ok.sum() else float("nan")}
