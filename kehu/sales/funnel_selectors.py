"""The funnel's read: the opportunities created in a period that the viewer may see (the
one policy), filtered by owner, team, product line and source, with their stage changes,
handed to the pure computation :func:`kehu.analytics.funnel.funnel` — for all of them and
for each owner, team, product line or source (``by``).

An opportunity with lines in two product lines counts in both lines' rows of the
breakdown (but once in the total)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.analytics.funnel import Funnel, OpportunityHistory, StageDef, funnel
from kehu.customers.models import Source
from kehu.org.models import Team, User
from kehu.sales.models import OpportunityLine, Pipeline, ProductLine, StageChange
from kehu.sales.opportunities import default_pipeline
from kehu.sales.opportunity_selectors import opportunity_visible, stages

BREAKDOWNS = ("owner", "team", "line", "source")


@dataclass
class FunnelFilters:
    date_from: dt.date | None = None       # created on or after
    date_to: dt.date | None = None         # created on or before
    pipeline_id: int | None = None
    owner_id: int | None = None
    team_id: int | None = None
    product_line_id: int | None = None
    source: str = ""
    by: str = ""                           # "", "owner", "team", "line" or "source"


@dataclass
class FunnelReport:
    pipeline: Pipeline | None
    filters: FunnelFilters
    overall: Funnel | None
    breakdown: list[tuple[str, str, Funnel]]   # (key, label, funnel)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _queryset(viewer, pipeline: Pipeline, f: FunnelFilters):
    qs = opportunity_visible(viewer=viewer).filter(pipeline=pipeline)
    if f.date_from:
        qs = qs.filter(created_at__gte=_day_start(f.date_from))
    if f.date_to:
        qs = qs.filter(created_at__lt=_day_start(f.date_to + dt.timedelta(days=1)))
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.team_id:
        qs = qs.filter(team_id=f.team_id)
    if f.source:
        qs = qs.filter(source=f.source)
    if f.product_line_id:
        qs = qs.filter(pk__in=OpportunityLine.objects.filter(product_line_id=f.product_line_id)
                       .values("opportunity_id"))
    return qs


def _histories(qs) -> dict[int, tuple[OpportunityHistory, dict]]:
    rows = list(qs.order_by().values_list("pk", "created_at", "stage__outcome", "won_at", "stage_id", "owner_id",
                                          "team_id", "source"))
    moves: dict[int, list] = defaultdict(list)
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), 2000):
        chunk = ids[start:start + 2000]
        for opp_id, stage_id, at in (StageChange.objects.filter(opportunity_id__in=chunk).order_by("at", "id")
                                     .values_list("opportunity_id", "to_stage_id", "at")):
            moves[opp_id].append((stage_id, at))
    out = {}
    for pk, created, outcome, won_at, stage_id, owner_id, team_id, source in rows:
        history = moves.get(pk) or [(stage_id, created)]   # no recorded change: in its stage since creation
        out[pk] = (OpportunityHistory(created_at=created, moves=tuple(history), outcome=outcome, won_at=won_at),
                   {"owner": owner_id, "team": team_id, "source": source})
    return out


def _labels(by: str, keys) -> dict:
    keys = [k for k in keys if k not in (None, "")]
    if by == "owner":
        return {u.pk: str(u.display_name or u.username) for u in User.objects.filter(pk__in=keys)}
    if by == "team":
        return {t.pk: t.name for t in Team.objects.filter(pk__in=keys)}
    if by == "line":
        return {p.pk: p.name for p in ProductLine.objects.filter(pk__in=keys)}
    return {k: str(dict(Source.choices).get(k, k)) for k in keys}


def funnel_report(*, viewer, filters: FunnelFilters | None = None, now: dt.datetime | None = None) -> FunnelReport:
    f = filters or FunnelFilters()
    pipeline = (Pipeline.objects.filter(pk=f.pipeline_id).first() if f.pipeline_id else None) or default_pipeline()
    if pipeline is None:
        return FunnelReport(pipeline=None, filters=f, overall=None, breakdown=[])
    now = now or timezone.now()
    defs = [StageDef(s.pk, s.outcome, s.name) for s in stages(pipeline)]
    qs = _queryset(viewer, pipeline, f)
    data = _histories(qs)
    overall = funnel(defs, [h for h, _k in data.values()], now)
    breakdown = []
    if f.by in BREAKDOWNS:
        groups: dict = defaultdict(list)
        if f.by == "line":
            for opp_id, line_id in (OpportunityLine.objects.filter(opportunity_id__in=list(data))
                                    .values_list("opportunity_id", "product_line_id").distinct()):
                groups[line_id].append(data[opp_id][0])
        else:
            for history, keys in data.values():
                groups[keys[f.by]].append(history)
        labels = _labels(f.by, groups)
        none_label = _("(none)")
        for key, histories in groups.items():
            breakdown.append(("" if key is None else str(key), labels.get(key) or none_label,
                              funnel(defs, histories, now)))
        breakdown.sort(key=lambda row: (-row[2].total, row[1]))
    return FunnelReport(pipeline=pipeline, filters=f, overall=overall, breakdown=breakdown)


def _funnel_dict(f: Funnel) -> dict:
    return {"total": f.total, "open": f.open, "won": f.won, "lost": f.lost, "win_rate": f.win_rate,
            "avg_cycle_days": f.avg_cycle_days, "overall_conversion": f.overall_conversion,
            "stages": [{"stage_id": r.stage.id, "name": r.stage.name, "outcome": r.stage.outcome,
                        "reached": r.reached, "conversion": r.conversion, "avg_days": r.avg_days,
                        "days_n": r.days_n} for r in f.stages]}


def report_dict(report: FunnelReport) -> dict:
    """The report as plain data (the API's answer and ``kehu opportunities funnel --json``)."""
    f = report.filters
    out = {"pipeline_id": report.pipeline.pk if report.pipeline else None,
           "date_from": f.date_from.isoformat() if f.date_from else None,
           "date_to": f.date_to.isoformat() if f.date_to else None, "by": f.by or None}
    out.update(_funnel_dict(report.overall) if report.overall else _funnel_dict(funnel([], [], timezone.now())))
    out["breakdown"] = [{"key": key, "label": label, **_funnel_dict(fun)} for key, label, fun in report.breakdown]
    return out
