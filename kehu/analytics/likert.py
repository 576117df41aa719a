"""Answer scales of satisfaction surveys and the satisfaction rate.

* Five-level Likert items, scored the way the weighted-average CSI method
  scores them (DOMAIN.md §5):

      满意 very satisfied 100 · 较满意 satisfied 80 · 一般 neutral 60 ·
      较不满意 dissatisfied 40 · 不满意 very dissatisfied 20

  so level k = 1..5 (1 = very dissatisfied) scores 20·k.
* Numeric scales rescaled to 0–100 the ACSI way (Fornell et al. 1996, "The
  American Customer Satisfaction Index", J. Marketing 60(4):7–18):

      score = (x − min) / (max − min) × 100

  so 0–10 (NPS items) gives 10·x and 1–10 (ACSI items) gives (x − 1)/9·100.
* Satisfaction rate (顾客满意率) = satisfied respondents / respondents × 100,
  where a respondent is "satisfied" when the score is at or above ``cut``
  (default 80: the top two levels, 满意 and 较满意). Unanswered items (NaN)
  are not respondents.
"""

from __future__ import annotations

import math
import numpy as np

__all__ = [
    "LIKERT5",
    "LIKERT5_SCORES",
    "SATISFIED_CUT",
    "likert5_scores",
    "rescale",
    "rescale_0_10",
    "rescale_1_10",
    "satisfaction_rate",
]

# (level, zh-hans label, en label, score); level 5 is the most satisfied.
LIKERT5: tuple[tuple[int, str, str, float], ...] = (
    (5, "满意", "very satisfied", 100.0),
    (4, "较满意", "satisfied", 80.0),
    (3, "一般", "neutral", 60.0),
    (2, "较不满意", "dissatisfied", 40.0),
    (1, "不满意", "very dissatisfied", 20.0),
)

LIKERT5_SCORES: dict[str, float] = {}
for _level, _zh, _en, _score in LIKERT5:
    LIKERT5_SCORES[_zh] = _score
    LIKERT5_SCORES[_en] = _score

# Top two levels of the five-level scale.
SATISFIED_CUT = 80.0


def _score_one(answer) -> float:
    if answer is None:
        return math.nan
    if isinstance(answer, str):
        key = answer.strip()
        if key == "":
            return math.nan
        score = LIKERT5_SCORES.get(key, LIKERT5_SCORES.get(key.lower()))
        if score is None:
            raise ValueError(f"unknown five-level answer {answer!r}; expected one of {sorted(LIKERT5_SCORES)} or 1–5")
        return score
    x = float(answer)
    if math.isnan(x):
        return math.nan
    if x not in (1, 2, 3, 4, 5):
        raise ValueError(f"five-level answers are 1–5 (1 = very dissatisfied), got {answer!r}")
    return 20.0 * x


def likert5_scores(answers) -> np.ndarray:
    """Scores (20..100, NaN for no answer) of five-level answers.

    Accepts the zh-hans or English labels (case-insensitive) or the level
    1..5, in any nesting that ``numpy`` turns into an array; the output has
    the same shape. An unknown label raises ``ValueError`` naming it.
    """
    raw = np.asarray(answers)
    if raw.dtype.kind in "iuf":  # levels as numbers: vectorised
        a = raw.astype(float)
        ok = np.isnan(a) | np.isin(a, (1, 2, 3, 4, 5))
        if not ok.all():
            raise ValueError(f"five-level answers are 1–5 (1 = very dissatisfied), got {a[~ok][0]!r}")
        return 20.0 * a
    arr = np.asarray(answers, dtype=object)
    if arr.ndim == 0:
        return np.asarray(_score_one(arr.item()))
    out = np.empty(arr.shape, float)
    flat_out = out.reshape(-1)
    for i, a in enumerate(arr.reshape(-1)):
        flat_out[i] = _score_one(a)
    return out


def rescale(x, low: float, high: float) -> np.ndarray:
    """(x − low) / (high − low) × 100: a ``low``–``high`` answer on 0–100.

    NaN stays NaN; values outside [low, high] raise ``ValueError``.
    """
    if not high > low:
        raise ValueError("the scale needs high > low")
    a = np.asarray(x, float)
    finite = a[np.isfinite(a)]
    if finite.size and (finite.min() < low or finite.max() > high):
        raise ValueError(f"answers outside the {low:g}–{high:g} scale")
    return (a - low) / (high - low) * 100.0


def rescale_0_10(x) -> np.ndarray:
    """0–10 answers (NPS items) on 0–100: 10·x."""
    return rescale(x, 0, 10)


def rescale_1_10(x) -> np.ndarray:
    """1–10 answers (ACSI items) on 0–100: (x − 1)/9·100."""
    return rescale(x, 1, 10)


def satisfaction_rate(scores, cut: float = SATISFIED_CUT, axis: int | None = None):
    """Satisfied respondents / respondents × 100 (顾客满意率).

    ``scores`` are on 0–100 (use :func:`likert5_scores` or :func:`rescale`
    first); a respondent is satisfied when score >= ``cut`` (default 80, the
    top two of five levels); NaN answers are left out of both counts. With
    ``axis`` (e.g. 0 on a respondents × items matrix) one rate per item.
    Returns NaN where nobody answered.
    """
    a = np.asarray(scores, float)
    answered = np.isfinite(a)
    satisfied = answered & (np.where(answered, a, -np.inf) >= cut)
    n = answered.sum(axis=axis)
    k = satisfied.sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(n > 0, 100.0 * k / np.maximum(n, 1), np.nan)
    return float(rate) if np.ndim(rate) == 0 else rate

