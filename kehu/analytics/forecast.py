"""The sales forecast (销售预测): weighted pipeline plus predicted repeat purchases.

Two parts, both pure NumPy over arrays the selectors read in bulk:

1. **The weighted pipeline.** Every open opportunity expected to close in the period counts
   ``amount × probability / 100``. By its probability it falls in one category:

   - *commit* (承诺): probability ≥ ``commit_threshold`` (70 by default);
   - *best case* (乐观): probability ≥ ``best_case_threshold`` (30 by default) and below commit;
   - *pipeline* (管道): the rest (below best case).

   Won opportunities closed (``won_at``) in the period count at their full amount as *won*.
   The categories follow the usual forecast roll-up of CRM products (commit / best case /
   pipeline, e.g. Salesforce's forecast categories), with the probability deciding the
   category instead of a hand-picked one.

2. **Predicted repeat purchases** of existing customers, from the purchase model fitted in a
   value run (BG/NBD, Fader, Hardie & Lee 2005, eq. 10; or Pareto/NBD, Schmittlein, Morrison &
   Colombo 1987, eq. 22) and the Gamma-Gamma expected spend (Fader, Hardie & Lee 2005 note
   "The Gamma-Gamma model of monetary value", eq. 5). ``E[Y(t) | x, t_x, T]`` is the expected
   number of purchases in ``(T, T + t]``; the purchases in a later window ``(T + a, T + b]`` are
   by linearity ``E[Y(b)] − E[Y(a)]`` (:func:`expected_purchases_between`).

No Django imports: the selectors in :mod:`kehu.sales.forecast` feed the arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kehu.analytics.bgnbd import bgnbd_conditional_expected_purchases
from kehu.analytics.pareto_nbd import pareto_nbd_conditional_expected_purchases

__all__ = [
    "COMMIT", "BEST_CASE", "PIPELINE", "CATEGORIES",
    "ForecastThresholds", "categorize", "weighted_amounts", "pipeline_totals",
    "expected_purchases_between", "expected_repeat_revenue", "attainment", "absolute_percentage_error",
    "mean_absolute_percentage_error",
]

COMMIT, BEST_CASE, PIPELINE = "commit", "best_case", "pipeline"
CATEGORIES = (COMMIT, BEST_CASE, PIPELINE)


@dataclass(frozen=True)
class ForecastThresholds:
    """Probability (%) from which an open opportunity is *commit*, and *best case*."""

    commit: int = 70
    best_case: int = 30

    def __post_init__(self):
        if not 0 <= self.best_case <= self.commit <= 100:
            raise ValueError("thresholds must satisfy 0 <= best_case <= commit <= 100")


def categorize(probability, thresholds: ForecastThresholds = ForecastThresholds()) -> np.ndarray:
    """The category of each probability (%): ``"commit"``, ``"best_case"`` or ``"pipeline"``."""
    p = np.asarray(probability, float)
    return np.where(p >= thresholds.commit, COMMIT, np.where(p >= thresholds.best_case, BEST_CASE, PIPELINE))


def weighted_amounts(amount, probability) -> np.ndarray:
    """``amount × probability / 100`` of each opportunity."""
    return np.asarray(amount, float) * np.asarray(probability, float) / 100.0


def pipeline_totals(amount, probability, thresholds: ForecastThresholds = ForecastThresholds()) -> dict:
    """The weighted totals of open opportunities by category, with their count and the
    unweighted amount: ``{"commit": .., "best_case": .., "pipeline": .., "weighted": ..,
    "amount": .., "count": ..}``."""
    amount = np.asarray(amount, float)
    w = weighted_amounts(amount, probability)
    cat = categorize(probability, thresholds)
    out = {c: float(w[cat == c].sum()) for c in CATEGORIES}
    out.update(weighted=float(w.sum()), amount=float(amount.sum()), count=int(amount.size))
    return out


def _conditional(model: str):
    if model == "bgnbd":
        return bgnbd_conditional_expected_purchases
    if model == "pareto_nbd":
        return pareto_nbd_conditional_expected_purchases
    raise ValueError(f"unknown purchase model {model!r}")


def expected_purchases_between(model: str, params, start, end, x, t_x, T) -> np.ndarray:
    """Expected purchases in ``(T + start, T + end]`` of customers with history ``(x, t_x, T)``,
    ``0 <= start <= end`` in the time unit the parameters were fitted in.

    ``E[Y(end) | x, t_x, T] − E[Y(start) | x, t_x, T]`` (lifetimes'
    ``conditional_expected_number_of_purchases_up_to_time`` at the two horizons); ``start = 0``
    is the expectation from the end of observation.
    """
    start = np.asarray(start, float)
    end = np.asarray(end, float)
    if np.any(start < 0) or np.any(end < start):
        raise ValueError("need 0 <= start <= end")
    f = _conditional(model)
    params = np.asarray(params, float)
    upper = f(end, x, t_x, T, params)
    lower = np.where(start > 0, f(np.maximum(start, 0.0), x, t_x, T, params), 0.0)
    return np.maximum(upper - lower, 0.0)


def expected_repeat_revenue(model: str, params, start, end, x, t_x, T, spend, weight=None) -> tuple[float, float]:
    """Expected purchases and expected revenue of a group of customers in ``(T + start, T + end]``:
    ``Σ w · E[purchases] · spend``. Rows may stand for several customers with the same history
    (``weight`` counts them, ``spend`` then being their summed expected spend per purchase,
    which is exact because the expected purchases depend on ``(x, t_x, T)`` only).
    Returns ``(purchases, revenue)``."""
    x = np.asarray(x, float)
    if x.size == 0:
        return 0.0, 0.0
    n = np.ones_like(x) if weight is None else np.asarray(weight, float)
    spend = np.nan_to_num(np.asarray(spend, float))
    e = expected_purchases_between(model, params, start, end, x, t_x, T)
    e = np.nan_to_num(e)
    return float((e * n).sum()), float((e * spend).sum())


def attainment(forecast, quota):
    """Forecast as a share of the quota (1.0 = 100 %); None without a positive quota."""
    if quota is None or quota <= 0:
        return None
    return float(forecast) / float(quota)


def absolute_percentage_error(forecast, actual):
    """``|forecast − actual| / actual``; None when nothing came (the error is then only
    absolute)."""
    if actual is None or actual == 0:
        return None
    return abs(float(forecast) - float(actual)) / abs(float(actual))


def mean_absolute_percentage_error(forecasts, actuals):
    """MAPE over the periods with something actual (Hyndman & Koehler 2006, §3.2); None when
    no period had any."""
    errors = [absolute_percentage_error(f, a) for f, a in zip(forecasts, actuals)]
    errors = [e for e in errors if e is not None]
    return float(np.mean(errors)) if errors else None
