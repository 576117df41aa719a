"""Association rules: what is bought together (购物篮分析), for cross-selling.

A *basket* is a set of items bought together — in Kehu one order's products, or
one order's product lines. With N baskets, for itemsets X and Y (disjoint):

* support(X)        = count(X) / N, count(X) = the number of baskets holding X;
* support(X ⇒ Y)    = support(X ∪ Y);
* confidence(X ⇒ Y) = support(X ∪ Y) / support(X)      (an estimate of P(Y | X));
* lift(X ⇒ Y)       = confidence(X ⇒ Y) / support(Y)   (> 1: Y comes with X more
  often than on its own; 1: independent; < 1: less often).

Frequent itemsets are found by **Apriori** (Agrawal & Srikant, "Fast Algorithms
for Mining Association Rules", VLDB 1994, §2.1): the frequent k-itemsets are
joined into (k+1)-candidates, a candidate with an infrequent k-subset is pruned
(every subset of a frequent itemset is frequent), and the candidates left are
counted in one pass over the baskets. Rules come from each frequent itemset L
and each non-empty proper subset X of L: X ⇒ L \\ X is kept when its confidence,
lift and support pass the thresholds (Han, Kamber & Pei, *Data Mining: Concepts
and Techniques*, 3rd ed., §6.2.2, Eq. 6.4). The test checks the book's Table 6.1
example (9 transactions, minimum support count 2) against an independent brute
force count.

Baskets larger than ``max_basket`` items are cut to their first ``max_basket``
items (in the order given — the caller sorts them), which bounds the work per
basket (C(k, 2) pairs) on big orders; ``max_len`` bounds the itemset size.
Items are any hashable, sortable values (product ids, line codes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

__all__ = ["Rule", "Apriori", "frequent_itemsets", "rules_from_itemsets"]


@dataclass(frozen=True)
class Rule:
    antecedent: tuple
    consequent: tuple
    count: int           # baskets holding antecedent ∪ consequent
    support: float
    confidence: float
    lift: float
    antecedent_support: float
    consequent_support: float


def _clean(baskets: Iterable[Iterable], max_basket: int | None) -> list[frozenset]:
    out = []
    for b in baskets:
        items = list(dict.fromkeys(b))
        if max_basket is not None and len(items) > max_basket:
            items = items[:max_basket]
        out.append(frozenset(items))
    return out


def frequent_itemsets(baskets: Sequence[frozenset], min_count: int, max_len: int | None = None) -> dict[frozenset, int]:
    """Every itemset held by at least ``min_count`` baskets, with its count (Apriori)."""
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    counts: dict = {}
    for b in baskets:
        for item in b:
            counts[item] = counts.get(item, 0) + 1
    level = {frozenset([i]): c for i, c in counts.items() if c >= min_count}
    result = dict(level)
    k = 1
    while level and (max_len is None or k < max_len):
        # Join: two frequent k-itemsets sharing k-1 items give a (k+1)-candidate;
        # prune: every k-subset of the candidate must be frequent.
        keys = sorted((tuple(sorted(s)) for s in level))
        candidates = set()
        for i, a in enumerate(keys):
            for b in keys[i + 1:]:
                if a[:-1] != b[:-1]:
                    break
                cand = frozenset(a + (b[-1],))
                if all(frozenset(sub) in level for sub in combinations(sorted(cand), k)):
                    candidates.add(cand)
        if not candidates:
            break
        k += 1
        cand_counts = dict.fromkeys(candidates, 0)
        for b in baskets:
            if len(b) < k:
                continue
            if len(candidates) < 64 or len(b) > 12:
                for c in candidates:
                    if c <= b:
                        cand_counts[c] += 1
            else:
                for sub in combinations(sorted(b), k):
                    fs = frozenset(sub)
                    if fs in cand_counts:
                        cand_counts[fs] += 1
        level = {c: n for c, n in cand_counts.items() if n >= min_count}
        result.update(level)
    return result


def rules_from_itemsets(itemsets: dict[frozenset, int], n_baskets: int, *, min_confidence: float = 0.0,
                        min_lift: float = 0.0, max_consequent: int | None = None) -> list[Rule]:
    """Every rule X ⇒ L \\ X from the frequent itemsets L (|L| >= 2) passing the thresholds,
    sorted by lift, confidence, support (largest first), then by items."""
    rules = []
    for itemset, count in itemsets.items():
        if len(itemset) < 2:
            continue
        items = sorted(itemset)
        for r in range(1, len(items)):
            for ante in combinations(items, r):
                cons = tuple(i for i in items if i not in ante)
                if max_consequent is not None and len(cons) > max_consequent:
                    continue
                a_count = itemsets[frozenset(ante)]
                c_count = itemsets[frozenset(cons)]
                support = count / n_baskets
                confidence = count / a_count
                c_support = c_count / n_baskets
                lift = confidence / c_support
                if confidence + 1e-12 < min_confidence or lift + 1e-12 < min_lift:
                    continue
                rules.append(Rule(ante, cons, count, support, confidence, lift, a_count / n_baskets, c_support))
    rules.sort(key=lambda x: (-x.lift, -x.confidence, -x.support, x.antecedent, x.consequent))
    return rules


class Apriori:
    """Association rules over baskets, scikit-learn style.

    Parameters: ``min_support`` (share of baskets, 0–1), ``min_confidence`` (0–1),
    ``min_lift`` (>= 0), ``max_len`` (largest itemset), ``max_basket`` (items kept
    per basket), ``max_consequent`` (items on the right of a rule).

    ``fit(baskets)`` sets ``n_baskets_``, ``min_count_`` (the support threshold as a
    basket count, at least 1), ``itemsets_`` ({frozenset: count}) and ``rules_``.
    """

    def __init__(self, *, min_support: float = 0.01, min_confidence: float = 0.2, min_lift: float = 1.0,
                 max_len: int | None = 3, max_basket: int | None = 30, max_consequent: int | None = None):
        self.min_support = min_support
        self.min_confidence = min_confidence
        self.min_lift = min_lift
        self.max_len = max_len
        self.max_basket = max_basket
        self.max_consequent = max_consequent

    def fit(self, baskets: Iterable[Iterable]) -> "Apriori":
        if not 0 < self.min_support <= 1:
            raise ValueError("min_support must be in (0, 1]")
        if not 0 <= self.min_confidence <= 1:
            raise ValueError("min_confidence must be in [0, 1]")
        if self.min_lift < 0:
            raise ValueError("min_lift must not be negative")
        cleaned = [b for b in _clean(baskets, self.max_basket) if b]
        self.n_baskets_ = len(cleaned)
        if not cleaned:
            self.min_count_, self.itemsets_, self.rules_ = 1, {}, []
            return self
        # The smallest count whose share reaches min_support (guarding float noise).
        n = self.n_baskets_
        self.min_count_ = max(1, -(-round(self.min_support * n * 1e9) // 10**9))
        self.itemsets_ = frequent_itemsets(cleaned, self.min_count_, self.max_len)
        self.rules_ = rules_from_itemsets(self.itemsets_, n, min_confidence=self.min_confidence,
                                          min_lift=self.min_lift, max_consequent=self.max_consequent)
        return self
