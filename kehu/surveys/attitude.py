"""A customer's relative attitude (0–100) measured by a survey response.

Dick & Basu (1994) define relative attitude as how favourably the customer
regards us *compared with the alternatives*; the usual survey measures of it
are the intentions to recommend and to buy again (Reichheld 2003; the ACSI
and ECSI loyalty constructs, Fornell et al. 1996). So the attitude of one
response is:

1. the mean, on 0–100, of its **loyalty items** — the answered scored
   questions that are either of kind ``nps`` (0–10 likelihood to recommend,
   scored 10·x) or linked to a loyalty construct (codes in
   :data:`LOYALTY_CONSTRUCTS`: the ACSI's ``CL``, the ECSI's ``CUSL``, or
   ``LOY``/``LOYALTY``) — each scored by
   :func:`kehu.surveys.definitions.question_score` (reverse-scored items
   turned round, scale10 items as (x − 1)/9·100);
2. else, when the survey asks no such question, the response's satisfaction
   index (``Response.index``, the weighted CSI of its answers);
3. else nothing (the attitude is left as it was).

The same function serves the receiver that keeps ``CustomerAttitude`` up to
date and the value run's provider when it needs the attitude as of a past
date.
"""

from __future__ import annotations

from collections import defaultdict

from kehu.surveys.definitions import SCALES, question_score
from kehu.surveys.models import Answer, QuestionKind, Response

LOYALTY_CONSTRUCTS = frozenset({"CL", "CUSL", "LOY", "LOYALTY"})


def is_loyalty_item(kind: str, construct_code: str | None) -> bool:
    """Whether a question measures intention to recommend or to buy again."""
    if kind not in SCALES:
        return False
    return kind == QuestionKind.NPS or (construct_code or "").upper() in LOYALTY_CONSTRUCTS


def loyalty_score(kind: str, construct_code: str | None, number, *, reverse: bool = False,
                  likert_scores=None) -> float | None:
    """One answer's score on 0–100 when it is a loyalty item, else None (also
    for an answer outside its scale, which is not evidence of anything)."""
    if not is_loyalty_item(kind, construct_code):
        return None
    try:
        return question_score(kind, number, reverse=reverse, likert_scores=likert_scores or None)
    except (ValueError, KeyError):
        return None


def response_attitudes(response_ids) -> dict[int, float]:
    """Attitude of each response (see the module docstring), by response id;
    responses with neither loyalty items nor an index are left out. Two
    queries whatever the number of responses."""
    ids = list(response_ids)
    if not ids:
        return {}
    sums: dict[int, float] = defaultdict(float)
    counts: dict[int, int] = defaultdict(int)
    rows = (Answer.objects.filter(response_id__in=ids, number__isnull=False)
            .values_list("response_id", "number", "question__kind", "question__reverse",
                         "question__construct__code", "response__wave__survey__likert_scores"))
    for rid, number, kind, reverse, construct, likert in rows.iterator(chunk_size=5000):
        score = loyalty_score(kind, construct, number, reverse=reverse, likert_scores=likert)
        if score is not None:
            sums[rid] += score
            counts[rid] += 1
    out = {rid: sums[rid] / counts[rid] for rid in counts}
    missing = [rid for rid in ids if rid not in out]
    if missing:
        for rid, index in Response.objects.filter(pk__in=missing, index__isnull=False).values_list("pk", "index"):
            out[rid] = float(index)
    return {rid: min(100.0, max(0.0, v)) for rid, v in out.items()}


def response_attitude(response: Response) -> float | None:
    """The attitude of one response, or None when it measures none."""
    return response_attitudes([response.pk]).get(response.pk)


def answers_attitude(questions, answers, *, likert_scores=None, index=None) -> float | None:
    """The attitude of answers already in memory (the same rule as
    :func:`response_attitudes`, without a query): ``questions`` are the
    survey's questions with their construct loaded, ``answers`` question code
    → value as the answer page stores them, ``index`` the response's index."""
    scores = []
    for q in questions:
        value = answers.get(q.code)
        if value is None or isinstance(value, (list, str)):
            continue  # choices and text are never loyalty items
        score = loyalty_score(q.kind, q.construct.code if q.construct_id else None, value, reverse=q.reverse,
                              likert_scores=likert_scores)
        if score is not None:
            scores.append(score)
    if scores:
        value = sum(scores) / len(scores)
    elif index is not None:
        value = float(index)
    else:
        return None
    return min(100.0, max(0.0, value))
