"""The opportunity list's rows and bulk actions for the shared list machinery
(:mod:`kehu.web.lists`): each row changed through the opportunity services, so the
policy and the stage rules decide row by row."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def opportunity_rows(viewer):
    from kehu.sales.opportunity_selectors import opportunity_visible

    return opportunity_visible(viewer=viewer).select_related("customer", "stage", "owner", "pipeline")


def opportunity_bulk_assign(actor, opp, owner):
    from kehu.sales.opportunities import opportunity_assign

    opportunity_assign(actor=actor, opportunity=opp, owner=owner)


def opportunity_bulk_stage(actor, opp, stage_id):
    from kehu.sales.models import Stage
    from kehu.sales.opportunities import MoveNotAllowed, opportunity_move

    stage = Stage.objects.filter(pk=int(stage_id), pipeline_id=opp.pipeline_id).first()
    if stage is None:
        raise ValidationError(str(_other_pipeline()))
    try:
        opportunity_move(actor=actor, opportunity=opp, stage=stage)
    except MoveNotAllowed as exc:
        raise ValidationError(str(exc)) from None


def _other_pipeline():
    from django.utils.translation import gettext

    return gettext("This stage belongs to another pipeline.")


def stage_choices():
    """The stages a bulk move may go to: the open and won stages of the active pipelines
    (a lost opportunity needs its reason, given on its own page)."""
    from kehu.sales.models import Stage, StageOutcome

    stages = (Stage.objects.filter(pipeline__active=True).exclude(outcome=StageOutcome.LOST)
              .select_related("pipeline").order_by("pipeline_id", "position", "id"))
    multi = len({s.pipeline_id for s in stages}) > 1
    return [(str(s.pk), f"{s.pipeline.name} · {s.name}" if multi else s.name) for s in stages]


def association_rows(viewer):
    """The latest association rules, for the roles that may read them (none for others)."""
    from kehu.org.policies import policy_for
    from kehu.sales.models import AssociationRule
    from kehu.sales.xsell_selectors import association_rule_list

    if not policy_for(viewer).may_read_associations:
        return AssociationRule.objects.none()
    return association_rule_list(viewer=viewer)


def key_account_rows(viewer):
    from kehu.sales.key_account_selectors import plan_visible

    return plan_visible(viewer=viewer).select_related("customer", "salesperson", "manager")


def quote_rows(viewer):
    from kehu.sales.quote_selectors import quote_visible

    return quote_visible(viewer=viewer).select_related("customer", "owner")
