"""PLS path modelling (PLS-PM) for ACSI/ECSI-type satisfaction models.

Wold's PLS algorithm as set out by Lohmöller (1989, *Latent Variable Path
Modeling with Partial Least Squares*) and Tenenhaus, Esposito Vinzi, Chatelin
& Lauro (2005) "PLS path modeling", Computational Statistics & Data Analysis
48:159–205 (section numbers below refer to that paper), with the conventions
of the R package plspm (Sanchez 2013) so that results can be checked against
it.

Model: constructs (latent variables) ξ_1..ξ_K, each measured by a block of
manifest variables (items) X_j; a recursive (acyclic) inner model of paths
ξ_i → ξ_j.

Data preparation: rows with a missing item are dropped (``missing="drop"``,
listwise) or refused; items are centred, and with ``scaled=True``
standardised with the population SD (plspm's ``scaled=TRUE``).

Iteration (§2.3), all in terms of the p × p item covariance matrix
S = X'X/n, since every quantity is a linear function of it:

* outer estimate Y_j = X_j w_j, scaled to unit variance (w_j' S_jj w_j = 1);
* inner weights e_ij for neighbours i of j (§2.3.2):
  centroid  e_ij = sign cor(Y_i, Y_j);
  factorial e_ij = cor(Y_i, Y_j);
  path      e_ij = the multiple-regression coefficient of Y_i in the
            regression of Y_j on its predecessors when i → j, and
            cor(Y_i, Y_j) when j → i (the default);
* inner estimate Z_j = Σ_i e_ij Y_i;
* new outer weights: mode A (reflective) w_j = X_j'Z_j / n (covariances);
  mode B (formative) w_j = (X_j'X_j)⁻¹ X_j'Z_j (multiple regression);
* stop when Σ (|w_old| − |w_new|)² < ``tol`` (plspm's criterion, here on
  the normalised weights), at most ``max_iter`` iterations.

Each construct is then oriented so that most of its items correlate
positively with it (plspm's sign rule). Results:

* outer weights w (on the prepared scale: standardised items if ``scaled``,
  centred raw items otherwise), loadings cor(x, Y_j), cross-loadings;
* latent scores Y (mean 0, population variance 1), and on 0–100 the ACSI way
  (Fornell et al. 1996): unstandardised weights w̃ = w / sd(x) (or w when
  not scaled) rescaled to sum 1 within the block, score = Σ w̃ x on the
  original item scale, index = (score − min)/(max − min) × 100 with the
  scale's bounds ``scale_range`` (default 1–10, the ACSI items); with a
  negative weight (possible in mode B) this is not a convex combination and
  may leave 0–100;
* path coefficients: OLS of each endogenous construct on its predecessors,
  β = R_PP⁻¹ R_Pj on the construct correlations; R² = R_jP β; total effects
  (I − B)⁻¹ − I;
* reliability of mode-A blocks: Cronbach's α on the standardised items,
  α = q/(q−1) · (1 − q/Σ R_block); Dillon–Goldstein's ρ as plspm computes it,
  from the correlations λ of the items with the block's first principal
  component, ρ = (Σλ)² / ((Σλ)² + Σ(1 − λ²)); composite reliability ρ_c, the
  same formula with the PLS loadings (as SmartPLS/seminr report it);
  AVE = mean of squared loadings. Mode-B blocks get NaN for these.

Bootstrap (``n_bootstrap`` > 0): resamples of n rows with replacement from a
seeded ``numpy.random.Generator``; each resample's covariance matrix comes
from one matrix product of the resampling counts with the items' cross
products (so 500 resamples of 10,000 rows cost a few BLAS calls), the
algorithm restarts from the full-sample weights, and the same orientation
rule is applied. Sign changes (Tenenhaus et al. 2005 §3.1):
``sign_change="construct"`` (default) flips a resample's construct when
|Σ(l_b − l)| > |Σ(l_b + l)| over its loadings (l the full-sample ones),
flipping its weights, loadings and the signs of its paths;
``"individual"`` gives every resample estimate the sign of the full-sample
one; ``"none"`` leaves them. Reported: standard errors (SD over resamples)
and percentile intervals for paths, loadings, weights and R².
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "PLSPM",
    "PLSBootstrap",
    "pls_weights",
    "ECSI_PATHS",
    "ACSI_PATHS",
    "ECSI_SIMULATION_LOADINGS",
    "ECSI_SIMULATION_PATHS",
    "simulate_path_model",
]

# Tenenhaus et al. (2005), Fig. 1: the ECSI model.
ECSI_PATHS: tuple[tuple[str, str], ...] = (
    ("image", "expectation"),
    ("image", "satisfaction"),
    ("image", "loyalty"),
    ("expectation", "quality"),
    ("expectation", "value"),
    ("expectation", "satisfaction"),
    ("quality", "value"),
    ("quality", "satisfaction"),
    ("value", "satisfaction"),
    ("satisfaction", "complaints"),
    ("satisfaction", "loyalty"),
    ("complaints", "loyalty"),
)

# Fornell et al. (1996): the ACSI model (ECSI without image).
ACSI_PATHS: tuple[tuple[str, str], ...] = tuple(p for p in ECSI_PATHS if p[0] != "image")

# A plausible ECSI for simulation and benchmarks: 25 items, paths of the
# size reported for the mobile-phone data.
ECSI_SIMULATION_LOADINGS: dict[str, tuple[float, ...]] = {
    "image": (0.75, 0.7, 0.7, 0.65, 0.6),
    "expectation": (0.75, 0.7, 0.65, 0.6),
    "quality": (0.8, 0.8, 0.75, 0.75, 0.7, 0.7),
    "value": (0.85, 0.8, 0.75),
    "satisfaction": (0.85, 0.8, 0.75),
    "complaints": (1.0,),
    "loyalty": (0.8, 0.75, 0.7),
}
ECSI_SIMULATION_PATHS: dict[tuple[str, str], float] = {
    ("image", "expectation"): 0.5,
    ("image", "satisfaction"): 0.2,
    ("image", "loyalty"): 0.2,
    ("expectation", "quality"): 0.55,
    ("expectation", "value"): 0.1,
    ("expectation", "satisfaction"): 0.05,
    ("quality", "value"): 0.55,
    ("quality", "satisfaction"): 0.3,
    ("value", "satisfaction"): 0.3,
    ("satisfaction", "complaints"): -0.5,
    ("satisfaction", "loyalty"): 0.45,
    ("complaints", "loyalty"): -0.1,
}

_SCHEMES = ("path", "centroid", "factorial")


def _inner_weights(R: np.ndarray, A: np.ndarray, scheme: str, preds: list) -> np.ndarray:
    """Inner weights E (k × k; Z = Y E) from the construct correlations R.

    A[i, j] = 1 when i → j.
    """
    if scheme == "centroid":
        return np.sign(R) * (A + A.T)
    if scheme == "factorial":
        return R * (A + A.T)
    E = R * A.T  # successors i of j (j → i): correlations
    for j, P in enumerate(preds):  # predecessors of j: regression coefficients
        if P.size:
            E[P, j] = np.linalg.solve(R[np.ix_(P, P)], R[P, j])
    return E


def pls_weights(S, member, modes_b, A, scheme="path", tol=1e-7, max_iter=300, W0=None):
    """Outer weights W (p × k) of the PLS algorithm on a covariance matrix.

    Pure function behind :class:`PLSPM`. ``S``: p × p covariance (or
    correlation) of the prepared items; ``member``: p × k 0/1 block
    membership; ``modes_b``: k booleans (True = mode B); ``A``: k × k
    adjacency (A[i, j] = 1 for i → j). ``W0``: starting weights (default all
    ones). Returns (W normalised to unit-variance constructs and oriented,
    number of iterations, converged).
    """
    S = np.asarray(S, float)
    M = np.asarray(member, float)
    k = M.shape[1]
    blocks = [np.flatnonzero(M[:, j]) for j in range(k)]
    preds = [np.flatnonzero(A[:, j]) for j in range(k)]
    Sbb_inv = {j: np.linalg.inv(S[np.ix_(b, b)]) for j, b in enumerate(blocks) if modes_b[j]}

    def normalise(W):
        v = np.einsum("ij,ik,kj->j", W, S, W)
        return W / np.sqrt(v)

    W = normalise(M.copy() if W0 is None else np.asarray(W0, float) * M)
    converged = False
    it = 0
    for it in range(1, max_iter + 1):
        C = S @ W  # cov(x, Y)
        R = W.T @ C  # cor(Y)
        E = _inner_weights(R, A, scheme, preds)
        T = C @ E  # cov(x, Z)
        Wn = M * T
        for j, inv in Sbb_inv.items():
            b = blocks[j]
            Wn[b, j] = inv @ T[b, j]
        Wn = normalise(Wn)
        delta = float(((np.abs(W).sum(axis=1) - np.abs(Wn).sum(axis=1)) ** 2).sum())
        W = Wn
        if delta < tol:
            converged = True
            break
    # orientation: most items of a block correlate positively with it
    L = (S @ W) * M
    flip = np.sign(L).sum(axis=0) < 0
    W[:, flip] *= -1
    return W, it, converged


def _structural(R: np.ndarray, preds: list) -> tuple[np.ndarray, np.ndarray]:
    """(B, r2): B[i, j] = path i → j (OLS on standardised constructs)."""
    k = R.shape[0]
    B = np.zeros((k, k))
    r2 = np.full(k, np.nan)
    for j, P in enumerate(preds):
        if P.size:
            beta = np.linalg.solve(R[np.ix_(P, P)], R[P, j])
            B[P, j] = beta
            r2[j] = float(R[j, P] @ beta)
    return B, r2


@dataclass
class PLSBootstrap:
    """Bootstrap of a :class:`PLSPM` fit (see the module docstring)."""

    n_resamples: int
    seed: int
    level: float
    sign_change: str
    path_names: list  # [(from, to), ...]
    paths: np.ndarray  # resamples × paths
    loadings: np.ndarray  # resamples × items
    weights: np.ndarray  # resamples × items
    r2: np.ndarray  # resamples × endogenous constructs
    endogenous: list
    n_not_converged: int

    def _se_ci(self, a):
        lo, hi = (1 - self.level) / 2, (1 + self.level) / 2
        return a.std(axis=0, ddof=1), np.percentile(a, [100 * lo, 100 * hi], axis=0).T

    @property
    def paths_se(self):
        return self._se_ci(self.paths)[0]

    @property
    def paths_ci(self):
        return self._se_ci(self.paths)[1]

    @property
    def loadings_se(self):
        return self._se_ci(self.loadings)[0]

    @property
    def loadings_ci(self):
        return self._se_ci(self.loadings)[1]

    @property
    def weights_se(self):
        return self._se_ci(self.weights)[0]

    @property
    def weights_ci(self):
        return self._se_ci(self.weights)[1]

    @property
    def r2_se(self):
        return self._se_ci(self.r2)[0]

    @property
    def r2_ci(self):
        return self._se_ci(self.r2)[1]


class PLSPM:
    """PLS path model.

    Parameters
    ----------
    blocks : dict construct -> list of item names (order = construct order)
    paths : iterable of (from, to) construct pairs; must be acyclic
    modes : dict construct -> "A" (reflective, default) or "B" (formative)
    scheme : "path" (default), "centroid" or "factorial"
    scaled : standardise items (True, default) or only centre them
    tol, max_iter : convergence (see the module docstring)
    scale_range : (min, max) of the item scale for the 0–100 index, or a dict
        construct -> (min, max); default (1, 10), the ACSI items
    missing : "drop" (listwise, default) or "raise"
    n_bootstrap, seed, level, sign_change : bootstrap (0 = none)
    chunk_rows : rows per chunk when building bootstrap moments

    Fitted attributes
    -----------------
    constructs_, manifest_ (items in block order), block_ (construct per item),
    outer_weights_, loadings_ (arrays aligned with manifest_),
    cross_loadings_ (items × constructs), scores_ (n × K, standardised),
    index_scores_ (n × K, 0–100), index_ {construct: mean 0–100},
    path_coefficients_ {(from, to): β}, path_matrix_ (K × K, [from, to]),
    total_effects_ (K × K), r2_ {endogenous: R²}, cronbach_alpha_, dg_rho_,
    composite_reliability_, ave_ {construct: value}, construct_correlations_,
    n_iter_, converged_, n_obs_, n_dropped_, bootstrap_ (PLSBootstrap or None).
    """

    def __init__(self, blocks: dict, paths, modes: dict | None = None, scheme: str = "path", scaled: bool = True,
                 tol: float = 1e-7, max_iter: int = 300, scale_range=(1, 10), missing: str = "drop",
                 n_bootstrap: int = 0, seed: int | None = None, level: float = 0.95,
                 sign_change: str = "construct", chunk_rows: int = 50_000):
        self.blocks = blocks
        self.paths = paths
        self.modes = modes
        self.scheme = scheme
        self.scaled = scaled
        self.tol = tol
        self.max_iter = max_iter
        self.scale_range = scale_range
        self.missing = missing
        self.n_bootstrap = n_bootstrap
        self.seed = seed
        self.level = level
        self.sign_change = sign_change
        self.chunk_rows = chunk_rows

    # -- validation -----------------------------------------------------------------
    def _model(self):
        constructs = list(self.blocks)
        if len(constructs) < 2:
            raise ValueError("a path model needs at least two constructs")
        index = {c: i for i, c in enumerate(constructs)}
        manifest, block_of = [], []
        for c in constructs:
            items = list(self.blocks[c])
            if not items:
                raise ValueError(f"construct {c!r} has no items")
            manifest += items
            block_of += [index[c]] * len(items)
        dup = {m for m in manifest if manifest.count(m) > 1}
        if dup:
            raise ValueError(f"items used in more than one block: {sorted(map(str, dup))}")
        k = len(constructs)
        A = np.zeros((k, k))
        for pair in self.paths:
            f, t = pair
            if f not in index or t not in index:
                raise ValueError(f"path {f!r} -> {t!r} names an unknown construct")
            if f == t:
                raise ValueError(f"path {f!r} -> {t!r} is a loop")
            A[index[f], index[t]] = 1
        # acyclic: repeatedly remove constructs without predecessors
        left = set(range(k))
        while left:
            roots = [j for j in left if not any(A[i, j] for i in left)]
            if not roots:
                raise ValueError("the inner model has a cycle; PLS-PM needs a recursive model")
            left -= set(roots)
        isolated = [constructs[j] for j in range(k) if not A[j].any() and not A[:, j].any()]
        if isolated:
            raise ValueError(f"constructs without any path: {isolated}")
        modes = self.modes or {}
        for c, m in modes.items():
            if c not in index or m not in ("A", "B"):
                raise ValueError(f"mode of {c!r} must be 'A' or 'B' for a known construct")
        modes_b = np.array([modes.get(c, "A") == "B" for c in constructs])
        if self.scheme not in _SCHEMES:
            raise ValueError(f"scheme must be one of {_SCHEMES}")
        if self.sign_change not in ("construct", "individual", "none"):
            raise ValueError("sign_change must be 'construct', 'individual' or 'none'")
        member = np.zeros((len(manifest), k))
        member[np.arange(len(manifest)), block_of] = 1
        return constructs, manifest, np.array(block_of), A, modes_b, member

    @staticmethod
    def _matrix(X, columns, manifest):
        if isinstance(X, dict):
            missing = [m for m in manifest if m not in X]
            if missing:
                raise ValueError(f"items not in the data: {missing}")
            return np.column_stack([np.asarray(X[m], float) for m in manifest])
        a = np.asarray(X, float)
        if a.ndim != 2:
            raise ValueError("X must be a respondents × items matrix or a dict of columns")
        if columns is None:
            if a.shape[1] != len(manifest):
                raise ValueError("without column names X must hold exactly the model's items, in block order")
            return a
        columns = list(columns)
        if len(columns) != a.shape[1]:
            raise ValueError(f"{len(columns)} column names for {a.shape[1]} columns")
        pos = {c: i for i, c in enumerate(columns)}
        missing = [m for m in manifest if m not in pos]
        if missing:
            raise ValueError(f"items not in the data: {missing}")
        return a[:, [pos[m] for m in manifest]]

    # -- fit ------------------------------------------------------------------------
    def fit(self, X, columns=None) -> PLSPM:
        constructs, manifest, block_of, A, modes_b, member = self._model()
        raw = self._matrix(X, columns, manifest)
        bad = ~np.isfinite(raw).all(axis=1)
        if bad.any():
            if self.missing == "raise":
                raise ValueError(f"{int(bad.sum())} rows have missing items")
            if self.missing != "drop":
                raise ValueError("missing must be 'drop' or 'raise'")
            raw = raw[~bad]
        n, p = raw.shape
        if n < 3:
            raise ValueError("too few complete rows")
        mean = raw.mean(axis=0)
        sd = raw.std(axis=0)
        if (sd == 0).any():
            const = [manifest[i] for i in np.flatnonzero(sd == 0)]
            raise ValueError(f"items without variance: {const}")
        Xc = raw - mean
        S = Xc.T @ Xc / n
        if self.scaled:
            S = S / np.outer(sd, sd)
        k = len(constructs)
        preds = [np.flatnonzero(A[:, j]) for j in range(k)]
        W, n_iter, converged = pls_weights(S, member, modes_b, A, self.scheme, self.tol, self.max_iter)
        res = self._results(S, W, member, preds)

        Z = Xc / sd if self.scaled else Xc
        self.constructs_ = constructs
        self.manifest_ = manifest
        self.block_ = [constructs[b] for b in block_of]
        self.outer_weights_ = W.sum(axis=1)
        self.loadings_ = res["loadings"]
        self.cross_loadings_ = res["cross"]
        self.scores_ = Z @ W
        self.construct_correlations_ = res["R"]
        self.path_matrix_ = res["B"]
        self.path_coefficients_ = {(constructs[i], constructs[j]): float(res["B"][i, j])
                                   for i in range(k) for j in range(k) if A[i, j]}
        self.total_effects_ = np.linalg.inv(np.eye(k) - res["B"]) - np.eye(k)
        self.r2_ = {constructs[j]: float(res["r2"][j]) for j in range(k) if preds[j].size}

        # reliability
        self.cronbach_alpha_, self.dg_rho_, self.composite_reliability_, self.ave_ = {}, {}, {}, {}
        Rx = S / np.sqrt(np.outer(np.diag(S), np.diag(S)))
        for j, c in enumerate(constructs):
            b = np.flatnonzero(block_of == j)
            if modes_b[j]:
                for d in (self.cronbach_alpha_, self.dg_rho_, self.composite_reliability_, self.ave_):
                    d[c] = float("nan")
                continue
            Rb = Rx[np.ix_(b, b)]
            q = b.size
            self.cronbach_alpha_[c] = float(max(0.0, q / (q - 1) * (1 - q / Rb.sum()))) if q > 1 else float("nan")
            vals, vecs = np.linalg.eigh(Rb)
            lam = vecs[:, -1] * np.sqrt(vals[-1])
            lam = lam if lam.sum() >= 0 else -lam
            self.dg_rho_[c] = float(lam.sum() ** 2 / (lam.sum() ** 2 + (1 - lam**2).sum()))
            ld = self.loadings_[b]
            self.composite_reliability_[c] = float(ld.sum() ** 2 / (ld.sum() ** 2 + (1 - ld**2).sum()))
            self.ave_[c] = float((ld**2).mean())

        # 0–100 index (ACSI): unstandardised weights summing to 1 per block
        w_raw = self.outer_weights_ / sd if self.scaled else self.outer_weights_.copy()
        idx = np.empty((n, k))
        for j, c in enumerate(constructs):
            b = np.flatnonzero(block_of == j)
            lo, hi = self._range(c)
            wb = w_raw[b] / w_raw[b].sum()
            idx[:, j] = (raw[:, b] @ wb - lo) / (hi - lo) * 100.0
        self.index_weights_ = w_raw / np.bincount(block_of, weights=w_raw)[block_of]
        self.index_scores_ = idx
        self.index_ = {c: float(idx[:, j].mean()) for j, c in enumerate(constructs)}

        self.n_iter_ = n_iter
        self.converged_ = converged
        self.n_obs_ = n
        self.n_dropped_ = int(bad.sum())
        self.bootstrap_ = None
        if self.n_bootstrap:
            self.bootstrap_ = self._bootstrap(Xc, sd, W, member, modes_b, A, preds, block_of, constructs)
        return self

    def _range(self, construct):
        r = self.scale_range
        if isinstance(r, dict):
            r = r[construct]
        lo, hi = map(float, r)
        if not hi > lo:
            raise ValueError("scale_range needs max > min")
        return lo, hi

    @staticmethod
    def _results(S, W, member, preds):
        C = S @ W
        R = W.T @ C
        cross = C / np.sqrt(np.diag(S))[:, None]
        loadings = (cross * member).sum(axis=1)
        B, r2 = _structural(R, preds)
        return {"R": R, "cross": cross, "loadings": loadings, "B": B, "r2": r2}

    # -- bootstrap ------------------------------------------------------------------
    def _bootstrap(self, Xc, sd, W_full, member, modes_b, A, preds, block_of, constructs):
        n, p = Xc.shape
        B = int(self.n_bootstrap)
        seed = self.seed if self.seed is not None else int(np.random.SeedSequence().entropy % (2**63))
        rng = np.random.default_rng(seed)
        iu = np.triu_indices(p)
        m1 = np.zeros((B, p))
        m2 = np.zeros((B, iu[0].size))
        # resampling counts in batches of resamples (batch × n floats in memory),
        # moments by row chunks: m1 = C X / n, m2 = C (x_a x_b) / n
        batch = max(1, min(B, int(2e7 // n)))
        for b0 in range(0, B, batch):
            b1 = min(B, b0 + batch)
            counts = np.empty((b1 - b0, n))
            for b in range(b0, b1):
                counts[b - b0] = np.bincount(rng.integers(0, n, size=n), minlength=n)
            for start in range(0, n, self.chunk_rows):
                rows = Xc[start:start + self.chunk_rows]
                cross = rows[:, iu[0]] * rows[:, iu[1]]
                cb = counts[:, start:start + self.chunk_rows]
                m1[b0:b1] += cb @ rows
                m2[b0:b1] += cb @ cross
        m1 /= n
        m2 /= n
        k = len(constructs)
        L0 = self.loadings_
        W0 = W_full
        B0 = self.path_matrix_
        path_idx = [(i, j) for i in range(k) for j in range(k) if A[i, j]]
        endo = [j for j in range(k) if preds[j].size]
        out_paths = np.empty((B, len(path_idx)))
        out_load = np.empty((B, p))
        out_w = np.empty((B, p))
        out_r2 = np.empty((B, len(endo)))
        not_conv = 0
        for b in range(B):
            S = self._cov_from(m2[b], m1[b], iu, p, self.scaled)
            W, _, conv = pls_weights(S, member, modes_b, A, self.scheme, self.tol, self.max_iter, W0=W0)
            not_conv += not conv
            res = self._results(S, W, member, preds)
            L, Bm = res["loadings"], res["B"]
            w = W.sum(axis=1)
            if self.sign_change == "construct":
                s = np.ones(k)
                for j in range(k):
                    bj = block_of == j
                    if abs((L[bj] - L0[bj]).sum()) > abs((L[bj] + L0[bj]).sum()):
                        s[j] = -1
                L = L * s[block_of]
                w = w * s[block_of]
                Bm = Bm * np.outer(s, s)
            elif self.sign_change == "individual":
                L = np.abs(L) * np.sign(L0)
                w = np.abs(w) * np.sign(W0.sum(axis=1))
                Bm = np.abs(Bm) * np.sign(B0)
            out_paths[b] = [Bm[i, j] for i, j in path_idx]
            out_load[b] = L
            out_w[b] = w
            out_r2[b] = res["r2"][endo]
        return PLSBootstrap(
            n_resamples=B, seed=int(seed), level=self.level, sign_change=self.sign_change,
            path_names=[(constructs[i], constructs[j]) for i, j in path_idx],
            paths=out_paths, loadings=out_load, weights=out_w, r2=out_r2,
            endogenous=[constructs[j] for j in endo], n_not_converged=int(not_conv),
        )

    @staticmethod
    def _cov_from(m2, m1, iu, p, scaled):
        S = np.empty((p, p))
        S[iu] = m2
        S.T[iu] = m2
        S -= np.outer(m1, m1)
        if scaled:
            d = np.sqrt(np.diag(S))
            S = S / np.outer(d, d)
        return S


def simulate_path_model(paths: dict, loadings: dict, n: int, seed: int = 0, likert: tuple[int, int] | None = None):
    """Data from a known recursive structural model (for tests and benchmarks).

    Exogenous constructs are independent N(0, 1); an endogenous construct is
    η_j = Σ_i β_ij ξ_i + ζ_j with Var(ζ_j) = 1 − Var(Σ β ξ) so that every
    construct has unit variance (the implied correlations are propagated in
    topological order; ``ValueError`` if a residual variance would be <= 0).
    Items x = λ ξ + √(1 − λ²) ε. With ``likert=(lo, hi)`` the items are mapped
    to that integer scale by x ↦ clip(round(mid + x · (hi − lo)/6), lo, hi).

    Returns (X, item names, construct scores); items are named
    ``<construct>_<k>`` (k from 1), constructs in the order of ``loadings``.
    """
    rng = np.random.default_rng(seed)
    names = list(loadings)
    index = {c: i for i, c in enumerate(names)}
    k = len(names)
    Bm = np.zeros((k, k))
    for (f, t), v in paths.items():
        Bm[index[f], index[t]] = v
    order, left = [], set(range(k))
    while left:
        roots = sorted(j for j in left if not any(Bm[i, j] != 0 for i in left))
        if not roots:
            raise ValueError("the model has a cycle")
        order += roots
        left -= set(roots)
    Sigma = np.eye(k)
    xi = np.zeros((n, k))
    for j in order:
        P = np.flatnonzero(Bm[:, j])
        if P.size == 0:
            xi[:, j] = rng.standard_normal(n)
            continue
        beta = Bm[P, j]
        explained = float(beta @ Sigma[np.ix_(P, P)] @ beta)
        if explained >= 1:
            raise ValueError(f"paths into {names[j]!r} explain more than all of its variance")
        xi[:, j] = xi[:, P] @ beta + np.sqrt(1 - explained) * rng.standard_normal(n)
        cov = Sigma[:, P] @ beta  # cov(ξ_i, η_j) for all i (valid for i already placed)
        Sigma[:, j] = cov
        Sigma[j, :] = cov
        Sigma[j, j] = 1.0
    cols, items = [], []
    for c in names:
        for m, lam in enumerate(loadings[c], start=1):
            if not 0 < abs(lam) <= 1:
                raise ValueError("loadings must be in (0, 1]")
            cols.append(lam * xi[:, index[c]] + np.sqrt(1 - lam**2) * rng.standard_normal(n))
            items.append(f"{c}_{m}")
    X = np.column_stack(cols)
    if likert is not None:
        lo, hi = likert
        X = np.clip(np.round((lo + hi) / 2 + X * (hi - lo) / 6), lo, hi)
    return X, items, xi
