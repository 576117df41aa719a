"""Customer satisfaction index by the weighted-average method (加权平均法).

An indicator hierarchy of up to four levels (level 1 is the CSI itself,
level 4 the concrete questionnaire items): every node has a weight relative
to its siblings, and every leaf is one item column of the response matrix
(respondents × items, scores on 0–100 — five-level answers scored 20…100,
other scales rescaled, see :mod:`kehu.analytics.likert`; NaN = not answered).

Respondent-level score of a node (bottom-up):

    leaf:      s_r(leaf) = x_r,item
    internal:  s_r(v) = Σ_{c ∈ A_r(v)} w_c s_r(c) / Σ_{c ∈ A_r(v)} w_c

where A_r(v) are the children of v that respondent r answered (a child is
answered when it has a score, i.e. at least one answered leaf below it). So
a skipped item does not count as 0: the respondent's node score is the
weighted mean of what they did answer, the weights re-normalised over it.
A node with no answered child has no score for that respondent.

Node index (0–100) = mean of s_r(v) over the respondents who have a score for
v; the overall CSI is the root's index. With complete answers this equals
Σ_leaves W_leaf · mean(x_leaf), W_leaf = product of the weights on the path
from the root (the "global" weight). Satisfaction rate of a node = share (in
%) of those respondents with s_r(v) >= ``cut`` (default 80: the top two
five-level answers, 较满意 and 满意).

Weights: each sibling group must sum to 1 within ``tol``. With
``on_unnormalised="normalise"`` (default) a group that does not is divided by
its sum, a ``UserWarning`` is issued and the node names are listed in
``normalised_nodes_``; with "raise" it is an error. Weights must be > 0.

The computation is vectorised over respondents: one pass over each node's
children, O(respondents × nodes).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Node", "CSI", "node_scores"]

MAX_LEVELS = 4


@dataclass(frozen=True)
class Node:
    """One indicator. A leaf has no children and reads column ``item``
    (a name looked up in ``items`` given to :meth:`CSI.fit`, or an integer
    column index; default: the node's name)."""

    name: str
    weight: float = 1.0
    children: tuple = field(default_factory=tuple)
    item: str | int | None = None

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @classmethod
    def from_dict(cls, d: dict) -> Node:
        """From ``{"name", "weight", "children": [...], "item"}`` (YAML/JSON)."""
        kids = tuple(cls.from_dict(c) for c in d.get("children", ()) or ())
        return cls(name=str(d["name"]), weight=float(d.get("weight", 1.0)), children=kids, item=d.get("item"))

    def walk(self, depth: int = 1):
        yield self, depth
        for c in self.children:
            yield from c.walk(depth + 1)


def _prepare(root: Node, items, n_cols: int, tol: float, on_unnormalised: str, max_levels: int):
    """Validate the tree; return (post-order list of (node, child names,
    normalised weights)), leaf -> column, nodes whose weights were normalised."""
    names = [n.name for n, _ in root.walk()]
    dup = {x for x in names if names.count(x) > 1}
    if dup:
        raise ValueError(f"indicator names must be unique: {sorted(dup)}")
    depth = max(d for _, d in root.walk())
    if depth > max_levels:
        raise ValueError(f"the hierarchy has {depth} levels; at most {max_levels} are supported")
    item_index = {name: k for k, name in enumerate(items)} if items is not None else None
    leaf_col: dict[str, int] = {}
    for node, _ in root.walk():
        if node.is_leaf:
            key = node.item if node.item is not None else node.name
            if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
                col = int(key)
            elif item_index is not None and key in item_index:
                col = item_index[key]
            else:
                raise ValueError(f"indicator {node.name!r}: item {key!r} is not a column of the responses")
            if not 0 <= col < n_cols:
                raise ValueError(f"indicator {node.name!r}: column {col} out of range 0..{n_cols - 1}")
            leaf_col[node.name] = col
    if root.is_leaf:
        raise ValueError("the CSI needs at least one level of indicators under the root")
    order: list = []
    normalised: list[str] = []

    def visit(node: Node):
        if node.is_leaf:
            return
        for c in node.children:
            visit(c)
        w = np.array([c.weight for c in node.children], float)
        if not np.isfinite(w).all() or (w <= 0).any():
            raise ValueError(f"weights under {node.name!r} must be positive numbers, got {w.tolist()}")
        total = w.sum()
        if abs(total - 1) > tol:
            if on_unnormalised == "raise":
                raise ValueError(f"weights under {node.name!r} sum to {total:.6g}, not 1")
            normalised.append(node.name)
        order.append((node, [c.name for c in node.children], w / total))

    if on_unnormalised not in ("normalise", "raise"):
        raise ValueError("on_unnormalised must be 'normalise' or 'raise'")
    visit(root)
    return order, leaf_col, normalised


def node_scores(root: Node, responses, items=None, tol: float = 1e-6, on_unnormalised: str = "normalise",
                max_levels: int = MAX_LEVELS) -> dict[str, np.ndarray]:
    """Respondent-level score of every node (NaN where not answered).

    Pure function behind :class:`CSI`; see the module docstring.
    """
    x = np.asarray(responses, float)
    if x.ndim != 2:
        raise ValueError("responses must be a respondents × items matrix")
    order, leaf_col, _ = _prepare(root, items, x.shape[1], tol, on_unnormalised, max_levels)
    return _scores(x, order, leaf_col)


def _scores(x, order, leaf_col) -> dict[str, np.ndarray]:
    scores: dict[str, np.ndarray] = {name: x[:, col] for name, col in leaf_col.items()}
    for node, kids, w in order:
        num = np.zeros(x.shape[0])
        den = np.zeros(x.shape[0])
        for name, wk in zip(kids, w):
            s = scores[name]
            ok = ~np.isnan(s)
            if ok.all():
                num += wk * s
                den += wk
            else:
                num += wk * np.where(ok, s, 0.0)
                den += wk * ok
        with np.errstate(invalid="ignore", divide="ignore"):
            scores[node.name] = num / den  # 0/0 = NaN: nothing answered under this node
    return scores


class CSI:
    """Weighted-average CSI over an indicator tree.

    Parameters: ``tree`` (a :class:`Node`, or a dict for :meth:`Node.from_dict`),
    ``cut`` (satisfied at or above, default 80), ``tol``,
    ``on_unnormalised`` ("normalise" or "raise"), ``max_levels`` (4),
    ``keep_scores`` (keep respondent-level scores in ``scores_``).

    ``fit(responses, items=None)``; fitted: ``csi_`` (root index),
    ``index_`` {node: 0–100}, ``satisfaction_rate_`` {node: %},
    ``n_answered_`` {node: respondents with a score}, ``global_weights_``
    {leaf: product of normalised weights from the root}, ``local_weights_``
    {node: normalised weight among its siblings}, ``normalised_nodes_``,
    ``levels_`` {node: level, root = 1}.
    """

    def __init__(self, tree, cut: float = 80.0, tol: float = 1e-6, on_unnormalised: str = "normalise",
                 max_levels: int = MAX_LEVELS, keep_scores: bool = False):
        self.tree = tree
        self.cut = cut
        self.tol = tol
        self.on_unnormalised = on_unnormalised
        self.max_levels = max_levels
        self.keep_scores = keep_scores

    def fit(self, responses, items=None) -> CSI:
        root = self.tree if isinstance(self.tree, Node) else Node.from_dict(self.tree)
        x = np.asarray(responses, float)
        if x.ndim != 2 or x.shape[0] == 0:
            raise ValueError("responses must be a non-empty respondents × items matrix")
        order, leaf_col, normalised = _prepare(root, items, x.shape[1], self.tol, self.on_unnormalised,
                                               self.max_levels)
        used = sorted(set(leaf_col.values()))
        checked = x if len(used) == x.shape[1] else x[:, used]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            lo, hi = np.nanmin(checked), np.nanmax(checked)
        if lo < 0 or hi > 100:  # NaN comparisons are False: an all-empty matrix passes
            raise ValueError("item scores must be on 0–100 (rescale the answers first)")
        if normalised:
            warnings.warn(f"indicator weights normalised to sum 1 under: {', '.join(normalised)}", UserWarning,
                          stacklevel=2)
        scores = _scores(x, order, leaf_col)
        self.index_, self.satisfaction_rate_, self.n_answered_ = {}, {}, {}
        for name, s in scores.items():
            ok = ~np.isnan(s)
            n = int(ok.sum())
            self.n_answered_[name] = n
            if n:
                v = s[ok]
                self.index_[name] = float(v.mean())
                self.satisfaction_rate_[name] = float(100.0 * (v >= self.cut).sum() / n)
            else:
                self.index_[name] = float("nan")
                self.satisfaction_rate_[name] = float("nan")
        self.csi_ = self.index_[root.name]
        self.local_weights_ = {root.name: 1.0}
        for node, kids, w in order:
            self.local_weights_.update({k: float(v) for k, v in zip(kids, w)})
        self.global_weights_ = {}
        self.levels_ = {}
        for node, depth in root.walk():
            self.levels_[node.name] = depth

        def down(node: Node, acc: float):
            for c in node.children:
                g = acc * self.local_weights_[c.name]
                if c.is_leaf:
                    self.global_weights_[c.name] = g
                else:
                    down(c, g)

        down(root, 1.0)
        self.normalised_nodes_ = normalised
        self.root_ = root
        self.scores_ = scores if self.keep_scores else None
        return self
