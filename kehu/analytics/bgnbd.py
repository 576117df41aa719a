"""BG/NBD: the beta-geometric / negative binomial distribution model.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers"
the easy way: an alternative to the Pareto/NBD model. *Marketing Science* 24(2),
275-284. Equation numbers below refer to that paper.

Assumptions: while active, a customer buys as a Poisson process with rate
lambda ~ Gamma(r, alpha); after each repeat purchase they drop out with
probability p ~ Beta(a, b). Data per customer: x repeat purchases, the last at
t_x, observed over (0, T] since the first purchase.

Fitting maximises the log-likelihood (eq. 6) with L-BFGS-B over the logarithms
of (r, alpha, a, b) using the analytic gradient. Customers with identical
(x, t_x, T) are collapsed to one row with a count weight, so a million
customers with weekly or daily data reduce to at most a few tens of thousands
of rows. Time is rescaled internally so that max(T) = 10 (alpha scales with the
time unit; the other parameters are invariant), which conditions the problem
as lifetimes does.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

__all__ = [
    "BGNBD",
    "bgnbd_log_likelihood",
    "bgnbd_log_likelihood_gradient",
    "bgnbd_negative_log_likelihood",
    "bgnbd_probability_alive",
    "bgnbd_conditional_expected_purchases",
    "bgnbd_expected_purchases",
    "bgnbd_probability_of_n_purchases",
    "bgnbd_simulate",
    "compress_rows",
    "check_rfm_arrays",
]

PARAM_NAMES = ("r", "alpha", "a", "b")


def check_rfm_arrays(x, t_x, T):
    """Validate and broadcast (x, t_x, T): x integer >= 0, 0 <= t_x <= T, t_x = 0 when x = 0."""
    x, t_x, T = (np.asarray(v, dtype=np.float64) for v in (x, t_x, T))
    x, t_x, T = np.broadcast_arrays(x, t_x, T)
    if x.size == 0:
        raise ValueError("no customers")
    if not (np.isfinite(x).all() and np.isfinite(t_x).all() and np.isfinite(T).all()):
        raise ValueError("frequency, recency and T must be finite")
    if np.any(x < 0) or np.any(x != np.round(x)):
        raise ValueError("frequency must be a non-negative integer")
    if np.any(t_x < 0) or np.any(t_x > T):
        raise ValueError("recency must satisfy 0 <= recency <= T")
    if np.any((x == 0) & (t_x != 0)):
        raise ValueError("recency must be 0 when frequency is 0")
    if np.any(T <= 0):
        raise ValueError("T must be positive")
    return x, t_x, T


def compress_rows(*columns, weights=None):
    """Collapse identical rows of the given equal-length columns.

    Returns (unique columns..., counts) where counts sum the weights (1 each by
    default). Each column is coded by ``np.unique``; the codes are combined into
    one int64 key that is sorted once. No Python loop over rows.
    """
    cols = [np.asarray(c, dtype=np.float64).ravel() for c in columns]
    n = len(cols[0])
    w = None if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    uniques, key, span = [], np.zeros(n, np.int64), 1
    for c in cols:
        u, inv = np.unique(c, return_inverse=True)
        uniques.append(u)
        if span * len(u) >= 2**62:
            raise OverflowError("too many distinct rows to compress")
        key = key * len(u) + inv.ravel()
        span *= len(u)
    if w is None:
        ukey, counts = np.unique(key, return_counts=True)
        counts = counts.astype(np.float64)
    else:
        ukey, inv = np.unique(key, return_inverse=True)
        counts = np.bincount(inv.ravel(), weights=w)
    out = []
    for u in reversed(uniques):
        out.append(u[ukey % len(u)])
        ukey = ukey // len(u)
    return (*out[::-1], counts)


def _terms(params, x, t_x, T):
    r, alpha, a, b = params
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    pos = x > 0
    bx1 = np.where(pos, b + x - 1, 1.0)
    A4 = np.where(pos, np.log(a) - np.log(bx1) - (r + x) * np.log(alpha + t_x), -np.inf)
    return A1, A2, A3, A4, pos, bx1


def bgnbd_log_likelihood(params, x, t_x, T):
    """Per-customer log-likelihood, FHL (2005) eq. 6.

    L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)),

    computed in log space: B(a+1, b+x-1)/B(a, b+x) = a / (b+x-1).
    """
    A1, A2, A3, A4, _, _ = _terms(params, *(np.asarray(v, float) for v in (x, t_x, T)))
    return A1 + A2 + np.logaddexp(A3, A4)


def bgnbd_log_likelihood_gradient(params, x, t_x, T):
    """Per-customer gradient of eq. 6 with respect to (r, alpha, a, b); shape (n, 4)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    r, alpha, a, b = params
    A1, A2, A3, A4, pos, bx1 = _terms(params, x, t_x, T)
    lse = np.logaddexp(A3, A4)
    w3 = np.exp(A3 - lse)
    w4 = np.exp(A4 - lse)  # 0 where x == 0
    g = np.empty(x.shape + (4,))
    log_at = np.log(alpha + T)
    log_atx = np.log(alpha + t_x)
    g[..., 0] = digamma(r + x) - digamma(r) + np.log(alpha) - w3 * log_at - w4 * log_atx
    g[..., 1] = r / alpha - w3 * (r + x) / (alpha + T) - w4 * (r + x) / (alpha + t_x)
    dA2_da = digamma(a + b) - digamma(a + b + x)
    dA2_db = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x)
    g[..., 2] = dA2_da + w4 / a
    g[..., 3] = dA2_db - np.where(pos, w4 / bx1, 0.0)
    return g


def bgnbd_negative_log_likelihood(log_params, x, t_x, T, weights=None, penalizer=0.0):
    """Mean negative log-likelihood over customers and its gradient in log-parameters.

    ``weights`` count identical customers; the mean divides by their sum. The
    optional penalizer adds ``penalizer * sum(params**2)`` (lifetimes' L2 form).
    Returns (value, gradient).
    """
    log_params = np.asarray(log_params, float)
    params = np.exp(log_params)
    w = np.ones_like(np.asarray(x, float)) if weights is None else np.asarray(weights, float)
    W = w.sum()
    ll = bgnbd_log_likelihood(params, x, t_x, T)
    g = bgnbd_log_likelihood_gradient(params, x, t_x, T)
    value = -(w @ ll) / W + penalizer * np.sum(params**2)
    grad = -(w @ g) / W + 2 * penalizer * params
    return value, grad * params  # chain rule for log-parameters


def bgnbd_probability_alive(x, t_x, T, params):
    """P(alive | x, t_x, T) (Fader, Hardie & Lee 2008 note "Computing P(alive) using the BG/NBD model", eq. 1).

    P = 1 / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
    """
    r, alpha, a, b = params
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    pos = x > 0
    bx1 = np.where(pos, b + x - 1, 1.0)
    log_odds = np.log(a) - np.log(bx1) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(pos, 1.0 / (1.0 + np.exp(np.minimum(log_odds, 700))), 1.0)


def bgnbd_expected_purchases_if_alive(t, x, T, params):
    """E[Y(t) | x, T, alive]: the numerator of eq. 10, which depends on (x, T) only —
    ``bgnbd_conditional_expected_purchases`` is this times P(alive | x, t_x, T).

    (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x) * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))].
    """
    r, alpha, a, b = params
    t, x, T = (np.asarray(v, float) for v in (t, x, T))
    hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    first = (a + b + x - 1) / (a - 1)
    return first * (1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp)


def bgnbd_conditional_expected_purchases(t, x, t_x, T, params):
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T+t], FHL (2005) eq. 10.

    E = (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
        * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]
        / (1 + [x > 0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).
    """
    r, alpha, a, b = params
    t, x, t_x, T = (np.asarray(v, float) for v in (t, x, t_x, T))
    pos = x > 0
    bx1 = np.where(pos, b + x - 1, 1.0)
    denom = 1 + np.where(pos, a / bx1 * np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + t_x))), 0.0)
    return bgnbd_expected_purchases_if_alive(t, x, T, params) / denom


def bgnbd_expected_purchases(t, params):
    """E[X(t)] for a new customer, FHL (2005) eq. 7.

    E = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))].
    """
    r, alpha, a, b = params
    t = np.asarray(t, float)
    return (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))


def bgnbd_probability_of_n_purchases(t, n, params):
    """P(X(t) = n) for a new customer, FHL (2005) eq. 8."""
    r, alpha, a, b = params
    t = np.asarray(t, float)
    n = int(n)
    log_pt = np.log(t / (alpha + t)) if n > 0 else 0.0
    first = np.exp(
        betaln(a, b + n) - betaln(a, b) + gammaln(r + n) - gammaln(r) - gammaln(n + 1)
        + r * np.log(alpha / (alpha + t)) + n * log_pt
    )
    if n == 0:
        return first
    j = np.arange(n).reshape((-1,) + (1,) * t.ndim)
    terms = np.exp(gammaln(r + j) - gammaln(r) - gammaln(j + 1) + j * np.log(t / (alpha + t)))
    finite = np.exp(betaln(a + 1, b + n - 1) - betaln(a, b)) * (1 - (alpha / (alpha + t)) ** r * terms.sum(axis=0))
    return first + finite


def bgnbd_simulate(params, T, random_state=None):
    """Draw (x, t_x) for customers observed over T under BG/NBD; returns (x, t_x).

    lambda ~ Gamma(r, 1/alpha), p ~ Beta(a, b); the number of repeat purchases
    before dropout K ~ Geometric(p) (dropout right after the K-th); N(T) ~
    Poisson(lambda T); x = min(K, N); given N = n the x-th purchase time is the
    x-th order statistic of n uniforms on (0, T]: T * Beta(x, n - x + 1).
    """
    r, alpha, a, b = params
    rng = np.random.default_rng(random_state)
    T = np.asarray(T, float)
    lam = rng.gamma(r, 1.0 / alpha, size=T.shape)
    p = rng.beta(a, b, size=T.shape)
    K = rng.geometric(p)
    N = rng.poisson(lam * T)
    x = np.minimum(K, N)
    t_x = np.zeros(T.shape)
    pos = x > 0
    t_x[pos] = T[pos] * rng.beta(x[pos], N[pos] - x[pos] + 1)
    return x.astype(float), t_x


def _inverse(v):
    u, inv = np.unique(v, return_inverse=True)
    return u, inv.ravel()


def warm_start_sample(w, size=20000, random_state=0):
    """Row weights of a seeded subsample of about ``size`` customers (drawn with
    probability proportional to the row counts) for a cheap first fit whose
    optimum starts the full fit. Returns (row indices, weights) or None when
    the data are already small."""
    if w.sum() <= 2 * size or len(w) <= size:
        return None
    rng = np.random.default_rng(random_state)
    counts = rng.multinomial(size, w / w.sum())
    idx = np.flatnonzero(counts)
    return idx, counts[idx].astype(np.float64)


def _fd_hessian(fun, theta, h=1e-5):
    """Symmetrised central-difference Hessian of an objective with an analytic gradient."""
    k = len(theta)
    H = np.empty((k, k))
    for i in range(k):
        e = np.zeros(k)
        e[i] = h
        H[i] = (fun(theta + e)[1] - fun(theta - e)[1]) / (2 * h)
    return (H + H.T) / 2


DECREMENT = 1e-12


def minimize_nll(make_nll, n_params, start, penalizer, tol, max_iter, w, bounds=(-15, 15)):
    """Minimise a mean negative log-likelihood over log-parameters.

    Small data: L-BFGS-B with the analytic gradient. Large data (more than
    40,000 customers): L-BFGS-B first on a seeded subsample of 20,000
    customers; the subsample's Hessian (central differences of the analytic
    gradient) then drives damped Newton steps on the full data, each step one
    full evaluation: the mean-likelihood Hessian of a subsample differs from the
    full one by sampling error only, so convergence is linear with a small rate
    (about 5 steps to 1e-9 in the log-parameters) instead of 20-40 L-BFGS
    evaluations. Falls back to L-BFGS-B on the full data if a step fails. The
    answer is the full-data optimum either way: the subsample only guides the
    search. ``make_nll(idx, weights)`` builds the objective for rows ``idx``
    (None: all rows).
    """
    opts = {"gtol": tol, "ftol": 1e-15, "maxiter": max_iter}
    lo, hi = bounds
    sub = warm_start_sample(w)
    if sub is not None:
        sub_fun = make_nll(*sub)
        pre = minimize(sub_fun, start, args=(penalizer,), jac=True, method="L-BFGS-B",
                       bounds=[bounds] * n_params, options=opts)
        full = make_nll(None, w)
        H = _fd_hessian(lambda t: sub_fun(t, penalizer), pre.x)
        ok = bool(np.isfinite(H).all())
        if ok:
            # Near a maximum on the boundary the subsample Hessian is singular, or slightly
            # indefinite through rounding: the steps leave out its flat (and negative)
            # directions, along which the likelihood does not change (a pseudo-inverse).
            eig, vec = np.linalg.eigh(H)
            ok = eig[-1] > 0
            if ok:
                keep = eig > 1e-8 * eig[-1]
                H_inv = (vec[:, keep] / eig[keep]) @ vec[:, keep].T
        if ok:
            theta = pre.x.copy()
            f, g = full(theta, penalizer)
            nfev = 1
            for it in range(1, 60):
                step = H_inv @ g
                # Newton decrement: what the quadratic model still expects to gain. Below
                # DECREMENT (relative) the rest is rounding noise of the sum over customers
                # (about 1e-11 relative on a million rows): converged. Along a flat direction
                # (a maximum on the boundary, e.g. BG/NBD with no dropout: a -> 0, b -> inf) the
                # likelihood does not change, so the parameters there are not identified.
                if 0.5 * (g @ step) <= DECREMENT * max(1.0, abs(f)):
                    return OptimizeResult(x=theta, fun=f, jac=g, nit=it, nfev=nfev, success=True,
                                          message="subsample-Hessian Newton converged")
                t = 1.0
                accepted = False
                for _ in range(30):
                    cand = np.clip(theta - t * step, lo, hi)
                    f_new, g_new = full(cand, penalizer)
                    nfev += 1
                    if np.isfinite(f_new) and (f_new <= f - 1e-4 * t * (g @ step)
                                               or abs(f_new - f) <= 1e-15 * max(1.0, abs(f))):
                        accepted = True
                        break
                    t /= 2
                if not accepted:
                    break
                moved = np.max(np.abs(cand - theta))
                theta, f, g = cand, f_new, g_new
                if moved < 1e-9 or np.max(np.abs(g)) < tol:
                    return OptimizeResult(x=theta, fun=f, jac=g, nit=it, nfev=nfev, success=True,
                                          message="subsample-Hessian Newton converged")
            start = theta
        else:
            start = pre.x
    res = minimize(make_nll(None, w), start, args=(penalizer,), jac=True, method="L-BFGS-B",
                   bounds=[bounds] * n_params, options=opts)
    return res


class _Indexed:
    """(x, t_x, T) rows with lookup tables: transcendental functions are
    evaluated once per distinct x, t_x and T value, then gathered per row."""

    def __init__(self, x, t_x, T, w):
        self.ux, self.ix = _inverse(x)
        self.ut, self.it = _inverse(t_x)
        self.uT, self.iT = _inverse(T)
        self.x, self.w, self.W = x, w, w.sum()
        self.pos = x > 0

    def nll(self, log_params, penalizer=0.0):
        """Same value and gradient as ``bgnbd_negative_log_likelihood``."""
        params = np.exp(log_params)
        r, alpha, a, b = params
        ux, ix, x, pos, w = self.ux, self.ix, self.x, self.pos, self.w
        # per distinct x
        A12 = (gammaln(r + ux) - gammaln(r) + r * np.log(alpha)
               + gammaln(a + b) + gammaln(b + ux) - gammaln(b) - gammaln(a + b + ux))
        bx1 = np.where(ux > 0, b + ux - 1, 1.0)
        lnA4c = np.log(a) - np.log(bx1)
        d_r = digamma(r + ux) - digamma(r) + np.log(alpha)
        d_a = digamma(a + b) - digamma(a + b + ux)
        d_b = digamma(a + b) + digamma(b + ux) - digamma(b) - digamma(a + b + ux)
        # per distinct t_x and T
        lT, lt = np.log(alpha + self.uT)[self.iT], np.log(alpha + self.ut)[self.it]
        iT_, it_ = (1.0 / (alpha + self.uT))[self.iT], (1.0 / (alpha + self.ut))[self.it]
        rx = r + x
        A3 = -rx * lT
        A4 = np.where(pos, lnA4c[ix] - rx * lt, -np.inf)
        lse = np.logaddexp(A3, A4)
        w3 = np.exp(A3 - lse)
        w4 = np.exp(A4 - lse)
        ll = A12[ix] + lse
        g0 = d_r[ix] - w3 * lT - w4 * lt
        g1 = r / alpha - rx * (w3 * iT_ + w4 * it_)
        g2 = d_a[ix] + w4 / a
        g3 = d_b[ix] - w4 / bx1[ix]
        W = self.W
        value = -(w @ ll) / W + penalizer * np.sum(params**2)
        grad = -np.array([w @ g0, w @ g1, w @ g2, w @ g3]) / W + 2 * penalizer * params
        return value, grad * params


class BGNBD:
    """BG/NBD estimator (scikit-learn / lifetimes ``BetaGeoFitter`` shape).

    Parameters
    ----------
    penalizer : L2 penalty on the parameters (0 = plain maximum likelihood).
    tol : gradient tolerance passed to L-BFGS-B.
    max_iter : iteration cap.
    initial_params : starting (r, alpha, a, b); default all 1 (alpha scaled).

    Fitted attributes: ``params_`` (dict r, alpha, a, b), ``log_likelihood_``
    (sum over customers), ``n_customers_``, ``n_rows_`` (distinct (x, t_x, T)),
    ``converged_``, ``n_iter_``.
    """

    def __init__(self, penalizer=0.0, tol=1e-9, max_iter=500, initial_params=None):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter
        self.initial_params = initial_params

    def fit(self, frequency, recency, T, weights=None):
        x, t_x, T = check_rfm_arrays(frequency, recency, T)
        x, t_x, T, w = compress_rows(x, t_x, T, weights=weights)
        scale = 10.0 / T.max()
        ts, Ts = t_x * scale, T * scale
        if self.initial_params is None:
            start = np.zeros(4)
        else:
            p0 = np.array(self.initial_params, float)
            p0[1] *= scale
            start = np.log(p0)
        def make_nll(idx, weights):
            if idx is None:
                return _Indexed(x, ts, Ts, weights).nll
            return _Indexed(x[idx], ts[idx], Ts[idx], weights).nll

        res = minimize_nll(make_nll, 4, start, self.penalizer, self.tol, self.max_iter, w)
        p = np.exp(res.x)
        p[1] /= scale
        self.params_ = dict(zip(PARAM_NAMES, p.tolist()))
        self.log_likelihood_ = float(w @ bgnbd_log_likelihood(p, x, t_x, T))
        self.n_customers_ = int(round(w.sum()))
        self.n_rows_ = len(x)
        self.converged_ = bool(res.success)
        self.n_iter_ = int(res.nit)
        self.n_evaluations_ = int(res.nfev)
        return self

    @property
    def param_array_(self):
        return np.array([self.params_[k] for k in PARAM_NAMES])

    def _check_fitted(self):
        if not hasattr(self, "params_"):
            raise RuntimeError("call fit() first")
        return self.param_array_

    def probability_alive(self, frequency, recency, T):
        return bgnbd_probability_alive(frequency, recency, T, self._check_fitted())

    def conditional_expected_purchases(self, t, frequency, recency, T):
        """Expected purchases in the next ``t`` time units (eq. 10)."""
        return bgnbd_conditional_expected_purchases(t, frequency, recency, T, self._check_fitted())

    predict = conditional_expected_purchases

    def expected_purchases(self, t):
        """E[X(t)] for a newly acquired customer (eq. 7)."""
        return bgnbd_expected_purchases(t, self._check_fitted())

    def probability_of_n_purchases(self, t, n):
        return bgnbd_probability_of_n_purchases(t, n, self._check_fitted())
