"""Ranking partners of the channel (伙伴排名) with the customers' value logic.

The partners of a channel manager are ranked the way customers are
(:mod:`kehu.analytics.pareto` and :mod:`kehu.analytics.tiers`):

* ABC by sales: the partners sorted by sales, class A while the partners before
  them make less than ``a`` (80%) of the total, B below ``b`` (95%), C after
  (:func:`kehu.analytics.pareto.abc_classes`); no classes when the total is not
  positive;
* value percentile ``value_pct``: the share of partners with strictly smaller
  sales (0 for the smallest), as the customers' (kehu/insights/pipeline.py);
* tiers: the company's tier rules (the customers' settings) over the partners'
  metrics — ``revenue`` (sales), ``margin`` (gross margin), ``margin_rate``,
  ``collection_rate``, ``churn_risk`` (the mean of their customers'),
  ``value_pct`` — a metric a partner lacks (NaN) fails every condition on it;
* rank 1 = the largest sales; equal sales share the best rank ("min" ranking).

Growth against the previous period: ``(current − previous) / previous``, None
when the previous period sold nothing (growth from nothing is not a number).

Behind its target (:func:`behind_target`): a partner whose attainment (sales ÷
revenue target) is below ``ratio`` × the share of the target period gone
(:func:`elapsed_share`), once at least ``after`` of the period has gone — e.g.
with ratio 0.7, halfway through a quarter with less than 35% of the target sold.
No Django imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from kehu.analytics.pareto import abc_classes
from kehu.analytics.tiers import TierRule, ValueTiers, default_tier_rules

__all__ = ["growth", "percentile_rank", "min_rank", "PartnerRanking", "elapsed_share", "behind_target"]


def growth(current, previous) -> float | None:
    """Relative change from ``previous`` to ``current``; None when ``previous`` is not positive."""
    if previous is None or float(previous) <= 0:
        return None
    return (float(current or 0) - float(previous)) / float(previous)


def elapsed_share(start: dt.date, end: dt.date, day: dt.date) -> float:
    """The share of the period ``[start, end]`` (both days included) gone by the end of
    ``day``: 0 before it starts, 1 from its last day on."""
    days = (end - start).days + 1
    gone = (day - start).days + 1
    return min(max(gone / days, 0.0), 1.0) if days > 0 else 1.0


def behind_target(sales, target, elapsed: float, *, ratio: float = 0.7, after: float = 0.25) -> bool:
    """Whether sales of ``sales`` against a revenue ``target`` are far behind with
    ``elapsed`` (0–1) of the period gone: attainment below ``ratio`` × ``elapsed``, once
    ``elapsed`` ≥ ``after``. A target that is not positive is never behind."""
    if target is None or float(target) <= 0 or elapsed < after:
        return False
    return float(sales or 0) / float(target) < ratio * elapsed


def percentile_rank(values) -> np.ndarray:
    """Share of items with a strictly smaller value (0 for the smallest, < 1 for the largest)."""
    v = np.asarray(values, float)
    if len(v) == 0:
        return np.empty(0)
    return np.searchsorted(np.sort(v), v, side="left") / len(v)


def min_rank(values) -> np.ndarray:
    """1 for the largest value; equal values share the best rank."""
    v = np.asarray(values, float)
    return 1 + (len(v) - np.searchsorted(np.sort(v), v, side="right"))


@dataclass
class PartnerRanking:
    """``fit(metrics)`` with ``metrics`` a mapping name → 1-D array (``revenue`` required)
    sets ``abc_`` ("A"/"B"/"C", or "" for every partner when total sales are not
    positive), ``value_pct_``, ``tiers_`` and ``rank_``."""

    a: float = 0.8
    b: float = 0.95
    rules: tuple[TierRule, ...] | None = None
    default_tier: str = "bronze"

    def fit(self, metrics: dict):
        revenue = np.asarray(metrics["revenue"], float)
        n = len(revenue)
        if n and revenue.sum() > 0 and (revenue >= 0).all():
            self.abc_ = abc_classes(revenue, self.a, self.b).astype(object)
        else:
            self.abc_ = np.full(n, "", dtype=object)
        self.value_pct_ = percentile_rank(revenue)
        arrays = {k: np.asarray(v, float) for k, v in metrics.items()}
        arrays["value_pct"] = self.value_pct_
        if n:
            rules = tuple(default_tier_rules() if self.rules is None else self.rules)
            for rule in rules:  # rules on metrics partners do not have: NaN, so they never match
                for name, _op, _value in rule.conditions:
                    arrays.setdefault(name, np.full(n, np.nan))
            self.tiers_ = ValueTiers(rules=rules, default_tier=self.default_tier).fit(arrays).tiers_
        else:
            self.tiers_ = np.empty(0, dtype=object)
        self.rank_ = min_rank(revenue)
        return self
