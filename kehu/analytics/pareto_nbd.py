"""Pareto/NBD: Poisson purchasing, exponential lifetime, gamma heterogeneity in both.

Schmittlein, D. C., Morrison, D. G. & Colombo, R. (1987). Counting your
customers: who are they and what will they do next? *Management Science* 33(1).
Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "A note on deriving the
Pareto/NBD model and related expressions" (Hardie's notes), equations (11)-(19).

While alive a customer buys with rate lambda ~ Gamma(r, alpha); their lifetime is
exponential with rate mu ~ Gamma(s, beta). For (x, t_x, T) the likelihood is

    L = G(r+x) alpha^r beta^s / G(r) * { (alpha+T)^-(r+x) (beta+T)^-s + s J },
    J = integral_{t_x}^{T} (alpha+tau)^-(r+x) (beta+tau)^-(s+1) dtau,

the second term integrating over a death at tau in (t_x, T]. J is the
difference of the closed form (note, eq. 19; the "A_0" of SMC/FHL)

    I(p, q)(y) = (m+y)^-(p+q-1) / (p+q-1) * 2F1(p+q-1, q'; p+q; |alpha-beta|/(m+y))

with m = max(alpha, beta) and q' = q when alpha >= beta, q' = p otherwise.
Taking the larger of alpha and beta keeps the hypergeometric argument in [0, 1),
which covers the three cases alpha > beta, alpha < beta and alpha = beta
(argument 0, 2F1 = 1) of the literature with one expression; everything is
evaluated in log space.

Gradient. The alpha and beta derivatives are analytic: differentiating under
the integral, dJ/dalpha = -p I(p+1, q) and dJ/dbeta = -q I(p, q+1), again closed
forms. The r and s derivatives of J (derivatives of 2F1 in its parameters,
which have no closed form) are central differences of log J in p and q with a
step of 1e-5 * max(1, r) (truncation error ~1e-10 relative, hyp2f1 is accurate
to ~1e-15); the remaining terms are analytic. Tests compare the whole
gradient against ``scipy.optimize.check_grad``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import digamma, gammaln, hyp2f1

from .bgnbd import check_rfm_arrays, compress_rows, minimize_nll

__all__ = [
    "ParetoNBD",
    "pareto_nbd_log_likelihood",
    "pareto_nbd_negative_log_likelihood",
    "pareto_nbd_probability_alive",
    "pareto_nbd_conditional_expected_purchases",
    "pareto_nbd_expected_purchases_if_alive",
    "pareto_nbd_expected_purchases",
    "pareto_nbd_simulate",
]

PARAM_NAMES = ("r", "alpha", "s", "beta")
_FD_STEP = 1e-5


def _log_F(p, q, alpha, beta, y):
    """log of the antiderivative tail I(p, q)(y) = integral_y^inf (alpha+t)^-p (beta+t)^-q dt."""
    k = p + q - 1
    if alpha >= beta:
        m, b2, d = alpha, q, alpha - beta
    else:
        m, b2, d = beta, p, beta - alpha
    z = d / (m + y)
    return -k * np.log(m + y) - np.log(k) + np.log(hyp2f1(k, b2, k + 1, z))


def _log_J(p, q, alpha, beta, t_x, T):
    """log integral_{t_x}^T (alpha+t)^-p (beta+t)^-q dt; -inf where t_x == T."""
    lo = _log_F(p, q, alpha, beta, t_x)
    hi = _log_F(p, q, alpha, beta, T)
    diff = np.minimum(hi - lo, 0.0)
    with np.errstate(divide="ignore"):
        return np.where(t_x < T, lo + np.log(-np.expm1(diff)), -np.inf)


def _parts(params, x, t_x, T):
    r, alpha, s, beta = params
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + s * np.log(beta)
    A2 = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    logJ = _log_J(r + x, s + 1, alpha, beta, t_x, T)
    A3 = np.log(s) + logJ
    return A1, A2, logJ, A3


def pareto_nbd_log_likelihood(params, x, t_x, T):
    """Per-customer log-likelihood (FHL 2005 note, eq. 11 with the closed form of eq. 19 for J)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    A1, A2, _, A3 = _parts(params, x, t_x, T)
    return A1 + np.logaddexp(A2, A3)


def pareto_nbd_log_likelihood_gradient(params, x, t_x, T):
    """Per-customer gradient of the log-likelihood in (r, alpha, s, beta); shape (n, 4)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    r, alpha, s, beta = params
    A1, A2, logJ, A3 = _parts(params, x, t_x, T)
    logD = np.logaddexp(A2, A3)
    u = np.exp(A2 - logD)
    v = np.exp(A3 - logD)
    p, q = r + x, s + 1
    has = np.isfinite(logJ)
    safe = np.where(has, logJ, 0.0)
    # analytic alpha / beta derivatives of log J
    dlogJ_da = np.where(has, -p * np.exp(_log_J(p + 1, q, alpha, beta, t_x, T) - safe), 0.0)
    dlogJ_db = np.where(has, -q * np.exp(_log_J(p, q + 1, alpha, beta, t_x, T) - safe), 0.0)
    # central differences in the hypergeometric parameters
    hp = _FD_STEP * max(1.0, r)
    hq = _FD_STEP * max(1.0, q)
    with np.errstate(invalid="ignore"):
        dlogJ_dp = np.where(has, (_log_J(p + hp, q, alpha, beta, t_x, T) - _log_J(p - hp, q, alpha, beta, t_x, T)) / (2 * hp), 0.0)
        dlogJ_dq = np.where(has, (_log_J(p, q + hq, alpha, beta, t_x, T) - _log_J(p, q - hq, alpha, beta, t_x, T)) / (2 * hq), 0.0)
    g = np.empty(x.shape + (4,))
    g[..., 0] = digamma(r + x) - digamma(r) + np.log(alpha) - u * np.log(alpha + T) + v * dlogJ_dp
    g[..., 1] = r / alpha - u * (r + x) / (alpha + T) + v * dlogJ_da
    g[..., 2] = np.log(beta) - u * np.log(beta + T) + v * (1.0 / s + dlogJ_dq)
    g[..., 3] = s / beta - u * s / (beta + T) + v * dlogJ_db
    return g


def pareto_nbd_negative_log_likelihood(log_params, x, t_x, T, weights=None, penalizer=0.0):
    """Mean negative log-likelihood and its gradient in log-parameters (see BG/NBD)."""
    params = np.exp(np.asarray(log_params, float))
    x = np.asarray(x, float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, float)
    W = w.sum()
    ll = pareto_nbd_log_likelihood(params, x, t_x, T)
    g = pareto_nbd_log_likelihood_gradient(params, x, t_x, T)
    value = -(w @ ll) / W + penalizer * np.sum(params**2)
    grad = -(w @ g) / W + 2 * penalizer * params
    return value, grad * params


def pareto_nbd_probability_alive(x, t_x, T, params):
    """P(alive | x, t_x, T) = (alpha+T)^-(r+x) (beta+T)^-s / (L / prefactor) (FHL note eq. 18)."""
    x, t_x, T = (np.asarray(v, float) for v in (x, t_x, T))
    _, A2, _, A3 = _parts(params, x, t_x, T)
    return np.exp(A2 - np.logaddexp(A2, A3))


def _survival_integral(s, beta, T, t):
    """[1 - ((beta+T)/(beta+T+t))^(s-1)] / (s-1), with the s -> 1 limit."""
    lr = np.log(beta + T) - np.log(beta + T + t)
    if abs(s - 1) < 1e-10:
        return -lr
    return -np.expm1((s - 1) * lr) / (s - 1)


def pareto_nbd_expected_purchases_if_alive(t, x, T, params):
    """E[Y(t) | x, T, alive] = (r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)]:
    ``pareto_nbd_conditional_expected_purchases`` is this times P(alive | x, t_x, T)."""
    r, alpha, s, beta = params
    t, x, T = (np.asarray(v, float) for v in (t, x, T))
    return (r + x) * (beta + T) / (alpha + T) * _survival_integral(s, beta, T, t)


def pareto_nbd_conditional_expected_purchases(t, x, t_x, T, params):
    """E[Y(t) | x, t_x, T] (SMC 1987 eq. 22; FHL note eq. 20).

    E = (r+x)(beta+T) / ((alpha+T)(s-1)) * [1 - ((beta+T)/(beta+T+t))^(s-1)] * P(alive).
    """
    r, alpha, s, beta = params
    t, x, t_x, T = (np.asarray(v, float) for v in (t, x, t_x, T))
    pa = pareto_nbd_probability_alive(x, t_x, T, params)
    return (r + x) * (beta + T) / (alpha + T) * _survival_integral(s, beta, T, t) * pa


def pareto_nbd_expected_purchases(t, params):
    """E[X(t)] for a new customer: r beta / (alpha (s-1)) [1 - (beta/(beta+t))^(s-1)] (FHL note eq. 17)."""
    r, alpha, s, beta = params
    t = np.asarray(t, float)
    return r * beta / alpha * _survival_integral(s, beta, 0.0, t)


def pareto_nbd_simulate(params, T, random_state=None):
    """Draw (x, t_x): lambda ~ Gamma(r, 1/alpha), mu ~ Gamma(s, 1/beta), lifetime ~ Exp(mu)."""
    r, alpha, s, beta = params
    rng = np.random.default_rng(random_state)
    T = np.asarray(T, float)
    lam = rng.gamma(r, 1.0 / alpha, size=T.shape)
    mu = rng.gamma(s, 1.0 / beta, size=T.shape)
    life = np.minimum(rng.exponential(1.0 / mu), T)
    x = rng.poisson(lam * life)
    t_x = np.zeros(T.shape)
    pos = x > 0
    t_x[pos] = life[pos] * rng.beta(x[pos], 1.0)  # max of x uniforms on (0, life)
    return x.astype(float), t_x


class _Indexed:
    """Rows plus the distinct (x, y) end points of their J integrals.

    J for a row is F(x, t_x) - F(x, T); the hypergeometric functions are
    evaluated once per distinct (x, t_x) and (x, T) pair (a few per cent of
    the rows on daily data) and gathered per row.
    """

    def __init__(self, x, t_x, T, w):
        self.x, self.t_x, self.T, self.w, self.W = x, t_x, T, w, w.sum()
        n = len(x)
        px = np.concatenate([x, x])
        py = np.concatenate([t_x, T])
        key_x, inv_x = np.unique(px, return_inverse=True)
        key_y, inv_y = np.unique(py, return_inverse=True)
        key = inv_x.ravel().astype(np.int64) * len(key_y) + inv_y.ravel()
        ukey, inv = np.unique(key, return_inverse=True)
        inv = inv.ravel()
        self.xp = key_x[ukey // len(key_y)]
        self.yp = key_y[ukey % len(key_y)]
        self.ilo, self.ihi = inv[:n], inv[n:]
        self.has = t_x < T
        self.ux, ix = np.unique(x, return_inverse=True)
        self.ix = ix.ravel()

    def log_J(self, dp, dq, r, s, alpha, beta):
        """log J for every row with p = r + x + dp, q = s + 1 + dq."""
        lF = _log_F(r + self.xp + dp, s + 1 + dq, alpha, beta, self.yp)
        lo, hi = lF[self.ilo], lF[self.ihi]
        with np.errstate(divide="ignore"):
            return np.where(self.has, lo + np.log(-np.expm1(np.minimum(hi - lo, 0.0))), -np.inf)

    def nll(self, log_params, penalizer=0.0):
        """Same value and gradient as ``pareto_nbd_negative_log_likelihood``."""
        params = np.exp(log_params)
        r, alpha, s, beta = params
        x, T, w, W, has = self.x, self.T, self.w, self.W, self.has
        rx = r + x
        lat, lbt = np.log(alpha + T), np.log(beta + T)
        A1 = (gammaln(r + self.ux) - gammaln(r))[self.ix] + r * np.log(alpha) + s * np.log(beta)
        A2 = -rx * lat - s * lbt
        logJ = self.log_J(0.0, 0.0, r, s, alpha, beta)
        A3 = np.log(s) + logJ
        logD = np.logaddexp(A2, A3)
        u = np.exp(A2 - logD)
        v = np.exp(A3 - logD)
        safe = np.where(has, logJ, 0.0)
        q = s + 1
        hp = _FD_STEP * max(1.0, r)  # p = r + x >= r: one step for all rows
        hq = _FD_STEP * max(1.0, q)
        with np.errstate(invalid="ignore"):
            dJa = np.where(has, -rx * np.exp(self.log_J(1.0, 0.0, r, s, alpha, beta) - safe), 0.0)
            dJb = np.where(has, -q * np.exp(self.log_J(0.0, 1.0, r, s, alpha, beta) - safe), 0.0)
            dJp = np.where(has, (self.log_J(hp, 0.0, r, s, alpha, beta) - self.log_J(-hp, 0.0, r, s, alpha, beta)) / (2 * hp), 0.0)
            dJq = np.where(has, (self.log_J(0.0, hq, r, s, alpha, beta) - self.log_J(0.0, -hq, r, s, alpha, beta)) / (2 * hq), 0.0)
        g0 = (digamma(r + self.ux) - digamma(r))[self.ix] + np.log(alpha) - u * lat + v * dJp
        g1 = r / alpha - u * rx / (alpha + T) + v * dJa
        g2 = np.log(beta) - u * lbt + v * (1.0 / s + dJq)
        g3 = s / beta - u * s / (beta + T) + v * dJb
        ll = A1 + logD
        value = -(w @ ll) / W + penalizer * np.sum(params**2)
        grad = -np.array([w @ g0, w @ g1, w @ g2, w @ g3]) / W + 2 * penalizer * params
        return value, grad * params


class ParetoNBD:
    """Pareto/NBD estimator (lifetimes ``ParetoNBDFitter`` shape).

    Fitted attributes: ``params_`` (r, alpha, s, beta), ``log_likelihood_``,
    ``n_customers_``, ``n_rows_``, ``converged_``, ``n_iter_``.
    """

    def __init__(self, penalizer=0.0, tol=1e-8, max_iter=500, initial_params=None):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter
        self.initial_params = initial_params

    def fit(self, frequency, recency, T, weights=None):
        x, t_x, T = check_rfm_arrays(frequency, recency, T)
        x, t_x, T, w = compress_rows(x, t_x, T, weights=weights)
        scale = 10.0 / T.max()  # alpha and beta scale with time; r, s do not
        ts, Ts = t_x * scale, T * scale
        if self.initial_params is None:
            start = np.zeros(4)
        else:
            p0 = np.array(self.initial_params, float)
            p0[[1, 3]] *= scale
            start = np.log(p0)
        def make_nll(idx, weights):
            if idx is None:
                return _Indexed(x, ts, Ts, weights).nll
            return _Indexed(x[idx], ts[idx], Ts[idx], weights).nll

        res = minimize_nll(make_nll, 4, start, self.penalizer, self.tol, self.max_iter, w)
        p = np.exp(res.x)
        p[[1, 3]] /= scale
        self.params_ = dict(zip(PARAM_NAMES, p.tolist()))
        self.log_likelihood_ = float(w @ pareto_nbd_log_likelihood(p, x, t_x, T))
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
        return pareto_nbd_probability_alive(frequency, recency, T, self._check_fitted())

    def conditional_expected_purchases(self, t, frequency, recency, T):
        return pareto_nbd_conditional_expected_purchases(t, frequency, recency, T, self._check_fitted())

    predict = conditional_expected_purchases

    def expected_purchases(self, t):
        return pareto_nbd_expected_purchases(t, self._check_fitted())
