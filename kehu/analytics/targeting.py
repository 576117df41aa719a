"""Retention targeting by expected gain: whom to contact, and how many.

A retention contact is worth making when the value it is expected to keep
exceeds its cost. For customer i with predicted lifetime value v_i (the value
they bring if kept, e.g. :mod:`kehu.analytics.clv`), churn risk r_i (the
probability of leaving in the campaign's horizon, e.g. from
:mod:`kehu.analytics.churn`) and uplift u_i (the share of would-be leavers a
contact keeps):

    g_i = v_i · r_i · u_i                         (expected incremental value)

**The uplift, measured.** Earlier retention campaigns with a control group
measured how many customers left in each group: a_j of n_j treated and
b_j of m_j held out in campaign j. Their retention rate difference
Δr = churn_c − churn_t is an *absolute* figure on that campaign's audience; to
apply it to a customer of risk r_i it is put on the relative scale, the share
of would-be leavers kept, u = Δr / churn_c = 1 − churn_t / churn_c = 1 − RR.
Over several campaigns the risk ratio is the Mantel–Haenszel estimate
(Mantel & Haenszel 1959, JNCI 22:719–748; Rothman, Greenland & Lash,
*Modern Epidemiology*, 3rd ed., eq. 15-12)

    RR_MH = Σ a_j m_j / N_j  ÷  Σ b_j n_j / N_j,          N_j = n_j + m_j

with the Greenland–Robins variance (Greenland & Robins 1985, Biometrics
41:55–68)

    Var ln RR_MH = Σ (n_j m_j (a_j + b_j) − a_j b_j N_j) / N_j²
                   ÷ [(Σ a_j m_j / N_j)(Σ b_j n_j / N_j)]

(for one campaign Katz's 1/a − 1/n + 1/b − 1/m), and u = 1 − RR_MH with the
interval 1 − exp(ln RR_MH ± z·SE). A negative u (the contact drove customers
away) is kept as measured: every gain is then negative and the best N is 0.

**The prior.** Until some campaign's control groups have seen at least
``min_control_churners`` (default 10, a count whose relative standard error is
about 1/√10 ≈ 32%) customers leave, the uplift is the stated prior
:data:`DEFAULT_PRIOR_UPLIFT` = 0.10 — an assumption, not a measurement: a
contact keeps one in ten of the customers who would otherwise leave. It is
deliberately modest: Ascarza (2018, "Retention futility: targeting high-risk
customers might be ineffective", Journal of Marketing Research 55(1):80–98)
found in two field experiments that the customers at the highest risk are not
necessarily the ones a retention offer keeps. The result always says which
(``source`` "measured" or "prior", and ``reason`` why the prior: no campaign
with a control group, too few control churners, or no treated customer left
— a risk ratio of 0 has no interval on the log scale and "every leaver kept"
is not a figure to plan with). g_i = v_i r_i u assumes the contact keeps
the same share of leavers at every risk level — the assumption Ascarza
questions; an uplift per customer (measured per segment) relaxes it.

**How many.** Ranked by g (largest first; equal gains by customer id, else by
input order), targeting the top N has expected incremental value, cost and
net value

    V(N) = Σ_{k ≤ N} g_(k),   C(N) = F·[N > 0] + c·N,   net(N) = V(N) − C(N)

with c the cost per contact (message plus the expected cost of the offer) and
F a fixed campaign cost. The best N is the smallest N maximising net(N) over
0 ≤ N ≤ the number of customers with a known gain (and ≤ ``max_contacts``,
≤ (budget − F)/c). Without F it is the number of customers whose gain exceeds
c. Customers without a CLV or a risk (NaN) get no gain and are never chosen.
A control group held out of the chosen N (share s) scales the campaign's
realised value and contact cost by 1 − s and does not move the best N when
F = 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = [
    "DEFAULT_PRIOR_UPLIFT",
    "UpliftEstimate",
    "measured_uplift",
    "expected_gain",
    "TargetingCurve",
    "target_by_expected_gain",
]

DEFAULT_PRIOR_UPLIFT = 0.10
NAN = float("nan")


@dataclass(frozen=True)
class UpliftEstimate:
    value: float  # u, the share of would-be leavers a contact keeps
    source: str  # "measured" or "prior"
    reason: str  # why the prior was used ("" when measured)
    ci_low: float  # NaN for the prior
    ci_high: float
    risk_ratio: float  # RR_MH = churn_t / churn_c (NaN when not measurable)
    retention_difference: float  # Δr = churn_c − churn_t over all campaigns pooled (treated-weighted)
    campaigns: int
    n_treated: int
    n_control: int
    churned_treated: int
    churned_control: int
    level: float


def measured_uplift(churned_treated, n_treated, churned_control, n_control, *, level: float = 0.95,
                    prior: float = DEFAULT_PRIOR_UPLIFT, min_control_churners: int = 10) -> UpliftEstimate:
    """The uplift from earlier campaigns' control groups, or the prior (module docstring).

    Arguments are one number per earlier campaign (or scalars for one): customers
    who left in the treated group, its size, who left in the control group, its size.
    """
    a, n, b, m = (np.atleast_1d(np.asarray(x, float)).ravel() for x in
                  (churned_treated, n_treated, churned_control, n_control))
    if not a.size == n.size == b.size == m.size:
        raise ValueError("one figure per campaign in each argument")
    if (n < 0).any() or (m < 0).any() or (a < 0).any() or (b < 0).any() or (a > n).any() or (b > m).any():
        raise ValueError("need 0 <= churned <= group size")
    if not 0 < level < 1:
        raise ValueError("level must be in (0, 1)")
    if not math.isfinite(prior):
        raise ValueError("the prior uplift must be a number")
    ok = (n > 0) & (m > 0)  # campaigns without a control group measure nothing
    a, n, b, m = a[ok], n[ok], b[ok], m[ok]
    counts = dict(campaigns=int(ok.sum()), n_treated=int(n.sum()), n_control=int(m.sum()),
                  churned_treated=int(a.sum()), churned_control=int(b.sum()), level=level)

    def use_prior(reason, rr=NAN, diff=NAN):
        return UpliftEstimate(float(prior), "prior", reason, NAN, NAN, rr, diff, **counts)

    if a.size == 0:
        return use_prior("no_campaign")
    w = n / n.sum()
    diff = float(w @ (b / m - a / n))
    if b.sum() < min_control_churners:
        return use_prior("too_few_control_churners", diff=diff)
    big_n = n + m
    top, bottom = float((a * m / big_n).sum()), float((b * n / big_n).sum())
    if top == 0:  # nobody treated left: RR = 0, u = 1, and no interval on the log scale
        return use_prior("no_treated_churners", rr=0.0, diff=diff)
    rr = top / bottom
    var = float(((n * m * (a + b) - a * b * big_n) / big_n**2).sum()) / (top * bottom)
    half = float(stats.norm.ppf(0.5 + level / 2)) * math.sqrt(max(var, 0.0))
    u = 1 - rr
    return UpliftEstimate(u, "measured", "", 1 - rr * math.exp(half), 1 - rr * math.exp(-half), rr, diff,
                          **counts)


def expected_gain(clv, churn_risk, uplift) -> np.ndarray:
    """g_i = v_i · r_i · u_i (NaN where the CLV or the risk is unknown)."""
    v = np.asarray(clv, float).ravel()
    r = np.asarray(churn_risk, float).ravel()
    u = np.broadcast_to(np.asarray(uplift, float), v.shape) if np.ndim(uplift) == 0 else \
        np.asarray(uplift, float).ravel()
    if not v.shape == r.shape == u.shape:
        raise ValueError("clv, churn_risk and uplift need one value per customer (uplift may be one number)")
    known = r[np.isfinite(r)]
    if ((known < 0) | (known > 1)).any():
        raise ValueError("churn risk must be a probability in [0, 1]")
    if not np.isfinite(u).all():
        raise ValueError("uplift must be a number for every customer")
    if np.isinf(v).any():
        raise ValueError("lifetime value must be finite (NaN when unknown)")
    return v * r * u


@dataclass(frozen=True)
class TargetingCurve:
    gain: np.ndarray  # g_i per customer, input order (NaN when unknown)
    order: np.ndarray  # indices of the customers with a known gain, best first
    n: np.ndarray  # 0, 1, …, len(order)
    value: np.ndarray  # V(N), cumulative expected incremental value
    cost: np.ndarray  # C(N)
    net: np.ndarray  # V(N) − C(N)
    best_n: int
    best_value: float
    best_cost: float
    best_net: float
    selected: np.ndarray  # bool per customer, input order: the top best_n
    unknown: int  # customers without a gain (no CLV or risk)
    max_n: int  # the largest N allowed (customers, max_contacts, budget)
    cost_per_contact: float
    fixed_cost: float


def target_by_expected_gain(clv, churn_risk, uplift, cost_per_contact: float, *, fixed_cost: float = 0.0,
                            max_contacts: int | None = None, budget: float | None = None,
                            customer_ids=None) -> TargetingCurve:
    """Rank by expected gain and find the N maximising net value (module docstring)."""
    c, f = float(cost_per_contact), float(fixed_cost)
    if not (math.isfinite(c) and c >= 0 and math.isfinite(f) and f >= 0):
        raise ValueError("costs must be non-negative numbers")
    g = expected_gain(clv, churn_risk, uplift)
    known = np.flatnonzero(np.isfinite(g))
    if customer_ids is None:
        tie = known
    else:
        ids = np.asarray(customer_ids).ravel()
        if ids.size != g.size:
            raise ValueError("customer_ids need one id per customer")
        tie = ids[known]
    order = known[np.lexsort((tie, -g[known]))]
    m = order.size
    n = np.arange(m + 1)
    value = np.concatenate([[0.0], np.cumsum(g[order])])
    cost = c * n + np.where(n > 0, f, 0.0)
    net = value - cost
    max_n = m
    if max_contacts is not None:
        if max_contacts < 0:
            raise ValueError("max_contacts must be non-negative")
        max_n = min(max_n, int(max_contacts))
    if budget is not None:
        if budget < 0:
            raise ValueError("budget must be non-negative")
        if budget < f + c:
            affordable = 0
        elif c == 0:
            affordable = m
        else:
            affordable = int(math.floor((budget - f) / c + 1e-9))
        max_n = min(max_n, affordable)
    best = int(np.argmax(net[: max_n + 1]))  # the first maximum: the smallest best N
    selected = np.zeros(g.size, bool)
    selected[order[:best]] = True
    return TargetingCurve(g, order, n, value, cost, net, best, float(value[best]), float(cost[best]),
                          float(net[best]), selected, int(g.size - m), max_n, c, f)
