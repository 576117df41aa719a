"""Reads of survey definitions, and who may see and design them.

Who may do what with a survey's *definition* (its questionnaire, indicators,
weights and model — not its answers, which are customer data and follow the
visibility policy):

============================================  ======  ======================
who                                           read    create, edit, delete
============================================  ======  ======================
administrators                                yes     yes
marketing (any team)                          yes     yes
managers in head office (sales manager,       yes     yes
service agent in the root team)
analysts                                      yes     no
everyone else who is active (regional          yes     no
managers, salespeople, service agents)
inactive or anonymous users                   no      no
============================================  ======  ======================

Everyone active may read the questionnaires: a salesperson reads their
customers' answers against the questions (the answers themselves are scoped
by ``policy_for(viewer).visible(qs, prefix="customer__")``). Designing is
for the people who run the measurement for the whole company.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404

from kehu.analytics.csi import Node
from kehu.org.models import Role
from kehu.org.policies import policy_for
from kehu.surveys import texts
from kehu.surveys.definitions import SCALES
from kehu.surveys.models import (
    Answer, Construct, ConstructPath, Indicator, Question, Response, Survey, SurveyKind, SurveyStatus, Wave,
    WeightMethod,
)

DESIGNER_ROLES_ANYWHERE = {Role.MARKETING}
DESIGNER_ROLES_IN_HEAD_OFFICE = {Role.SALES_MANAGER, Role.SERVICE_AGENT, Role.MARKETING}


def may_view_surveys(user) -> bool:
    """Whether ``user`` may read survey definitions (every active user)."""
    return policy_for(user).active


def may_design_surveys(user) -> bool:
    """Whether ``user`` may create, change and delete survey definitions:
    administrators, marketing, and managers of head office."""
    policy = policy_for(user)
    if not policy.active:
        return False
    if policy.is_admin or policy.role in DESIGNER_ROLES_ANYWHERE:
        return True
    if policy.role in DESIGNER_ROLES_IN_HEAD_OFFICE:
        team = policy._team
        return team is not None and team.is_head_office
    return False


def survey_list(*, viewer, q: str = "", status: str = "", kind: str = "") -> QuerySet:
    """The surveys ``viewer`` may see, with ``question_count``,
    ``indicator_count`` and ``wave_count``; filtered by part of the code or
    title, status and kind. Unordered: the caller pages it."""
    if not may_view_surveys(viewer):
        return Survey.objects.none()
    qs = Survey.objects.all()
    if q:
        # By key, so SQLite compares the decoded text, not JSON's \\u escapes of Chinese.
        qs = qs.filter(Q(code__icontains=q) | Q(**{"title__zh-hans__icontains": q}) | Q(title__en__icontains=q))
    if status in SurveyStatus.values:
        qs = qs.filter(status=status)
    if kind in SurveyKind.values:
        qs = qs.filter(kind=kind)
    return qs.annotate(
        question_count=Count("questions", distinct=True),
        indicator_count=Count("indicators", distinct=True),
        wave_count=Count("waves", distinct=True),
    )


def survey_get(*, viewer, pk=None, code: str | None = None) -> Survey:
    """One survey by id or code; 404 when it does not exist or ``viewer`` may not read surveys."""
    if not may_view_surveys(viewer):
        raise Http404
    try:
        if code is not None:
            return Survey.objects.get(code=code)
        return Survey.objects.get(pk=int(pk))
    except (Survey.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def survey_has_responses(survey: Survey) -> bool:
    return Response.objects.filter(wave__survey=survey).exists()


def survey_response_count(survey: Survey) -> int:
    return Response.objects.filter(wave__survey=survey).count()


def question_answer_count(question: Question) -> int:
    return Answer.objects.filter(question=question).count()


def questions(survey: Survey) -> QuerySet:
    """The questions in order, with their indicator and construct."""
    return survey.questions.select_related("indicator", "construct").order_by("position", "id")


def questions_with_answer_flags(survey: Survey) -> QuerySet:
    return questions(survey).annotate(has_answers=Exists(Answer.objects.filter(question=OuterRef("pk"))))


def constructs(survey: Survey) -> QuerySet:
    return survey.constructs.order_by("position", "id").annotate(item_count=Count("questions"))


def paths(survey: Survey) -> QuerySet:
    return survey.paths.select_related("source", "target").order_by("source__position", "target__position", "id")


def waves(survey: Survey) -> QuerySet:
    return Wave.objects.filter(survey=survey).order_by("-created_at", "-id")


@dataclass
class TreeNode:
    """An indicator with its children, for pages and exports."""

    indicator: Indicator
    children: list[TreeNode] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    @property
    def is_leaf(self) -> bool:
        return not self.children

    @property
    def level(self) -> int:
        return self.indicator.level

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()

    @property
    def global_weight(self) -> float:
        return getattr(self, "_global", 1.0)


def indicator_tree(survey: Survey) -> TreeNode | None:
    """The indicator hierarchy as :class:`TreeNode`\\ s (two queries), with
    each node's global weight (the product of the weights from the root);
    None when the survey has no indicators."""
    rows = list(survey.indicators.order_by("level", "position", "id"))
    if not rows:
        return None
    nodes = {i.pk: TreeNode(i) for i in rows}
    root = None
    for i in rows:
        if i.parent_id is None:
            if root is None:
                root = nodes[i.pk]
        elif i.parent_id in nodes:
            nodes[i.parent_id].children.append(nodes[i.pk])
    for q in survey.questions.filter(indicator__isnull=False).order_by("position", "id"):
        if q.indicator_id in nodes:
            nodes[q.indicator_id].questions.append(q)
    if root is None:
        return None

    def down(node: TreeNode, acc: float):
        node._global = acc
        total = sum(c.indicator.weight for c in node.children) or 1.0
        for c in node.children:
            down(c, acc * c.indicator.weight / total)

    down(root, 1.0)
    return root


def indicators(survey: Survey) -> QuerySet:
    return survey.indicators.select_related("parent").order_by("level", "position", "id")


def leaf_indicators(survey: Survey) -> list[Indicator]:
    """The indicators at the bottom of the hierarchy, in the tree's order."""
    tree = indicator_tree(survey)
    return [n.indicator for n in tree.walk() if n.is_leaf and n is not tree] if tree is not None else []


def csi_tree(survey: Survey, *, language: str | None = None) -> Node | None:
    """The hierarchy as a :class:`kehu.analytics.csi.Node` tree for the
    weighted-average CSI: node names are the indicator codes and each leaf
    reads the column named by its code (a leaf measured by several questions
    scores their mean; see :func:`leaf_items`). Children with weight 0 (an
    entropy weight of a constant indicator) are left out, since the CSI
    needs positive weights. None without indicators."""
    root = indicator_tree(survey)
    if root is None:
        return None

    def build(node: TreeNode) -> Node:
        kids = tuple(build(c) for c in node.children if c.indicator.weight > 0)
        return Node(name=node.indicator.code, weight=node.indicator.weight or 1.0, children=kids,
                    item=node.indicator.code if not kids else None)

    return build(root)


def leaf_items(survey: Survey) -> dict[str, list[Question]]:
    """Leaf indicator code → the scored questions measuring it, in order."""
    out: dict[str, list[Question]] = {}
    for q in questions(survey).filter(indicator__isnull=False, kind__in=list(SCALES)):
        out.setdefault(q.indicator.code, []).append(q)
    return out


@dataclass
class SurveyProblem:
    """Something to fix before the survey is used (``blocking``) or worth a look."""

    message: str
    blocking: bool = False


def survey_problems(survey: Survey) -> list[SurveyProblem]:
    """What is missing or inconsistent in the definition: no questions,
    indicators no question measures, constructs without items, texts not yet
    translated. Blocking problems stop the survey from being put into use."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    problems: list[SurveyProblem] = []
    qs = list(questions(survey))
    if not qs:
        problems.append(SurveyProblem(_("The survey has no questions yet."), blocking=True))
    tree = indicator_tree(survey)
    if tree is not None:
        for node in tree.walk():
            if node.is_leaf and not node.questions and node is not tree:
                problems.append(SurveyProblem(
                    _("No question measures the indicator %(name)s; link a scored question to it or delete it.")
                    % {"name": texts.pick(node.indicator.name) or node.indicator.code}, blocking=True))
            if node.children:
                total = sum(c.indicator.weight for c in node.children)
                if abs(total - 1) > 0.001:
                    problems.append(SurveyProblem(
                        _("The weights under %(name)s sum to %(total).3f instead of 1; set them again.")
                        % {"name": texts.pick(node.indicator.name), "total": total}, blocking=True))
        if tree.is_leaf:
            problems.append(SurveyProblem(_("The index has no indicators under it yet."), blocking=True))
    construct_rows = list(constructs(survey))
    for c in construct_rows:
        if not c.item_count:
            problems.append(SurveyProblem(
                _("The construct %(name)s has no questions measuring it.") % {"name": texts.pick(c.name) or c.code},
                blocking=True))
    if construct_rows and not survey.paths.exists():
        problems.append(SurveyProblem(_("The constructs have no paths between them yet.")))
    untranslated = sum(1 for q in qs if not texts.is_complete(q.text))
    untranslated += sum(1 for q in qs for o in q.options or [] if not texts.is_complete(o.get("label")))
    if not texts.is_complete(survey.title):
        untranslated += 1
    if untranslated:
        problems.append(SurveyProblem(ngettext(
            "%(count)d text is in one language only; respondents who use the other language see it untranslated.",
            "%(count)d texts are in one language only; respondents who use the other language see them untranslated.",
            untranslated) % {"count": untranslated}))
    return problems


def weight_method_label(method: str) -> str:
    return WeightMethod(method).label if method in WeightMethod.values else method


def construct_choices(survey: Survey) -> list[tuple[int, str]]:
    return [(c.pk, f"{c.code} · {texts.pick(c.name)}") for c in survey.constructs.order_by("position", "id")]


def leaf_choices(survey: Survey) -> list[tuple[int, str]]:
    return [(i.pk, f"{i.code} · {texts.pick(i.name)}") for i in leaf_indicators(survey)]


def prefetch_for_export(survey: Survey) -> Survey:
    return Survey.objects.prefetch_related(
        Prefetch("indicators", queryset=Indicator.objects.order_by("level", "position", "id")),
        Prefetch("questions", queryset=Question.objects.select_related("indicator", "construct")
                 .order_by("position", "id")),
        Prefetch("constructs", queryset=Construct.objects.order_by("position", "id")),
        Prefetch("paths", queryset=ConstructPath.objects.select_related("source", "target").order_by("id")),
    ).get(pk=survey.pk)


def stored_ahp_matrix(parent: Indicator, children: list[Indicator] | None = None) -> list[list[float]] | None:
    """The AHP matrix stored on ``parent``, rows and columns in the present
    order of its children (they may have been moved since), or None when
    there is none or it no longer matches the children."""
    matrix = (parent.ahp or {}).get("matrix")
    if not matrix:
        return None
    kids = children if children is not None else list(parent.children.order_by("position", "id"))
    order = (parent.ahp or {}).get("order") or [k.code for k in kids]
    codes = [k.code for k in kids]
    if sorted(order) != sorted(codes) or len(matrix) != len(codes):
        return None
    idx = [order.index(c) for c in codes]
    return [[matrix[i][j] for j in idx] for i in idx]


def leaf_score_matrix(*, survey: Survey, wave: Wave, complete_only: bool = True):
    """``(leaf codes, matrix)``: one row per response of ``wave`` (complete
    ones only by default, in id order), one column per leaf indicator,
    holding the respondent's score on 0–100 — the mean of the scored
    questions measuring that leaf (:func:`kehu.surveys.definitions.question_score`,
    reverse-scored items turned round), NaN where none was answered. The
    input of :class:`kehu.analytics.csi.CSI` with :func:`csi_tree`."""
    import numpy as np

    from kehu.surveys.definitions import question_score
    from kehu.surveys.models import ResponseStatus

    items = leaf_items(survey)
    tree = indicator_tree(survey)
    leaves = [n.indicator.code for n in tree.walk() if n.is_leaf] if tree is not None else []
    codes = [c for c in leaves if c in items]
    responses = Response.objects.filter(wave=wave)
    if complete_only:
        responses = responses.filter(status=ResponseStatus.COMPLETE)
    response_ids = list(responses.order_by("id").values_list("id", flat=True))
    row_of = {rid: k for k, rid in enumerate(response_ids)}
    col_of: dict[int, int] = {}
    spec: dict[int, Question] = {}
    for code, qs in items.items():
        for q in qs:
            col_of[q.pk] = codes.index(code)
            spec[q.pk] = q
    sums = np.zeros((len(response_ids), len(codes)))
    counts = np.zeros((len(response_ids), len(codes)))
    answers = Answer.objects.filter(response__in=responses, question_id__in=list(spec), number__isnull=False)
    for rid, qid, number in answers.values_list("response_id", "question_id", "number").iterator(chunk_size=5000):
        q = spec[qid]
        score = question_score(q.kind, number, reverse=q.reverse, likert_scores=survey.likert_scores or None)
        if score is None:
            continue
        r, c = row_of[rid], col_of[qid]
        sums[r, c] += score
        counts[r, c] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        matrix = np.where(counts > 0, sums / np.where(counts > 0, counts, 1), np.nan)
    return codes, matrix


def survey_definition(survey: Survey) -> dict:
    """The whole definition of ``survey`` in the shape of
    :func:`kehu.surveys.definitions.validate` — what ``kehu survey export``
    writes and :func:`kehu.surveys.definitions.dump` formats."""
    from kehu.surveys.definitions import FORMAT_VERSION

    s = prefetch_for_export(survey)
    rows = list(s.indicators.all())
    children: dict[int | None, list[Indicator]] = {}
    for i in rows:
        children.setdefault(i.parent_id, []).append(i)

    def node(ind: Indicator, root: bool = False) -> dict:
        kids = children.get(ind.pk, [])
        out = {"code": ind.code, "name": texts.ordered(ind.name), "weight": 1.0 if root else ind.weight}
        if kids:
            out["children"] = [node(k) for k in kids]
            out["child_weights"] = ind.child_weight_method
            if ind.child_weight_method == WeightMethod.AHP:
                matrix = stored_ahp_matrix(ind, kids)
                if matrix is not None:
                    out["ahp"] = {"matrix": matrix, "order": [k.code for k in kids],
                                  "lambda_max": ind.ahp.get("lambda_max"), "ci": ind.ahp.get("ci"),
                                  "cr": ind.ahp.get("cr")}
                else:
                    out["child_weights"] = WeightMethod.MANUAL.value
            if ind.child_weight_method == WeightMethod.ENTROPY and ind.ahp.get("basis") == "entropy":
                out["entropy"] = {k: ind.ahp[k] for k in ("wave", "respondents") if k in ind.ahp}
        else:
            out["children"] = []
            out["child_weights"] = WeightMethod.MANUAL.value
        return out

    roots = children.get(None, [])
    return {
        "kehu_survey": FORMAT_VERSION,
        "code": s.code,
        "kind": s.kind,
        "title": texts.ordered(s.title),
        "description": texts.ordered(s.description),
        "intro": texts.ordered(s.intro),
        "thanks": texts.ordered(s.thanks),
        "template": s.template,
        "settings": {
            "likert_scores": {k: (s.likert_scores or {})[k] for k in sorted(s.likert_scores or {}, reverse=True)},
            "satisfied_from": s.satisfied_from,
            "follow_up_below": s.follow_up_below,
            "follow_up_detractors": s.follow_up_detractors,
            "follow_up_as": s.follow_up_as,
            "resurvey_days": s.resurvey_days,
        },
        "indicators": node(roots[0], root=True) if roots else None,
        "constructs": [{"code": c.code, "name": texts.ordered(c.name), "mode": c.mode} for c in s.constructs.all()],
        "paths": [[p.source.code, p.target.code] for p in s.paths.all()],
        "model": dict(s.model_options or {}),
        "questions": [{
            "code": q.code, "kind": q.kind, "text": texts.ordered(q.text), "help": texts.ordered(q.help),
            "required": q.required, "reverse": q.reverse,
            "options": [{"value": o["value"], "label": texts.ordered(o["label"])} for o in q.options or []],
            "indicator": q.indicator.code if q.indicator else "",
            "construct": q.construct.code if q.construct else "",
            "show_if": {k: q.condition[k] for k in ("question", "op", "value") if k in (q.condition or {})},
        } for q in s.questions.all()],
    }
