"""Believable answers for a survey wave, for the demo company, tests and the
benchmark — never for real measurement.

Every respondent has a latent satisfaction z ~ N(0, 1) (plus ``shift``, so a
later wave can be a little better). When the survey has a path model, each
construct's latent value follows the model in topological order:
η_j = Σ β·η_i + e_j with β = 0.45 / √(predecessors) and e_j scaled so
Var η_j ≈ 1, the exogenous constructs driven by z; items load 0.8 on their
construct. Without a path model, each leaf indicator's latent value is
0.75·z + 0.66·e plus a per-indicator offset (some areas are weaker than
others, so the importance–performance chart has something to show). A
latent value becomes an answer by cut points on the normal scale that put
most answers at the upper middle of the scale, as real satisfaction data
do. Conditions (``show_if``) are honoured, choices are drawn at random,
free-text answers come from a small bilingual pool chosen by the
respondent's satisfaction.

Deterministic: the same seed gives the same answers.
"""

from __future__ import annotations

import datetime as dt
import math
import random

import numpy as np
from django.db import transaction
from django.utils import timezone

from kehu.surveys import definitions as defs
from kehu.surveys.models import (
    Answer, Invitation, InvitationChannel, InvitationStatus, QuestionKind, Response, ResponseSource,
    ResponseStatus, Survey, Wave,
)

__all__ = ["fill_wave", "simulate_answers", "response_figures"]

COMMENTS = {
    "low": [
        ("维修人员上门太慢，等了三天才来。", "The repair crew took three days to come."),
        ("账单经常延迟送达，希望改进。", "Bills often arrive late; please improve this."),
        ("客服电话很难打通，等待时间太长。", "The service hotline is hard to reach and the wait is too long."),
        ("价格偏高，性价比不如其他供应商。", "Prices are high; other suppliers give better value."),
        ("交货时间不稳定，影响我们的生产计划。", "Delivery times vary and upset our production plans."),
        ("抄表数据有误差，收费不准确。", "Meter readings were wrong and the charge was inaccurate."),
    ],
    "mid": [
        ("整体还可以，服务态度不错，但响应速度需要提高。", "Fine overall and friendly, but responses need to be faster."),
        ("产品质量稳定，希望价格更优惠一些。", "Quality is steady; we hope for better prices."),
        ("售后服务一般，投诉处理时间较长。", "After-sales service is average; complaints take long to resolve."),
        ("送货及时，但包装有时破损。", "Deliveries are on time but packaging is sometimes damaged."),
    ],
    "high": [
        ("服务态度很好，响应及时，非常满意。", "Friendly and quick service, very satisfied."),
        ("产品质量可靠，交货准时，值得信赖。", "Reliable quality and on-time delivery; a supplier we trust."),
        ("业务员专业热情，沟通顺畅。", "Our sales contact is professional and helpful; communication is easy."),
        ("维修及时，效果好，感谢！", "Repairs were quick and effective, thank you!"),
    ],
}


def _cuts(lo: int, hi: int) -> np.ndarray:
    """Cut points on the normal scale for answers lo..hi, skewed to the upper
    middle (the usual shape of satisfaction answers)."""
    k = hi - lo + 1
    # quantiles of the answer distribution: a discretised Beta(4, 2)-like shape
    from scipy import stats

    p = stats.beta(4.2, 1.9).cdf(np.arange(1, k) / k)
    return stats.norm.ppf(p)


def _answer(latent: np.ndarray, kind: str) -> np.ndarray:
    lo, hi = defs.SCALES[kind]
    cuts = _cuts(lo, hi)
    return lo + np.searchsorted(cuts, latent)


def _topological(constructs: list[str], paths: list[tuple[str, str]]) -> list[str]:
    left, order = list(constructs), []
    while left:
        ready = [c for c in left if not any(t == c and f in left for f, t in paths)]
        if not ready:
            return constructs
        order += ready
        left = [c for c in left if c not in ready]
    return order


def simulate_answers(survey: Survey, n: int, *, seed: int = 0, shift: float = 0.0, language: str = "zh-hans"):
    """``n`` respondents' answers: a list of ``{question code: answer}``
    (numbers for scored items, a value or list for choices, a string for text)."""
    rng = np.random.default_rng(seed)
    pyr = random.Random(seed)
    questions = list(survey.questions.select_related("indicator", "construct").order_by("position", "id"))
    z = rng.standard_normal(n) + shift
    latent: dict[str, np.ndarray] = {}
    constructs = list(survey.constructs.order_by("position", "id").values_list("code", flat=True))
    paths = [(p.source.code, p.target.code) for p in survey.paths.select_related("source", "target")]
    if constructs and paths:
        def complaints(code: str) -> bool:
            return code.lower().startswith(("cc", "cusco", "complain"))

        for c in _topological(constructs, paths):
            preds = [f for f, t in paths if t == c]
            if not preds:
                eta = 0.7 * z + 0.71 * rng.standard_normal(n)
            else:
                beta = 0.45 / math.sqrt(len(preds))
                # complaints fall as satisfaction rises, and loyalty falls as complaints rise
                eta = sum((-beta if complaints(f) or complaints(c) else beta) * latent[f] for f in preds)
                eta = eta + math.sqrt(max(0.15, 1 - np.var(eta))) * rng.standard_normal(n)
            latent[c] = eta
    offsets: dict[str, float] = {}
    for q in questions:
        if q.indicator_id and q.indicator.code not in offsets:
            offsets[q.indicator.code] = rng.normal(0, 0.35)
    leaf_latent = {code: 0.75 * z + 0.66 * rng.standard_normal(n) + off for code, off in offsets.items()}
    columns: dict[str, np.ndarray] = {}
    for q in questions:
        if q.kind not in defs.SCALES:
            continue
        if q.construct_id and q.construct.code in latent:
            base = 0.8 * latent[q.construct.code] + 0.6 * rng.standard_normal(n)
            if q.construct.code.lower().startswith(("cc", "cusco", "complain")):
                base = base - 1.2 - shift * 0.5  # most customers complain little
            else:
                base = base + 0.3 + shift * 0.5
        elif q.indicator_id:
            base = leaf_latent[q.indicator.code] + 0.3 * rng.standard_normal(n)
        else:
            base = 0.85 * z + 0.55 * rng.standard_normal(n)
        if q.kind == QuestionKind.NPS:
            base = base - 0.3
        if q.reverse:
            base = -base
        columns[q.code] = _answer(base, q.kind)
    rows = []
    lang_index = 0 if language.startswith("zh") else 1
    for r in range(n):
        answers: dict = {}
        for q in questions:
            if not defs.condition_holds(q.condition, answers):
                continue
            if q.kind in defs.SCALES:
                answers[q.code] = int(columns[q.code][r])
            elif q.kind == QuestionKind.SINGLE and q.options:
                values = [o["value"] for o in q.options]
                # the first option ("yes", the common case) a little less often than half the time
                answers[q.code] = values[0] if pyr.random() < 0.4 else pyr.choice(values)
            elif q.kind == QuestionKind.MULTIPLE and q.options:
                values = [o["value"] for o in q.options]
                answers[q.code] = sorted(pyr.sample(values, pyr.randint(1, min(3, len(values)))))
            elif q.kind == QuestionKind.TEXT and pyr.random() < 0.35:
                mood = "low" if z[r] < -0.6 else ("high" if z[r] > 0.6 else "mid")
                answers[q.code] = pyr.choice(COMMENTS[mood])[lang_index if pyr.random() < 0.85 else 1 - lang_index]
        rows.append(answers)
    return rows


def response_figures(survey: Survey, answers: dict, questions: dict) -> tuple[float | None, int | None, bool | None]:
    """(index, nps, satisfied) of one response as stored on it: the weighted
    CSI of its answers when the survey has a hierarchy, else the mean of its
    scored answers on 0–100; the first 0–10 answer."""
    from kehu.analytics.csi import CSI
    from kehu.surveys import selectors

    tree = getattr(survey, "_sim_tree", None)
    if tree is None:
        tree = selectors.csi_tree(survey) or False
        survey._sim_tree = tree
        survey._sim_items = selectors.leaf_items(survey)
    scores = {}
    nps = None
    for code, value in answers.items():
        q = questions[code]
        if q.kind in defs.SCALES:
            scores[code] = defs.question_score(q.kind, value, reverse=q.reverse,
                                               likert_scores=survey.likert_scores or None)
            if q.kind == QuestionKind.NPS and nps is None:
                nps = int(value)
    index = None
    if tree:
        cols = []
        names = []
        for leaf, qs in survey._sim_items.items():
            vals = [scores[q.code] for q in qs if q.code in scores]
            names.append(leaf)
            cols.append(sum(vals) / len(vals) if vals else float("nan"))
        if names:
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    v = CSI(tree).fit(np.array([cols]), items=names).csi_
                    index = None if math.isnan(v) else round(float(v), 2)
                except ValueError:
                    index = None
    if index is None:
        vals = [v for c, v in scores.items() if questions[c].kind != QuestionKind.NPS]
        index = round(sum(vals) / len(vals), 2) if vals else None
    satisfied = None if index is None else index >= survey.satisfied_from
    return index, nps, satisfied


@transaction.atomic
def fill_wave(*, wave: Wave, n: int, seed: int = 0, customers=None, shift: float = 0.0,
              submitted_from: dt.datetime | None = None, days: int = 14, language: str = "zh-hans",
              invitations: bool = True) -> int:
    """Add ``n`` complete responses to ``wave`` (with an invitation each when
    ``invitations``), from ``customers`` in turn when given (each at most
    once per wave); returns how many were added."""
    survey = wave.survey
    customers = list(customers or [])
    if customers:
        taken = set(Invitation.objects.filter(wave=wave, customer__isnull=False).values_list("customer_id", flat=True))
        customers = [c for c in customers if (c.pk if hasattr(c, "pk") else c) not in taken][:n]
        n = min(n, len(customers))
    rows = simulate_answers(survey, n, seed=seed, shift=shift, language=language)
    questions = {q.code: q for q in survey.questions.all()}
    start = submitted_from or (timezone.now() - dt.timedelta(days=days))
    rng = random.Random(seed + 1)
    import secrets

    invs, resps = [], []
    for k, answers in enumerate(rows):
        cid = None
        if customers:
            c = customers[k]
            cid = c.pk if hasattr(c, "pk") else c
        at = start + dt.timedelta(seconds=rng.randint(0, max(1, days) * 86400))
        inv = None
        if invitations:
            inv = Invitation(wave=wave, customer_id=cid, token=secrets.token_urlsafe(24),
                             channel=InvitationChannel.LINK, status=InvitationStatus.COMPLETED,
                             sent_at=start, opened_at=at)
            invs.append(inv)
        index, nps, satisfied = response_figures(survey, answers, questions)
        resps.append((inv, Response(wave=wave, customer_id=cid, source=ResponseSource.WEB,
                                    status=ResponseStatus.COMPLETE, language=language, submitted_at=at,
                                    index=index, nps=nps, satisfied=satisfied)))
    Invitation.objects.bulk_create(invs, batch_size=1000)
    for inv, resp in resps:
        resp.invitation = inv
    Response.objects.bulk_create([r for _, r in resps], batch_size=1000)
    answers_out = []
    for (_, resp), answers in zip(resps, rows):
        for code, value in answers.items():
            q = questions[code]
            if q.kind in defs.SCALES:
                answers_out.append(Answer(response=resp, question=q, number=value))
            elif q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
                answers_out.append(Answer(response=resp, question=q,
                                          choices=value if isinstance(value, list) else [value]))
            else:
                answers_out.append(Answer(response=resp, question=q, text=value))
    Answer.objects.bulk_create(answers_out, batch_size=2000)
    return len(resps)
