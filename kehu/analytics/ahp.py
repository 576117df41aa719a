"""Analytic Hierarchy Process (AHP): weights from pairwise comparisons.

Saaty, T.L. (1980) *The Analytic Hierarchy Process*, McGraw-Hill; Saaty, T.L.
(2008) "Decision making with the analytic hierarchy process", Int. J.
Services Sciences 1(1):83–98.

A judgement a_ij on Saaty's 1–9 scale says how many times criterion i
dominates criterion j; the matrix A is positive and reciprocal
(a_ji = 1/a_ij, a_ii = 1).

* Priorities w: the principal (Perron) eigenvector of A, A w = λmax w,
  normalised to Σ w = 1; optionally the row geometric means
  w_i ∝ (Π_j a_ij)^(1/n) (Crawford & Williams 1985), equal to the eigenvector
  when A is consistent.
* λmax >= n, with equality iff A is consistent (a_ij a_jk = a_ik).
* Consistency index CI = (λmax − n) / (n − 1); consistency ratio
  CR = CI / RI(n) with Saaty's random index RI (:data:`SAATY_RANDOM_INDEX`).
  Judgements with CR >= 0.10 are refused (Saaty's rule), and the error names
  the most inconsistent judgement: the pair (i, j) whose a_ij is furthest,
  on a log scale, from the ratio w_i/w_j the priorities imply,

      (i, j) = argmax |ln(a_ij · w_j / w_i)|,

  with w_i/w_j as the consistent value to move it towards (and the nearest
  value on the 1–9 scale).
* A hierarchy (goal → criteria → sub-criteria → …) combines local weights
  into global weights: the global weight of a node is the product of the
  local weights on its path from the goal (Saaty 2008, "synthesis").
"""

from __future__ import annotations

import math
import numpy as np

__all__ = [
    "SAATY_RANDOM_INDEX",
    "SAATY_SCALE",
    "random_index",
    "validate_pairwise",
    "pairwise_from_judgements",
    "eigenvector_priorities",
    "geometric_mean_priorities",
    "consistency_index",
    "most_inconsistent_judgement",
    "InconsistentJudgementsError",
    "AHP",
    "AHPHierarchy",
]

# Saaty's random consistency index RI(n), n = 1..15: the mean CI of random
# reciprocal matrices with entries drawn from the 1/9..9 scale. Saaty (2008),
# Int. J. Services Sciences 1(1):83–98, table "Random index"; also Saaty (1980).
SAATY_RANDOM_INDEX: tuple[float, ...] = (
    0.0, 0.0, 0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49, 1.51, 1.48, 1.56, 1.57, 1.59,
)

# The fundamental scale and its reciprocals, for suggesting a judgement.
SAATY_SCALE: tuple[float, ...] = tuple(sorted({float(k) for k in range(1, 10)} | {1.0 / k for k in range(2, 10)}))

CR_LIMIT = 0.10


def random_index(n: int) -> float:
    """Saaty's RI for an n × n matrix (n = 1..15)."""
    if not 1 <= n <= len(SAATY_RANDOM_INDEX):
        raise ValueError(f"Saaty's random index is tabulated for n = 1..{len(SAATY_RANDOM_INDEX)}, got {n}")
    return SAATY_RANDOM_INDEX[n - 1]


def validate_pairwise(matrix, rtol: float = 1e-3) -> np.ndarray:
    """Check a pairwise comparison matrix; return it as a float array.

    Square, finite, positive, a_ii = 1 and a_ji = 1/a_ij within ``rtol``
    (relative), else ``ValueError`` naming the offending cell (0-based).
    """
    a = np.asarray(matrix, float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise ValueError(f"a pairwise comparison matrix must be square and non-empty, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError("the pairwise comparison matrix has missing or infinite judgements")
    if (a <= 0).any():
        i, j = np.argwhere(a <= 0)[0]
        raise ValueError(f"judgements must be positive: a[{i},{j}] = {a[i, j]:g}")
    n = a.shape[0]
    for i in range(n):
        if abs(a[i, i] - 1) > rtol:
            raise ValueError(f"diagonal judgements must be 1: a[{i},{i}] = {a[i, i]:g}")
    prod = a * a.T
    bad = np.abs(prod - 1) > rtol
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise ValueError(
            f"the matrix is not reciprocal: a[{i},{j}] = {a[i, j]:g} but a[{j},{i}] = {a[j, i]:g} (should be {1 / a[i, j]:g})"
        )
    return a


def pairwise_from_judgements(labels, judgements: dict) -> np.ndarray:
    """Build the reciprocal matrix from upper-triangle judgements.

    ``judgements`` maps (label_i, label_j) to a_ij; each unordered pair must be
    given exactly once; a_ji = 1/a_ij is filled in.
    """
    labels = list(labels)
    index = {lab: k for k, lab in enumerate(labels)}
    n = len(labels)
    a = np.ones((n, n))
    seen = set()
    for (li, lj), v in judgements.items():
        if li not in index or lj not in index:
            raise ValueError(f"unknown criterion in judgement ({li!r}, {lj!r})")
        i, j = index[li], index[lj]
        if i == j:
            raise ValueError(f"a criterion is not compared with itself: {li!r}")
        key = frozenset((i, j))
        if key in seen:
            raise ValueError(f"judgement ({li!r}, {lj!r}) given twice")
        seen.add(key)
        v = float(v)
        if not v > 0 or not math.isfinite(v):
            raise ValueError(f"judgement ({li!r}, {lj!r}) must be positive, got {v}")
        a[i, j], a[j, i] = v, 1.0 / v
    missing = [(labels[i], labels[j]) for i in range(n) for j in range(i + 1, n) if frozenset((i, j)) not in seen]
    if missing:
        raise ValueError(f"missing judgements: {missing}")
    return a


def eigenvector_priorities(matrix) -> tuple[np.ndarray, float]:
    """(w, λmax): the principal eigenvector (Σ w = 1) and eigenvalue of A."""
    a = np.asarray(matrix, float)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    w = np.abs(vecs[:, k].real)  # Perron vector: one sign, made positive
    return w / w.sum(), float(vals[k].real)


def geometric_mean_priorities(matrix) -> np.ndarray:
    """Row geometric means of A, normalised to sum 1."""
    a = np.asarray(matrix, float)
    g = np.exp(np.log(a).mean(axis=1))
    return g / g.sum()


def consistency_index(lambda_max: float, n: int) -> float:
    """CI = (λmax − n)/(n − 1); 0 for n <= 2 (always consistent)."""
    if n <= 2:
        return 0.0
    return max(0.0, (lambda_max - n) / (n - 1))


def _nearest_scale_value(x: float) -> float:
    return min(SAATY_SCALE, key=lambda s: abs(math.log(s / x)))


def most_inconsistent_judgement(matrix, weights) -> tuple[int, int, float, float]:
    """(i, j, a_ij, w_i/w_j) for the judgement maximising |ln(a_ij w_j / w_i)|.

    Only i < j is reported (a_ji carries the same information); the value
    returned is the judgement as entered and the consistent ratio.
    """
    a = np.asarray(matrix, float)
    w = np.asarray(weights, float)
    dev = np.abs(np.log(a * w[None, :] / w[:, None]))
    dev = np.triu(dev, 1)
    i, j = np.unravel_index(int(np.argmax(dev)), dev.shape)
    return int(i), int(j), float(a[i, j]), float(w[i] / w[j])


class InconsistentJudgementsError(ValueError):
    """CR >= the limit; names the most inconsistent judgement."""

    def __init__(self, *, cr, limit, i, j, value, consistent, labels=None):
        self.cr, self.limit = cr, limit
        self.i, self.j, self.value, self.consistent = i, j, value, consistent
        self.suggested = _nearest_scale_value(consistent)
        li = labels[i] if labels is not None else f"#{i + 1}"
        lj = labels[j] if labels is not None else f"#{j + 1}"
        self.pair = (li, lj)
        super().__init__(
            f"the judgements are inconsistent: CR = {cr:.3f} >= {limit:.2f}. "
            f"The most inconsistent judgement is {li} vs {lj}: entered {_fmt(value)}, "
            f"but the other judgements imply {consistent:.2f}; "
            f"consider {_fmt(self.suggested)} on the 1–9 scale."
        )


def _fmt(v: float) -> str:
    if v >= 1:
        return f"{v:g}" if abs(v - round(v)) < 1e-9 else f"{v:.2f}"
    inv = 1 / v
    return f"1/{round(inv)}" if abs(inv - round(inv)) < 1e-6 else f"{v:.3f}"


class AHP:
    """Priorities of one pairwise comparison matrix.

    Parameters: ``method`` "eigenvector" (Saaty) or "geometric";
    ``max_cr`` the refusal limit (0.10); ``labels`` names of the criteria
    used in messages; ``rtol`` the reciprocity tolerance.

    Fitted: ``weights_`` (Σ = 1), ``lambda_max_`` (from the eigenproblem, for
    both methods), ``ci_``, ``ri_``, ``cr_`` (0 when n <= 2),
    ``worst_judgement_`` (i, j, a_ij, w_i/w_j).
    """

    def __init__(self, method: str = "eigenvector", max_cr: float | None = CR_LIMIT, labels=None, rtol: float = 1e-3):
        self.method = method
        self.max_cr = max_cr
        self.labels = labels
        self.rtol = rtol

    def fit(self, matrix) -> AHP:
        if self.method not in ("eigenvector", "geometric"):
            raise ValueError(f"method must be 'eigenvector' or 'geometric', got {self.method!r}")
        a = validate_pairwise(matrix, self.rtol)
        n = a.shape[0]
        labels = list(self.labels) if self.labels is not None else None
        if labels is not None and len(labels) != n:
            raise ValueError(f"{len(labels)} labels for a {n} × {n} matrix")
        w_eig, lmax = eigenvector_priorities(a)
        w = w_eig if self.method == "eigenvector" else geometric_mean_priorities(a)
        self.n_ = n
        self.weights_ = w
        self.lambda_max_ = lmax
        self.ci_ = consistency_index(lmax, n)
        self.ri_ = random_index(n)
        self.cr_ = self.ci_ / self.ri_ if self.ri_ > 0 else 0.0
        self.worst_judgement_ = most_inconsistent_judgement(a, w) if n > 1 else None
        if self.max_cr is not None and self.cr_ >= self.max_cr:
            i, j, v, c = self.worst_judgement_
            raise InconsistentJudgementsError(
                cr=self.cr_, limit=self.max_cr, i=i, j=j, value=v, consistent=c, labels=labels
            )
        return self

    def weights_by_label(self) -> dict:
        labels = self.labels if self.labels is not None else range(self.n_)
        return {lab: float(x) for lab, x in zip(labels, self.weights_)}


class AHPHierarchy:
    """AHP over a hierarchy: local weights per node, global weights per leaf.

    ``fit(tree)`` takes a nested mapping::

        {"labels": ["gas supply", "repair", "meter reading"],
         "matrix": [[1, 2, 3], [1/2, 1, 2], [1/3, 1/2, 1]],
         "children": {"repair": {"labels": [...], "matrix": [...]}, ...}}

    A child without a matrix of its own is a leaf. Every matrix must pass the
    CR check (``max_cr``). Fitted: ``local_weights_`` {path: {label: w}},
    ``global_weights_`` {path of a leaf: w} (paths are tuples of labels from
    the goal; the global weights sum to 1), ``consistency_ratios_`` {path: CR}.
    """

    def __init__(self, method: str = "eigenvector", max_cr: float | None = CR_LIMIT):
        self.method = method
        self.max_cr = max_cr

    def fit(self, tree: dict) -> AHPHierarchy:
        self.local_weights_ = {}
        self.global_weights_ = {}
        self.consistency_ratios_ = {}
        self._walk(tree, (), 1.0)
        return self

    def _walk(self, node: dict, path: tuple, weight: float) -> None:
        labels = list(node["labels"])
        if len(set(labels)) != len(labels):
            raise ValueError(f"duplicate labels under {path or 'the goal'}: {labels}")
        if len(labels) == 1 and node.get("matrix") is None:
            w = np.array([1.0])
            cr = 0.0
        else:
            try:
                m = AHP(method=self.method, max_cr=self.max_cr, labels=labels).fit(node["matrix"])
            except InconsistentJudgementsError as exc:
                where = " > ".join(map(str, path)) or "the goal"
                raise InconsistentJudgementsError(
                    cr=exc.cr, limit=exc.limit, i=exc.i, j=exc.j, value=exc.value,
                    consistent=exc.consistent, labels=[f"{lab} (under {where})" for lab in labels],
                ) from None
            w, cr = m.weights_, m.cr_
        self.local_weights_[path] = {lab: float(x) for lab, x in zip(labels, w)}
        self.consistency_ratios_[path] = cr
        children = node.get("children") or {}
        unknown = set(children) - set(labels)
        if unknown:
            raise ValueError(f"children for unknown labels under {path or 'the goal'}: {sorted(map(str, unknown))}")
        for lab, x in zip(labels, w):
            sub = children.get(lab)
            if sub is None:
                self.global_weights_[path + (lab,)] = weight * float(x)
            else:
                self._walk(sub, path + (lab,), weight * float(x))
