"""Reads of opportunities and pipelines, always through the one policy
(:meth:`~kehu.org.policies.CustomerPolicy.visible_opportunities`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404

from kehu.org.policies import policy_for
from kehu.sales.models import LostReason, Opportunity, Pipeline, Stage, StageOutcome

BOARD_PAGE = 20   # cards per column of the board before its "more" link


@dataclass
class Card:
    """One card of the board: what it shows and what deciding whether it may be moved reads
    — plain values, not three model instances per card (a board shows up to 120)."""

    pk: int
    name: str
    amount: Decimal
    probability: int
    expected_close: dt.date | None
    stage_id: int
    version: int
    owner_id: int | None
    customer_id: int
    customer_name: str
    owner_label: str

    @classmethod
    def from_row(cls, row) -> Card:
        from kehu.org.models import User

        *head, customer_name, display, first, last, username = row
        return cls(*head, customer_name=customer_name, owner_label=User.label(display, first, last, username))


CARD_COLUMNS = ("id", "name", "amount", "probability", "expected_close", "stage_id", "version", "owner_id",
                "customer_id", "customer__name", "owner__display_name", "owner__first_name", "owner__last_name",
                "owner__username")


@dataclass
class OpportunityFilters:
    pipeline_id: int | None = None
    stage_id: int | None = None
    outcome: str = ""            # "open", "won", "lost" or "" (all)
    owner_id: int | None = None
    customer_id: int | None = None
    product_line_id: int | None = None
    close_from: dt.date | None = None
    close_to: dt.date | None = None
    q: str = ""


# What a row of the opportunity list shows (and the keyset sort orders read): only these are read.
ROW_FIELDS = ("id", "name", "amount", "probability", "expected_close", "created_at", "stage_id", "pipeline_id",
              "owner_id", "customer_id", "version", "customer__name", "customer__owner_id", "customer__team_id",
              "stage__name_zh", "stage__name_en", "stage__outcome", "stage__pipeline_id", "pipeline__name_zh",
              "pipeline__name_en", "owner__username", "owner__display_name", "owner__first_name",
              "owner__last_name")


def opportunity_visible(*, viewer) -> QuerySet[Opportunity]:
    return policy_for(viewer).visible_opportunities(Opportunity.objects.all())


def opportunity_list(*, viewer, filters: OpportunityFilters | None = None) -> QuerySet[Opportunity]:
    """The visible opportunities, filtered; unordered (the caller pages it)."""
    f = filters or OpportunityFilters()
    qs = opportunity_visible(viewer=viewer).select_related("customer", "stage", "pipeline", "owner")
    if f.pipeline_id:
        qs = qs.filter(pipeline_id=f.pipeline_id)
    if f.stage_id:
        qs = qs.filter(stage_id=f.stage_id)
    if f.outcome:
        qs = qs.filter(stage__outcome=f.outcome)
    if f.owner_id:
        qs = qs.filter(owner_id=f.owner_id)
    if f.customer_id:
        qs = qs.filter(customer_id=f.customer_id)
    if f.product_line_id:
        qs = qs.filter(lines__product_line_id=f.product_line_id).distinct()
    if f.close_from:
        qs = qs.filter(expected_close__gte=f.close_from)
    if f.close_to:
        qs = qs.filter(expected_close__lte=f.close_to)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(customer__name__icontains=f.q) | Q(competitor__icontains=f.q))
    return qs


def opportunity_get(*, viewer, pk) -> Opportunity:
    try:
        return opportunity_visible(viewer=viewer).select_related(
            "customer", "stage", "pipeline", "owner", "team", "lost_reason").get(pk=pk)
    except (Opportunity.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def customer_opportunities(*, viewer, customer, limit: int = 10) -> list[Opportunity]:
    return list(opportunity_visible(viewer=viewer).filter(customer=customer).select_related("stage", "owner")
                .order_by("stage__outcome", "-created_at", "-id")[:limit])


def opportunity_lines(opp: Opportunity):
    return opp.lines.select_related("product_line").order_by("id")


def opportunity_contacts(opp: Opportunity):
    return opp.contacts.select_related("contact").order_by("id")


def stage_history(opp: Opportunity):
    return opp.stage_changes.select_related("from_stage", "to_stage", "by").order_by("at", "id")


def pipelines(*, active_only: bool = True) -> QuerySet[Pipeline]:
    qs = Pipeline.objects.select_related("product_line")
    return qs.filter(active=True) if active_only else qs


def pipeline_get(pk) -> Pipeline:
    try:
        return Pipeline.objects.select_related("product_line").get(pk=pk)
    except (Pipeline.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def stages(pipeline: Pipeline) -> list[Stage]:
    return list(pipeline.stages.order_by("position", "id"))


def lost_reasons(*, active_only: bool = True) -> QuerySet[LostReason]:
    qs = LostReason.objects.all()
    return qs.filter(active=True) if active_only else qs


WEIGHTED = ExpressionWrapper(F("amount") * F("probability") / Value(Decimal(100)),
                             output_field=DecimalField(max_digits=20, decimal_places=4))


def _unfiltered(f: OpportunityFilters) -> bool:
    return not (f.stage_id or f.outcome or f.owner_id or f.customer_id or f.product_line_id or f.close_from
                or f.close_to or f.q)


def _kept_totals(viewer, pipeline: Pipeline, f: OpportunityFilters) -> dict[int, dict] | None:
    """The column totals kept by PostgreSQL (:class:`~kehu.sales.models.StageTotal`) when they
    answer the question — a viewer who sees every opportunity, no filter —; otherwise None
    (the board adds them up)."""
    from django.db import connection

    from kehu.sales.models import StageTotal

    if connection.vendor != "postgresql" or not _unfiltered(f) or not policy_for(viewer).view_scope.everything:
        return None
    return {t.stage_id: {"n": t.n, "total": t.amount, "weighted": t.weighted_pct / 100}
            for t in StageTotal.objects.filter(stage__pipeline=pipeline)}


def board(*, viewer, pipeline: Pipeline, filters: OpportunityFilters | None = None,
          more: dict[int, int] | None = None) -> list[dict]:
    """One column per stage of ``pipeline``: its count, total and weighted total (amount ×
    probability) over the visible opportunities, and the first cards (newest first, by id; ``more``
    asks a column for its next page: ``{stage id: offset}`` — then only the columns asked for
    get cards; the others keep their totals)."""
    f = filters or OpportunityFilters()
    f.pipeline_id = pipeline.pk
    f.stage_id = None
    qs = opportunity_list(viewer=viewer, filters=f)
    totals = _kept_totals(viewer, pipeline, f)
    if totals is None:
        # the product-line filter joins the lines (and makes the rows distinct): count each
        # opportunity once then; otherwise a plain count, which needs no sort
        totals = {row["stage_id"]: row for row in qs.order_by().values("stage_id").annotate(
            n=Count("id", distinct=bool(f.product_line_id)), total=Coalesce(Sum("amount"), Value(Decimal(0))),
            weighted=Coalesce(Sum(WEIGHTED), Value(Decimal(0)), output_field=DecimalField()))}
    columns = []
    for stage in stages(pipeline):
        row = totals.get(stage.pk, {"n": 0, "total": Decimal(0), "weighted": Decimal(0)})
        if not stage.active and not row["n"]:
            continue    # a stage no longer in use shows while opportunities are still in it
        offset = (more or {}).get(stage.pk, 0)
        # newest first by id (the order they were opened in): the index opp_board serves it
        cards = [] if more is not None and stage.pk not in more else [
            Card.from_row(row) for row in qs.filter(stage=stage).order_by("-id")
            .values_list(*CARD_COLUMNS)[offset:offset + BOARD_PAGE]]
        columns.append({"stage": stage, "count": row["n"], "total": row["total"],
                        "weighted": Decimal(row["weighted"]).quantize(Decimal("0.01")),
                        "cards": cards, "offset": offset, "next_offset": offset + BOARD_PAGE
                        if row["n"] > offset + BOARD_PAGE else None})
    return columns


def is_open(opp: Opportunity) -> bool:
    return opp.stage.outcome == StageOutcome.OPEN
