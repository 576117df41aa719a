"""The results of a survey wave (顾客满意度测评结果), as one JSON-ready dict.

:func:`survey_results` reads the complete responses of a wave that the
viewer may see (``policy_for(viewer).visible(qs, prefix="customer__")``: a
salesperson's results cover their own customers' answers, head office sees
all; employee surveys are anonymous and only those who see everything get
their aggregates) and computes, with the pure code of :mod:`kehu.analytics`:

* ``index``: the weighted-average CSI (0–100) at every node of the indicator
  hierarchy (:class:`kehu.analytics.csi.CSI`), with ``nodes`` giving each
  node's name, level, weights, satisfaction rate and respondents;
* ``satisfaction_rate`` (满意率): respondents whose overall score reaches the
  survey's ``satisfied_from`` / respondents × 100 — the overall score is
  the CSI of the hierarchy, or without one the satisfaction construct's
  0–100 score from the path model, or the stored ``Response.index``;
* ``nps``: the Net Promoter Score of the first 0–10 question (else the stored
  ``Response.nps``) with its interval, Var = 100²·(p + d − (p − d)²)/n;
* ``model``: the PLS path model when the survey has constructs and paths
  (:class:`kehu.analytics.pls_pm.PLSPM`, bootstrap intervals): latent
  scores on 0–100, ``paths`` keyed ``"FROM->TO"``, ``r2``, ``reliability``
  (Cronbach's α, composite reliability, AVE) and the outer model;
* ``drivers``: importance–performance (四分图) of the leaf indicators
  (importance = correlation with the overall score) or, without a
  hierarchy, of the constructs driving satisfaction (importance = total
  effect in the path model);
* ``zones``: the satisfaction–loyalty zones (叛离带, 冷漠带, 忠诚带) of the
  overall score on 0–100;
* ``breakdowns``: by region, owner, value tier and saved segment, with n
  and groups under :data:`MIN_GROUP` respondents suppressed (a partner
  survey's: by partner type, level and partner, suppressed alike);
* ``trend``: every wave with responses, and the tests of this wave against
  the one before (Welch's t on the overall score, two-proportion z on the
  satisfaction rate, z on the NPS difference);
* ``benchmarks``: the user's competitor / industry-best figures next to ours;
* ``actions``: improvement actions with their baseline, target and the
  indicator's score now;
* ``keywords``: the most frequent words of free-text answers (jieba's
  Chinese word segmentation, stop words of both languages left out).

Results are cached per wave, viewer scope and state of the data (responses,
weights, benchmarks), so pages, exports and the report reuse one computation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections import Counter

import numpy as np
from django.core.cache import cache
from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from kehu.analytics import significance
from kehu.analytics.csi import CSI
from kehu.analytics.ipa import IPA
from kehu.analytics.nps import nps as nps_of
from kehu.analytics.nps import nps_difference
from kehu.org.policies import policy_for
from kehu.surveys import definitions as defs
from kehu.surveys import selectors, texts
from kehu.surveys.definitions import SCALES, question_score
from kehu.surveys.models import (
    Answer, Benchmark, ImprovementAction, Invitation, QuestionKind, Response, ResponseStatus, Survey, SurveyKind,
    Wave, WaveStatus, WeightMethod,
)

logger = logging.getLogger(__name__)

#: Groups with fewer respondents are not shown in breakdowns (too few to
#: mean anything, and too few to keep answers anonymous).
MIN_GROUP = 5
#: Keywords of free-text answers shown.
KEYWORDS = 30
CACHE_SECONDS = 24 * 3600
#: Codes by which the satisfaction construct of a path model is recognised.
SATISFACTION_CODES = ("sat", "cusa", "satisfaction", "csi", "acsi")
BREAKDOWNS = ("region", "owner", "tier", "segment")
#: A partner survey's breakdowns: by partner type, level in the channel and partner.
PARTNER_BREAKDOWNS = ("partner_type", "partner_level", "partner")


def breakdown_kinds(survey: Survey) -> tuple[str, ...]:
    """The breakdowns of ``survey``'s results."""
    if survey.kind == SurveyKind.PARTNER:
        return PARTNER_BREAKDOWNS
    return BREAKDOWNS if survey.kind == SurveyKind.CUSTOMER else ()


# --------------------------------------------------------------------------
# Which responses
# --------------------------------------------------------------------------

def scope_key(viewer, survey: Survey | None = None) -> str:
    """What part of the answers ``viewer`` sees: ``"all"`` or ``"user:<id>"``
    (a partner survey's: ``"partners"`` or ``"none"``)."""
    policy = policy_for(viewer)
    if survey is not None and survey.kind == SurveyKind.PARTNER:
        return "partners" if policy.may_read_partner_satisfaction else "none"
    if policy.sees_everything:
        return "all"
    return f"user:{getattr(viewer, 'pk', 0)}" if policy.active else "none"


def visible_responses(*, viewer, survey: Survey, wave: Wave | None = None):
    """The complete responses of ``survey`` (of ``wave`` when given) that
    ``viewer`` may count."""
    qs = Response.objects.filter(wave__survey=survey, status=ResponseStatus.COMPLETE)
    if wave is not None:
        qs = qs.filter(wave=wave)
    policy = policy_for(viewer)
    if survey.kind == SurveyKind.EMPLOYEE:
        return qs if policy.sees_everything else qs.none()
    if survey.kind == SurveyKind.PARTNER:
        return qs if policy.may_read_partner_satisfaction else qs.none()
    if policy.view_scope.everything:
        return qs
    return policy.visible(qs.filter(customer__isnull=False), prefix="customer__")


def waves_with_responses(survey: Survey) -> list[Wave]:
    """The waves of ``survey`` that have complete responses, oldest first."""
    return list(Wave.objects.filter(survey=survey, responses__status=ResponseStatus.COMPLETE).distinct()
                .order_by("opens_on", "created_at", "id"))


def default_wave(survey: Survey) -> Wave | None:
    """The latest wave with responses (None when there is none)."""
    waves = waves_with_responses(survey)
    return waves[-1] if waves else None


def report_wave(survey: Survey) -> tuple[Wave | None, bool]:
    """The wave a report shows when none is named: the latest **closed** wave
    with responses, whose figures no longer change. ``(wave, fell_back)``:
    with no closed wave that has responses, the latest wave with responses
    (still open: its figures may change) and ``True``."""
    waves = waves_with_responses(survey)
    closed = [w for w in waves if w.status == WaveStatus.CLOSED]
    if closed:
        return closed[-1], False
    return (waves[-1], True) if waves else (None, False)


def wave_get(survey: Survey, ref) -> Wave | None:
    """A wave of ``survey`` by id or name; None when there is no such wave."""
    if ref in (None, ""):
        return None
    qs = Wave.objects.filter(survey=survey)
    if str(ref).isdigit():
        found = qs.filter(pk=int(ref)).first()
        if found:
            return found
    return qs.filter(name=str(ref)).first()


# --------------------------------------------------------------------------
# The data of one wave
# --------------------------------------------------------------------------

class WaveData:
    """The answers of one wave as arrays: one row per visible complete
    response, in id order."""

    def __init__(self, survey: Survey, response_ids: list[int]):
        self.survey = survey
        self.response_ids = response_ids
        self.n = len(response_ids)
        row = {rid: k for k, rid in enumerate(response_ids)}
        self.questions = list(selectors.questions(survey))
        scored = [q for q in self.questions if q.kind in SCALES]
        self.scored_codes = [q.code for q in scored]
        col = {q.pk: j for j, q in enumerate(scored)}
        #: raw answers of the scored questions (NaN = not answered)
        self.raw = np.full((self.n, len(scored)), np.nan)
        #: the same on 0–100 (reverse items turned round)
        self.scores = np.full((self.n, len(scored)), np.nan)
        self.texts: list[str] = []
        by_pk = {q.pk: q for q in self.questions}
        likert = survey.likert_scores or None
        if self.n:
            answers = Answer.objects.filter(response_id__in=response_ids)
            for rid, qid, number, text in answers.values_list("response_id", "question_id", "number", "text") \
                    .iterator(chunk_size=5000):
                q = by_pk.get(qid)
                if q is None:
                    continue
                if q.kind == QuestionKind.TEXT:
                    if text and text.strip():
                        self.texts.append(text)
                    continue
                if qid in col and number is not None:
                    r, c = row[rid], col[qid]
                    try:
                        s = question_score(q.kind, number, reverse=q.reverse, likert_scores=likert)
                    except (ValueError, KeyError):
                        continue
                    if s is None:
                        continue
                    lo, hi = SCALES[q.kind]
                    self.raw[r, c] = (lo + hi - number) if q.reverse else number
                    self.scores[r, c] = s
        rows = Response.objects.filter(pk__in=response_ids).values_list("id", "index", "nps", "customer_id")
        stored = {rid: (index, nps, cid) for rid, index, nps, cid in rows}
        self.stored_index = np.array([_nan(stored[r][0]) for r in response_ids], float)
        self.stored_nps = np.array([_nan(stored[r][1]) for r in response_ids], float)
        self.customer_ids = [stored[r][2] for r in response_ids]

    def column(self, code: str) -> np.ndarray:
        return self.scores[:, self.scored_codes.index(code)]

    def raw_column(self, code: str) -> np.ndarray:
        return self.raw[:, self.scored_codes.index(code)]

    def nps_answers(self) -> np.ndarray | None:
        """The 0–10 answers of the first NPS question, else the stored ones."""
        for q in self.questions:
            if q.kind == QuestionKind.NPS:
                x = self.raw_column(q.code)
                if np.isfinite(x).any():
                    return x
        return self.stored_nps if np.isfinite(self.stored_nps).any() else None


def _nan(v) -> float:
    return float("nan") if v is None else float(v)


def _f(v, digits: int = 4):
    """A float for JSON: rounded, None for NaN and infinities."""
    if v is None:
        return None
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        return None
    return round(v, digits)


# --------------------------------------------------------------------------
# The pieces
# --------------------------------------------------------------------------

def _leaf_matrix(data: WaveData, survey: Survey):
    """(leaf codes, respondents × leaves on 0–100): a leaf scores the mean of
    the questions measuring it (like :func:`selectors.leaf_score_matrix`)."""
    items = selectors.leaf_items(survey)
    tree = selectors.indicator_tree(survey)
    leaves = [n.indicator.code for n in tree.walk() if n.is_leaf] if tree is not None else []
    codes = [c for c in leaves if c in items]
    m = np.full((data.n, len(codes)), np.nan)
    for j, code in enumerate(codes):
        cols = np.column_stack([data.column(q.code) for q in items[code]])
        with np.errstate(invalid="ignore"), _quiet():
            m[:, j] = np.nanmean(cols, axis=1) if cols.shape[1] > 1 else cols[:, 0]
    return codes, m


class _quiet:
    def __enter__(self):
        import warnings

        self._w = warnings.catch_warnings()
        self._w.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)

    def __exit__(self, *exc):
        self._w.__exit__(*exc)


def csi_part(data: WaveData, survey: Survey, language: str | None = None) -> dict | None:
    """The weighted CSI at every node, or None without a usable hierarchy."""
    tree = selectors.csi_tree(survey)
    nodes = selectors.indicator_tree(survey)
    if tree is None or nodes is None or tree.is_leaf or not data.n:
        return None
    codes, m = _leaf_matrix(data, survey)
    if not codes:
        return None
    model = CSI(tree, cut=float(survey.satisfied_from), keep_scores=True)
    with _quiet():
        try:
            model.fit(m, items=codes)
        except ValueError:
            # a leaf no question measures: leave it out of the tree
            from kehu.analytics.csi import Node

            def prune(node):
                if node.is_leaf:
                    return node if node.name in codes else None
                kids = tuple(k for k in (prune(c) for c in node.children) if k is not None)
                return Node(node.name, node.weight, kids, None) if kids else None

            pruned = prune(tree)
            if pruned is None:
                return None
            model = CSI(pruned, cut=float(survey.satisfied_from), keep_scores=True).fit(m, items=codes)
    rows = []
    parent_of = {}
    for node in nodes.walk():
        for c in node.children:
            parent_of[c.indicator.code] = node.indicator.code
    for node in nodes.walk():
        code = node.indicator.code
        if code not in model.index_:
            continue
        rows.append({
            "code": code, "name": texts.pick(node.indicator.name, language), "level": node.level,
            "parent": parent_of.get(code), "weight": _f(model.local_weights_.get(code, node.indicator.weight)),
            "global_weight": _f(node.global_weight), "index": _f(model.index_[code], 2),
            "satisfaction_rate": _f(model.satisfaction_rate_[code], 2), "n": model.n_answered_[code],
            "leaf": node.is_leaf,
        })
    return {"model": model, "codes": codes, "matrix": m, "nodes": rows,
            "overall": model.scores_[model.root_.name]}


def _satisfaction_construct(constructs: list[str], paths) -> str | None:
    for c in constructs:
        if c.lower() in SATISFACTION_CODES:
            return c
    indegree = Counter(t for _f_, t in paths)
    return max(constructs, key=lambda c: (indegree[c], -constructs.index(c))) if indegree else None


def model_part(data: WaveData, survey: Survey, *, options: dict | None = None,
               language: str | None = None) -> dict | None:
    """The PLS path model of the wave, or None (no constructs, or it cannot be
    estimated; then ``{"error": ...}`` says why). ``options``: the structural
    model's options (:func:`kehu.surveys.definitions.model_options`; default:
    the survey's own)."""
    options = options or defs.model_options(survey.model_options)
    bootstrap = options["bootstrap"]
    from kehu.analytics.pls_pm import PLSPM

    constructs = list(selectors.constructs(survey))
    path_rows = list(selectors.paths(survey))
    if len(constructs) < 2 or not path_rows or not data.n:
        return None
    blocks: dict[str, list[str]] = {}
    ranges: dict[str, tuple[float, float]] = {}
    modes = {}
    for c in constructs:
        qs = [q for q in data.questions if q.construct_id == c.pk and q.kind in SCALES]
        if not qs:
            continue
        blocks[c.code] = [q.code for q in qs]
        lo = min(SCALES[q.kind][0] for q in qs)
        hi = max(SCALES[q.kind][1] for q in qs)
        ranges[c.code] = (lo, hi)
        modes[c.code] = c.mode
    paths = [(p.source.code, p.target.code) for p in path_rows
             if p.source.code in blocks and p.target.code in blocks]
    names = {c.code: texts.pick(c.name, language) or c.code for c in constructs}
    if len(blocks) < 2 or not paths:
        return None
    used = {c for p in paths for c in p}
    blocks = {c: items for c, items in blocks.items() if c in used}
    items = [i for b in blocks.values() for i in b]
    X = np.column_stack([data.raw_column(i) for i in items])
    complete = int(np.isfinite(X).all(axis=1).sum())
    if complete < 10:
        return {"error": _("Too few complete answers to estimate the structural model (%(n)d; at least 10 are "
                           "needed).") % {"n": complete}, "n": complete}
    model = PLSPM(blocks, paths, modes={c: modes[c] for c in blocks}, scale_range={c: ranges[c] for c in blocks},
                  scheme=options["scheme"], scaled=options["scaled"], n_bootstrap=bootstrap, seed=options["seed"])
    try:
        with _quiet():
            model.fit(X, columns=items)
    except (ValueError, np.linalg.LinAlgError) as exc:
        logger.info("path model of %s not estimated: %s", survey.code, exc)
        return {"error": _("The structural model could not be estimated from these answers: %(reason)s")
                % {"reason": str(exc)}, "n": complete}
    boot = model.bootstrap_
    k = len(model.constructs_)
    paths_out = {}
    boot_path = {}
    if boot is not None:
        se, ci = boot.paths_se, boot.paths_ci
        boot_path = {tuple(name): (se[m], ci[m]) for m, name in enumerate(boot.path_names)}
    for (f, t), beta in model.path_coefficients_.items():
        entry = {"from": f, "to": t, "coefficient": _f(beta)}
        if (f, t) in boot_path:
            se, (low, high) = boot_path[(f, t)]
            entry.update(se=_f(se), low=_f(low), high=_f(high))
            entry["significant"] = bool(entry["low"] is not None and (entry["low"] > 0 or entry["high"] < 0))
        paths_out[f"{f}->{t}"] = entry
    load_ci = boot.loadings_ci if boot is not None else None
    outer = []
    for m, item in enumerate(model.manifest_):
        row = {"item": item, "construct": model.block_[m], "loading": _f(model.loadings_[m]),
               "weight": _f(model.outer_weights_[m])}
        if load_ci is not None:
            row.update(low=_f(load_ci[m][0]), high=_f(load_ci[m][1]))
        outer.append(row)
    sat = _satisfaction_construct(model.constructs_, paths)
    total = {}
    if sat is not None:
        j = model.constructs_.index(sat)
        total = {model.constructs_[i]: float(model.total_effects_[i, j]) for i in range(k) if i != j
                 and abs(model.total_effects_[i, j]) > 1e-12}
    return {
        "n": model.n_obs_, "dropped": model.n_dropped_, "bootstrap": bootstrap, "converged": bool(model.converged_),
        "options": dict(options),
        "iterations": model.n_iter_, "satisfaction": sat,
        "constructs": [{"code": c, "name": names.get(c, c), "index": _f(model.index_[c], 2),
                        "r2": _f(model.r2_.get(c)), "items": blocks[c]} for c in model.constructs_],
        "index": {c: _f(v, 2) for c, v in model.index_.items()},
        "paths": paths_out,
        "r2": {c: _f(v) for c, v in model.r2_.items()},
        "reliability": {c: {"alpha": _f(model.cronbach_alpha_[c]), "composite": _f(model.composite_reliability_[c]),
                            "dg_rho": _f(model.dg_rho_[c]), "ave": _f(model.ave_[c])} for c in model.constructs_},
        "outer": outer,
        "total_effects": {c: _f(v) for c, v in total.items()},
        "_scores": model.index_scores_, "_complete": np.isfinite(X).all(axis=1),
    }


def drivers_part(data: WaveData, csi: dict | None, model: dict | None, overall: np.ndarray,
                 language: str | None = None) -> dict | None:
    """Importance–performance of the leaf indicators (or of the constructs
    that drive satisfaction): quadrant per driver."""
    if csi is not None and len(csi["codes"]) >= 2:
        names = {r["code"]: r["name"] for r in csi["nodes"]}
        try:
            ipa = IPA(importance="correlation", names=csi["codes"]).fit(csi["matrix"], overall)
        except ValueError:
            return None
        basis = "correlation"
        rows = [{"code": c, "name": names.get(c, c), "importance": _f(i), "performance": _f(p, 2), "quadrant": q}
                for c, (i, p, q) in ipa.by_name_.items()]
    elif model is not None and "error" not in model and model.get("total_effects"):
        effects = model["total_effects"]
        codes = [c for c in effects if effects[c] is not None]
        if len(codes) < 2:
            return None
        names = {c["code"]: c["name"] for c in model["constructs"]}
        perf = np.array([model["index"][c] for c in codes], float)
        ipa = IPA(importance="given", names=codes).fit(perf[None, :], importance_values=[effects[c] for c in codes])
        basis = "total_effect"
        rows = [{"code": c, "name": names.get(c, c), "importance": _f(i), "performance": _f(p, 2), "quadrant": q}
                for c, (i, p, q) in ipa.by_name_.items()]
    else:
        return None
    if all(r["importance"] is None for r in rows):
        return None
    rows.sort(key=lambda r: -(r["importance"] or -9))
    return {"basis": basis, "importance_cut": _f(ipa.cut_points_[0]), "performance_cut": _f(ipa.cut_points_[1], 2),
            "items": rows}


def zones_part(overall: np.ndarray) -> dict | None:
    x = overall[np.isfinite(overall)]
    if not x.size:
        return None
    z = significance.loyalty_zones(x, scale="0-100")
    counts = {name: int((z == name).sum()) for name in significance.ZONES}
    return {"thresholds": list(significance.ZONE_THRESHOLDS["0-100"]), "n": int(x.size),
            "counts": counts, "shares": {k: _f(100.0 * v / x.size, 2) for k, v in counts.items()}}


def nps_part(answers: np.ndarray | None) -> dict | None:
    if answers is None:
        return None
    a = answers[np.isfinite(answers)]
    if not a.size:
        return None
    r = nps_of(np.round(a))
    return {"value": _f(r.nps, 2), "low": _f(r.ci_low, 2), "high": _f(r.ci_high, 2), "se": _f(r.se),
            "promoters": r.promoters, "passives": r.passives, "detractors": r.detractors, "n": r.n,
            "level": r.level}


# -- keywords -----------------------------------------------------------------

_STOP_WORDS: set[str] | None = None


def stop_words() -> set[str]:
    """Stop words of Chinese and English (kehu/surveys/stopwords/*.txt)."""
    global _STOP_WORDS
    if _STOP_WORDS is None:
        from pathlib import Path

        words: set[str] = set()
        for name in ("zh.txt", "en.txt"):
            path = Path(__file__).parent / "stopwords" / name
            for line in path.read_text(encoding="utf-8").splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    words.add(line.lower())
        _STOP_WORDS = words
    return _STOP_WORDS


_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[A-Za-z][A-Za-z'\-]{2,}")


def keywords(answers: list[str], limit: int = KEYWORDS) -> list[dict]:
    """The most frequent words of free-text answers: Chinese segmented by
    jieba (its own dictionary, shipped in the package), English by letters;
    stop words, numbers and single characters left out. Each word counts
    once per answer (how many respondents mention it)."""
    if not answers:
        return []
    import jieba

    jieba.setLogLevel(logging.WARNING)
    stops = stop_words()
    counts: Counter = Counter()
    for text in answers:
        seen = set()
        for token in jieba.lcut(text):
            token = token.strip().lower()
            if not _WORD.fullmatch(token) or token in stops:
                continue
            seen.add(token)
        counts.update(seen)
    return [{"word": w, "count": c} for w, c in counts.most_common(limit)]


# -- breakdowns ---------------------------------------------------------------

def _groups(kind: str, customer_ids: list, viewer) -> tuple[dict[int, list[str]], dict[str, str]]:
    """customer id → group keys, and key → label, for one breakdown."""
    from kehu.customers.models import Customer, Region

    ids = [c for c in set(customer_ids) if c is not None]
    member: dict[int, list[str]] = {}
    labels: dict[str, str] = {}
    if not ids:
        return member, labels
    if kind == "region":
        names = dict(Region.choices)
        for cid, region in Customer.objects.filter(pk__in=ids).values_list("id", "region"):
            key = region or "-"
            member[cid] = [key]
            labels[key] = str(names.get(region, _("No region")))
    elif kind == "owner":
        rows = Customer.objects.filter(pk__in=ids).values_list("id", "owner_id", "owner__first_name",
                                                                "owner__last_name", "owner__username")
        for cid, oid, first, last, username in rows:
            key = str(oid or "-")
            member[cid] = [key]
            labels[key] = (f"{last}{first}".strip() or username) if oid else _("No owner")
    elif kind == "tier":
        from kehu.insights.models import CustomerScore, ValueTier
        from kehu.insights.selectors import latest_run

        run = latest_run()
        if run is None:
            return member, labels
        names = dict(ValueTier.choices)
        for cid, tier in CustomerScore.objects.filter(run=run, customer_id__in=ids).values_list("customer_id",
                                                                                                "tier"):
            if tier:
                member[cid] = [tier]
                labels[tier] = str(names.get(tier, tier))
    elif kind == "segment":
        from kehu.insights.models import Segment
        from kehu.insights.segments import segment_members

        for segment in Segment.objects.order_by("name", "id")[:20]:
            key = str(segment.pk)
            try:
                found = segment_members(segment=segment, viewer=viewer).filter(pk__in=ids).values_list("id", flat=True)
                found = list(found)
            except Exception:  # noqa: BLE001 - a segment whose rule no longer applies: left out
                logger.exception("segment %s not readable for a survey breakdown", segment.pk)
                continue
            for cid in found:
                member.setdefault(cid, []).append(key)
            labels[key] = segment.name
    return member, labels


def _group_figures(rows_of: dict[str, list[int]], labels: dict[str, str], overall: np.ndarray,
                   satisfied_from: float, nps_answers) -> list[dict]:
    """One breakdown's groups (key → the respondents' rows): n, index, satisfaction rate and NPS,
    the figures left out of a group under :data:`MIN_GROUP` respondents; largest groups first."""
    groups = []
    for key, rows in rows_of.items():
        x = overall[rows]
        x = x[np.isfinite(x)]
        n = len(rows)
        entry = {"key": key, "label": labels.get(key, key), "n": n, "suppressed": n < MIN_GROUP}
        if n >= MIN_GROUP and x.size:
            entry.update(index=_f(x.mean(), 2), satisfaction_rate=_f(100.0 * (x >= satisfied_from).mean(), 2))
            if nps_answers is not None:
                a = nps_answers[rows]
                a = a[np.isfinite(a)]
                entry["nps"] = _f(nps_of(np.round(a)).nps, 2) if a.size else None
        groups.append(entry)
    groups.sort(key=lambda g: (g["suppressed"], -g["n"], g["label"]))
    return groups


def breakdowns_part(data: WaveData, overall: np.ndarray, satisfied_from: float, nps_answers, viewer,
                    kinds=BREAKDOWNS) -> dict:
    out = {}
    for kind in kinds:
        member, labels = _groups(kind, data.customer_ids, viewer)
        rows_of: dict[str, list[int]] = {}
        for r, cid in enumerate(data.customer_ids):
            for key in member.get(cid, []):
                rows_of.setdefault(key, []).append(r)
        out[kind] = _group_figures(rows_of, labels, overall, satisfied_from, nps_answers)
    return out


def _partner_groups(kind: str, partner_ids: list) -> tuple[dict[int, str], dict[str, str]]:
    """partner id → group key, and key → label, for one partner breakdown."""
    from kehu.org.models import Partner, PartnerType

    member: dict[int, str] = {}
    labels: dict[str, str] = {}
    types = dict(PartnerType.choices)
    rows = Partner.objects.filter(pk__in={p for p in partner_ids if p is not None}).values_list(
        "id", "code", "name", "kind", "level")
    for pid, code, name, ptype, level in rows:
        if kind == "partner_type":
            key, label = ptype, str(types.get(ptype, ptype))
        elif kind == "partner_level":
            key, label = str(level), _("Level %(level)s") % {"level": level}
        else:
            key, label = code, name
        member[pid] = key
        labels[key] = label
    return member, labels


def partner_breakdowns_part(data: WaveData, overall: np.ndarray, satisfied_from: float, nps_answers) -> dict:
    """A partner survey's results by partner type, level and partner, with the
    same figures and the same suppression of groups under :data:`MIN_GROUP`
    respondents as the customers' breakdowns."""
    partner_of = dict(Response.objects.filter(pk__in=data.response_ids).values_list("id", "partner_id"))
    partner_ids = [partner_of.get(rid) for rid in data.response_ids]
    out = {}
    for kind in PARTNER_BREAKDOWNS:
        member, labels = _partner_groups(kind, partner_ids)
        rows_of: dict[str, list[int]] = {}
        for r, pid in enumerate(partner_ids):
            if pid in member:
                rows_of.setdefault(member[pid], []).append(r)
        out[kind] = _group_figures(rows_of, labels, overall, satisfied_from, nps_answers)
    return out


# --------------------------------------------------------------------------
# One wave's headline figures (also used for the trend)
# --------------------------------------------------------------------------

def _overall(data: WaveData, csi: dict | None, model: dict | None) -> tuple[np.ndarray, str]:
    """The overall score per respondent on 0–100 and where it comes from."""
    if csi is not None:
        return np.asarray(csi["overall"], float), "csi"
    if model is not None and "error" not in model and model.get("satisfaction"):
        scores = np.full(data.n, np.nan)
        j = [c["code"] for c in model["constructs"]].index(model["satisfaction"])
        scores[model["_complete"]] = model["_scores"][:, j]
        return np.clip(scores, 0, 100), "model"
    return data.stored_index, "stored"


def _headline(data: WaveData, survey: Survey, *, options: dict, language: str | None) -> dict:
    csi = csi_part(data, survey, language)
    model = model_part(data, survey, options=options, language=language)
    overall, basis = _overall(data, csi, model)
    ok = np.isfinite(overall)
    nps_answers = data.nps_answers()
    return {"csi": csi, "model": model, "overall": overall, "basis": basis, "nps_answers": nps_answers,
            "index_value": _f(overall[ok].mean(), 2) if ok.any() else None,
            "satisfied": int((overall[ok] >= survey.satisfied_from).sum()),
            "scored": int(ok.sum()),
            "satisfaction_rate": _f(100.0 * (overall[ok] >= survey.satisfied_from).mean(), 2) if ok.any() else None,
            "nps": nps_part(nps_answers)}


# --------------------------------------------------------------------------
# Everything
# --------------------------------------------------------------------------

def _state(survey: Survey, wave: Wave, qs, every_wave) -> str:
    """A fingerprint of what the results depend on, for the cache key."""
    agg = qs.aggregate(n=Count("id"), last=Max("updated_at"))
    parts = [survey.updated_at.isoformat() if survey.updated_at else "", str(agg["n"]), str(agg["last"])]
    # the wave's own fields: its status and planned sample are in the results
    parts += [str(wave.updated_at), wave.status, json.dumps(wave.sample_design or {}, sort_keys=True, default=str)]
    parts += [f"{c}:{w}:{p}" for c, w, p in survey.indicators.values_list("code", "weight", "parent_id")]
    parts += [f"{q}:{i}:{c}:{k}:{r}" for q, i, c, k, r in
              survey.questions.values_list("code", "indicator_id", "construct_id", "kind", "reverse")]
    parts += [f"{s}>{t}" for s, t in survey.paths.values_list("source_id", "target_id")]
    parts += [f"{b}:{v}:{u}" for b, v, u in Benchmark.objects.filter(survey=survey).values_list("id", "value",
                                                                                             "updated_at")]
    parts += [f"{a}:{u}" for a, u in ImprovementAction.objects.filter(survey=survey).values_list("id", "updated_at")]
    # the trend reads the other waves as the viewer sees them (a reassigned customer changes that)
    other = every_wave.aggregate(n=Count("id"), last=Max("updated_at"), ids=Sum("id"))
    parts += [str(other["n"]), str(other["last"]), str(other["ids"])]
    return hashlib.sha1("|".join(parts).encode()).hexdigest()[:16]


def survey_results(*, viewer, survey: Survey, wave: Wave | None = None, language: str | None = None,
                   bootstrap: int | None = None, model_options: dict | None = None, use_cache: bool = True) -> dict:
    """The results of ``wave`` (default: the latest with responses) as the
    viewer may see them; the JSON of ``kehu survey analyze --json`` and of
    the API. With no responses: ``{"n": 0, ...}`` and empty parts.

    The structural model runs with the survey's options
    (``Survey.model_options``), changed for this call by ``model_options``
    (``scheme``, ``scaled``, ``bootstrap``, ``seed``) and ``bootstrap``."""
    language = texts.language_of(language)
    overrides = dict(model_options or {})
    if bootstrap is not None:
        overrides["bootstrap"] = bootstrap
    options = defs.model_options(survey.model_options, overrides)
    if wave is None:
        wave = default_wave(survey)
    base = {"survey": {"id": survey.pk, "code": survey.code, "title": texts.pick(survey.title, language),
                       "kind": survey.kind, "satisfied_from": survey.satisfied_from},
            "wave": None, "scope": scope_key(viewer, survey), "language": language, "n": 0,
            "weights": weights_part(survey, language), "model_options": options}
    if wave is None:
        return _empty(base)
    base["wave"] = {"id": wave.pk, "name": wave.name, "status": wave.status,
                    "opens_on": wave.opens_on.isoformat() if wave.opens_on else None,
                    "closes_on": wave.closes_on.isoformat() if wave.closes_on else None}
    qs = visible_responses(viewer=viewer, survey=survey, wave=wave)
    key = None
    if use_cache:
        state = _state(survey, wave, qs, visible_responses(viewer=viewer, survey=survey))
        opts = ":".join(f"{k}={options[k]}" for k in sorted(options))
        key = f"kehu:survey-results:v3:{wave.pk}:{base['scope']}:{language}:{opts}:{state}"
        hit = cache.get(key)
        if hit is not None:
            return hit
    result = _compute(viewer=viewer, survey=survey, wave=wave, qs=qs, base=base, language=language,
                      options=options)
    if key is not None:
        cache.set(key, result, CACHE_SECONDS)
    return result


def weights_part(survey: Survey, language: str | None = None) -> list[dict]:
    """How the weights of each indicator's children were set, unrounded: the
    method, each child's weight and, for AHP, λmax, CI, RI, the consistency
    ratio CR = CI/RI and the judgements (Saaty 1980); for entropy weights the
    wave, the respondents and each child's entropy."""
    tree = selectors.indicator_tree(survey)
    out = []
    for node in (tree.walk() if tree is not None else ()):
        if not node.children:
            continue
        ind = node.indicator
        entry = {"indicator": ind.code, "name": texts.pick(ind.name, language) or ind.code,
                 "method": ind.child_weight_method,
                 "weights": {c.indicator.code: float(c.indicator.weight) for c in node.children}}
        basis = ind.ahp or {}
        if ind.child_weight_method == WeightMethod.AHP and basis.get("cr") is not None:
            entry["ahp"] = {k: basis.get(k) for k in ("lambda_max", "ci", "ri", "cr", "order", "matrix")}
            entry["ahp"]["consistent"] = basis["cr"] < 0.10
        elif ind.child_weight_method == WeightMethod.ENTROPY and basis.get("basis") == "entropy":
            entry["entropy"] = {k: basis.get(k) for k in ("wave", "wave_id", "respondents", "left_out", "entropy")}
        out.append(entry)
    return out


def _empty(base: dict) -> dict:
    return {**base, "csi": None, "index": {}, "nodes": [], "satisfaction_rate": None, "satisfied": 0,
            "overall_basis": None, "nps": None, "model": None, "paths": {}, "r2": {}, "reliability": {},
            "drivers": None, "zones": None, "breakdowns": {}, "trend": [], "comparison": None,
            "benchmarks": [], "actions": [], "keywords": [], "sample": None}


def _compute(*, viewer, survey, wave, qs, base, language, options) -> dict:
    ids = list(qs.order_by("id").values_list("id", flat=True))
    data = WaveData(survey, ids)
    out = _empty(base)
    out["n"] = data.n
    out["sample"] = sample_part(viewer=viewer, wave=wave, responses=data.n)
    out["trend"], out["comparison"] = trend_part(viewer=viewer, survey=survey, wave=wave, language=language)
    if not data.n or _too_few(survey, data.n):
        out["benchmarks"] = benchmarks_part(survey, wave, {}, None, None, language)
        out["too_few"] = bool(data.n)
        return out
    h = _headline(data, survey, options=options, language=language)
    csi, model = h["csi"], h["model"]
    out["csi"] = csi["nodes"][0]["index"] if csi else None
    out["index"] = {r["code"]: r["index"] for r in csi["nodes"]} if csi else {}
    out["nodes"] = csi["nodes"] if csi else []
    out["satisfaction_rate"] = h["satisfaction_rate"]
    out["satisfied"] = h["satisfied"]
    out["overall"] = h["index_value"]
    out["overall_basis"] = h["basis"]
    out["nps"] = h["nps"]
    if model is not None:
        public = {k: v for k, v in model.items() if not k.startswith("_")}
        out["model"] = public
        out["paths"] = public.get("paths", {})
        out["r2"] = public.get("r2", {})
        out["reliability"] = public.get("reliability", {})
    with _quiet():
        out["drivers"] = drivers_part(data, csi, model, h["overall"], language)
    out["zones"] = zones_part(h["overall"])
    out["breakdowns"] = breakdowns_part(data, h["overall"], survey.satisfied_from, h["nps_answers"], viewer) \
        if survey.kind == SurveyKind.CUSTOMER else {}
    if survey.kind == SurveyKind.PARTNER:
        out["breakdowns"] = partner_breakdowns_part(data, h["overall"], survey.satisfied_from, h["nps_answers"])
    out["benchmarks"] = benchmarks_part(survey, wave, out["index"], out["overall"], model, language)
    out["actions"] = actions_part(viewer=viewer, survey=survey, wave=wave, index=out["index"], language=language)
    out["keywords"] = keywords(data.texts)
    return out


def _too_few(survey: Survey, n: int) -> bool:
    """An employee wave with fewer respondents than the anonymity threshold shows no figure."""
    if survey.kind != SurveyKind.EMPLOYEE:
        return False
    from kehu.surveys.staff.results import min_group

    return n < min_group()


def sample_part(*, viewer, wave: Wave, responses: int) -> dict:
    """The wave's population and response rate (invitations the viewer may see)."""
    inv = Invitation.objects.filter(wave=wave)
    policy = policy_for(viewer)
    if wave.survey.kind == SurveyKind.CUSTOMER and not policy.view_scope.everything:
        inv = policy.visible(inv.filter(customer__isnull=False), prefix="customer__")
    elif wave.survey.kind == SurveyKind.EMPLOYEE and not policy.sees_everything:
        inv = inv.none()
    elif wave.survey.kind == SurveyKind.PARTNER and not policy.may_read_partner_satisfaction:
        inv = inv.none()
    invited = inv.count()
    design = wave.sample_design or {}
    planned = design.get("size")
    return {"invitations": invited, "responses": responses,
            "response_rate": _f(100.0 * responses / invited, 2) if invited else None,
            # the figures rest on fewer responses than the sample was designed for
            "below_plan": bool(planned) and responses < int(planned),
            "population": design.get("population"), "planned_size": planned,
            "confidence": design.get("confidence"), "margin": design.get("margin"),
            "strata": design.get("strata") or "", "seed": design.get("seed")}


def trend_part(*, viewer, survey: Survey, wave: Wave, language: str | None):
    """Headline figures of every wave with responses up to ``wave``, and the
    tests of ``wave`` against the wave before it."""
    waves = waves_with_responses(survey)
    if wave not in waves:
        waves = waves + [wave]
    waves = waves[: waves.index(wave) + 1]
    rows, kept = [], {}
    for w in waves:
        ids = list(visible_responses(viewer=viewer, survey=survey, wave=w).order_by("id").values_list("id", flat=True))
        data = WaveData(survey, ids)
        if not data.n or _too_few(survey, data.n):
            continue
        h = _headline(data, survey, options=defs.model_options(survey.model_options, {"bootstrap": 0}),
                      language=language)
        kept[w.pk] = h
        rows.append({"wave": w.name, "wave_id": w.pk, "n": data.n, "index": h["index_value"],
                     "satisfaction_rate": h["satisfaction_rate"],
                     "nps": h["nps"]["value"] if h["nps"] else None, "current": w.pk == wave.pk})
    comparison = None
    if len(rows) >= 2 and rows[-1]["wave_id"] == wave.pk:
        a, b = kept[rows[-2]["wave_id"]], kept[wave.pk]
        comparison = {"previous": rows[-2]["wave"], "previous_id": rows[-2]["wave_id"]}
        try:
            t = significance.welch_t_test(a["overall"], b["overall"])
            comparison["index"] = {"difference": _f(t.difference, 2), "p_value": _f(t.p_value), "t": _f(t.t),
                                   "low": _f(t.ci_low, 2), "high": _f(t.ci_high, 2),
                                   "significant": bool(t.p_value < 0.05)}
        except ValueError:
            comparison["index"] = None
        if a["scored"] and b["scored"]:
            z = significance.two_proportion_z_test(a["satisfied"], a["scored"], b["satisfied"], b["scored"])
            comparison["satisfaction_rate"] = {"difference": _f(100 * z.difference, 2), "p_value": _f(z.p_value),
                                               "z": _f(z.z), "significant": bool(z.p_value < 0.05)}
        if a["nps"] and b["nps"]:
            ra = nps_of(np.round(a["nps_answers"][np.isfinite(a["nps_answers"])]))
            rb = nps_of(np.round(b["nps_answers"][np.isfinite(b["nps_answers"])]))
            d = nps_difference(ra, rb)
            comparison["nps"] = {"difference": _f(d.difference, 2), "p_value": _f(d.p_value),
                                 "low": _f(d.ci_low, 2), "high": _f(d.ci_high, 2),
                                 "significant": bool(d.p_value < 0.05)}
        # every indicator, for improvement actions and the report
        if a["csi"] and b["csi"]:
            ia, ib = a["csi"]["model"].index_, b["csi"]["model"].index_
            comparison["indicators"] = {c: _f(ib[c] - ia[c], 2) for c in ib if c in ia}
    return rows, comparison


def benchmarks_part(survey: Survey, wave: Wave, index: dict, overall, model, language) -> list[dict]:
    rows = []
    qs = Benchmark.objects.filter(survey=survey).filter(Q(wave__isnull=True) | Q(wave=wave)).select_related(
        "indicator").order_by("indicator__level", "indicator__position", "name", "id")
    for b in qs:
        if b.indicator_id:
            ours = index.get(b.indicator.code)
            what = texts.pick(b.indicator.name, language) or b.indicator.code
            code = b.indicator.code
        else:
            ours = overall
            what = _("Overall index")
            code = ""
        rows.append({"id": b.pk, "name": b.name, "indicator": code, "indicator_name": what, "value": _f(b.value, 2),
                     "ours": ours, "gap": _f(ours - b.value, 2) if ours is not None else None, "source": b.source,
                     "wave": b.wave.name if b.wave_id else None})
    return rows


def actions_part(*, viewer, survey: Survey, wave: Wave, index: dict, language) -> list[dict]:
    rows = []
    for a in ImprovementAction.objects.filter(survey=survey).select_related("indicator", "owner", "baseline_wave"):
        now = index.get(a.indicator.code)
        moved = _f(now - a.baseline, 2) if now is not None and a.baseline is not None else None
        rows.append({"id": a.pk, "title": a.title, "indicator": a.indicator.code,
                     "indicator_name": texts.pick(a.indicator.name, language) or a.indicator.code,
                     "owner": (a.owner.get_full_name() or a.owner.username) if a.owner else "",
                     "due_on": a.due_on.isoformat() if a.due_on else None, "status": a.status,
                     "status_label": str(a.get_status_display()),
                     "baseline_wave": a.baseline_wave.name if a.baseline_wave else None,
                     "baseline": _f(a.baseline, 2), "target": _f(a.target, 2), "now": now, "moved": moved,
                     "reached": bool(now is not None and a.target is not None and now >= a.target),
                     "same_wave": bool(a.baseline_wave_id == wave.pk)})
    return rows
