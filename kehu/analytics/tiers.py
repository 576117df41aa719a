"""Value tiers from ordered rules, and configurable scorecards.

Tiers. A rule is a tier name, a policy text (payment terms, service, price...)
and conditions on named per-customer metrics, all of which must hold
(``("margin", ">=", 0)``). Rules are tried in order; the first match wins;
customers no rule matches get ``default_tier``. A metric that is NaN for a
customer fails every condition on it: nothing is assumed.

Scorecard. Each component scores one metric out of its ``points``:

* linear: 0 at ``low``, ``points`` at ``high`` (``low > high`` for "smaller is
  better"), linear between, clipped to [0, points];
* banded: ``bands = [(lower_bound, points), ...]``: the points of the highest
  lower bound the value reaches, 0 below all bands.

The total is the sum of the components (so 0 <= total <= sum of points), NaN
metrics score 0. Rank 1 is the best; equal totals share the best rank
("min" ranking). The seeds' example: payment-collection score out of 20 plus
margin score out of 20 (``seed_scorecard()``).
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

import numpy as np

__all__ = ["TierRule", "ValueTiers", "default_tier_rules", "ScoreComponent", "Scorecard", "seed_scorecard"]

_OPS = {">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
        "==": operator.eq, "!=": operator.ne}


@dataclass(frozen=True)
class TierRule:
    tier: str
    conditions: tuple  # ((metric, op, value), ...)
    policy: str = ""


def default_tier_rules():
    """Example rules: loss makers are do-not-serve; then gold/silver by value percentile.

    Metrics: ``margin`` (gross margin to date) and ``value_pct`` (the
    customer's percentile of value, 0-1).
    """
    return (
        TierRule("do_not_serve", (("margin", "<", 0),),
                 "Cash in advance, no discounts; raise prices or move to higher-margin products, or let go."),
        TierRule("gold", (("value_pct", ">=", 0.8),),
                 "Key account: dedicated staff, extended payment terms, training, priority service, best prices."),
        TierRule("silver", (("value_pct", ">=", 0.5),),
                 "Regular visits, standard terms, volume rewards to grow the account."),
        TierRule("bronze", (),
                 "Standard terms and service through low-cost channels."),
    )


class ValueTiers:
    """``fit(metrics)`` with ``metrics`` a mapping name -> array sets ``tiers_``,
    ``policies_``, ``rule_index_`` (-1 = default) and ``counts_``."""

    def __init__(self, rules=None, default_tier="bronze", default_policy=""):
        self.rules = rules
        self.default_tier = default_tier
        self.default_policy = default_policy

    def fit(self, metrics):
        rules = tuple(default_tier_rules() if self.rules is None else self.rules)
        arrays = {k: np.asarray(v, float) for k, v in metrics.items()}
        n = len(next(iter(arrays.values())))
        if any(a.shape != (n,) for a in arrays.values()):
            raise ValueError("all metrics must be 1-D arrays of the same length")
        rule_index = np.full(n, -1)
        for i, rule in enumerate(rules):
            match = rule_index == -1
            for name, op, value in rule.conditions:
                if name not in arrays:
                    raise KeyError(f"rule {rule.tier!r} uses unknown metric {name!r}")
                if op not in _OPS:
                    raise ValueError(f"unknown operator {op!r}")
                a = arrays[name]
                with np.errstate(invalid="ignore"):
                    match &= ~np.isnan(a) & _OPS[op](a, value)
            rule_index[match] = i
        tiers = np.array([r.tier for r in rules] + [self.default_tier], dtype=object)
        policies = np.array([r.policy for r in rules] + [self.default_policy], dtype=object)
        self.rule_index_ = rule_index
        self.tiers_ = tiers[rule_index]
        self.policies_ = policies[rule_index]
        names = list(dict.fromkeys(list(tiers)))
        self.counts_ = {t: int((self.tiers_ == t).sum()) for t in names}
        return self


@dataclass(frozen=True)
class ScoreComponent:
    name: str
    metric: str
    points: float
    kind: str = "linear"  # or "banded"
    low: float = 0.0
    high: float = 1.0
    bands: tuple = field(default_factory=tuple)  # ((lower_bound, points), ...)

    def score(self, values):
        v = np.asarray(values, float)
        if self.kind == "linear":
            if self.high == self.low:
                raise ValueError(f"{self.name}: low and high must differ")
            s = (v - self.low) / (self.high - self.low) * self.points
            s = np.clip(s, 0.0, self.points)
        elif self.kind == "banded":
            if not self.bands:
                raise ValueError(f"{self.name}: banded scoring needs bands")
            bounds = np.array([b for b, _ in self.bands], float)
            pts = np.array([p for _, p in self.bands], float)
            if (pts < 0).any() or (pts > self.points).any():
                raise ValueError(f"{self.name}: band points must be within 0..{self.points}")
            o = np.argsort(bounds)
            bounds, pts = bounds[o], pts[o]
            k = np.searchsorted(bounds, np.where(np.isnan(v), -np.inf, v), side="right") - 1
            s = np.where(k >= 0, pts[np.maximum(k, 0)], 0.0)
        else:
            raise ValueError(f"{self.name}: unknown kind {self.kind!r}")
        return np.where(np.isnan(v), 0.0, s)


def seed_scorecard():
    """The seeds' example: payment collection (回款) out of 20 + gross margin out of 20.

    Collection rate (received / due): banded, >= 95% 20, >= 85% 16, >= 70% 12,
    >= 50% 8, else 0. Margin rate: linear, 0% -> 0 points, 30% -> 20 points.
    """
    return Scorecard((
        ScoreComponent("payment_collection", "collection_rate", 20, "banded",
                       bands=((0.5, 8), (0.7, 12), (0.85, 16), (0.95, 20))),
        ScoreComponent("margin", "margin_rate", 20, "linear", low=0.0, high=0.30),
    ))


class Scorecard:
    """``fit(metrics)`` sets ``component_scores_`` (name -> array), ``total_``,
    ``max_total_`` and ``rank_`` (1 = best, ties share the best rank)."""

    def __init__(self, components):
        self.components = components

    def fit(self, metrics):
        comps = tuple(self.components)
        if len({c.name for c in comps}) != len(comps):
            raise ValueError("component names must be unique")
        self.component_scores_ = {c.name: c.score(metrics[c.metric]) for c in comps}
        self.total_ = np.sum(list(self.component_scores_.values()), axis=0)
        self.max_total_ = float(sum(c.points for c in comps))
        t = self.total_
        # rank = 1 + number of customers with a strictly higher total
        self.rank_ = 1 + (len(t) - np.searchsorted(np.sort(t), t, side="right"))
        return self
