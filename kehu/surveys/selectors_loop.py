"""Reads for closing the loop: a response's answers as a person reads them
(on a follow-up task's page), improvement actions and whether their
indicator moved."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from kehu.org.policies import policy_for
from kehu.surveys import texts
from kehu.surveys.definitions import SCALES, question_score
from kehu.surveys.models import (
    ActionStatus, Answer, ImprovementAction, Indicator, Question, QuestionKind, Response, Survey, Wave,
)


@dataclass
class AnswerRow:
    question: Question
    text: str            # the question in the reader's language
    answer: str          # the answer as the respondent gave it
    score: float | None  # 0–100 for scored items
    low: bool = False    # below the survey's "satisfied from"


def _likert_label(level: int) -> str:
    from django.utils.translation import gettext as _

    return {5: _("Very satisfied"), 4: _("Satisfied"), 3: _("Neutral"), 2: _("Dissatisfied"),
            1: _("Very dissatisfied")}.get(level, str(level))


def response_get(*, viewer, pk) -> Response:
    """A customer's response the viewer may see (the customer's visibility); 404 otherwise."""
    qs = policy_for(viewer).visible(Response.objects.filter(customer__isnull=False), prefix="customer__")
    try:
        return qs.select_related("wave__survey", "customer").get(pk=pk)
    except (Response.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def response_answers(response: Response, language: str | None = None) -> list[AnswerRow]:
    """The answers of ``response`` in questionnaire order, each with the
    question's text and the answer spelled out (level names, option labels,
    "3 / 10"); scored answers carry their 0–100 score and whether it is below
    the survey's ``satisfied_from``."""
    survey = response.wave.survey
    rows = []
    answers = (Answer.objects.filter(response=response).select_related("question")
               .order_by("question__position", "question__id"))
    for a in answers:
        q = a.question
        score = None
        if q.kind in SCALES and a.number is not None:
            try:
                score = question_score(q.kind, a.number, reverse=q.reverse, likert_scores=survey.likert_scores or None)
            except (ValueError, KeyError):
                score = None
            if q.kind == QuestionKind.LIKERT5:
                shown = _likert_label(int(a.number))
            else:
                lo, hi = SCALES[q.kind]
                shown = f"{a.number:g} / {hi}"
        elif q.kind in ("single", "multiple"):
            labels = {o.get("value"): texts.pick(o.get("label"), language) for o in q.options or []}
            shown = ", ".join(labels.get(v, str(v)) for v in a.choices or [])
        else:
            shown = a.text
        if shown == "" and score is None:
            continue
        low = score is not None and score < survey.satisfied_from
        rows.append(AnswerRow(question=q, text=texts.pick(q.text, language) or q.code, answer=shown, score=score,
                              low=low))
    return rows


# -- improvement actions ------------------------------------------------------------

OPEN_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


def overdue_actions(*, owner, today=None) -> list[ImprovementAction]:
    """The owner's improvement actions past their due date and not done or
    dropped — listed on their tasks page (improvement actions are not
    customer data, so they are not copied into tasks)."""
    from django.utils import timezone

    today = today or timezone.localdate()
    return list(ImprovementAction.objects.filter(owner=owner, status__in=OPEN_ACTION_STATUSES, due_on__lt=today)
                .select_related("survey", "indicator").order_by("due_on", "id")[:50])


def may_manage_actions(user) -> bool:
    """Improvement actions are planned by the people who run the measurement
    (the survey designers); an action's owner may also update their own."""
    from kehu.surveys.selectors import may_design_surveys

    return may_design_surveys(user)


def may_change_action(user, action: ImprovementAction) -> bool:
    policy = policy_for(user)
    if not policy.active:
        return False
    if may_manage_actions(user):
        return True
    return action.owner_id == user.pk and not policy.read_only


def action_list(*, survey: Survey, status: str = "", indicator_id: int | None = None) -> QuerySet:
    qs = ImprovementAction.objects.filter(survey=survey).select_related("indicator", "owner", "baseline_wave")
    if status in ActionStatus.values:
        qs = qs.filter(status=status)
    if indicator_id is not None:
        qs = qs.filter(indicator_id=indicator_id)
    return qs.order_by("due_on", "id")


def action_get(*, survey: Survey, pk) -> ImprovementAction:
    try:
        return ImprovementAction.objects.select_related("indicator", "owner", "baseline_wave").get(
            survey=survey, pk=int(pk))
    except (ImprovementAction.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def waves_in_order(survey: Survey) -> list[Wave]:
    """The survey's waves from the first to the latest: by the day they opened
    (or were created, when no opening day was set), then creation."""
    rows = list(Wave.objects.filter(survey=survey))
    return sorted(rows, key=lambda w: (w.opens_on or w.created_at.date(), w.created_at, w.pk))


class WaveScores:
    """Respondent-level scores of every indicator in a wave (the weighted CSI
    of :mod:`kehu.analytics.csi` over :func:`leaf_score_matrix`), computed once
    per wave and kept for the page."""

    def __init__(self, survey: Survey):
        self.survey = survey
        self._cache: dict[int, dict] = {}

    def scores(self, wave: Wave) -> dict:
        """indicator code → respondents' scores (NaN where unanswered); empty
        when the wave has no complete answers or the survey no indicators."""
        if wave.pk not in self._cache:
            import numpy as np

            from kehu.analytics.csi import CSI
            from kehu.surveys.selectors import csi_tree, leaf_score_matrix

            tree = csi_tree(self.survey)
            result: dict = {}
            if tree is not None:
                codes, matrix = leaf_score_matrix(survey=self.survey, wave=wave)
                if len(codes) and matrix.shape[0]:
                    try:
                        import warnings

                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            fit = CSI(tree, cut=self.survey.satisfied_from, keep_scores=True).fit(matrix, items=codes)
                        result = {k: np.asarray(v, float) for k, v in fit.scores_.items()}
                    except ValueError:
                        result = {}
            self._cache[wave.pk] = result
        return self._cache[wave.pk]

    def indicator(self, wave: Wave, code: str) -> tuple[float | None, int, object]:
        """(mean score, respondents with a score, their scores) of one indicator in one wave."""
        import numpy as np

        values = self.scores(wave).get(code)
        if values is None:
            return None, 0, None
        ok = values[np.isfinite(values)]
        if not ok.size:
            return None, 0, None
        return float(ok.mean()), int(ok.size), ok


@dataclass
class WaveMove:
    wave: Wave
    score: float | None
    n: int
    change: float | None = None
    p_value: float | None = None
    ci: tuple[float, float] | None = None
    significant: bool = False
    target_met: bool | None = None


@dataclass
class Movement:
    """Did the indicator move? Its score in the baseline wave and in each
    later wave, with the change from the baseline and Welch's t-test of the
    two waves' respondent scores (:func:`kehu.analytics.significance.welch_t_test`)
    where both have at least two answers."""

    action: ImprovementAction
    baseline: WaveMove | None
    later: list[WaveMove] = field(default_factory=list)

    @property
    def latest(self) -> WaveMove | None:
        measured = [m for m in self.later if m.score is not None]
        return measured[-1] if measured else None

    @property
    def verdict(self) -> str:
        """``up``, ``down`` (significant at 5 %), ``no_change`` (not
        significant), ``not_tested`` (too few answers to test),
        ``not_measured`` (no later wave measured it yet), ``no_baseline``."""
        if self.baseline is None or self.baseline.score is None:
            return "no_baseline"
        last = self.latest
        if last is None:
            return "not_measured"
        if last.p_value is None:
            return "not_tested"
        if not last.significant:
            return "no_change"
        return "up" if (last.change or 0) > 0 else "down"


SIGNIFICANCE = 0.05


def action_movement(action: ImprovementAction, scores: WaveScores | None = None,
                    waves: list[Wave] | None = None) -> Movement:
    """:class:`Movement` of one action's indicator from its baseline wave on.
    Without a baseline wave the stored ``baseline`` score is compared with
    every wave, untested (there are no baseline answers to test against)."""
    from kehu.analytics.significance import welch_t_test

    scores = scores or WaveScores(action.survey)
    waves = waves if waves is not None else waves_in_order(action.survey)
    code = action.indicator.code
    base_values = None
    if action.baseline_wave_id is not None:
        base_wave = next((w for w in waves if w.pk == action.baseline_wave_id), None)
        if base_wave is None:
            return Movement(action, None)
        score, n, base_values = scores.indicator(base_wave, code)
        baseline = WaveMove(base_wave, score if score is not None else action.baseline, n)
        later_waves = waves[waves.index(base_wave) + 1:]
    elif action.baseline is not None:
        baseline = WaveMove(None, action.baseline, 0)
        later_waves = [w for w in waves if w.created_at >= action.created_at]
    else:
        return Movement(action, None)
    moves = []
    for w in later_waves:
        score, n, values = scores.indicator(w, code)
        move = WaveMove(w, score, n)
        if score is not None and baseline.score is not None:
            move.change = score - baseline.score
            if action.target is not None:
                move.target_met = score >= action.target
            if base_values is not None and base_values.size >= 2 and values is not None and values.size >= 2:
                test = welch_t_test(base_values, values)
                move.p_value = test.p_value
                move.ci = (test.ci_low, test.ci_high)
                move.significant = test.p_value < SIGNIFICANCE
        moves.append(move)
    return Movement(action, baseline, moves)


def survey_movements(survey: Survey, actions) -> list[Movement]:
    """:func:`action_movement` for each of ``actions``, scoring each wave once."""
    scores = WaveScores(survey)
    waves = waves_in_order(survey)
    return [action_movement(a, scores, waves) for a in actions]


def indicator_wave_score(*, survey: Survey, wave: Wave, indicator: Indicator) -> float | None:
    """The indicator's CSI (0–100) in one wave, None when nobody answered under it."""
    return WaveScores(survey).indicator(wave, indicator.code)[0]


def task_answers(task, viewer) -> dict:
    """The survey answers behind a follow-up task (source ``survey``):
    ``{"response", "answers"}``, ``{"response_missing": True}`` when the
    response is gone, ``{}`` for other tasks. A partner's answers (a task about
    a partner) are read by the task's assignee and by those who may read the
    partners' satisfaction."""
    if task.source != "survey" or not (task.source_ref or {}).get("response"):
        return {}
    try:
        if task.partner_id is not None and task.customer_id is None:
            response = _partner_response_get(viewer=viewer, task=task)
        else:
            response = response_get(viewer=viewer, pk=task.source_ref["response"])
    except Http404:
        return {"response_missing": True}
    return {"response": response, "answers": response_answers(response)}


def _partner_response_get(*, viewer, task) -> Response:
    if not (task.assigned_to_id == getattr(viewer, "pk", None) or policy_for(viewer).may_read_partner_satisfaction):
        raise Http404
    response = (Response.objects.filter(pk=task.source_ref["response"], partner_id=task.partner_id)
                .select_related("wave__survey", "partner").first())
    if response is None:
        raise Http404
    return response
