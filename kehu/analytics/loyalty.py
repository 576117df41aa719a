"""Loyalty matrices.

Dick & Basu (1994), "Customer loyalty: toward an integrated conceptual
framework", JAMS 22(2): relative attitude (high/low) x repeat patronage
(high/low):

    attitude high, repeat high -> loyal        忠诚者
    attitude high, repeat low  -> latent       潜在忠诚者
    attitude low,  repeat high -> spurious     虚假忠诚者
    attitude low,  repeat low  -> not_loyal    不忠诚者

Attitude comes from survey answers; a customer without one (NaN, or no
attitude array at all) is "unknown": it is never imputed.

Reinartz & Kumar (2002), "The mismanagement of customer loyalty", HBR:
profitability x relationship duration:

    profitable, long   -> true_friend   (真朋友)
    profitable, short  -> butterfly     (蝴蝶)
    unprofitable, long -> barnacle      (藤壶)
    unprofitable, short-> stranger      (陌生人)

"High" means at or above the threshold; the default thresholds are the
medians of the known values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["DICK_BASU_NAMES_ZH", "REINARTZ_KUMAR_NAMES_ZH", "dick_basu", "reinartz_kumar"]

DICK_BASU_NAMES_ZH = {"loyal": "忠诚者", "latent": "潜在忠诚者", "spurious": "虚假忠诚者",
                      "not_loyal": "不忠诚者", "unknown": "未知"}
REINARTZ_KUMAR_NAMES_ZH = {"true_friend": "真朋友", "butterfly": "蝴蝶", "barnacle": "藤壶",
                           "stranger": "陌生人", "unknown": "未知"}


def _split(values, threshold):
    v = np.asarray(values, float)
    known = ~np.isnan(v)
    if threshold is None:
        threshold = float(np.median(v[known])) if known.any() else np.nan
    with np.errstate(invalid="ignore"):
        high = v >= threshold
    return high, known, float(threshold)


def _matrix(a_high, b_high, known, names):
    idx = 2 * (~a_high) + (~b_high)
    out = np.asarray(names, dtype=object)[idx]
    out[~known] = "unknown"
    counts = {k: int((out == k).sum()) for k in tuple(names) + ("unknown",)}
    return out, counts


def dick_basu(attitude, repeat, *, attitude_threshold=None, repeat_threshold=None):
    """Dick & Basu segment per customer; returns (segments, thresholds, counts).

    ``attitude`` may be None (no survey data): everyone is "unknown".
    """
    rep = np.asarray(repeat, float)
    if attitude is None:
        attitude = np.full(rep.shape, np.nan)
    att_high, att_known, at = _split(attitude, attitude_threshold)
    rep_high, rep_known, rt = _split(rep, repeat_threshold)
    seg, counts = _matrix(att_high, rep_high, att_known & rep_known,
                          ("loyal", "latent", "spurious", "not_loyal"))
    return seg, (at, rt), counts


def reinartz_kumar(profit, duration, *, profit_threshold=None, duration_threshold=None):
    """Reinartz & Kumar segment per customer; returns (segments, thresholds, counts)."""
    p_high, p_known, pt = _split(profit, profit_threshold)
    d_high, d_known, dt = _split(duration, duration_threshold)
    seg, counts = _matrix(p_high, d_high, p_known & d_known,
                          ("true_friend", "butterfly", "barnacle", "stranger"))
    return seg, (pt, dt), counts
