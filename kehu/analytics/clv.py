"""Customer lifetime value: predicted (discounted) and historical.

Predicted CLV follows lifetimes' ``GammaGammaFitter.customer_lifetime_value``
(Fader, Hardie & Lee 2005, "RFM and CLV", with a discrete monthly discount):

    CLV_i = sum_{k=1}^{H} E[spend_i] * (E[Y_i(k u)] - E[Y_i((k-1) u)]) / (1 + d)^k

where H is the horizon in months, u the number of model time units per month
(4.345 weeks, 30 days, 1 month), d the monthly discount rate, E[Y_i(t)] the
transaction model's conditional expected purchases (BG/NBD eq. 10 or the
Pareto/NBD equivalent) and E[spend_i] the Gamma-Gamma conditional expected
average spend (or margin, when the model was fitted on margins).
"""

from __future__ import annotations

import numpy as np

__all__ = ["UNITS_PER_MONTH", "discounted_clv", "historical_clv"]

# lifetimes' factors: {"W": 4.345, "M": 1.0, "D": 30, "H": 30 * 24}
UNITS_PER_MONTH = {"week": 4.345, "W": 4.345, "day": 30.0, "D": 30.0, "month": 1.0, "M": 1.0}


def discounted_clv(transaction_model, expected_spend, frequency, recency, T, *,
                   months=12, discount_rate=0.01, time_unit="week"):
    """Discounted expected value of each customer over ``months`` months.

    ``transaction_model`` is a fitted BGNBD or ParetoNBD (anything with
    ``conditional_expected_purchases(t, x, t_x, T)``); ``expected_spend`` the
    per-customer expected value of one transaction (e.g.
    ``GammaGamma.conditional_expected_spend``).
    """
    if months < 1:
        raise ValueError("months must be >= 1")
    if discount_rate <= -1:
        raise ValueError("discount_rate must be > -1")
    factor = UNITS_PER_MONTH[time_unit] if isinstance(time_unit, str) else float(time_unit)
    x, t_x, T = (np.asarray(v, float) for v in (frequency, recency, T))
    spend = np.asarray(expected_spend, float)
    clv = np.zeros(np.broadcast(x, t_x, T, spend).shape)
    prev = np.zeros_like(clv)
    for k in range(1, int(months) + 1):  # a loop over months, vectorised over customers
        cum = transaction_model.conditional_expected_purchases(k * factor, x, t_x, T)
        clv += spend * (cum - prev) / (1 + discount_rate) ** k
        prev = cum
    return clv


def historical_clv(customer_ids, values, *, customers=None):
    """Value to date per customer: the sum of margin (or revenue) of their orders.

    Returns (customer ids sorted, totals); with ``customers`` given, totals are
    aligned to that array (0 for customers without orders).
    """
    ids = np.asarray(customer_ids)
    vals = np.asarray(values, float)
    uniq, inv = np.unique(ids, return_inverse=True)
    totals = np.bincount(inv.ravel(), weights=vals, minlength=len(uniq))
    if customers is None:
        return uniq, totals
    customers = np.asarray(customers)
    pos = np.searchsorted(uniq, customers)
    pos_c = np.minimum(pos, max(len(uniq) - 1, 0))
    found = (pos < len(uniq)) & (uniq[pos_c] == customers) if len(uniq) else np.zeros(len(customers), bool)
    return customers, np.where(found, totals[pos_c] if len(uniq) else 0.0, 0.0)
