"""The figures of one response, computed when it is submitted: the weighted
CSI of the respondent (0–100), their NPS answer and whether they count as
satisfied. Stored on :class:`~kehu.surveys.models.Response` for fast
aggregates and for closing the loop.

Index of one respondent (the weighted-average method, DOMAIN.md §5): every
scored answer is put on 0–100 (:func:`kehu.surveys.definitions.question_score`,
reverse-scored items turned round), a leaf indicator scores the mean of the
questions measuring it, and the root of the indicator tree is the weighted
mean of its children, recursively, the weights re-normalised over the
children answered — exactly :func:`kehu.analytics.csi.node_scores` on one
row, so a response's index and the wave's CSI agree. A survey without an
indicator tree (an NPS-only survey) scores the plain mean of its scored
answers. No scored answer: no index.

``satisfied``: index ≥ ``Survey.satisfied_from`` (default 80, 满意 and
较满意); ``nps``: the answer to the first NPS question.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from kehu.analytics.csi import Node, node_scores
from kehu.surveys.definitions import SCALES, question_score


@dataclass(frozen=True)
class ScoringPlan:
    """What scoring a survey's responses needs, computed once per survey:
    the CSI tree, its leaf codes and the scored questions of each leaf."""

    tree: Node | None
    leaves: tuple[str, ...]
    leaf_questions: dict  # leaf code -> tuple of (question code, kind, reverse)
    scored: tuple  # every scored question: (code, kind, reverse)
    nps_code: str | None
    likert_scores: dict | None
    satisfied_from: float


def scoring_plan(survey, questions=None) -> ScoringPlan:
    """The :class:`ScoringPlan` of ``survey`` (questions in order; read when not given)."""
    from kehu.surveys import selectors

    rows = list(questions if questions is not None else selectors.questions(survey))
    tree = selectors.csi_tree(survey)
    leaf_questions: dict[str, list] = {}
    indicator_codes = {}
    if tree is not None:
        indicator_codes = {i.pk: i.code for i in survey.indicators.all()}
    for q in rows:
        if q.kind in SCALES and q.indicator_id and q.indicator_id in indicator_codes:
            leaf_questions.setdefault(indicator_codes[q.indicator_id], []).append((q.code, q.kind, q.reverse))
    leaves: tuple[str, ...] = ()
    if tree is not None:
        leaves = tuple(n.name for n, _depth in tree.walk() if n.is_leaf)
        if not any(code in leaf_questions for code in leaves) or tree.is_leaf:
            tree = None  # nothing measured: fall back to the plain mean
    scored = tuple((q.code, q.kind, q.reverse) for q in rows if q.kind in SCALES)
    nps_code = next((q.code for q in rows if q.kind == "nps"), None)
    return ScoringPlan(tree=tree, leaves=leaves, leaf_questions={k: tuple(v) for k, v in leaf_questions.items()},
                       scored=scored, nps_code=nps_code, likert_scores=survey.likert_scores or None,
                       satisfied_from=float(survey.satisfied_from))


@dataclass(frozen=True)
class ResponseFigures:
    index: float | None
    nps: int | None
    satisfied: bool | None


def _score(kind, value, reverse, likert_scores) -> float | None:
    if value is None or isinstance(value, (list, str)):
        return None
    try:
        return question_score(kind, value, reverse=reverse, likert_scores=likert_scores)
    except ValueError:
        return None


def response_figures(plan: ScoringPlan, answers: Mapping[str, Any]) -> ResponseFigures:
    """Index, NPS answer and satisfied flag of one respondent's ``answers``
    (question code → number for scored items)."""
    index: float | None = None
    if plan.tree is not None:
        row = np.full((1, len(plan.leaves)), np.nan)
        for k, leaf in enumerate(plan.leaves):
            scores = [s for code, kind, rev in plan.leaf_questions.get(leaf, ())
                      if (s := _score(kind, answers.get(code), rev, plan.likert_scores)) is not None]
            if scores:
                row[0, k] = sum(scores) / len(scores)
        if not np.isnan(row).all():
            value = float(node_scores(plan.tree, row, items=list(plan.leaves))[plan.tree.name][0])
            index = None if math.isnan(value) else value
    else:
        scores = [s for code, kind, rev in plan.scored
                  if (s := _score(kind, answers.get(code), rev, plan.likert_scores)) is not None]
        index = sum(scores) / len(scores) if scores else None
    if index is not None:
        index = round(min(100.0, max(0.0, index)), 4)
    nps = answers.get(plan.nps_code) if plan.nps_code else None
    nps = int(nps) if isinstance(nps, (int, float)) and not isinstance(nps, bool) else None
    satisfied = None if index is None else index >= plan.satisfied_from
    return ResponseFigures(index=index, nps=nps, satisfied=satisfied)
