"""Gamma-Gamma model of average spend per transaction.

Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value
curves for customer base analysis. *Journal of Marketing Research* 42(4).
Fader, P. S. & Hardie, B. G. S. (2013). "The Gamma-Gamma model of monetary
value" (Hardie's note): equation numbers below refer to it.

Each transaction value z ~ Gamma(p, nu) with nu ~ Gamma(q, gamma) across
customers. For a customer with x >= 1 repeat transactions averaging m (the
first transaction is excluded, as in the note), the density of m is (eq. 5)

    f(m | p, q, gamma; x) = G(px+q) / (G(px) G(q)) * gamma^q m^(px-1) x^(px)
                            / (gamma + m x)^(px+q),

and the expected mean transaction value given the data (eq. 6) is

    E(M | p, q, gamma; m, x) = (gamma + m x) p / (px + q - 1)
        = (q-1)/(px+q-1) * gamma p/(q-1) + px/(px+q-1) * m,

a weighted average of the population mean gamma p / (q-1) and the customer's
own mean. Fitted by maximum likelihood with the analytic gradient in
log-parameters (L-BFGS-B), on customers with x > 0 and m > 0 only.
"""

from __future__ import annotations

import numpy as np

from .bgnbd import minimize_nll
from scipy.special import digamma, gammaln


__all__ = [
    "GammaGamma",
    "gamma_gamma_log_likelihood",
    "gamma_gamma_log_likelihood_gradient",
    "gamma_gamma_negative_log_likelihood",
    "gamma_gamma_conditional_expected_spend",
]

PARAM_NAMES = ("p", "q", "gamma")


def gamma_gamma_log_likelihood(params, x, m):
    """Per-customer log f(m | p, q, gamma; x), eq. 5 of the note."""
    p, q, g = params
    x, m = np.asarray(x, float), np.asarray(m, float)
    px = p * x
    return (gammaln(px + q) - gammaln(px) - gammaln(q) + q * np.log(g)
            + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * np.log(g + m * x))


def gamma_gamma_log_likelihood_gradient(params, x, m):
    """Per-customer gradient of eq. 5 in (p, q, gamma); shape (n, 3)."""
    p, q, g = params
    x, m = np.asarray(x, float), np.asarray(m, float)
    px = p * x
    lgmx = np.log(g + m * x)
    psi = digamma(px + q)
    out = np.empty(x.shape + (3,))
    out[..., 0] = x * (psi - digamma(px) + np.log(m) + np.log(x) - lgmx)
    out[..., 1] = psi - digamma(q) + np.log(g) - lgmx
    out[..., 2] = q / g - (px + q) / (g + m * x)
    return out


def gamma_gamma_negative_log_likelihood(log_params, x, m, weights=None, penalizer=0.0):
    """Mean negative log-likelihood and its gradient in log-parameters."""
    params = np.exp(np.asarray(log_params, float))
    x = np.asarray(x, float)
    w = np.ones_like(x) if weights is None else np.asarray(weights, float)
    W = w.sum()
    value = -(w @ gamma_gamma_log_likelihood(params, x, m)) / W + penalizer * np.sum(params**2)
    grad = -(w @ gamma_gamma_log_likelihood_gradient(params, x, m)) / W + 2 * penalizer * params
    return value, grad * params


def gamma_gamma_conditional_expected_spend(x, m, params):
    """E(M | p, q, gamma; m, x) = (gamma + m x) p / (p x + q - 1), eq. 6 of the note.

    For x = 0 this is the population mean gamma p / (q - 1).
    """
    p, q, g = params
    x, m = np.asarray(x, float), np.asarray(m, float)
    return (g + m * x) * p / (p * x + q - 1)


class _Indexed:
    """Rows with x-only terms tabulated per distinct x (gammaln/digamma once per x)."""

    def __init__(self, x, m, w):
        self.ux, inv = np.unique(x, return_inverse=True)
        self.ix = inv.ravel()
        self.x, self.m, self.w, self.W = x, m, w, w.sum()
        self.wlogm_x = w @ (x * (np.log(m) + np.log(x)))
        self.wlogm = w @ np.log(m)

    def nll(self, log_params, penalizer=0.0):
        params = np.exp(log_params)
        p, q, g = params
        ux, ix, x, m, w, W = self.ux, self.ix, self.x, self.m, self.w, self.W
        pux = p * ux
        psi = digamma(pux + q)
        lg_tab = gammaln(pux + q) - gammaln(pux)
        dp_tab = ux * (psi - digamma(pux))
        px = p * x
        lgmx = np.log(g + m * x)
        wl = w * lgmx
        # sum over rows of (px-1) log m + px log x = p * sum x(log m + log x) - sum log m
        ll = (w @ lg_tab[ix] - W * gammaln(q) + W * q * np.log(g)
              + p * self.wlogm_x - self.wlogm - (wl @ (px + q)))
        gp = w @ dp_tab[ix] + self.wlogm_x - wl @ x
        gq = w @ psi[ix] - W * digamma(q) + W * np.log(g) - wl.sum()
        gg = W * q / g - w @ ((px + q) / (g + m * x))
        value = -ll / W + penalizer * np.sum(params**2)
        grad = -np.array([gp, gq, gg]) / W + 2 * penalizer * params
        return value, grad * params


class GammaGamma:
    """Gamma-Gamma spend estimator (lifetimes ``GammaGammaFitter`` shape).

    ``fit(frequency, monetary_value)`` uses customers with frequency > 0 and
    monetary value > 0 (others are ignored and counted in ``n_ignored_``).
    Fitted: ``params_`` (p, q, gamma), ``log_likelihood_``, ``n_customers_``.
    The model assumes spend independent of frequency; ``spend_frequency_corr_``
    records the Pearson correlation of the two on the fitted customers so a
    report can warn when it is far from 0.
    """

    def __init__(self, penalizer=0.0, tol=1e-10, max_iter=500):
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter

    def fit(self, frequency, monetary_value, weights=None):
        x = np.asarray(frequency, float).ravel()
        m = np.asarray(monetary_value, float).ravel()
        if x.shape != m.shape:
            raise ValueError("frequency and monetary_value must have the same length")
        if not (np.isfinite(x).all() and np.isfinite(m).all()):
            raise ValueError("frequency and monetary_value must be finite")
        keep = (x > 0) & (m > 0)
        if keep.sum() < 3:
            raise ValueError("need at least 3 customers with repeat purchases and positive spend")
        w_all = np.ones_like(x) if weights is None else np.asarray(weights, float).ravel()
        xk, mk, wk = x[keep], m[keep], w_all[keep]
        self.spend_frequency_corr_ = float(np.corrcoef(xk, mk)[0, 1]) if np.ptp(xk) > 0 and np.ptp(mk) > 0 else 0.0
        xu, mu, wu = xk, mk, wk  # spend is continuous: duplicates are rare, no compression
        scale = 10.0 / np.average(mu, weights=wu)  # gamma scales with money; p, q do not
        ms = mu * scale

        def make_nll(idx, weights):
            if idx is None:
                return _Indexed(xu, ms, weights).nll
            return _Indexed(xu[idx], ms[idx], weights).nll

        res = minimize_nll(make_nll, 3, np.zeros(3), self.penalizer, self.tol, self.max_iter, wu)
        prm = np.exp(res.x)
        prm[2] /= scale
        self.params_ = dict(zip(PARAM_NAMES, prm.tolist()))
        self.log_likelihood_ = float(wu @ gamma_gamma_log_likelihood(prm, xu, mu))
        self.n_customers_ = int(round(wu.sum()))
        self.n_ignored_ = int(len(x) - keep.sum())
        self.converged_ = bool(res.success)
        self.n_iter_ = int(res.nit)
        self.n_evaluations_ = int(res.nfev)
        return self

    @property
    def param_array_(self):
        return np.array([self.params_[k] for k in PARAM_NAMES])

    def conditional_expected_spend(self, frequency, monetary_value):
        """Expected average transaction value per customer (eq. 6); population mean when x = 0."""
        if not hasattr(self, "params_"):
            raise RuntimeError("call fit() first")
        return gamma_gamma_conditional_expected_spend(frequency, monetary_value, self.param_array_)

    def population_mean_spend(self):
        p, q, g = self.param_array_
        return g * p / (q - 1) if q > 1 else np.inf
