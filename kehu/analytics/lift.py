"""Campaign lift over a random control group: incremental response and revenue.

A campaign holds out a random control group that receives nothing
(:mod:`kehu.analytics.control_groups`); what the treated group did beyond the
control group is what the campaign caused. With x responders of n customers
(t treated, c control) and per-customer revenue y (0 for a customer who did
not buy within the attribution window):

* **Incremental response rate** Δp = p_t − p_c, p = x / n, with

  - the Newcombe hybrid score interval (Newcombe 1998, "Interval estimation
    for the difference between independent proportions: comparison of eleven
    methods", Statistics in Medicine 17:873–890, method 10), built from the
    Wilson score intervals (l, u) of each proportion (Wilson 1927, JASA
    22:209–212):

        l, u = [x + z²/2 ∓ z √(x(n − x)/n + z²/4)] / (n + z²)
        L = Δp − √((p_t − l_t)² + (u_c − p_c)²)
        U = Δp + √((u_t − p_t)² + (p_c − l_c)²)

    the default: it stays inside [−1, 1] and keeps its width when a rate is
    0 or 1 (Newcombe's Table II; statsmodels ``method="newcomb"``);
  - the Wald interval Δp ± z √(p_t(1 − p_t)/n_t + p_c(1 − p_c)/n_c)
    (statsmodels ``method="wald"``);
  - the two-sided p-value of the pooled two-proportion z-test,
    z = Δp / √(p̂(1 − p̂)(1/n_t + 1/n_c)), p̂ = (x_t + x_c)/(n_t + n_c)
    (equal to the χ² test of the 2 × 2 table without continuity correction);
  - the relative lift p_t / p_c − 1 (a point figure, NaN when p_c = 0) and the
    incremental responders Δp · n_t with the interval scaled alike.

* **Incremental revenue per customer** Δȳ = ȳ_t − ȳ_c with Welch's interval
  (Welch 1947, Biometrika 34:28–35), s² the sample variances (ddof 1):

        SE = √(s_t²/n_t + s_c²/n_c)
        ν  = SE⁴ / [(s_t²/n_t)²/(n_t − 1) + (s_c²/n_c)²/(n_c − 1)]
        Δȳ ± t_(ν, 1−α/2) · SE

  (scipy ``ttest_ind(treated, control, equal_var=False)``), and the campaign's
  **incremental revenue** Δȳ · n_t with its interval (the interval × n_t: the
  treated group's size is fixed by the design, not estimated). Per-customer
  figures can be given as sums (n, Σy, Σy²) so that the database aggregates a
  million customers and only the sums come here
  (:func:`revenue_lift_from_sums`).

* **Per stratum (segment) and pooled.** :func:`campaign_lift` computes both
  figures in each stratum h and pools them with the treated customers' weights
  w_h = n_t,h / Σ n_t (the effect on the treated, which is what the campaign's
  incremental revenue totals):

        Δ = Σ w_h Δ_h,   Var Δ = Σ w_h² Var Δ_h

  with the Wald variance per stratum for the response and Welch's for revenue;
  the revenue interval uses the Welch–Satterthwaite degrees of freedom of the
  2H group variances (one stratum gives exactly Welch), the response interval
  the normal quantile. With one stratum the pooled figures are the stratum's
  own (Newcombe interval included). Strata lacking a group (revenue: with
  fewer than two customers in a group) are reported but left out of the pooled
  figure; ``excluded_response`` / ``excluded_revenue`` say how many treated
  customers that leaves out. When no stratum has both groups the pooled figure
  is not estimable (``reason`` ``"no_overlap"``, or ``"too_few"`` for revenue).

A/B variants of the message share one control group: call the functions once
per variant on that variant's customers and the control group's (the control
figures are then shared, so the variants' lifts are not independent of each
other; compare variants with each other directly for "which message is better").

Edge cases, defined:

* an empty group (no control, or nothing treated): no comparison —
  ``estimable`` False, every figure of the difference NaN, ``reason`` =
  ``"no_control"`` / ``"no_treated"``; revenue also needs two customers in each
  group for a variance (``"too_few"``);
* zero variance: a rate of 0 or 1 in both groups gives a Wald interval of
  width 0 while Newcombe's keeps its width; pooled p̂ of 0 or 1 means both
  rates are equal, z = 0 and p = 1. Revenue with s_t = s_c = 0 gives SE = 0:
  the interval is the point [Δȳ, Δȳ], p = 1 if Δȳ = 0 else 0, ν = n_t + n_c − 2.

``significant`` means the shown interval excludes 0 (for Welch that is the same
as p < 1 − level; for proportions the p-value of the pooled z-test can differ
from the interval at the margin, so the interval, which the user sees, decides).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "ResponseLift",
    "RevenueLift",
    "StratumLift",
    "CampaignLift",
    "wilson_interval",
    "response_lift",
    "revenue_lift",
    "revenue_lift_from_sums",
    "campaign_lift",
]

NAN = float("nan")


@dataclass(frozen=True)
class ResponseLift:
    n_treated: int
    n_control: int
    responders_treated: int
    responders_control: int
    rate_treated: float
    rate_control: float
    difference: float  # p_t − p_c
    ci_low: float
    ci_high: float
    method: str  # "newcombe", "wald" or "stratified-wald"
    z: float
    p_value: float
    relative: float  # p_t / p_c − 1
    incremental_responders: float  # Δp · n_t
    incremental_responders_low: float
    incremental_responders_high: float
    significant: bool
    estimable: bool
    reason: str  # "" when estimable
    level: float


@dataclass(frozen=True)
class RevenueLift:
    n_treated: int
    n_control: int
    mean_treated: float
    mean_control: float
    difference: float  # per customer, ȳ_t − ȳ_c
    se: float
    df: float
    t: float
    p_value: float
    ci_low: float
    ci_high: float
    incremental_revenue: float  # Δȳ · n_t
    incremental_revenue_low: float
    incremental_revenue_high: float
    significant: bool
    estimable: bool
    reason: str
    level: float


@dataclass(frozen=True)
class StratumLift:
    stratum: object
    response: ResponseLift
    revenue: RevenueLift | None  # None when no revenue was given


@dataclass(frozen=True)
class CampaignLift:
    strata: dict  # stratum label -> StratumLift, labels in sorted order
    pooled: StratumLift
    excluded_response: int  # treated customers in strata left out of the pooled response (no control / treated)
    excluded_revenue: int  # treated customers in strata left out of the pooled revenue (fewer than 2 in a group)
    level: float


def _check_level(level: float) -> float:
    level = float(level)
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1), e.g. 0.95")
    return level


def _z(level: float) -> float:
    return float(stats.norm.ppf(0.5 + level / 2))


def wilson_interval(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion x / n (Wilson 1927)."""
    if n <= 0 or not 0 <= x <= n:
        raise ValueError("need n > 0 and 0 <= x <= n")
    z = _z(_check_level(level))
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(x * (n - x) / n + z * z / 4) / (n + z * z)
    return max(0.0, centre - half), min(1.0, centre + half)


def _counts(x: int, n: int, name: str) -> tuple[int, int]:
    if int(x) != x or int(n) != n:
        raise ValueError(f"{name}: counts must be whole numbers")
    x, n = int(x), int(n)
    if n < 0 or not 0 <= x <= max(n, 0):
        raise ValueError(f"{name}: need 0 <= responders <= customers")
    return x, n


def _response_unestimable(nt, nc, xt, xc, reason, method, level) -> ResponseLift:
    pt = xt / nt if nt else NAN
    pc = xc / nc if nc else NAN
    return ResponseLift(nt, nc, xt, xc, pt, pc, NAN, NAN, NAN, method, NAN, NAN, NAN, NAN, NAN, NAN,
                        False, False, reason, level)


def response_lift(responders_treated: int, n_treated: int, responders_control: int, n_control: int,
                  level: float = 0.95, method: str = "newcombe") -> ResponseLift:
    """Incremental response rate of the treated over the control group (module docstring)."""
    level = _check_level(level)
    if method not in ("newcombe", "wald"):
        raise ValueError("method must be 'newcombe' or 'wald'")
    xt, nt = _counts(responders_treated, n_treated, "treated")
    xc, nc = _counts(responders_control, n_control, "control")
    pt = xt / nt if nt else NAN
    pc = xc / nc if nc else NAN
    if nt == 0 or nc == 0:
        return _response_unestimable(nt, nc, xt, xc, "no_treated" if nt == 0 else "no_control", method, level)
    z = _z(level)
    diff = pt - pc
    if method == "newcombe":
        lt, ut = wilson_interval(xt, nt, level)
        lc, uc = wilson_interval(xc, nc, level)
        low = diff - math.sqrt((pt - lt) ** 2 + (uc - pc) ** 2)
        high = diff + math.sqrt((ut - pt) ** 2 + (pc - lc) ** 2)
    else:
        half = z * math.sqrt(pt * (1 - pt) / nt + pc * (1 - pc) / nc)
        low, high = diff - half, diff + half
    pooled = (xt + xc) / (nt + nc)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / nt + 1 / nc))
    if se0 == 0:  # both rates 0 or both 1
        zstat, p = 0.0, 1.0
    else:
        zstat = diff / se0
        p = float(2 * stats.norm.sf(abs(zstat)))
    relative = pt / pc - 1 if pc > 0 else NAN
    return ResponseLift(nt, nc, xt, xc, pt, pc, diff, low, high, method, zstat, p, relative,
                        diff * nt, low * nt, high * nt, bool(low > 0 or high < 0), True, "", level)


def _revenue_unestimable(nt, nc, mt, mc, reason, level) -> RevenueLift:
    return RevenueLift(nt, nc, mt, mc, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, False, False,
                       reason, level)


def revenue_lift_from_sums(n_treated: int, sum_treated: float, sumsq_treated: float,
                           n_control: int, sum_control: float, sumsq_control: float,
                           level: float = 0.95) -> RevenueLift:
    """Welch comparison of mean revenue per customer from n, Σy and Σy² of each group.

    The sums are what a database ``GROUP BY`` returns; the variance is
    (Σy² − (Σy)²/n)/(n − 1), clipped at 0 against rounding.
    """
    level = _check_level(level)
    nt, nc = int(n_treated), int(n_control)
    if nt < 0 or nc < 0:
        raise ValueError("group sizes must be non-negative")
    mt = sum_treated / nt if nt else NAN
    mc = sum_control / nc if nc else NAN
    if nt == 0 or nc == 0:
        return _revenue_unestimable(nt, nc, mt, mc, "no_treated" if nt == 0 else "no_control", level)
    if nt < 2 or nc < 2:
        return _revenue_unestimable(nt, nc, mt, mc, "too_few", level)
    vt = max(0.0, (sumsq_treated - sum_treated * sum_treated / nt) / (nt - 1))
    vc = max(0.0, (sumsq_control - sum_control * sum_control / nc) / (nc - 1))
    return _welch(nt, mt, vt, nc, mc, vc, level)


def _welch(nt, mt, vt, nc, mc, vc, level) -> RevenueLift:
    qt, qc = vt / nt, vc / nc
    se = math.sqrt(qt + qc)
    diff = mt - mc
    if se == 0:
        df = float(nt + nc - 2)
        t = 0.0 if diff == 0 else math.copysign(math.inf, diff)
        p = 1.0 if diff == 0 else 0.0
        low = high = diff
    else:
        df = (qt + qc) ** 2 / (qt**2 / (nt - 1) + qc**2 / (nc - 1))
        t = diff / se
        p = float(2 * stats.t.sf(abs(t), df))
        q = float(stats.t.ppf(0.5 + level / 2, df))
        low, high = diff - q * se, diff + q * se
    significant = bool(low > 0 or high < 0)
    return RevenueLift(nt, nc, mt, mc, diff, se, df, t, p, low, high, diff * nt, low * nt, high * nt,
                       significant, True, "", level)


def _clean_revenue(y, name) -> np.ndarray:
    a = np.asarray(y, float).ravel()
    if not np.isfinite(a).all():
        raise ValueError(f"{name}: revenue must be finite (0 for a customer who did not buy)")
    return a


def revenue_lift(revenue_treated, revenue_control, level: float = 0.95) -> RevenueLift:
    """Welch comparison of mean revenue per customer, treated minus control (module docstring)."""
    level = _check_level(level)
    yt = _clean_revenue(revenue_treated, "treated")
    yc = _clean_revenue(revenue_control, "control")
    nt, nc = yt.size, yc.size
    mt = float(yt.mean()) if nt else NAN
    mc = float(yc.mean()) if nc else NAN
    if nt == 0 or nc == 0:
        return _revenue_unestimable(nt, nc, mt, mc, "no_treated" if nt == 0 else "no_control", level)
    if nt < 2 or nc < 2:
        return _revenue_unestimable(nt, nc, mt, mc, "too_few", level)
    return _welch(nt, mt, float(yt.var(ddof=1)), nc, mc, float(yc.var(ddof=1)), level)


def _pooled_response(nt, xt, nc, xc, level) -> ResponseLift:
    """Stratified difference of rates weighted by the treated (module docstring); arrays per stratum."""
    pt_h, pc_h = xt / nt, xc / nc
    w = nt / nt.sum()
    diff = float(w @ (pt_h - pc_h))
    se = math.sqrt(float(w**2 @ (pt_h * (1 - pt_h) / nt + pc_h * (1 - pc_h) / nc)))
    # the rates the pooled difference compares: the treated as observed, the
    # control standardised to the treated group's strata (p_c* = Σ w_h p_c,h)
    pt, pc = float(xt.sum() / nt.sum()), float(w @ pc_h)
    if se == 0:
        low = high = diff
        zstat, p = (0.0, 1.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0)
    else:
        half = _z(level) * se
        low, high = diff - half, diff + half
        zstat = diff / se
        p = float(2 * stats.norm.sf(abs(zstat)))
    n_t = int(nt.sum())
    relative = pt / pc - 1 if pc > 0 else NAN
    return ResponseLift(n_t, int(nc.sum()), int(xt.sum()), int(xc.sum()), pt, pc, diff, low, high,
                        "stratified-wald", zstat, p, relative, diff * n_t, low * n_t, high * n_t,
                        bool(low > 0 or high < 0), True, "", level)


def _pooled_revenue(nt, mt, vt, nc, mc, vc, level) -> RevenueLift:
    """Stratified Welch: Σ w_h Δ_h, Var = Σ w_h²(s_t²/n_t + s_c²/n_c), Satterthwaite ν over the 2H terms."""
    w = nt / nt.sum()
    diff = float(w @ (mt - mc))
    terms = np.concatenate([w**2 * vt / nt, w**2 * vc / nc])
    dfs = np.concatenate([nt - 1, nc - 1]).astype(float)
    var = float(terms.sum())
    se = math.sqrt(var)
    n_t, n_c = int(nt.sum()), int(nc.sum())
    if se == 0:
        df = float(n_t + n_c - 2 * nt.size)
        low = high = diff
        t, p = (0.0, 1.0) if diff == 0 else (math.copysign(math.inf, diff), 0.0)
    else:
        df = var**2 / float((terms**2 / dfs).sum())
        t = diff / se
        p = float(2 * stats.t.sf(abs(t), df))
        q = float(stats.t.ppf(0.5 + level / 2, df))
        low, high = diff - q * se, diff + q * se
    return RevenueLift(n_t, n_c, float(w @ mt), float(w @ mc), diff, se, df, t, p, low, high,
                       diff * n_t, low * n_t, high * n_t, bool(low > 0 or high < 0), True, "", level)


def _no_pool_reason(nt, nc, otherwise: str) -> str:
    if nt.sum() == 0:
        return "no_treated"
    if nc.sum() == 0:
        return "no_control"
    return otherwise


def campaign_lift(control, responded, revenue=None, strata=None, level: float = 0.95,
                  method: str = "newcombe") -> CampaignLift:
    """Lift per stratum (or segment) and pooled, from per-customer arrays.

    ``control``: True for a customer held out in the control group, False for
    a treated one (the mask of :func:`kehu.analytics.control_groups.assign_control`);
    ``responded``: True for a responder; ``revenue``: revenue per customer in
    the attribution window (0 for none), or None to skip the revenue figures;
    ``strata``: a label per customer (value tier, segment), or None for one
    stratum labelled ``"all"``. ``method`` is the interval of each stratum's
    response difference (and of the pooled one when there is one stratum).
    """
    level = _check_level(level)
    ctrl = np.asarray(control, bool).ravel()
    resp = np.asarray(responded, bool).ravel()
    n = ctrl.size
    if resp.size != n:
        raise ValueError("control and responded must have the same length")
    y = None if revenue is None else _clean_revenue(revenue, "revenue")
    if y is not None and y.size != n:
        raise ValueError("revenue must have one value per customer")
    if strata is None:
        labels, codes = np.array(["all"], dtype=object), np.zeros(n, np.intp)
    else:
        s = np.asarray(strata).ravel()
        if s.size != n:
            raise ValueError("strata must have one label per customer")
        labels, codes = np.unique(s, return_inverse=True)
    h = labels.size
    treated = ~ctrl
    # per stratum and group: sizes, responders, revenue means and (two-pass) variances
    nt = np.bincount(codes[treated], minlength=h).astype(float)
    nc = np.bincount(codes[ctrl], minlength=h).astype(float)
    xt = np.bincount(codes[treated & resp], minlength=h).astype(float)
    xc = np.bincount(codes[ctrl & resp], minlength=h).astype(float)
    if y is not None:
        with np.errstate(invalid="ignore", divide="ignore"):
            mt = np.bincount(codes[treated], weights=y[treated], minlength=h) / nt
            mc = np.bincount(codes[ctrl], weights=y[ctrl], minlength=h) / nc
            dev = y - np.where(ctrl, mc[codes], mt[codes])
            vt = np.bincount(codes[treated], weights=dev[treated] ** 2, minlength=h) / (nt - 1)
            vc = np.bincount(codes[ctrl], weights=dev[ctrl] ** 2, minlength=h) / (nc - 1)
    out = {}
    for k in range(h):
        r = response_lift(int(xt[k]), int(nt[k]), int(xc[k]), int(nc[k]), level, method)
        if y is None:
            rv = None
        elif nt[k] == 0 or nc[k] == 0:
            rv = _revenue_unestimable(int(nt[k]), int(nc[k]), float(mt[k]) if nt[k] else NAN,
                                      float(mc[k]) if nc[k] else NAN,
                                      "no_treated" if nt[k] == 0 else "no_control", level)
        elif nt[k] < 2 or nc[k] < 2:
            rv = _revenue_unestimable(int(nt[k]), int(nc[k]), float(mt[k]), float(mc[k]), "too_few", level)
        else:
            rv = _welch(int(nt[k]), float(mt[k]), float(vt[k]), int(nc[k]), float(mc[k]), float(vc[k]), level)
        label = labels[k].item() if isinstance(labels[k], np.generic) else labels[k]
        out[label] = StratumLift(label, r, rv)

    keys = list(out)
    ok_r = (nt > 0) & (nc > 0)
    ok_y = (nt > 1) & (nc > 1)
    excluded_r = int(nt[~ok_r].sum())
    excluded_y = int(nt[~ok_y].sum()) if y is not None else 0
    if ok_r.sum() == 1:
        pooled_r = out[keys[int(np.flatnonzero(ok_r)[0])]].response
    elif ok_r.sum() == 0:
        pooled_r = _response_unestimable(int(nt.sum()), int(nc.sum()), int(xt.sum()), int(xc.sum()),
                                         _no_pool_reason(nt, nc, "no_overlap"), method, level)
    else:
        pooled_r = _pooled_response(nt[ok_r], xt[ok_r], nc[ok_r], xc[ok_r], level)
    if y is None:
        pooled_y = None
    elif ok_y.sum() == 1:
        pooled_y = out[keys[int(np.flatnonzero(ok_y)[0])]].revenue
    elif ok_y.sum() == 0:
        reason = _no_pool_reason(nt, nc, "too_few")
        with np.errstate(invalid="ignore"):
            mt_all = float(y[treated].mean()) if nt.sum() else NAN
            mc_all = float(y[ctrl].mean()) if nc.sum() else NAN
        pooled_y = _revenue_unestimable(int(nt.sum()), int(nc.sum()), mt_all, mc_all, reason, level)
    else:
        pooled_y = _pooled_revenue(nt[ok_y], mt[ok_y], vt[ok_y], nc[ok_y], mc[ok_y], vc[ok_y], level)
    return CampaignLift(out, StratumLift("pooled", pooled_r, pooled_y), excluded_r, excluded_y, level)
