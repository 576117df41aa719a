"""The value analysis itself: per-customer arrays in, scores and results out.

:func:`analyse` is pure (NumPy/SciPy over the arrays of
``kehu.insights.summary_sql.OrderSummary``; no database): the services run
the summary SQL where the orders live, call it, and store what it returns.

Steps, in order (each timed into ``results["timings"]``):

1. **Model inputs** from the summary. ``time_unit="week"`` means days / 7
   since the first purchase (the preparation that reproduces Fader, Hardie &
   Lee's published CDNOW figures; see ``kehu.analytics.summary``), ``"day"``
   days. Lifetimes semantics: ``x`` = purchase days - 1, ``t_x`` = last -
   first, ``T`` = as-of - first, monetary = mean value of the repeat purchase
   days.
2. **RFM** quintile scores and the eight value groups (``kehu.analytics.rfm``).
3. **ABC / Pareto** on revenue, gross margin or contribution (margin minus a
   cost to serve per order): classes, curve, Gini, "top 20% make y%".
4. **Purchase model**: BG/NBD or Pareto/NBD, and Gamma-Gamma for the spend,
   fitted by maximum likelihood on compressed (x, t_x, T) rows. With a
   calibration end the models are fitted on the calibration period and
   checked on the holdout (the run's explicit validation); without one they
   are fitted on everything up to the as-of date, and a second fit as of
   ``as_of - churn.period_days`` serves the churn backtest and the holdout
   diagnostics. Customers are always scored on their whole history to the
   as-of date with the fitted parameters.
5. **CLV**: P(alive), expected purchases over the horizon, expected spend,
   discounted CLV (monthly discount from the annual rate) — evaluated once
   per distinct (x, t_x, T), as CLV = spend x sum_k dE_k / (1+d)^k — and
   historical value (revenue to date).
6. **Rhythm**: the customer's mean gap between purchase days, the expected
   next order and how overdue they are.
7. **Churn**: risk with its reasons (``kehu.analytics.churn``), revenue at
   risk = risk x revenue of the last ``churn.revenue_days``; the backtest
   scores the split date and checks who bought in the next period.
8. **Scorecard** (the seeds' 20 + 20) and **value tiers** from the rules.
9. **Loyalty**: Dick & Basu (attitude from the surveys' hook, else unknown)
   and Reinartz & Kumar (contribution x relationship duration).
"""

from __future__ import annotations

import datetime as dt
import math
import time
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext_noop

from kehu.analytics.bgnbd import PARAM_NAMES as BGNBD_PARAMS
from kehu.analytics.bgnbd import BGNBD, bgnbd_expected_purchases, bgnbd_expected_purchases_if_alive
from kehu.analytics.churn import backtest, churn_risk
from kehu.analytics.clv import UNITS_PER_MONTH
from kehu.analytics.gamma_gamma import PARAM_NAMES as GG_PARAMS
from kehu.analytics.gamma_gamma import GammaGamma
from kehu.analytics.loyalty import dick_basu, reinartz_kumar
from kehu.analytics.pareto import ABC, share_for_value
from kehu.analytics.pareto_nbd import PARAM_NAMES as PARETO_PARAMS
from kehu.analytics.pareto_nbd import ParetoNBD, pareto_nbd_expected_purchases, pareto_nbd_expected_purchases_if_alive
from kehu.analytics.rfm import RFM, RFM_GROUPS
from kehu.analytics.tiers import ScoreComponent, Scorecard, TierRule, ValueTiers
from kehu.insights.summary_sql import EPOCH, OrderSummary, SummaryWindow

__all__ = ["Analysis", "analyse", "analysis_subset", "rescore", "ScoringParameters", "day_number", "STAGES",
           "MIN_CUSTOMERS_TO_FIT"]

# Stage texts are stored in English on the run and translated when shown
# (``gettext(run.stage)``): they are msgids.
STAGES = {
    "queued": gettext_noop("Waiting for a worker"),
    "summary": gettext_noop("Summarising the orders in the database"),
    "segments": gettext_noop("RFM, ABC and Pareto"),
    "model": gettext_noop("Fitting the purchase and spend models"),
    "scoring": gettext_noop("Scoring customers: lifetime value, rhythm and churn risk"),
    "storing": gettext_noop("Storing the scores"),
    "done": gettext_noop("Finished"),
    "failed": gettext_noop("Failed"),
}
MIN_CUSTOMERS_TO_FIT = 10
CHURN_MIN_CONTRIBUTION = 0.05
FREQUENCY_BUCKETS = 7  # 0..6 and "7+"
MAX_TRACKING_POINTS = 400


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days


def _days_to_dates(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[D]")


@dataclass
class Analysis:
    """Per-customer arrays (aligned with ``customer_id``) and company-wide results."""

    customer_id: np.ndarray
    columns: dict = field(default_factory=dict)  # CustomerScore field name -> array
    # signal -> (contribution to the churn risk, the signal's value), NaN where unavailable
    churn_signals: dict = field(default_factory=dict)
    results: dict = field(default_factory=dict)

    def churn_reasons_json(self) -> np.ndarray:
        """``CustomerScore.churn_reasons`` of every customer as JSON text."""
        contributions = {k: c for k, (c, _v) in self.churn_signals.items()}
        values = {k: v for k, (_c, v) in self.churn_signals.items()}
        return _json_reasons(contributions, values, len(self.customer_id))


def analysis_subset(analysis: Analysis, keep: np.ndarray) -> Analysis:
    """The same analysis with only the customers where ``keep`` (a boolean
    array aligned with ``customer_id``); the company-wide results stay."""
    def cut(a):
        return None if a is None else np.asarray(a)[keep]

    return Analysis(customer_id=analysis.customer_id[keep],
                    columns={k: cut(v) for k, v in analysis.columns.items()},
                    churn_signals={k: (cut(c), cut(v)) for k, (c, v) in analysis.churn_signals.items()},
                    results=analysis.results)


class _Timer:
    def __init__(self):
        self.timings: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self._t, 4)
        self._t = now


def _finite(value):
    """JSON-safe: NaN/inf become None, NumPy scalars plain Python."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_finite(v) for v in value.tolist()]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    return value


def _percentile_rank(values: np.ndarray) -> np.ndarray:
    """Share of customers with a strictly smaller value (0 for the smallest, < 1 for the largest)."""
    n = len(values)
    if n == 0:
        return np.empty(0)
    return np.searchsorted(np.sort(values), values, side="left") / n


def _safe_div(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(b != 0, a / np.where(b != 0, b, 1.0), np.nan)


class _Fit:
    """A fitted purchase model with the pieces scoring needs."""

    def __init__(self, name, estimator):
        self.name = name
        self.est = estimator

    @property
    def params(self) -> np.ndarray:
        return self.est.param_array_

    def p_alive(self, x, t_x, T):
        return self.est.probability_alive(x, t_x, T)

    def expected(self, t, x, t_x, T):
        return self.est.conditional_expected_purchases(t, x, t_x, T)

    def expected_if_alive(self, t, x, T):
        """Expected purchases in (T, T+t] of a customer still alive: depends on (x, T) only."""
        if self.name == "bgnbd":
            return bgnbd_expected_purchases_if_alive(t, x, T, self.params)
        return pareto_nbd_expected_purchases_if_alive(t, x, T, self.params)

    def expected_new(self, t):
        if self.name == "bgnbd":
            return bgnbd_expected_purchases(t, self.params)
        return pareto_nbd_expected_purchases(t, self.params)

    def describe(self) -> dict:
        e = self.est
        return {
            "name": self.name, "params": dict(e.params_), "log_likelihood": e.log_likelihood_,
            "customers": e.n_customers_, "rows": e.n_rows_, "converged": e.converged_,
            "iterations": e.n_iter_, "evaluations": getattr(e, "n_evaluations_", None),
        }


def _fit_model(name: str, x, t_x, T) -> _Fit:
    est = BGNBD() if name == "bgnbd" else ParetoNBD()
    return _Fit(name, est.fit(x, t_x, T))


@dataclass(frozen=True)
class ScoringParameters:
    """What a run fitted or measured on all its customers and what scoring one
    customer needs besides that customer's summary: the purchase and spend
    models' parameters, the RFM quintile breakpoints and thresholds, and the
    typical gap between purchase days (the churn overdue signal of one-time
    buyers). Stored with the run (``results["scoring"]``); per-order rescoring
    (kehu/insights/rescoring.py) scores with them, and :func:`analyse` given
    them (``pinned``) scores every customer with them instead of fitting."""

    model: str
    params: tuple | None            # purchase model (BG/NBD r, alpha, a, b or Pareto/NBD r, alpha, s, beta)
    gamma_gamma: tuple | None       # (p, q, gamma)
    rfm_breakpoints: tuple          # (r, f, m), each four values (kehu.analytics.rfm.quintile_breakpoints)
    rfm_thresholds: tuple
    typical_gap: float | None       # days

    def as_json(self) -> dict:
        return _finite({"model": self.model, "params": self.params, "gamma_gamma": self.gamma_gamma,
                        "rfm_breakpoints": [list(map(float, b)) for b in self.rfm_breakpoints],
                        "rfm_thresholds": list(map(float, self.rfm_thresholds)), "typical_gap": self.typical_gap})

    @classmethod
    def from_json(cls, d: dict) -> "ScoringParameters":
        return cls(model=d["model"], params=None if d.get("params") is None else tuple(d["params"]),
                   gamma_gamma=None if d.get("gamma_gamma") is None else tuple(d["gamma_gamma"]),
                   rfm_breakpoints=tuple(tuple(b) for b in d["rfm_breakpoints"]),
                   rfm_thresholds=tuple(d["rfm_thresholds"]), typical_gap=d.get("typical_gap"))

    def purchase_fit(self) -> "_Fit | None":
        if self.params is None:
            return None
        est = BGNBD() if self.model == "bgnbd" else ParetoNBD()
        names = BGNBD_PARAMS if self.model == "bgnbd" else PARETO_PARAMS
        est.params_ = dict(zip(names, map(float, self.params)))
        est.log_likelihood_, est.n_customers_, est.n_rows_ = None, 0, 0
        est.converged_, est.n_iter_, est.n_evaluations_ = True, 0, 0
        return _Fit(self.model, est)

    def spend_fit(self) -> GammaGamma | None:
        if self.gamma_gamma is None:
            return None
        gg = GammaGamma()
        gg.params_ = dict(zip(GG_PARAMS, map(float, self.gamma_gamma)))
        gg.log_likelihood_, gg.n_customers_, gg.spend_frequency_corr_, gg.converged_ = None, 0, 0.0, True
        return gg


def _unique_rows(*columns):
    """Distinct rows of the columns and the inverse index, so per-row formulas run once per
    distinct row. Each column is coded by ``np.unique``, the codes combined into one int64
    key (``np.unique(axis=0)`` sorts rows as structured values and is many times slower)."""
    key = np.zeros(len(columns[0]), np.int64)
    uniques = []
    for c in columns:
        u, code = np.unique(c, return_inverse=True)
        uniques.append(u)
        key = key * len(u) + code.ravel()
    ukey, inv = np.unique(key, return_inverse=True)
    out = []
    for u in reversed(uniques):
        out.append(u[ukey % len(u)])
        ukey = ukey // len(u)
    return (*out[::-1], inv.ravel())


def _discounted_purchases(fit: _Fit, x, t_x, T, *, months: int, monthly_rate: float, units_per_month: float):
    """(P(alive), E[purchases over the horizon], sum_k (E_k - E_{k-1}) / (1+d)^k) per customer.

    E[Y(t) | x, t_x, T] = E[Y(t) | x, T, alive] x P(alive | x, t_x, T) for both models, so the
    expensive part (a hypergeometric function for BG/NBD) is evaluated once per distinct
    (x, T) pair and month — far fewer than the distinct (x, t_x, T) rows — and P(alive) once
    per distinct row.
    """
    ux, ut, uT, inv = _unique_rows(x, t_x, T)
    pa = fit.p_alive(ux, ut, uT)
    px, pT, pinv = _unique_rows(x, T)
    disc = np.zeros(len(px))
    prev = np.zeros(len(px))
    cum = prev
    for k in range(1, months + 1):
        cum = fit.expected_if_alive(k * units_per_month, px, pT)
        disc += (cum - prev) / (1 + monthly_rate) ** k
        prev = cum
    p = pa[inv]
    return p, cum[pinv] * p, disc[pinv] * p


def _json_reasons(contributions: dict, values: dict, n: int) -> np.ndarray:
    """The churn reasons of every customer as JSON text, largest contribution first.

    Built column-wise with NumPy string operations: one fragment per signal
    (``{"signal": "p_alive", "contribution": 0.31, "value": 0.22}``), then
    the fragments placed in each customer's order of contribution.
    """
    names = list(contributions)
    if not names:
        return np.full(n, "[]", dtype=object)
    C = np.stack([np.nan_to_num(contributions[k], nan=-1.0) for k in names], axis=1)
    frags = []
    for k in names:
        c = np.round(np.nan_to_num(contributions[k], nan=0.0), 3).astype(str).astype(object)
        v = values.get(k)
        vtxt = (np.where(np.isfinite(v), np.round(np.nan_to_num(v), 3).astype(str), "null").astype(object)
                if v is not None else np.full(n, "null", dtype=object))
        frags.append('{"signal": "' + k + '", "contribution": ' + c + ', "value": ' + vtxt + "}")
    F = np.stack(frags, axis=1)
    order = np.argsort(-C, axis=1, kind="stable")
    Cs = np.take_along_axis(C, order, axis=1)
    Fs = np.take_along_axis(F, order, axis=1)
    keep = Cs >= CHURN_MIN_CONTRIBUTION
    out = np.full(n, "", dtype=object)
    for j in range(len(names)):
        sep = np.where(out == "", "", ", ").astype(object)
        out = np.where(keep[:, j], out + sep + Fs[:, j], out)
    return "[" + out + "]"


def _typical_gap(gap) -> float:
    known = np.isfinite(gap) & (gap > 0)
    return float(np.median(gap[known])) if known.any() else np.nan


def _churn(fit: _Fit | None, *, x, t_x, T, gap, since_last, cur, prev, satisfaction, complaints, cfg,
           p_alive=None, typical=None):
    """Churn risk and its inputs; ``p_alive`` given or computed from ``fit``.

    The overdue signal compares the time since the last purchase with the
    customer's own mean gap; a customer with one purchase day has no rhythm
    of their own yet and is compared with the typical customer's (the median
    of the customers' gaps) — otherwise one-time buyers who never came back,
    to whom BG/NBD gives P(alive) = 1, would never be warned about.
    """
    ch = cfg["churn"]
    if p_alive is None and fit is not None:
        p_alive = fit.p_alive(x, t_x, T)
    known = np.isfinite(gap) & (gap > 0)
    if typical is None:
        typical = _typical_gap(gap)
    overdue = _safe_div(since_last, np.where(known, gap, typical))
    drop = np.where(prev > 0, np.clip(_safe_div(prev - cur, prev), 0.0, 1.0), np.nan)
    risk = churn_risk(p_alive=p_alive, overdue_ratio=overdue, drop=drop, satisfaction=satisfaction,
                      open_complaints=complaints, weights=ch["weights"], full_overdue=ch["full_overdue"])
    values = {"p_alive": p_alive, "overdue": overdue, "drop": drop, "satisfaction": satisfaction,
              "complaints": complaints}
    return risk, values


def _holdout(fit: _Fit, *, xc, tc, Tc, hold_days, duration, first_days, tracking, split_day, hold_day,
             mult) -> dict:
    """Expected vs actual repeat purchases in the holdout, by calibration frequency, and the tracking series."""
    expected = fit.expected(duration, xc, tc, Tc) if duration > 0 else np.zeros(len(xc))
    bucket = np.minimum(xc, FREQUENCY_BUCKETS).astype(int)
    by_freq = []
    for b in range(FREQUENCY_BUCKETS + 1):
        m = bucket == b
        cnt = int(m.sum())
        by_freq.append({
            "frequency": str(b) if b < FREQUENCY_BUCKETS else f"{FREQUENCY_BUCKETS}+",
            "customers": cnt,
            "actual": float(hold_days[m].mean()) if cnt else None,
            "expected": float(expected[m].mean()) if cnt else None,
        })
    out = {
        "duration": duration,
        "customers": int(len(xc)),
        "actual_total": int(hold_days.sum()),
        "expected_total": float(expected.sum()),
        "by_frequency": by_freq,
    }
    # Tracking (when the series was read): repeat purchases per step (7 days, widened to at most
    # MAX_TRACKING_POINTS steps), actual (from TRACKING_SQL) and expected
    # (sum over first-purchase cohorts of n_c E[X(t - t_c)]).
    if len(first_days) and tracking is not None:
        start = int(first_days.min())
        span = hold_day - start
        step = max(7, int(math.ceil(span / MAX_TRACKING_POINTS)))
        ends = np.arange(start + step, hold_day + step, step)
        ends[-1] = min(ends[-1], hold_day)
        ends = np.unique(ends)
        cohorts, counts = np.unique(first_days, return_counts=True)
        age = (ends[None, :] - cohorts[:, None]) / mult
        cum_exp = (counts[:, None] * np.where(age > 0, fit.expected_new(np.maximum(age, 0.0)), 0.0)).sum(axis=0)
        t_days, t_counts = tracking
        csum = np.concatenate([[0], np.cumsum(t_counts)])
        cum_act = csum[np.searchsorted(t_days, ends, side="right")]
        out["tracking"] = {
            "step_days": step,
            "end": [str(d) for d in _days_to_dates(ends)],
            "actual": np.diff(np.concatenate([[0], cum_act])).astype(int).tolist(),
            "expected": np.diff(np.concatenate([[0.0], cum_exp])).round(3).tolist(),
            "actual_cumulative": cum_act.astype(int).tolist(),
            "expected_cumulative": cum_exp.round(3).tolist(),
            "calibration_end": str(_days_to_dates(np.array([split_day]))[0]),
        }
    return out


def _inputs(s: OrderSummary, *, as_day, mult: float, cfg: dict) -> dict:
    """Step 1: the models' per-customer inputs from the summary (lifetimes semantics)."""
    first, last = s.first_day, s.last_day
    x = (s.purchase_days - 1).astype(float)
    revenue = s.revenue / 100.0
    margin = revenue - s.cost / 100.0
    return {
        "x": x, "t_x": (last - first) / mult, "T": (as_day - first) / mult,
        "revenue": revenue, "margin": margin,
        "contribution": margin - cfg["abc"]["cost_per_order"] * s.orders,
        "outstanding": (s.revenue - s.paid) / 100.0,
        "monetary": np.where(x > 0, (s.revenue - s.first_amount) / 100.0 / np.maximum(x, 1), 0.0),
        "recency_days": (as_day - last).astype(float),
    }


def _rfm(s: OrderSummary, inp: dict, cfg: dict, pinned: "ScoringParameters | None") -> RFM:
    """Step 2: RFM scores and groups — among these customers, or against a run's (``pinned``)."""
    rc = cfg["rfm"]
    mon = inp["revenue"] / s.purchase_days if rc["monetary"] == "mean" else inp["revenue"]
    if pinned is not None:
        model = RFM(thresholds=pinned.rfm_thresholds, basis=rc["basis"], breakpoints=pinned.rfm_breakpoints)
    else:
        th = rc["thresholds"]
        model = RFM(thresholds=None if th is None else (th["r"], th["f"], th["m"]), basis=rc["basis"])
    return model.fit(inp["recency_days"], s.purchase_days.astype(float), mon)


def _clv(main_fit: "_Fit | None", gg, inp: dict, *, cfg: dict, time_unit: str):
    """Step 5: P(alive), expected purchases over the horizon, expected spend and CLV (None without a fit)."""
    cc = cfg["clv"]
    months = int(cc["horizon_months"])
    monthly = (1 + cc["annual_discount_rate"]) ** (1 / 12) - 1
    p_alive = expected_purchases = expected_spend = clv = None
    if main_fit is not None:
        p_alive, expected_purchases, disc = _discounted_purchases(
            main_fit, inp["x"], inp["t_x"], inp["T"], months=months, monthly_rate=monthly,
            units_per_month=UNITS_PER_MONTH[time_unit])
        if gg is not None:
            expected_spend = gg.conditional_expected_spend(inp["x"], inp["monetary"])
            clv = expected_spend * disc
    return p_alive, expected_purchases, expected_spend, clv


def _rhythm(s: OrderSummary, as_day):
    """Step 6: mean gap between purchase days, the expected next order (day number), days since the last."""
    first, last = s.first_day, s.last_day
    gap = np.where(s.purchase_days > 1, (last - first) / np.maximum(s.purchase_days - 1, 1), np.nan)
    next_order = np.where(np.isfinite(gap), last + np.round(np.nan_to_num(gap)), np.nan)
    return gap, next_order, (as_day - last).astype(float)


def analyse(s: OrderSummary, *, window: SummaryWindow, explicit_split: bool, time_unit: str, model: str,
            cfg: dict, tracking=None, attitude=None, satisfaction=None, complaints=None,
            progress=None, pinned: ScoringParameters | None = None) -> Analysis:
    """Score every customer of the summary and gather the company-wide results.

    ``window.split`` is the calibration end when ``explicit_split``, else the
    backtest date. ``attitude``, ``satisfaction``, ``complaints``: arrays
    aligned with ``s.customer_id`` (NaN unknown) or None. ``progress(pct, stage)``
    is called between steps (percentages 35–85). ``pinned``: score with
    these parameters (a run's) instead of fitting the models, RFM and typical
    gap on these customers — what per-order rescoring is compared with.
    """
    timer = _Timer()
    warnings: list[str] = []
    n = len(s)
    if n == 0:
        raise ValueError("no customers")
    report = progress or (lambda pct, stage: None)
    mult = 7.0 if time_unit == "week" else 1.0
    as_day, split_day, hold_day = (day_number(d) for d in (window.as_of, window.split, window.holdout_end))

    # 1. model inputs (all history to as-of)
    first, last = s.first_day, s.last_day
    inp = _inputs(s, as_day=as_day, mult=mult, cfg=cfg)
    x, t_x, T = inp["x"], inp["t_x"], inp["T"]
    revenue, margin, contribution = inp["revenue"], inp["margin"], inp["contribution"]
    outstanding, monetary, recency_days = inp["outstanding"], inp["monetary"], inp["recency_days"]
    timer.lap("inputs")

    # 2. RFM
    rc = cfg["rfm"]
    rfm = _rfm(s, inp, cfg, pinned)
    timer.lap("rfm")

    # 3. ABC / Pareto
    ac = cfg["abc"]
    basis_values = {"revenue": revenue, "margin": margin, "contribution": contribution}[ac["basis"]]
    abc_class = np.full(n, "", dtype=object)
    pareto = None
    if basis_values.sum() > 0:
        abc = ABC(a=ac["a"], b=ac["b"]).fit(basis_values)
        abc_class = abc.classes_.astype(object)
        curve = abc.curve_
        pts = np.linspace(0, 1, 101)
        idx = np.clip(np.ceil(pts[1:] * n).astype(int) - 1, 0, n - 1)
        pareto = {
            "basis": ac["basis"], "a": ac["a"], "b": ac["b"],
            "top_fraction": 0.2, "top_share": abc.top20_share_,
            "share_for_80": share_for_value(basis_values, 0.8),
            "gini": abc.gini_, "counts": abc.counts_, "value_shares": abc.value_shares_,
            "curve": {"customer_share": pts.round(2).tolist(),
                      "value_share": [0.0] + curve.value_share[idx].round(4).tolist()},
        }
    else:
        warnings.append(gettext_noop("The total to rank customers by is not positive: no ABC classes."))
    value_pct = _percentile_rank(basis_values)
    timer.lap("abc")
    report(45, STAGES["model"])

    # 4. purchase and spend models
    in_cal = first <= split_day
    xc = (s.cal_days - 1).astype(float)
    tc = np.where(in_cal, (s.cal_last_day - first) / mult, 0.0)
    Tc = (split_day - first) / mult
    mc = np.where(xc > 0, (s.cal_amount - s.first_amount) / 100.0 / np.maximum(xc, 1), 0.0)
    cal_fit_mask = in_cal & (Tc > 0)
    all_fit_mask = T > 0

    def fit_on(mask, fx, ft, fT):
        if mask.sum() < MIN_CUSTOMERS_TO_FIT or (fx[mask] > 0).sum() < 3:
            return None
        try:
            return _fit_model(model, fx[mask], ft[mask], fT[mask])
        except (ValueError, FloatingPointError, np.linalg.LinAlgError):
            return None

    if pinned is not None:   # scored with a run's parameters (the rescoring's reference), not fitted
        main_fit = pinned.purchase_fit()
        split_fit = fit_on(cal_fit_mask, xc, tc, Tc)
        gg_x, gg_m = x[all_fit_mask], monetary[all_fit_mask]
    elif explicit_split:
        main_fit = fit_on(cal_fit_mask, xc, tc, Tc)
        split_fit = main_fit
        gg_x, gg_m = xc[cal_fit_mask], mc[cal_fit_mask]
    else:
        main_fit = fit_on(all_fit_mask, x, t_x, T)
        timer.lap("fit")
        # the second fit, as of the backtest date, for the churn backtest and the holdout diagnostics
        split_fit = fit_on(cal_fit_mask, xc, tc, Tc)
        gg_x, gg_m = x[all_fit_mask], monetary[all_fit_mask]
        timer.lap("fit_backtest")
    timer.lap("fit")
    gg = None
    try:
        gg = pinned.spend_fit() if pinned is not None else GammaGamma().fit(gg_x, gg_m)
        if gg is None:
            raise ValueError("no spend model")
    except ValueError:
        warnings.append(gettext_noop("Too few repeat customers to model spend: no predicted lifetime value."))
    timer.lap("fit_gamma_gamma")
    if main_fit is None:
        warnings.append(gettext_noop("Too few customers with repeat purchases to fit the purchase model: "
                                     "no P(alive) and no predicted lifetime value."))
    report(60, STAGES["scoring"])

    # 5. CLV
    cc = cfg["clv"]
    months = int(cc["horizon_months"])
    p_alive, expected_purchases, expected_spend, clv = _clv(main_fit, gg, inp, cfg=cfg, time_unit=time_unit)
    timer.lap("clv")

    # 6. rhythm
    gap, next_order, since_last = _rhythm(s, as_day)
    typical = pinned.typical_gap if pinned is not None else _typical_gap(gap)
    typical = np.nan if typical is None else typical
    timer.lap("rhythm")

    # 7. churn, revenue at risk, backtest
    ch = cfg["churn"]
    risk, values = _churn(None, x=x, t_x=t_x, T=T, gap=gap, since_last=since_last,
                          cur=s.rev_cur / 100.0, prev=s.rev_prev / 100.0, satisfaction=satisfaction,
                          complaints=complaints, cfg=cfg, p_alive=p_alive, typical=typical)
    churn_signals = {k: (risk.contributions[k], np.asarray(values[k], float)) for k in risk.contributions}
    rev_recent = s.rev_recent / 100.0
    at_risk = np.nan_to_num(risk.score) * rev_recent
    flagged = risk.score >= ch["threshold"]
    churn_results = {
        "threshold": ch["threshold"], "signals_used": list(risk.signals_used),
        "flagged": int(flagged.sum()), "revenue_at_risk": float(at_risk.sum()),
        "revenue_at_risk_flagged": float(at_risk[flagged].sum()),
        "revenue_days": ch["revenue_days"], "backtest": None,
    }
    bt_mask = cal_fit_mask
    if split_fit is not None and bt_mask.sum() >= MIN_CUSTOMERS_TO_FIT and split_day < as_day:
        gap_c = np.where(s.cal_days > 1, (s.cal_last_day - first) / np.maximum(s.cal_days - 1, 1), np.nan)
        m = bt_mask
        bt_risk, _ = _churn(split_fit, x=xc[m], t_x=tc[m], T=Tc[m], gap=gap_c[m],
                            since_last=(split_day - s.cal_last_day[m]).astype(float),
                            cur=s.rev_cur_split[m] / 100.0, prev=s.rev_prev_split[m] / 100.0,
                            satisfaction=None, complaints=None, cfg=cfg)
        bt = backtest(bt_risk.score, s.next_days[m] > 0, threshold=ch["threshold"])
        next_end = min(window.split + dt.timedelta(days=ch["period_days"]), window.as_of)
        bt.update({"as_of": window.split.isoformat(), "period_end": next_end.isoformat(),
                   "signals_used": list(bt_risk.signals_used)})
        churn_results["backtest"] = bt
    else:
        warnings.append(gettext_noop("Not enough history before the backtest date: no churn backtest."))
    timer.lap("churn")

    # holdout diagnostics
    holdout = None
    if split_fit is not None and split_day < hold_day:
        m = cal_fit_mask
        holdout = _holdout(
            split_fit, xc=xc[m], tc=tc[m], Tc=Tc[m], hold_days=s.hold_days[m].astype(float),
            duration=(hold_day - split_day) / mult, first_days=first[m],
            tracking=tracking,
            split_day=split_day, hold_day=hold_day, mult=mult)
        holdout.update({"calibration_end": window.split.isoformat(), "holdout_end": window.holdout_end.isoformat(),
                        "explicit": explicit_split})
        if not explicit_split:
            holdout["model"] = split_fit.describe()
    timer.lap("holdout")

    # 8. scorecard and tiers
    metrics = {
        "revenue": revenue, "margin": margin, "contribution": contribution, "value_pct": value_pct,
        "margin_rate": _safe_div(margin, revenue), "collection_rate": _safe_div(s.due_paid, s.due_amount),
        "outstanding": outstanding, "purchase_days": s.purchase_days.astype(float), "recency_days": recency_days,
        "clv": clv if clv is not None else np.full(n, np.nan),
        "p_alive": p_alive if p_alive is not None else np.full(n, np.nan),
        "churn_risk": risk.score,
    }
    comps = tuple(
        ScoreComponent(c["name"], c["metric"], c["points"], c["kind"], low=c.get("low", 0.0),
                       high=c.get("high", 1.0), bands=tuple(tuple(b) for b in c.get("bands", ())))
        for c in cfg["scorecard"]["components"])
    card = Scorecard(comps).fit(metrics) if comps else None
    metrics["scorecard"] = card.total_ if card is not None else np.full(n, np.nan)
    tc_cfg = cfg["tiers"]
    rules = tuple(TierRule(r["tier"], tuple((c["metric"], c["op"], c["value"]) for c in r["conditions"]))
                  for r in tc_cfg["rules"])
    tiers = ValueTiers(rules=rules, default_tier=tc_cfg["default_tier"]).fit(metrics)
    timer.lap("tiers")

    # 9. loyalty
    db, db_th, db_counts = dick_basu(attitude, s.purchase_days.astype(float))
    duration_days = (last - first).astype(float)
    rk, rk_th, rk_counts = reinartz_kumar(contribution, duration_days)
    timer.lap("loyalty")

    def money(a):
        return None if a is None else np.round(np.asarray(a, float), 2)

    columns = {
        "first_order": _days_to_dates(first), "last_order": _days_to_dates(last),
        "orders": s.orders, "purchase_days": s.purchase_days,
        "revenue": money(revenue), "gross_margin": money(margin), "outstanding": money(outstanding),
        "frequency": x, "recency": t_x, "T": T, "monetary": money(monetary),
        "recency_days": recency_days.astype(np.int64),
        "r_score": rfm.r_score_, "f_score": rfm.f_score_, "m_score": rfm.m_score_,
        "rfm_group": rfm.groups_,
        "abc_class": abc_class, "tier": tiers.tiers_,
        "scorecard": card.total_ if card is not None else None,
        "scorecard_rank": card.rank_ if card is not None else None,
        "p_alive": p_alive, "expected_purchases": expected_purchases,
        "expected_spend": money(expected_spend), "clv": money(clv),
        "historical_clv": money(revenue),
        "rhythm_days": gap, "next_order_date": next_order,
        "churn_risk": risk.score, "revenue_at_risk": money(at_risk),
        "attitude": attitude, "dick_basu": db, "reinartz_kumar": rk,
    }

    results = {
        "time_unit": time_unit, "model_name": model,
        "split": {"date": window.split.isoformat(), "explicit": explicit_split,
                  "holdout_end": window.holdout_end.isoformat()},
        "counts": {
            "customers": n, "repeat_customers": int((x > 0).sum()), "orders": int(s.orders.sum()),
            "purchase_days": int(s.purchase_days.sum()),
            "calibration_customers": int(cal_fit_mask.sum()),
        },
        "totals": {"revenue": float(revenue.sum()), "gross_margin": float(margin.sum()),
                   "contribution": float(contribution.sum()), "outstanding": float(outstanding.sum())},
        "model": None if main_fit is None else {**main_fit.describe(),
                                                 "fitted_on": "calibration" if explicit_split else "all"},
        "gamma_gamma": None if gg is None else {
            "params": dict(gg.params_), "log_likelihood": gg.log_likelihood_, "customers": gg.n_customers_,
            "spend_frequency_corr": gg.spend_frequency_corr_, "converged": gg.converged_,
            "population_mean_spend": float(gg.population_mean_spend())},
        "clv": {"horizon_months": months, "annual_discount_rate": cc["annual_discount_rate"],
                "total": float(np.nansum(clv)) if clv is not None else None,
                "mean": float(np.nanmean(clv)) if clv is not None else None,
                "historical_total": float(revenue.sum()),
                "expected_purchases_total": float(np.sum(expected_purchases)) if expected_purchases is not None
                else None},
        "holdout": holdout,
        "churn": churn_results,
        "pareto": pareto,
        "rfm": {"thresholds": rfm.thresholds_.tolist(), "basis": rc["basis"], "counts": rfm.group_counts_,
                "groups": list(RFM_GROUPS)},
        "tiers": {"counts": tiers.counts_},
        "scorecard": None if card is None else {"max_total": card.max_total_, "mean": float(card.total_.mean()),
                                                "components": [c.name for c in comps]},
        "dick_basu": {"counts": db_counts, "thresholds": list(db_th), "attitude_known": int(
            np.isfinite(attitude).sum()) if attitude is not None else 0},
        "reinartz_kumar": {"counts": rk_counts, "thresholds": {"contribution": rk_th[0], "duration_days": rk_th[1]}},
        "rhythm": {"customers_with_rhythm": int(np.isfinite(gap).sum()),
                   "median_gap_days": float(np.nanmedian(gap)) if np.isfinite(gap).any() else None,
                   "overdue": int((since_last > np.nan_to_num(gap, nan=np.inf)).sum())},
        "warnings": warnings,
        "scoring": ScoringParameters(
            model=model, params=None if main_fit is None else tuple(main_fit.params.tolist()),
            gamma_gamma=None if gg is None else tuple(gg.param_array_.tolist()),
            rfm_breakpoints=rfm.breakpoints_, rfm_thresholds=tuple(rfm.thresholds_.tolist()),
            typical_gap=None if not np.isfinite(typical) else float(typical)).as_json(),
    }
    timer.lap("results")
    results["timings"] = timer.timings
    return Analysis(customer_id=s.customer_id, columns=columns, churn_signals=churn_signals,
                    results=_finite(results))


# The score columns per-order rescoring recomputes; the others (ABC class, tier, scorecard,
# loyalty) rank a customer among all customers and change with the nightly run only.
RESCORED_COLUMNS = (
    "first_order", "last_order", "orders", "purchase_days", "revenue", "gross_margin", "outstanding",
    "frequency", "recency", "T", "monetary", "recency_days", "r_score", "f_score", "m_score", "rfm_group",
    "p_alive", "expected_purchases", "expected_spend", "clv", "historical_clv", "rhythm_days",
    "next_order_date", "churn_risk", "revenue_at_risk",
)


def rescore(s: OrderSummary, *, as_of: dt.date, time_unit: str, cfg: dict, pinned: ScoringParameters,
            satisfaction=None, complaints=None) -> Analysis:
    """Score the customers of ``s`` (typically one, just after an order) with a
    run's parameters: the same steps as :func:`analyse` (inputs, RFM, CLV,
    rhythm, churn) on these rows only. Returns an :class:`Analysis` with the
    :data:`RESCORED_COLUMNS` and the churn reasons."""
    if len(s) == 0:
        return Analysis(customer_id=s.customer_id)
    mult = 7.0 if time_unit == "week" else 1.0
    as_day = day_number(as_of)
    inp = _inputs(s, as_day=as_day, mult=mult, cfg=cfg)
    rfm = _rfm(s, inp, cfg, pinned)
    p_alive, expected_purchases, expected_spend, clv = _clv(
        pinned.purchase_fit(), pinned.spend_fit(), inp, cfg=cfg, time_unit=time_unit)
    gap, next_order, since_last = _rhythm(s, as_day)
    typical = np.nan if pinned.typical_gap is None else pinned.typical_gap
    risk, values = _churn(None, x=inp["x"], t_x=inp["t_x"], T=inp["T"], gap=gap, since_last=since_last,
                          cur=s.rev_cur / 100.0, prev=s.rev_prev / 100.0, satisfaction=satisfaction,
                          complaints=complaints, cfg=cfg, p_alive=p_alive, typical=typical)

    def money(a):
        return None if a is None else np.round(np.asarray(a, float), 2)

    columns = {
        "first_order": _days_to_dates(s.first_day), "last_order": _days_to_dates(s.last_day),
        "orders": s.orders, "purchase_days": s.purchase_days,
        "revenue": money(inp["revenue"]), "gross_margin": money(inp["margin"]),
        "outstanding": money(inp["outstanding"]),
        "frequency": inp["x"], "recency": inp["t_x"], "T": inp["T"], "monetary": money(inp["monetary"]),
        "recency_days": inp["recency_days"].astype(np.int64),
        "r_score": rfm.r_score_, "f_score": rfm.f_score_, "m_score": rfm.m_score_, "rfm_group": rfm.groups_,
        "p_alive": p_alive, "expected_purchases": expected_purchases,
        "expected_spend": money(expected_spend), "clv": money(clv), "historical_clv": money(inp["revenue"]),
        "rhythm_days": gap, "next_order_date": next_order, "churn_risk": risk.score,
        "revenue_at_risk": money(np.nan_to_num(risk.score) * (s.rev_recent / 100.0)),
    }
    churn_signals = {k: (risk.contributions[k], np.asarray(values[k], float)) for k in risk.contributions}
    return Analysis(customer_id=s.customer_id, columns=columns, churn_signals=churn_signals)
