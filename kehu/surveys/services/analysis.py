"""Writes of the analysis part: the benchmarks (定点超越) a survey's results
are compared with. Designers of surveys (``selectors.may_design_surveys``)
add, change and delete them; every change is audited."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.surveys import selectors
from kehu.surveys.models import Benchmark, Indicator, Survey, Wave

FIELDS = ["name", "value", "source", "indicator", "wave"]


def _require_designer(actor) -> None:
    if not selectors.may_design_surveys(actor):
        raise PermissionDenied(_("Only administrators, marketing and head-office managers manage benchmarks."))


def _check_parts(survey: Survey, indicator: Indicator | None, wave: Wave | None) -> None:
    errors = {}
    if indicator is not None and indicator.survey_id != survey.pk:
        errors["indicator"] = [_("This indicator belongs to another survey.")]
    if wave is not None and wave.survey_id != survey.pk:
        errors["wave"] = [_("This wave belongs to another survey.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def benchmark_create(*, actor, survey: Survey, name: str, value: float, indicator: Indicator | None = None,
                     wave: Wave | None = None, source: str = "") -> Benchmark:
    """A figure to compare with: a competitor's or the industry's best score
    (0–100) on ``indicator`` (the overall index when None), for ``wave`` or
    every wave."""
    _require_designer(actor)
    _check_parts(survey, indicator, wave)
    b = Benchmark(survey=survey, name=(name or "").strip(), value=value, indicator=indicator, wave=wave,
                  source=(source or "").strip())
    b.full_clean()
    b.save()
    audit_record(actor=actor, action="create", instance=b, changes=snapshot(b, FIELDS), summary=b.name)
    return b


@transaction.atomic
def benchmark_update(*, actor, benchmark: Benchmark, **data) -> Benchmark:
    _require_designer(actor)
    before = snapshot(benchmark, FIELDS)
    for field in ("name", "value", "indicator", "wave", "source"):
        if field in data:
            value = data[field]
            setattr(benchmark, field, value.strip() if isinstance(value, str) else value)
    _check_parts(benchmark.survey, benchmark.indicator, benchmark.wave)
    benchmark.full_clean()
    benchmark.save()
    changes = diff(before, snapshot(benchmark, FIELDS))
    if changes:
        audit_record(actor=actor, action="update", instance=benchmark, changes=changes, summary=benchmark.name)
    return benchmark


@transaction.atomic
def benchmark_delete(*, actor, benchmark: Benchmark) -> None:
    _require_designer(actor)
    audit_record(actor=actor, action="delete", instance=benchmark, changes=snapshot(benchmark, FIELDS),
                 summary=benchmark.name)
    benchmark.delete()
