"""Writes to survey definitions: surveys, the indicator hierarchy and its
weights (manual, equal, AHP, entropy), questions, constructs and paths;
creating a survey from a file, a shipped template or another survey.

Every function checks that the actor may design surveys
(:func:`kehu.surveys.selectors.may_design_surveys`), runs in one
transaction, validates, and records an audit event.

Rules that protect answers already given: once a survey has responses its
scored questions cannot be deleted, nor any question's kind changed, nor an
option that was chosen removed, nor an indicator measured by questions
deleted — the index of the waves already measured would change under the
people reading it. Archive the survey and copy it instead. A survey with
responses cannot be deleted (archive it); an archived survey is read-only
until it is restored.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.analytics.csi import Node, node_scores
from kehu.analytics.entropy import entropy_weights
from kehu.audit.services import audit_record, diff, snapshot
from kehu.surveys import definitions as defs
from kehu.surveys import selectors, texts
from kehu.surveys.models import (
    Answer, Construct, ConstructMode, ConstructPath, Indicator, Question, Survey, SurveyKind, SurveyStatus, Wave,
    WeightMethod,
)

MAX_LEVEL = defs.MAX_LEVELS


# --------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------

def _require_designer(actor) -> None:
    if not selectors.may_design_surveys(actor):
        raise PermissionDenied(_("Only administrators, marketing and head-office managers design surveys."))


def _require_editable(survey: Survey) -> None:
    if survey.status == SurveyStatus.ARCHIVED:
        raise ValidationError(_("This survey is archived and cannot be changed; restore it first."))


def _problems_to_error(problems: list[defs.Problem]) -> ValidationError:
    fields: dict[str, list[str]] = {}
    for p in problems:
        fields.setdefault(p.path or "__all__", []).append(p.message)
    return ValidationError(fields)


def _definition_error(exc: defs.DefinitionError) -> ValidationError:
    return ValidationError(exc.as_field_errors())


def _clean_code(code, *, exclude_pk=None) -> str:
    code = (code or "").strip()
    if not defs.SURVEY_CODE_RE.match(code):
        raise ValidationError({"code": [_("Use letters, digits, - and _ (at most 50), e.g. csi-2026.")]})
    if Survey.objects.filter(code=code).exclude(pk=exclude_pk).exists():
        raise ValidationError({"code": [_("A survey with the code %(code)s already exists.") % {"code": code}]})
    return code


# --------------------------------------------------------------------------
# Surveys
# --------------------------------------------------------------------------

SETTING_FIELDS = ("satisfied_from", "follow_up_below", "follow_up_detractors", "follow_up_as", "resurvey_days",
                  "likert_scores")
TEXT_FIELDS = ("title", "description", "intro", "thanks")


def survey_create(*, actor, code: str, kind: str = SurveyKind.CUSTOMER, title, description=None, intro=None,
                  thanks=None) -> Survey:
    """A new, empty draft survey."""
    _require_designer(actor)
    definition = {
        "code": code, "kind": kind, "title": title, "description": description or {}, "intro": intro or {},
        "thanks": thanks or {},
    }
    try:
        definition = defs.validate(definition)
    except defs.DefinitionError as exc:
        raise _definition_error(exc) from None
    return survey_create_from_definition(actor=actor, definition=definition)


def survey_create_from_definition(*, actor, definition: dict, code: str | None = None, title=None,
                                  source: str = "") -> Survey:
    """A new draft survey holding everything in a validated ``definition``
    (:func:`kehu.surveys.definitions.validate`), under ``code`` and ``title``
    when given."""
    _require_designer(actor)
    definition = copy.deepcopy(definition)
    definition["code"] = _clean_code(code if code is not None else definition.get("code"))
    if title is not None:
        definition["title"] = texts.clean(title, field="title")
    with transaction.atomic():
        survey = Survey(code=definition["code"], created_by=actor if getattr(actor, "pk", None) else None)
        _write_definition(survey, definition)
        audit_record(actor=actor, action="create", instance=survey,
                     changes={"source": source or "definition", "questions": len(definition["questions"])},
                     summary=survey.code)
    return survey


def survey_create_from_template(*, actor, template: str, code: str, title=None) -> Survey:
    """A new draft survey from a shipped template (``kehu/surveys/library``)."""
    found = defs.library_template(template)
    if found is None:
        raise ValidationError({"template": [_("There is no template called %(name)s.") % {"name": template}]})
    return survey_create_from_definition(actor=actor, definition=found.definition, code=code, title=title,
                                         source=f"template:{template}")


def survey_install_template(*, template: str, code: str, settings: dict | None = None) -> Survey:
    """A survey made by Kehu itself from a shipped template and put in use at once
    (the service desk's return-visit survey, made the first time a case needs it):
    no actor, so no permission check; ``settings`` override the template's."""
    found = defs.library_template(template)
    if found is None:
        raise ValidationError({"template": [_("There is no template called %(name)s.") % {"name": template}]})
    definition = copy.deepcopy(found.definition)
    definition["code"] = code
    definition["settings"] = {**(definition.get("settings") or defs.SETTINGS_DEFAULTS), **(settings or {})}
    with transaction.atomic():
        survey = Survey(code=code, status=SurveyStatus.ACTIVE)
        _write_definition(survey, definition)
        audit_record(actor=None, action="create", instance=survey,
                     changes={"source": f"template:{template}", "questions": len(definition["questions"])},
                     summary=survey.code)
    return survey


def survey_copy(*, actor, survey: Survey, code: str, title=None) -> Survey:
    """A new draft with the whole definition of ``survey`` (no waves, no answers)."""
    definition = selectors.survey_definition(survey)
    definition["template"] = survey.template
    return survey_create_from_definition(actor=actor, definition=definition, code=code, title=title,
                                         source=f"copy:{survey.code}")


def survey_replace_definition(*, actor, survey: Survey, definition: dict) -> Survey:
    """Replace everything a draft survey holds by ``definition`` (a file
    loaded onto it). Refused once the survey has answers."""
    _require_designer(actor)
    _require_editable(survey)
    if selectors.survey_has_responses(survey):
        raise ValidationError(_("This survey already has answers, so its questions cannot be replaced. Load the "
                                "file as a new survey instead."))
    definition = copy.deepcopy(definition)
    before = selectors.survey_definition(survey)
    with transaction.atomic():
        survey.questions.all().delete()
        survey.paths.all().delete()
        survey.constructs.all().delete()
        survey.indicators.filter(parent__isnull=True).delete()
        survey.indicators.all().delete()
        definition["code"] = survey.code
        _write_definition(survey, definition)
        audit_record(actor=actor, action="replace_definition", instance=survey,
                     changes={"questions": [len(before["questions"]), len(definition["questions"])]},
                     summary=survey.code)
    return survey


def _write_definition(survey: Survey, definition: dict) -> None:
    settings = definition.get("settings") or defs.SETTINGS_DEFAULTS
    survey.kind = definition["kind"]
    for field in TEXT_FIELDS:
        setattr(survey, field, definition.get(field) or {})
    survey.template = definition.get("template") or ""
    for field in SETTING_FIELDS:
        setattr(survey, field, copy.deepcopy(settings.get(field, defs.SETTINGS_DEFAULTS[field])))
    survey.model_options = dict(definition.get("model") or {})
    survey.full_clean()
    survey.save()
    indicators: dict[str, Indicator] = {}

    def add(node: dict, parent: Indicator | None, level: int, position: int) -> None:
        ind = Indicator(survey=survey, parent=parent, code=node["code"], name=node["name"], level=level,
                        position=position, weight=1.0 if parent is None else node["weight"],
                        child_weight_method=node.get("child_weights") or WeightMethod.MANUAL, ahp={})
        if node.get("children") and node.get("child_weights") == WeightMethod.AHP and node.get("ahp"):
            ind.ahp = dict(node["ahp"])
        elif node.get("children") and node.get("child_weights") == WeightMethod.ENTROPY and node.get("entropy"):
            ind.ahp = {"basis": "entropy", **node["entropy"]}
        ind.full_clean(exclude=["survey", "parent"])
        ind.save()
        indicators[ind.code] = ind
        for i, child in enumerate(node.get("children") or []):
            add(child, ind, level + 1, i)

    if definition.get("indicators"):
        add(definition["indicators"], None, 1, 0)
    construct_rows: dict[str, Construct] = {}
    for i, c in enumerate(definition.get("constructs") or []):
        row = Construct(survey=survey, code=c["code"], name=c["name"], mode=c.get("mode") or "A", position=i)
        row.full_clean(exclude=["survey"])
        row.save()
        construct_rows[row.code] = row
    for source, target in definition.get("paths") or []:
        ConstructPath.objects.create(survey=survey, source=construct_rows[source], target=construct_rows[target])
    for i, q in enumerate(definition.get("questions") or []):
        row = Question(
            survey=survey, code=q["code"], position=i, kind=q["kind"], text=q["text"], help=q.get("help") or {},
            options=q.get("options") or [], required=q.get("required", True), condition=q.get("show_if") or {},
            indicator=indicators.get(q.get("indicator") or ""), construct=construct_rows.get(q.get("construct") or ""),
            reverse=q.get("reverse", False),
        )
        row.full_clean(exclude=["survey", "indicator", "construct"])
        row.save()


def survey_update(*, actor, survey: Survey, data: dict[str, Any]) -> Survey:
    """Change a survey's texts and settings (``title``, ``description``,
    ``intro``, ``thanks``, ``kind``, ``satisfied_from``, ``follow_up_below``,
    ``follow_up_detractors``, ``follow_up_as``, ``resurvey_days``, ``likert_scores``). Nothing to
    change is no change, but still only for those who may change the survey."""
    _require_designer(actor)
    if not data:
        return survey
    _require_editable(survey)
    allowed = set(TEXT_FIELDS) | set(SETTING_FIELDS) | {"kind"}
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    errors: dict[str, list[str]] = {}
    before = snapshot(survey)
    for field in TEXT_FIELDS:
        if field in data:
            try:
                setattr(survey, field, texts.clean(data[field], field=field, required=field == "title"))
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if "kind" in data:
        if data["kind"] not in SurveyKind.values:
            errors["kind"] = [_("Choose customer, employee or partner.")]
        elif data["kind"] != survey.kind and selectors.survey_has_responses(survey):
            errors["kind"] = [_("The survey has answers; its kind can no longer change.")]
        else:
            survey.kind = data["kind"]
    settings = {k: data[k] for k in SETTING_FIELDS if k in data}
    if settings:
        try:
            checked = defs.validate({"code": survey.code, "title": survey.title or {"en": survey.code},
                                     "settings": settings})["settings"]
        except defs.DefinitionError as exc:
            for p in exc.problems:
                errors.setdefault(p.path.removeprefix("settings.").split(".")[0], []).append(p.message)
        else:
            for k in settings:
                setattr(survey, k, checked[k])
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        survey.full_clean()
        survey.save()
        changes = diff(before, snapshot(survey))
        if changes:
            audit_record(actor=actor, action="update", instance=survey, changes=changes, summary=survey.code)
    return survey


def survey_set_status(*, actor, survey: Survey, status: str) -> Survey:
    """Put a survey into use (draft → active: only without blocking
    problems), back to draft (only before any answer), archive it, or
    restore an archived one (to active when it has answers, else draft)."""
    _require_designer(actor)
    if status not in SurveyStatus.values:
        raise ValidationError({"status": [_("Choose draft, active or archived.")]})
    old = survey.status
    if status == old:
        return survey
    has_responses = selectors.survey_has_responses(survey)
    if status == SurveyStatus.ACTIVE and old == SurveyStatus.DRAFT:
        blocking = [p.message for p in selectors.survey_problems(survey) if p.blocking]
        if blocking:
            raise ValidationError({"status": [_("The survey cannot be put into use yet:")] + blocking})
    if status == SurveyStatus.DRAFT and has_responses:
        raise ValidationError({"status": [_("The survey has answers and cannot go back to draft.")]})
    survey.status = status
    with transaction.atomic():
        survey.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, action="status", instance=survey, changes={"status": [old, status]},
                     summary=survey.code)
    return survey


def survey_delete(*, actor, survey: Survey) -> None:
    """Delete a survey that has no answers, with its waves, invitations,
    improvement actions and benchmarks. One with answers is archived instead."""
    _require_designer(actor)
    count = selectors.survey_response_count(survey)
    if count:
        raise ValidationError(ngettext(
            "This survey has %(count)d response and cannot be deleted; archive it instead.",
            "This survey has %(count)d responses and cannot be deleted; archive it instead.", count)
            % {"count": count})
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=survey, changes={"code": survey.code},
                     summary=survey.code)
        survey.delete()


# --------------------------------------------------------------------------
# Indicators
# --------------------------------------------------------------------------

def _siblings(survey: Survey, parent: Indicator | None):
    return Indicator.objects.filter(survey=survey, parent=parent).order_by("position", "id")


def _clean_part_code(model, survey: Survey, code, *, exclude_pk=None) -> str:
    """The stripped code of an indicator or construct, checked for form and
    uniqueness within ``survey``."""
    code = (code or "").strip()
    if not defs.CODE_RE.match(code):
        example = "supply" if model is Indicator else "SAT"
        raise ValidationError({"code": [_("A letter, then letters, digits, _ . or - (at most 40), e.g. %(example)s.")
                                        % {"example": example}]})
    if model.objects.filter(survey=survey, code=code).exclude(pk=exclude_pk).exists():
        message = (_("This survey already has an indicator %(code)s.") if model is Indicator
                   else _("This survey already has a construct %(code)s."))
        raise ValidationError({"code": [message % {"code": code}]})
    return code


def indicator_create(*, actor, survey: Survey, parent: Indicator | None, code: str, name) -> Indicator:
    """Add an indicator: the root (the index) when ``parent`` is None, else a
    child of ``parent`` (at most four levels). The new child's siblings are
    re-weighted: equally under equal weights, else the new one gets an equal
    share and the others keep their proportions (the method becomes manual
    and the weights should be reviewed)."""
    _require_designer(actor)
    _require_editable(survey)
    if parent is not None and parent.survey_id != survey.pk:
        raise ValidationError({"parent": [_("This indicator belongs to another survey.")]})
    code = _clean_part_code(Indicator, survey, code)
    name = texts.clean(name, field="name", max_length=200)
    if parent is None:
        if survey.indicators.filter(parent__isnull=True).exists():
            raise ValidationError({"parent": [_("The survey already has its index (the root indicator); add "
                                                "indicators under it.")]})
        level = 1
    else:
        level = parent.level + 1
        if level > MAX_LEVEL:
            raise ValidationError({"parent": [_("Indicators go at most four levels deep; %(name)s is on level 4.")
                                              % {"name": texts.pick(parent.name)}]})
        measured = list(parent.questions.values_list("code", flat=True))
        if measured and not parent.children.exists():
            raise ValidationError({"parent": [_(
                "%(name)s is measured by the questions %(codes)s; link them to another indicator before giving it "
                "sub-indicators.") % {"name": texts.pick(parent.name), "codes": ", ".join(measured)}]})
    with transaction.atomic():
        position = (_siblings(survey, parent).aggregate(m=Max("position"))["m"] or 0) + 1 if parent else 0
        ind = Indicator(survey=survey, parent=parent, code=code, name=name, level=level, position=position,
                        weight=1.0)
        ind.full_clean()
        ind.save()
        if parent is not None:
            _reweigh_after_change(parent, added=ind)
        audit_record(actor=actor, action="create", instance=ind, changes=snapshot(ind),
                     summary=f"{survey.code}/{code}")
    ind.refresh_from_db()
    return ind


def _reweigh_after_change(parent: Indicator, *, added: Indicator | None = None) -> None:
    """Weights of ``parent``'s children after one was added or removed."""
    kids = list(parent.children.order_by("position", "id"))
    if not kids:
        parent.child_weight_method = WeightMethod.MANUAL
        parent.ahp = {}
        parent.save(update_fields=["child_weight_method", "ahp"])
        return
    n = len(kids)
    if parent.child_weight_method == WeightMethod.EQUAL:
        weights = [1.0 / n] * n
    else:
        others = [k for k in kids if added is None or k.pk != added.pk]
        total = sum(k.weight for k in others)
        share = (1.0 / n) if added is not None else 0.0
        weights = []
        for k in kids:
            if added is not None and k.pk == added.pk:
                weights.append(share)
            elif total > 0:
                weights.append(k.weight / total * (1.0 - share))
            else:
                weights.append((1.0 - share) / max(len(others), 1))
        parent.child_weight_method = WeightMethod.MANUAL
        parent.ahp = {}
    for k, w in zip(kids, weights):
        k.weight = w
        k.save(update_fields=["weight"])
    parent.save(update_fields=["child_weight_method", "ahp"])


def indicator_update(*, actor, indicator: Indicator, code: str | None = None, name=None) -> Indicator:
    _require_designer(actor)
    _require_editable(indicator.survey)
    before = snapshot(indicator)
    if code is not None:
        indicator.code = _clean_part_code(Indicator, indicator.survey, code, exclude_pk=indicator.pk)
    if name is not None:
        indicator.name = texts.clean(name, field="name", max_length=200)
    with transaction.atomic():
        indicator.full_clean()
        indicator.save()
        if indicator.parent_id:
            parent = indicator.parent
            if parent.ahp.get("order") and before["code"] != indicator.code:
                parent.ahp["order"] = [indicator.code if c == before["code"] else c for c in parent.ahp["order"]]
                parent.save(update_fields=["ahp"])
        changes = diff(before, snapshot(indicator))
        if changes:
            audit_record(actor=actor, action="update", instance=indicator, changes=changes,
                         summary=f"{indicator.survey.code}/{indicator.code}")
    return indicator


def indicator_delete(*, actor, indicator: Indicator) -> None:
    """Delete an indicator and everything under it; the questions measuring
    them no longer measure an indicator. Refused when the survey has answers
    and questions measure this part of the hierarchy."""
    _require_designer(actor)
    survey = indicator.survey
    _require_editable(survey)
    subtree = _subtree_ids(indicator)
    measured = list(Question.objects.filter(indicator_id__in=subtree).values_list("code", flat=True))
    if measured and selectors.survey_has_responses(survey):
        raise ValidationError(_(
            "The survey has answers and the questions %(codes)s measure this part of the hierarchy; deleting it "
            "would change the index of the waves already measured. Archive the survey and copy it instead.")
            % {"codes": ", ".join(measured)})
    parent = indicator.parent
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=indicator,
                     changes={"code": indicator.code, "indicators": len(subtree), "questions_unlinked": measured},
                     summary=f"{survey.code}/{indicator.code}")
        indicator.delete()
        if parent is not None:
            _reweigh_after_change(parent)


def _subtree_ids(indicator: Indicator) -> list[int]:
    ids = [indicator.pk]
    frontier = [indicator.pk]
    while frontier:
        frontier = list(Indicator.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids.extend(frontier)
    return ids


def indicator_move(*, actor, indicator: Indicator, offset: int) -> None:
    """Move an indicator up (``offset`` −1) or down (+1) among its siblings."""
    _require_designer(actor)
    _require_editable(indicator.survey)
    siblings = list(_siblings(indicator.survey, indicator.parent))
    i = next(k for k, s in enumerate(siblings) if s.pk == indicator.pk)
    j = max(0, min(len(siblings) - 1, i + offset))
    if i == j:
        return
    siblings.insert(j, siblings.pop(i))
    with transaction.atomic():
        for pos, s in enumerate(siblings):
            if s.position != pos:
                s.position = pos
                s.save(update_fields=["position"])


# --------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------

def _children(parent: Indicator) -> list[Indicator]:
    kids = list(parent.children.order_by("position", "id"))
    if not kids:
        raise ValidationError(_("%(name)s has no sub-indicators to weigh.") % {"name": texts.pick(parent.name)})
    return kids


def _save_weights(parent: Indicator, kids: list[Indicator], weights, method: str, basis: dict, actor,
                  action: str) -> None:
    before = {k.code: k.weight for k in kids}
    for k, w in zip(kids, weights):
        k.weight = float(w)
        k.full_clean()
        k.save(update_fields=["weight"])
    parent.child_weight_method = method
    parent.ahp = basis
    parent.save(update_fields=["child_weight_method", "ahp"])
    audit_record(actor=actor, action=action, instance=parent,
                 changes={"method": method, "weights": {k.code: [before[k.code], k.weight] for k in kids}},
                 summary=f"{parent.survey.code}/{parent.code}")


def weights_set_manual(*, actor, parent: Indicator, weights: dict) -> dict:
    """Set the weights of ``parent``'s children by hand. ``weights`` maps each
    child (its id or code) to a number ≥ 0; they are normalised to sum 1
    (so 6 and 4 give 0.6 and 0.4). Returns ``{"weights": {code: w},
    "normalised_from": the sum entered, or None when it was 1}``."""
    _require_designer(actor)
    _require_editable(parent.survey)
    kids = _children(parent)
    by_key = {}
    for k in kids:
        by_key[k.pk] = k
        by_key[str(k.pk)] = k
        by_key[k.code] = k
    errors: dict[str, list[str]] = {}
    values: dict[int, float] = {}
    for key, raw in weights.items():
        kid = by_key.get(key)
        if kid is None:
            errors.setdefault("weights", []).append(_("%(key)s is not a sub-indicator of %(name)s.") % {
                "key": key, "name": texts.pick(parent.name)})
            continue
        try:
            w = float(raw)
        except (TypeError, ValueError):
            errors.setdefault(kid.code, []).append(_("Enter a number."))
            continue
        if not math.isfinite(w) or w < 0:
            errors.setdefault(kid.code, []).append(_("A weight is a number of 0 or more."))
            continue
        values[kid.pk] = w
    for k in kids:
        if k.pk not in values and k.code not in errors:
            errors.setdefault(k.code, []).append(_("Give a weight for %(name)s.") % {"name": texts.pick(k.name)})
    if not errors and sum(values.values()) <= 0:
        errors["weights"] = [_("At least one weight must be more than 0.")]
    if errors:
        raise ValidationError(errors)
    total = sum(values.values())
    normalised = [values[k.pk] / total for k in kids]
    with transaction.atomic():
        _save_weights(parent, kids, normalised, WeightMethod.MANUAL, {}, actor, "weights_manual")
    return {"weights": {k.code: w for k, w in zip(kids, normalised)},
            "normalised_from": None if abs(total - 1) <= 1e-9 else total}


def weights_set_equal(*, actor, parent: Indicator) -> dict:
    _require_designer(actor)
    _require_editable(parent.survey)
    kids = _children(parent)
    w = [1.0 / len(kids)] * len(kids)
    with transaction.atomic():
        _save_weights(parent, kids, w, WeightMethod.EQUAL, {}, actor, "weights_equal")
    return {"weights": {k.code: x for k, x in zip(kids, w)}}


def ahp_labels(kids: list[Indicator], language: str | None = None) -> list[str]:
    return [texts.pick(k.name, language) or k.code for k in kids]


def ahp_check(*, parent: Indicator, matrix, language: str | None = None) -> dict:
    """What :func:`weights_set_ahp` would compute, without saving: the
    result of :func:`kehu.surveys.definitions.ahp_evaluate` with the
    children's codes added. ``ValidationError`` for a malformed matrix."""
    kids = _children(parent)
    matrix = _matrix(matrix, len(kids))
    try:
        result = defs.ahp_evaluate(matrix, ahp_labels(kids, language))
    except ValueError as exc:
        raise ValidationError({"matrix": [str(exc)]}) from None
    result["codes"] = [k.code for k in kids]
    return result


def _matrix(raw, n: int) -> list[list[float]]:
    if not isinstance(raw, (list, tuple)) or len(raw) != n or any(
            not isinstance(r, (list, tuple)) or len(r) != n for r in raw):
        raise ValidationError({"matrix": [_("Give %(n)d rows of %(n)d judgements, one per sub-indicator.")
                                          % {"n": n}]})
    out = []
    for i, row in enumerate(raw):
        values = []
        for j, cell in enumerate(row):
            v = defs._judgement(cell)
            if v is None or v <= 0:
                raise ValidationError({"matrix": [_("Row %(row)d, column %(column)d: a judgement is a positive number "
                                                    "or a fraction such as 1/3.") % {"row": i + 1, "column": j + 1}]})
            values.append(v)
        out.append(values)
    return out


def weights_set_ahp(*, actor, parent: Indicator, matrix) -> dict:
    """Weights of ``parent``'s children from a pairwise comparison matrix
    (rows and columns in the children's order; a_ij = how many times more
    important child i is than child j, on Saaty's 1–9 scale): the principal
    eigenvector, with λmax, CI = (λmax − n)/(n − 1) and CR = CI/RI (Saaty's
    random index) stored with them. Refused when CR ≥ 0.10, naming the most
    inconsistent judgement (:mod:`kehu.analytics.ahp`)."""
    _require_designer(actor)
    _require_editable(parent.survey)
    kids = _children(parent)
    if len(kids) < 2:
        raise ValidationError({"matrix": [_("AHP compares at least two sub-indicators.")]})
    result = ahp_check(parent=parent, matrix=matrix)
    if not result["ok"]:
        raise ValidationError({"matrix": [result["message"]]})
    basis = {"matrix": result["matrix"], "order": result["codes"], "lambda_max": result["lambda_max"],
             "ci": result["ci"], "ri": result["ri"], "cr": result["cr"]}
    with transaction.atomic():
        _save_weights(parent, kids, result["weights"], WeightMethod.AHP, basis, actor, "weights_ahp")
    return result


def entropy_matrix(*, parent: Indicator, wave: Wave) -> tuple[np.ndarray, list[str], int]:
    """The respondents × children matrix of scores (0–100) the entropy
    weights of ``parent``'s children are computed from: each complete
    response of ``wave`` scored on every child by the weighted-average method
    (a child that is itself a group scores the weighted mean of what the
    respondent answered under it); rows missing a child are left out.
    Returns ``(matrix, child codes, respondents left out)``."""
    kids = _children(parent)
    survey = parent.survey
    tree = selectors.indicator_tree(survey)
    node = next(n for n in tree.walk() if n.indicator.pk == parent.pk)
    codes, matrix = selectors.leaf_score_matrix(survey=survey, wave=wave)
    if matrix.shape[0] == 0:
        return np.zeros((0, len(kids))), [k.code for k in kids], 0

    def build(n) -> Node:
        children = tuple(build(c) for c in n.children if c.indicator.weight > 0)
        return Node(name=n.indicator.code, weight=n.indicator.weight or 1.0, children=children,
                    item=n.indicator.code if not children else None)

    sub = build(node)
    columns = []
    for child in sub.children:
        if child.is_leaf:
            columns.append(matrix[:, codes.index(child.name)])
        else:
            columns.append(node_scores(child, matrix, items=codes)[child.name])
    if len(columns) != len(kids):  # a child of weight 0 still gets its column
        by_name = {c.name: col for c, col in zip(sub.children, columns)}
        columns = []
        for k in kids:
            if k.code in by_name:
                columns.append(by_name[k.code])
            else:
                columns.append(node_scores(build(next(n for n in node.children if n.indicator.pk == k.pk)),
                                           matrix, items=codes)[k.code])
    m = np.column_stack(columns)
    complete = np.isfinite(m).all(axis=1)
    return m[complete], [k.code for k in kids], int((~complete).sum())


def weights_set_entropy(*, actor, parent: Indicator, wave: Wave) -> dict:
    """Objective weights of ``parent``'s children by the entropy weight method
    (:mod:`kehu.analytics.entropy`, column shares as in Xu 2004) over the
    children's scores in the complete responses of ``wave``. The wave, the
    number of respondents and each child's entropy are stored with the
    weights."""
    _require_designer(actor)
    _require_editable(parent.survey)
    if wave.survey_id != parent.survey_id:
        raise ValidationError({"wave": [_("This wave belongs to another survey.")]})
    kids = _children(parent)
    if len(kids) < 2:
        raise ValidationError({"wave": [_("Entropy weights compare at least two sub-indicators.")]})
    m, codes, left_out = entropy_matrix(parent=parent, wave=wave)
    if m.shape[0] < 2:
        raise ValidationError({"wave": [_(
            "Entropy weights need at least two complete responses that answer every sub-indicator of %(name)s; "
            "the wave %(wave)s has %(count)d.") % {"name": texts.pick(parent.name), "wave": wave.name,
                                                    "count": m.shape[0]}]})
    try:
        w, e = entropy_weights(m, normalise="sum")
    except ValueError:
        raise ValidationError({"wave": [_("Every sub-indicator scored the same for every respondent of this wave, "
                                          "so the answers carry no information to weigh them by.")]}) from None
    basis = {"basis": "entropy", "wave_id": wave.pk, "wave": wave.name, "respondents": int(m.shape[0]),
             "left_out": left_out, "entropy": {c: float(x) for c, x in zip(codes, e)},
             "computed_at": timezone.now().isoformat()}
    with transaction.atomic():
        _save_weights(parent, kids, w, WeightMethod.ENTROPY, basis, actor, "weights_entropy")
    return {"weights": {c: float(x) for c, x in zip(codes, w)}, **basis}


# --------------------------------------------------------------------------
# Questions
# --------------------------------------------------------------------------

QUESTION_INPUT = {"code", "kind", "text", "help", "options", "required", "condition", "indicator", "construct",
                  "reverse"}


def _question_context(survey: Survey, *, before_position: int | None, exclude_pk=None):
    earlier = {}
    for q in survey.questions.exclude(pk=exclude_pk).order_by("position", "id"):
        if before_position is not None and q.position >= before_position:
            break
        earlier[q.code] = {"kind": q.kind, "options": q.options}
    leaves = set(survey.indicators.filter(children__isnull=True).values_list("code", flat=True))
    all_codes = set(survey.indicators.values_list("code", flat=True))
    constructs = set(survey.constructs.values_list("code", flat=True))
    return earlier, leaves, all_codes, constructs


def _question_item(data: dict[str, Any], current: Question | None) -> dict:
    """The service's input in the file's shape (objects → codes)."""
    def get(key, default):
        if key in data:
            return data[key]
        return default

    indicator = get("indicator", current.indicator if current else None)
    construct = get("construct", current.construct if current else None)
    return {
        "code": get("code", current.code if current else ""),
        "kind": get("kind", current.kind if current else ""),
        "text": get("text", current.text if current else {}),
        "help": get("help", current.help if current else {}),
        "options": get("options", current.options if current else []),
        "required": get("required", current.required if current else True),
        "reverse": get("reverse", current.reverse if current else False),
        "show_if": get("condition", current.condition if current else {}) or None,
        "indicator": indicator.code if isinstance(indicator, Indicator) else (indicator or None),
        "construct": construct.code if isinstance(construct, Construct) else (construct or None),
    }


def _check_question(survey: Survey, data: dict, current: Question | None) -> dict:
    unknown = set(data) - QUESTION_INPUT
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in sorted(unknown)})
    for key, model in (("indicator", Indicator), ("construct", Construct)):
        obj = data.get(key)
        if isinstance(obj, model) and obj.survey_id != survey.pk:
            raise ValidationError({key: [_("This belongs to another survey.")]})
    item = _question_item(data, current)
    earlier, leaves, all_codes, constructs = _question_context(
        survey, before_position=current.position if current else None, exclude_pk=current.pk if current else None)
    if current is not None and current.code in earlier:
        del earlier[current.code]
    q, problems = defs.check_question(item, earlier=earlier, leaves=leaves, indicators=all_codes,
                                      constructs=constructs)
    renamed = {"show_if": "condition"}
    if problems:
        fields: dict[str, list[str]] = {}
        for p in problems:
            key = p.path.split(".")[0].split("[")[0] or "__all__"
            fields.setdefault(renamed.get(key, key), []).append(p.message)
        raise ValidationError(fields)
    if Question.objects.filter(survey=survey, code=q["code"]).exclude(pk=current.pk if current else None).exists():
        raise ValidationError({"code": [_("This survey already has a question %(code)s.") % {"code": q["code"]}]})
    return q


def _apply_question(row: Question, q: dict, survey: Survey) -> None:
    row.code = q["code"]
    row.kind = q["kind"]
    row.text = q["text"]
    row.help = q["help"]
    row.options = q["options"]
    row.required = q["required"]
    row.reverse = q["reverse"]
    row.condition = q["show_if"] or {}
    row.indicator = survey.indicators.get(code=q["indicator"]) if q.get("indicator") else None
    row.construct = survey.constructs.get(code=q["construct"]) if q.get("construct") else None


def question_create(*, actor, survey: Survey, data: dict[str, Any]) -> Question:
    """Add a question at the end of the questionnaire. ``data``: ``code``,
    ``kind``, ``text``, ``help``, ``options`` (choice questions:
    ``[{"value", "label"}]``), ``required``, ``reverse``, ``condition``
    (``{"question", "op", "value"}`` on an earlier question), ``indicator``
    and ``construct`` (objects or codes; scored questions only)."""
    _require_designer(actor)
    _require_editable(survey)
    q = _check_question(survey, data, None)
    with transaction.atomic():
        position = (survey.questions.aggregate(m=Max("position"))["m"] or 0) + 1 if survey.questions.exists() else 0
        row = Question(survey=survey, position=position)
        _apply_question(row, q, survey)
        row.full_clean()
        try:
            row.save()
        except IntegrityError:
            raise ValidationError({"code": [_("This survey already has a question %(code)s.") % {
                "code": row.code}]}) from None
        audit_record(actor=actor, action="create", instance=row, changes=snapshot(row),
                     summary=f"{survey.code}/{row.code}")
    return row


def question_update(*, actor, question: Question, data: dict[str, Any]) -> Question:
    """Change a question (the fields of :func:`question_create`). Once it has
    answers its kind cannot change and an option that was chosen cannot be
    removed. A new code is carried into the conditions that refer to it."""
    survey = question.survey
    _require_designer(actor)
    _require_editable(survey)
    q = _check_question(survey, data, question)
    answers = Answer.objects.filter(question=question)
    if answers.exists():
        if q["kind"] != question.kind:
            raise ValidationError({"kind": [_("This question already has answers; its kind can no longer change. "
                                              "Add a new question instead.")]})
        if question.kind in defs.CHOICE_KINDS:
            kept = {o["value"] for o in q["options"]}
            removed = [o["value"] for o in question.options if o["value"] not in kept]
            used = sorted({v for choices in answers.values_list("choices", flat=True) for v in (choices or [])
                           if v in removed})
            if used:
                raise ValidationError({"options": [_("The options %(values)s were chosen in answers already and "
                                                     "cannot be removed.") % {"values": ", ".join(used)}]})
    dependants = Question.objects.filter(survey=survey, condition__question=question.code).exclude(pk=question.pk)
    for dep in dependants:
        problem = defs.condition_problem(dep.condition, {q["code"]: {"kind": q["kind"], "options": q["options"]}})
        if problem:
            raise ValidationError({"__all__": [_("Question %(code)s is shown depending on this one, and its condition "
                                                 "would no longer work: %(problem)s") % {"code": dep.code,
                                                                                        "problem": problem}]})
    before = snapshot(question)
    old_code = question.code
    with transaction.atomic():
        _apply_question(question, q, survey)
        question.full_clean()
        question.save()
        if old_code != question.code:
            for dep in dependants:
                dep.condition = {**dep.condition, "question": question.code}
                dep.save(update_fields=["condition"])
        changes = diff(before, snapshot(question))
        if changes:
            audit_record(actor=actor, action="update", instance=question, changes=changes,
                         summary=f"{survey.code}/{question.code}")
    return question


def question_delete_check(question: Question) -> dict:
    """What deleting ``question`` would do: ``{"allowed", "reason",
    "answers", "needs_confirmation"}`` — refused for a scored question of a
    survey with answers, or one that other questions depend on; a question
    with answers of its own needs confirmation (they are deleted with it)."""
    survey = question.survey
    answers = selectors.question_answer_count(question)
    dependants = list(Question.objects.filter(survey=survey, condition__question=question.code)
                      .exclude(pk=question.pk).values_list("code", flat=True))
    if survey.status == SurveyStatus.ARCHIVED:
        return {"allowed": False, "reason": _("This survey is archived and cannot be changed; restore it first."),
                "answers": answers, "needs_confirmation": False}
    if dependants:
        return {"allowed": False, "answers": answers, "needs_confirmation": False, "reason": _(
            "The questions %(codes)s are shown depending on the answer to this one; change their conditions "
            "first.") % {"codes": ", ".join(dependants)}}
    if question.kind in defs.SCALES and selectors.survey_has_responses(survey):
        return {"allowed": False, "answers": answers, "needs_confirmation": False, "reason": _(
            "The survey has answers, and this is a scored question: deleting it would change the index of the "
            "waves already measured. Archive the survey and copy it to change the questionnaire.")}
    return {"allowed": True, "reason": "", "answers": answers, "needs_confirmation": answers > 0}


def question_delete(*, actor, question: Question, confirm: bool = False) -> None:
    """Delete a question (see :func:`question_delete_check`); one with
    answers only with ``confirm=True``, and its answers go with it."""
    _require_designer(actor)
    check = question_delete_check(question)
    if not check["allowed"]:
        raise ValidationError(check["reason"])
    if check["needs_confirmation"] and not confirm:
        raise ValidationError(ngettext(
            "This question has %(count)d answer, which would be deleted with it; confirm to delete both.",
            "This question has %(count)d answers, which would be deleted with them; confirm to delete all.",
            check["answers"]) % {"count": check["answers"]})
    survey = question.survey
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=question,
                     changes={"code": question.code, "answers": check["answers"]},
                     summary=f"{survey.code}/{question.code}")
        question.delete()
        _renumber(survey)


def _renumber(survey: Survey) -> None:
    for pos, q in enumerate(survey.questions.order_by("position", "id")):
        if q.position != pos:
            q.position = pos
            q.save(update_fields=["position"])


def question_move(*, actor, question: Question, offset: int) -> None:
    """Move a question up (``offset`` < 0) or down. Refused when that would
    put it before a question its condition looks at, or after one whose
    condition looks at it."""
    survey = question.survey
    _require_designer(actor)
    _require_editable(survey)
    rows = list(survey.questions.order_by("position", "id"))
    i = next(k for k, r in enumerate(rows) if r.pk == question.pk)
    j = max(0, min(len(rows) - 1, i + offset))
    if i == j:
        return
    rows.insert(j, rows.pop(i))
    order = [r.code for r in rows]
    for r in rows:
        ref = (r.condition or {}).get("question")
        if ref and ref in order and order.index(ref) > order.index(r.code):
            raise ValidationError(_("%(code)s is shown depending on %(ref)s, so it must come after it.") % {
                "code": r.code, "ref": ref})
    with transaction.atomic():
        for pos, r in enumerate(rows):
            if r.position != pos:
                r.position = pos
                r.save(update_fields=["position"])
        audit_record(actor=actor, action="move", instance=question, changes={"position": [i, j]},
                     summary=f"{survey.code}/{question.code}")


# --------------------------------------------------------------------------
# Constructs and paths
# --------------------------------------------------------------------------

def construct_create(*, actor, survey: Survey, code: str, name, mode: str = ConstructMode.REFLECTIVE) -> Construct:
    _require_designer(actor)
    _require_editable(survey)
    code = _clean_part_code(Construct, survey, code)
    name = texts.clean(name, field="name", max_length=200)
    if mode not in ConstructMode.values:
        raise ValidationError({"mode": [_("Choose A (reflective) or B (formative).")]})
    with transaction.atomic():
        position = (survey.constructs.aggregate(m=Max("position"))["m"] or 0) + 1 if survey.constructs.exists() else 0
        row = Construct(survey=survey, code=code, name=name, mode=mode, position=position)
        row.full_clean()
        row.save()
        audit_record(actor=actor, action="create", instance=row, changes=snapshot(row),
                     summary=f"{survey.code}/{code}")
    return row


def construct_update(*, actor, construct: Construct, code: str | None = None, name=None,
                     mode: str | None = None) -> Construct:
    _require_designer(actor)
    _require_editable(construct.survey)
    before = snapshot(construct)
    if code is not None:
        construct.code = _clean_part_code(Construct, construct.survey, code, exclude_pk=construct.pk)
    if name is not None:
        construct.name = texts.clean(name, field="name", max_length=200)
    if mode is not None:
        if mode not in ConstructMode.values:
            raise ValidationError({"mode": [_("Choose A (reflective) or B (formative).")]})
        construct.mode = mode
    with transaction.atomic():
        construct.full_clean()
        construct.save()
        changes = diff(before, snapshot(construct))
        if changes:
            audit_record(actor=actor, action="update", instance=construct, changes=changes,
                         summary=f"{construct.survey.code}/{construct.code}")
    return construct


def construct_delete(*, actor, construct: Construct) -> None:
    """Delete a construct with its paths; its questions no longer measure a construct."""
    _require_designer(actor)
    _require_editable(construct.survey)
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=construct,
                     changes={"code": construct.code,
                              "questions_unlinked": list(construct.questions.values_list("code", flat=True))},
                     summary=f"{construct.survey.code}/{construct.code}")
        construct.delete()


def path_create(*, actor, survey: Survey, source: Construct, target: Construct) -> ConstructPath:
    """Add the arrow ``source → target`` to the path model; refused when it
    would close a loop (the model must be recursive)."""
    _require_designer(actor)
    _require_editable(survey)
    if source.survey_id != survey.pk or target.survey_id != survey.pk:
        raise ValidationError({"source": [_("Both constructs must belong to this survey.")]})
    if source.pk == target.pk:
        raise ValidationError({"target": [_("A construct cannot drive itself.")]})
    if survey.paths.filter(source=source, target=target).exists():
        raise ValidationError({"target": [_("The path %(source)s -> %(target)s already exists.") % {
            "source": source.code, "target": target.code}]})
    existing = [[p.source.code, p.target.code] for p in survey.paths.select_related("source", "target")]
    cycle = defs.find_cycle(existing + [[source.code, target.code]])
    if cycle:
        raise ValidationError({"target": [_("This path would close a loop (%(cycle)s); a path model must not loop "
                                            "back.") % {"cycle": " -> ".join(cycle)}]})
    with transaction.atomic():
        row = ConstructPath(survey=survey, source=source, target=target)
        row.full_clean()
        row.save()
        audit_record(actor=actor, action="create", instance=row, changes={"path": f"{source.code}->{target.code}"},
                     summary=f"{survey.code}/{source.code}->{target.code}")
    return row


def path_delete(*, actor, path: ConstructPath) -> None:
    _require_designer(actor)
    _require_editable(path.survey)
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=path,
                     changes={"path": f"{path.source.code}->{path.target.code}"},
                     summary=f"{path.survey.code}/{path.source.code}->{path.target.code}")
        path.delete()
