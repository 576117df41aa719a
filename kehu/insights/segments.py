"""Saved segments (客户细分): services to create, change and delete them, and
:func:`segment_members`, the selector campaigns and survey samples call.

A segment is either

- a **rule** over customer fields and value scores::

      {"customer": {"kind": "organization", "stage": "customer", "region": "east",
                    "team_id": 4, "owner_id": 7, "city": "上海", "industry": "钢铁", "tag": "vip"},
       "score": {"tier": ["gold", "silver"], "rfm_group": [...], "abc_class": ["A"],
                 "dick_basu": [...], "reinartz_kumar": [...],
                 "churn_risk_min": 0.5, "churn_risk_max": 1, "p_alive_min": 0, "p_alive_max": 0.4,
                 "clv_min": "1000", "clv_max": null, "revenue_min": "5000", "revenue_max": null}}

  every part optional (a rule with only customer fields needs no analysis);
- or a **group of an analysis** (``kind="run_group"``): ``{"field": "tier",
  "value": "gold"}``, for example "the gold tier of the latest analysis".

Score conditions read the segment's ``run``, or the latest finished analysis
when it has none, so "gold customers" follows each new analysis. Members are
always the customers the *viewer* may see: the same segment gives a
salesperson their own gold customers and head office all of them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Customer, CustomerType, LifecycleStage, Region
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.insights.models import (
    AbcClass, AnalysisRun, CustomerScore, DickBasu, ReinartzKumar, RfmGroup, Segment, SegmentKind, ValueTier,
)
from kehu.insights.permissions import can_change_segment, can_create_segment
from kehu.insights.selectors import latest_run
from kehu.org.models import Team, User

CUSTOMER_KEYS = ("kind", "stage", "region", "team_id", "owner_id", "city", "industry", "tag")
GROUP_FIELDS = {
    "tier": ValueTier, "rfm_group": RfmGroup, "abc_class": AbcClass, "dick_basu": DickBasu,
    "reinartz_kumar": ReinartzKumar,
}
FRACTION_BOUNDS = ("churn_risk", "p_alive")
MONEY_BOUNDS = ("clv", "revenue")
SEGMENT_FIELDS = ("name", "description", "kind", "rule", "run")


# -- the rule ----------------------------------------------------------------------

def _text(value, key, errors, max_length=100) -> str:
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        errors[key] = [_("Enter text.")]
        return ""
    value = value.strip()
    if len(value) > max_length:
        errors[key] = [_("Use at most %(max)s characters.") % {"max": max_length}]
    return value


def _choice(value, choices, key, errors) -> str:
    if value in (None, ""):
        return ""
    if value not in choices.values:
        errors[key] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)}]
        return ""
    return value


def _id(value, model, key, errors) -> int | None:
    if value in (None, ""):
        return None
    try:
        pk = int(value)
    except (TypeError, ValueError):
        errors[key] = [_("Enter a whole number.")]
        return None
    if not model.objects.filter(pk=pk).exists():
        errors[key] = [_("No such record, or you may not see it.")]
        return None
    return pk


def _number(value, key, errors, *, low=None, high=None, money=False):
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
        if not number.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors[key] = [_("Enter a number.")]
        return None
    if low is not None and number < low or high is not None and number > high:
        errors[key] = [_("Enter a number between %(low)s and %(high)s.") % {"low": low, "high": high}]
        return None
    return str(number.quantize(Decimal("0.01"))) if money else float(number)


def clean_rule(kind: str, rule) -> dict:
    """The rule in its stored form, or a ``ValidationError`` whose keys name
    the wrong part (``customer.region``, ``score.clv_min``, ``field``)."""
    if not isinstance(rule, dict):
        raise ValidationError({"rule": [_("Send a JSON object.")]})
    errors: dict[str, list[str]] = {}
    if kind == SegmentKind.RUN_GROUP:
        field = rule.get("field")
        if field not in GROUP_FIELDS:
            raise ValidationError({"field": [_("Choose one of: %(choices)s.") % {"choices": ", ".join(GROUP_FIELDS)}]})
        value = rule.get("value")
        if value not in GROUP_FIELDS[field].values:
            raise ValidationError({"value": [_("Choose one of: %(choices)s.") % {
                "choices": ", ".join(GROUP_FIELDS[field].values)}]})
        return {"field": field, "value": value}
    unknown = set(rule) - {"customer", "score"}
    if unknown:
        raise ValidationError({"rule": [_("Unknown field.") + " " + ", ".join(sorted(unknown))]})
    c = rule.get("customer") or {}
    s = rule.get("score") or {}
    if not isinstance(c, dict) or not isinstance(s, dict):
        raise ValidationError({"rule": [_("Send a JSON object.")]})
    for part, allowed in (("customer", set(CUSTOMER_KEYS)),
                          ("score", set(GROUP_FIELDS) | {f"{b}_{m}" for b in FRACTION_BOUNDS + MONEY_BOUNDS
                                                          for m in ("min", "max")})):
        for key in set(rule.get(part) or {}) - allowed:
            errors[f"{part}.{key}"] = [_("Unknown field.")]
    customer = {
        "kind": _choice(c.get("kind"), CustomerType, "customer.kind", errors),
        "stage": _choice(c.get("stage"), LifecycleStage, "customer.stage", errors),
        "region": _choice(c.get("region"), Region, "customer.region", errors),
        "team_id": _id(c.get("team_id"), Team, "customer.team_id", errors),
        "owner_id": _id(c.get("owner_id"), User, "customer.owner_id", errors),
        "city": _text(c.get("city"), "customer.city", errors, 50),
        "industry": _text(c.get("industry"), "customer.industry", errors, 60),
        "tag": _text(c.get("tag"), "customer.tag", errors, 50),
    }
    score = {}
    for field, choices in GROUP_FIELDS.items():
        values = s.get(field) or []
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or any(v not in choices.values for v in values):
            errors[f"score.{field}"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(choices.values)}]
            continue
        if values:
            score[field] = sorted(set(values), key=list(choices.values).index)
    for base in FRACTION_BOUNDS + MONEY_BOUNDS:
        money = base in MONEY_BOUNDS
        low, high = (None, None) if money else (Decimal(0), Decimal(1))
        bounds = {m: _number(s.get(f"{base}_{m}"), f"score.{base}_{m}", errors, low=low, high=high, money=money)
                  for m in ("min", "max")}
        if bounds["min"] is not None and bounds["max"] is not None and Decimal(str(bounds["min"])) > Decimal(
                str(bounds["max"])):
            errors[f"score.{base}_max"] = [_("The upper bound must not be below the lower bound.")]
        for m, v in bounds.items():
            if v is not None:
                score[f"{base}_{m}"] = v
    if errors:
        raise ValidationError(errors)
    out = {}
    customer = {k: v for k, v in customer.items() if v not in ("", None)}
    if customer:
        out["customer"] = customer
    if score:
        out["score"] = score
    return out


def rule_needs_scores(segment: Segment) -> bool:
    return segment.kind == SegmentKind.RUN_GROUP or bool((segment.rule or {}).get("score"))


def segment_run(segment: Segment) -> AnalysisRun | None:
    """The analysis whose scores the segment reads: its own, else the latest."""
    if segment.run_id and segment.run is not None:
        return segment.run
    return latest_run()


def _score_q(rule_score: dict) -> Q:
    q = Q()
    for field in GROUP_FIELDS:
        if rule_score.get(field):
            q &= Q(**{f"{field}__in": rule_score[field]})
    for base in FRACTION_BOUNDS + MONEY_BOUNDS:
        if rule_score.get(f"{base}_min") is not None:
            q &= Q(**{f"{base}__gte": rule_score[f"{base}_min"]})
        if rule_score.get(f"{base}_max") is not None:
            q &= Q(**{f"{base}__lte": rule_score[f"{base}_max"]})
    return q


def segment_members(*, segment: Segment, viewer) -> QuerySet[Customer]:
    """The customers of ``segment`` that ``viewer`` may see. Unordered.

    Campaigns and survey samples call this; it is one query (the score
    conditions are a subquery on the segment's analysis). A segment whose
    conditions need an analysis has no members until one has finished.
    """
    rule = segment.rule or {}
    c = (rule.get("customer") or {}) if segment.kind == SegmentKind.RULE else {}
    filters = CustomerFilters(kind=c.get("kind", ""), stage=c.get("stage", ""), region=c.get("region", ""),
                              owner_id=c.get("owner_id"), city=c.get("city", ""),
                              industry=c.get("industry", ""), tag=c.get("tag", ""))
    qs = customer_list(viewer=viewer, filters=filters)
    if c.get("team_id"):
        from kehu.insights.selectors import team_subtree_ids

        qs = qs.filter(team_id__in=team_subtree_ids(c["team_id"]))
    if rule_needs_scores(segment):
        run = segment_run(segment)
        if run is None:
            return qs.none()
        if segment.kind == SegmentKind.RUN_GROUP:
            score_q = Q(**{rule["field"]: rule["value"]})
        else:
            score_q = _score_q(rule.get("score") or {})
        qs = qs.filter(pk__in=CustomerScore.objects.filter(score_q, run=run).values("customer_id"))
    return qs


def segment_list(*, viewer) -> QuerySet[Segment]:
    """Every saved segment: definitions are shared, members are not (see
    :func:`segment_members`)."""
    return Segment.objects.select_related("created_by", "run")


def segment_get(*, viewer, pk) -> Segment:
    from django.http import Http404

    try:
        return segment_list(viewer=viewer).get(pk=pk)
    except (Segment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# -- services -------------------------------------------------------------------------

def _clean(segment: Segment) -> None:
    errors = {}
    segment.name = (segment.name or "").strip()
    segment.description = (segment.description or "").strip()
    if segment.kind not in SegmentKind.values:
        errors["kind"] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(SegmentKind.values)}]
    else:
        try:
            segment.rule = clean_rule(segment.kind, segment.rule)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if segment.run_id and not AnalysisRun.objects.filter(pk=segment.run_id, status="succeeded").exists():
        errors["run"] = [_("Choose a finished analysis, or none for the latest one.")]
    if segment.name and Segment.objects.filter(name__iexact=segment.name).exclude(pk=segment.pk).exists():
        errors["name"] = [_("A segment with this name already exists.")]
    try:
        segment.full_clean(exclude=["rule", "run", "created_by"])
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def segment_create(*, actor, name: str, kind: str = SegmentKind.RULE, rule: dict | None = None,
                   description: str = "", run: AnalysisRun | None = None) -> Segment:
    if not can_create_segment(actor):
        raise PermissionDenied(_("You may not save segments."))
    segment = Segment(name=name, description=description, kind=kind, rule=rule or {}, run=run, created_by=actor)
    _clean(segment)
    segment.save()
    audit_record(actor=actor, action="create", instance=segment, summary=segment.name,
                 changes=snapshot(segment, list(SEGMENT_FIELDS)))
    return segment


@transaction.atomic
def segment_update(*, actor, segment: Segment, data: dict) -> Segment:
    """Change ``data``'s fields (``name``, ``description``, ``kind``, ``rule``, ``run``)."""
    if not can_change_segment(actor, segment):
        raise PermissionDenied(_("Only the segment's author, an administrator or head office may change it."))
    before = snapshot(segment, list(SEGMENT_FIELDS))
    for key, value in data.items():
        if key not in SEGMENT_FIELDS:
            raise ValidationError({key: [_("Unknown field.")]})
        setattr(segment, key, value)
    _clean(segment)
    segment.save()
    changes = diff(before, snapshot(segment, list(SEGMENT_FIELDS)))
    if changes:
        audit_record(actor=actor, action="update", instance=segment, summary=segment.name, changes=changes)
    return segment


@transaction.atomic
def segment_delete(*, actor, segment: Segment) -> None:
    if not can_change_segment(actor, segment):
        raise PermissionDenied(_("Only the segment's author, an administrator or head office may delete it."))
    audit_record(actor=actor, action="delete", instance=segment, summary=segment.name)
    segment.delete()
