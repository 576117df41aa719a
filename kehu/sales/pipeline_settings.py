"""Administrators' writes of the pipelines, their stages and the reasons for losing.

Rules (checked here, so the pages, the API and the command agree):

- only an administrator may (PermissionDenied otherwise);
- a pipeline has exactly one won stage and at least one lost stage among its active
  stages, and at least one open one; every change that would break this is refused;
- a stage that has or had opportunities (its current ones or its stage history) cannot
  be deleted: deactivate it (no opportunity moves into it) or move its opportunities;
- the default pipeline cannot be deactivated; making a pipeline the default takes that
  from the previous one;
- every write is audited (kehu/audit).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.org.policies import policy_for
from kehu.sales.models import LostReason, Opportunity, Pipeline, Stage, StageChange, StageOutcome

PIPELINE_FIELDS = {"name_zh", "name_en", "product_line", "is_default", "active"}
STAGE_FIELDS = {"code", "name_zh", "name_en", "position", "probability", "outcome", "active"}
REASON_FIELDS = {"code", "name_zh", "name_en", "position", "active"}


class StageInUse(Exception):
    """A stage with opportunities (now or in their history) cannot be deleted."""


def _require_admin(actor) -> None:
    if not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only an administrator may change the pipelines and the reasons for losing."))


def _unknown(data: dict, allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})


def _full_clean(obj, exclude=()) -> None:
    obj.full_clean(exclude=list(exclude), validate_unique=True)


def check_stages(stages: list[Stage]) -> None:
    """Exactly one won stage, at least one lost and one open stage among the active ones."""
    active = [s for s in stages if s.active]
    won = sum(1 for s in active if s.outcome == StageOutcome.WON)
    if won != 1:
        raise ValidationError({"outcome": _("A pipeline has exactly one won stage in use (now %(n)d).") % {"n": won}})
    if not any(s.outcome == StageOutcome.LOST for s in active):
        raise ValidationError({"outcome": _("A pipeline needs at least one lost stage in use.")})
    if not any(s.outcome == StageOutcome.OPEN for s in active):
        raise ValidationError({"outcome": _("A pipeline needs at least one open stage in use.")})


def _audit(actor, action, obj, changes=None, summary=""):
    audit_record(actor=actor, action=action, instance=obj, changes=changes, summary=summary or str(obj))


def _take_default(pipeline: Pipeline) -> None:
    Pipeline.objects.filter(is_default=True).exclude(pk=pipeline.pk).update(is_default=False)


# -- pipelines -----------------------------------------------------------------------

def pipeline_create(*, actor, data: dict, stages: list[dict] | None = None) -> Pipeline:
    """A pipeline with ``stages`` (dicts of the stage fields; default: a copy of the
    default pipeline's active stages)."""
    _require_admin(actor)
    data = dict(data)
    _unknown(data, PIPELINE_FIELDS)
    if stages is None:
        from kehu.sales.opportunities import default_pipeline

        source = default_pipeline()
        stages = [{f: getattr(s, f) for f in STAGE_FIELDS} for s in
                  (source.stages.filter(active=True).order_by("position", "id") if source else [])]
    pipeline = Pipeline(**data)
    _full_clean(pipeline, exclude=["is_default"])
    built = []
    for i, raw in enumerate(stages):
        raw = {k: v for k, v in raw.items() if v is not None}
        try:
            _unknown(raw, STAGE_FIELDS)
            raw.setdefault("position", i)
            raw.setdefault("probability", {"won": 100}.get(raw.get("outcome"), 0))
            raw.setdefault("code", slugify(raw.get("name_en") or "") or f"stage-{i + 1}")
            stage = Stage(pipeline=pipeline, **raw)
            _full_clean(stage, exclude=["pipeline"])
        except ValidationError as exc:
            raise ValidationError({f"stages.{i}.{k}": v for k, v in exc.message_dict.items()}) from None
        built.append(stage)
    if len({s.code for s in built}) != len(built):
        raise ValidationError({"stages": _("Each stage of a pipeline needs its own code.")})
    check_stages(built)
    with transaction.atomic():
        if pipeline.is_default:
            _take_default(pipeline)
        pipeline.save()
        for stage in built:
            stage.pipeline = pipeline
            stage.save()
        _audit(actor, "create", pipeline, snapshot(pipeline, PIPELINE_FIELDS))
    return pipeline


def pipeline_update(*, actor, pipeline: Pipeline, data: dict) -> Pipeline:
    _require_admin(actor)
    _unknown(data, PIPELINE_FIELDS)
    before = snapshot(pipeline, PIPELINE_FIELDS)
    for k, v in data.items():
        setattr(pipeline, k, v)
    if pipeline.is_default and not pipeline.active:
        raise ValidationError({"active": _("The default pipeline cannot be deactivated; make another one the "
                                           "default first.")})
    if not pipeline.is_default and before["is_default"]:
        raise ValidationError({"is_default": _("Make another pipeline the default instead.")})
    _full_clean(pipeline, exclude=["is_default"])
    with transaction.atomic():
        if pipeline.is_default:
            _take_default(pipeline)
        pipeline.save()
        _audit(actor, "update", pipeline, diff(before, snapshot(pipeline, PIPELINE_FIELDS)))
    return pipeline


# -- stages --------------------------------------------------------------------------

def _with(pipeline: Pipeline, stage: Stage, drop: bool = False) -> list[Stage]:
    others = [s for s in pipeline.stages.all() if s.pk != stage.pk]
    return others if drop else others + [stage]


def stage_add(*, actor, pipeline: Pipeline, data: dict) -> Stage:
    _require_admin(actor)
    data = dict(data)
    _unknown(data, STAGE_FIELDS)
    if data.get("position") is None:
        last = pipeline.stages.order_by("-position").first()
        data["position"] = (last.position + 1) if last else 0
    if not data.get("code"):
        data["code"] = slugify(data.get("name_en") or "") or f"stage-{pipeline.stages.count() + 1}"
    if data.get("probability") is None:
        data["probability"] = {"won": 100, "lost": 0}.get(data.get("outcome"), 0)
    stage = Stage(pipeline=pipeline, **data)
    _full_clean(stage, exclude=["pipeline"])
    if pipeline.stages.filter(code=stage.code).exists():
        raise ValidationError({"code": _("This pipeline already has a stage with this code.")})
    check_stages(_with(pipeline, stage))
    with transaction.atomic():
        stage.save()
        _audit(actor, "create", stage, snapshot(stage, STAGE_FIELDS), f"{pipeline} · {stage}")
    return stage


def stage_update(*, actor, stage: Stage, data: dict) -> Stage:
    _require_admin(actor)
    _unknown(data, STAGE_FIELDS)
    before = snapshot(stage, STAGE_FIELDS)
    for k, v in data.items():
        setattr(stage, k, v)
    _full_clean(stage, exclude=["pipeline"])
    if stage.outcome != before["outcome"] and Opportunity.objects.filter(stage=stage).exists():
        raise ValidationError({"outcome": _("Opportunities are in this stage: its outcome cannot change.")})
    if Stage.objects.filter(pipeline_id=stage.pipeline_id, code=stage.code).exclude(pk=stage.pk).exists():
        raise ValidationError({"code": _("This pipeline already has a stage with this code.")})
    check_stages(_with(stage.pipeline, stage))
    with transaction.atomic():
        stage.save()
        _audit(actor, "update", stage, diff(before, snapshot(stage, STAGE_FIELDS)), f"{stage.pipeline} · {stage}")
    return stage


def stage_in_use(stage: Stage) -> bool:
    return (Opportunity.objects.filter(stage=stage).exists()
            or StageChange.objects.filter(to_stage=stage).exists()
            or StageChange.objects.filter(from_stage=stage).exists())


def stage_delete(*, actor, stage: Stage) -> None:
    """Delete a stage nothing ever was in (StageInUse otherwise: deactivate it)."""
    _require_admin(actor)
    if stage_in_use(stage):
        raise StageInUse(_("Stage “%(stage)s” has or had opportunities: deactivate it instead, or move its "
                           "opportunities to another stage.") % {"stage": stage})
    check_stages(_with(stage.pipeline, stage, drop=True))
    name = f"{stage.pipeline} · {stage}"
    with transaction.atomic():
        _audit(actor, "delete", stage, snapshot(stage, STAGE_FIELDS), name)
        try:
            stage.delete()
        except IntegrityError:   # an opportunity arrived meanwhile
            raise StageInUse(_("Stage “%(stage)s” has or had opportunities: deactivate it instead, or move its "
                               "opportunities to another stage.") % {"stage": name}) from None


# -- reasons for losing ---------------------------------------------------------------

def lost_reason_create(*, actor, data: dict) -> LostReason:
    _require_admin(actor)
    data = dict(data)
    _unknown(data, REASON_FIELDS)
    if not data.get("code"):
        data["code"] = slugify(data.get("name_en") or "") or f"reason-{LostReason.objects.count() + 1}"
    if data.get("position") is None:
        last = LostReason.objects.order_by("-position").first()
        data["position"] = (last.position + 1) if last else 0
    reason = LostReason(**data)
    _full_clean(reason)
    with transaction.atomic():
        reason.save()
        _audit(actor, "create", reason, snapshot(reason, REASON_FIELDS))
    return reason


def lost_reason_update(*, actor, reason: LostReason, data: dict) -> LostReason:
    _require_admin(actor)
    _unknown(data, REASON_FIELDS)
    before = snapshot(reason, REASON_FIELDS)
    for k, v in data.items():
        setattr(reason, k, v)
    _full_clean(reason)
    with transaction.atomic():
        reason.save()
        _audit(actor, "update", reason, diff(before, snapshot(reason, REASON_FIELDS)))
    return reason
