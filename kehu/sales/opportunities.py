"""Writes of opportunities (商机) and their pipelines. Every write:

- asks the one policy (:meth:`~kehu.org.policies.CustomerPolicy.can_change_opportunity`:
  whoever may change the customer, and the opportunity's owner);
- locks the row and, when the caller says which ``version`` it read, refuses an
  opportunity changed since (:class:`OpportunityConflict`, the API's 409);
- adds one to ``version`` and writes an audit event (so the change is on the customer's
  360 timeline).

Stages only change through :func:`opportunity_move` (and :func:`opportunity_win`,
:func:`opportunity_lose`, :func:`opportunity_reopen`), each move kept as a
:class:`~kehu.sales.models.StageChange` with its date. A move to the won stage sets
``won_at``; to the lost stage it needs a reason for losing. A won or lost opportunity
is reopened before it moves again (:class:`MoveNotAllowed` otherwise, a 409).

The customer's lifecycle stage follows (kehu/sales/lifecycle.py): an open opportunity
lifts a customer being acquired to “opportunity”, a won one to “customer”.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import LifecycleStage
from kehu.org.policies import policy_for
from kehu.sales.lifecycle import lifecycle_advance
from kehu.sales.models import (
    LostReason, Opportunity, OpportunityContact, OpportunityLine, Pipeline, Stage, StageChange, StageOutcome,
)

UPDATE_FIELDS = {"name", "probability", "expected_close", "competitor", "source", "owner", "team", "next_step",
                 "next_step_on"}
CREATE_FIELDS = UPDATE_FIELDS | {"customer", "pipeline", "stage"}
CENT = Decimal("0.01")


class OpportunityConflict(Exception):
    """The opportunity was changed by someone else since the caller read it."""

    def __init__(self, opportunity: Opportunity):
        self.opportunity = opportunity
        super().__init__(_("Opportunity “%(name)s” was changed by someone else meanwhile (now version %(version)d); "
                           "reload it and make your change again.") % {"name": opportunity.name,
                                                                      "version": opportunity.version})


class MoveNotAllowed(Exception):
    """A stage move that cannot be made from where the opportunity is."""


# -- helpers ------------------------------------------------------------------------

def default_pipeline() -> Pipeline | None:
    return (Pipeline.objects.filter(active=True, is_default=True).first()
            or Pipeline.objects.filter(active=True).order_by("id").first())


def open_stages(pipeline: Pipeline):
    return pipeline.stages.filter(outcome=StageOutcome.OPEN, active=True).order_by("position", "id")


def outcome_stage(pipeline: Pipeline, outcome: str) -> Stage | None:
    return pipeline.stages.filter(outcome=outcome).order_by("-active", "position", "id").first()


def _require_change(actor, opportunity: Opportunity) -> None:
    if not policy_for(actor).can_change_opportunity(opportunity):
        raise PermissionDenied(_("You may not change this opportunity."))


def _unknown(data: dict, allowed: set[str]) -> None:
    unknown = set(data) - allowed
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})


def _locked(opportunity: Opportunity, version: int | None) -> Opportunity:
    fresh = Opportunity.objects.select_for_update().select_related("stage", "customer").get(pk=opportunity.pk)
    if version is not None and fresh.version != version:
        raise OpportunityConflict(fresh)
    return fresh


def _refresh(opportunity: Opportunity, fresh: Opportunity) -> None:
    if opportunity is not fresh:
        opportunity.refresh_from_db()


def _audit(actor, action: str, opp: Opportunity, changes: dict | None = None, summary: str = "") -> None:
    audit_record(actor=actor, action=action, instance=opp, customer_id=opp.customer_id, changes=changes,
                 summary=summary or f"{opp.name} · {opp.stage.name}")


def _check_owner(actor, owner) -> None:
    if owner is None:
        return
    if not owner.is_active:
        raise ValidationError({"owner": _("This user is no longer active.")})
    if owner.pk != getattr(actor, "pk", None) and not policy_for(actor).can_assign_to(owner):
        raise ValidationError({"owner": _("You may not give opportunities to %(user)s.") % {"user": owner}})


def build_lines(lines: Iterable[dict[str, Any]]) -> list[OpportunityLine]:
    """Lines from dicts with ``product_line`` (a ProductLine), ``amount`` and ``note``."""
    built = []
    for i, raw in enumerate(lines, start=1):
        if raw.get("product_line") is None:
            raise ValidationError({f"lines.{i}.product_line": _("Choose the product line.")})
        try:
            amount = Decimal(str(raw.get("amount")))
        except Exception:  # noqa: BLE001 - any unparsable value
            raise ValidationError({f"lines.{i}.amount": _("Enter a number.")}) from None
        if not amount.is_finite():
            raise ValidationError({f"lines.{i}.amount": _("Enter a number.")})
        if amount < 0:
            raise ValidationError({f"lines.{i}.amount": _("Amounts cannot be negative.")})
        if amount >= Decimal("1e14"):
            raise ValidationError({f"lines.{i}.amount": _("This amount is too large.")})
        built.append(OpportunityLine(product_line=raw["product_line"], amount=amount.quantize(CENT),
                                     note=str(raw.get("note") or "")[:200]))
    return built


def build_contacts(customer, contacts: Iterable[dict[str, Any]]) -> list[OpportunityContact]:
    """Contacts from dicts with ``contact`` (of the customer) and ``role`` (default: the
    contact's role in the buying decision)."""
    from kehu.customers.models import DecisionRole

    built, seen = [], set()
    for i, raw in enumerate(contacts, start=1):
        contact = raw.get("contact")
        if contact is None or contact.customer_id != customer.pk:
            raise ValidationError({f"contacts.{i}.contact": _("This contact works at another customer.")})
        role = raw.get("role")
        role = contact.decision_role if role is None else role
        if role and role not in DecisionRole.values:
            raise ValidationError({f"contacts.{i}.role": _("Choose a role in the buying decision.")})
        if contact.pk in seen:
            continue
        seen.add(contact.pk)
        built.append(OpportunityContact(contact=contact, role=role or ""))
    return built


def _save_lines(opp: Opportunity, built: list[OpportunityLine]) -> None:
    opp.lines.all().delete()
    for ln in built:
        ln.opportunity = opp
    OpportunityLine.objects.bulk_create(built)


def _save_contacts(opp: Opportunity, built: list[OpportunityContact]) -> None:
    opp.contacts.all().delete()
    for c in built:
        c.opportunity = opp
    OpportunityContact.objects.bulk_create(built)


def _lines_text(opp: Opportunity) -> list[str]:
    return [f"{ln.product_line.name} {ln.amount}" for ln in opp.lines.select_related("product_line")]


def _follow_lifecycle(actor, opp: Opportunity) -> None:
    outcome = opp.stage.outcome
    if outcome == StageOutcome.OPEN:
        lifecycle_advance(customer=opp.customer, to_stage=LifecycleStage.OPPORTUNITY, actor=actor,
                          reason=_("Opportunity “%(name)s” opened") % {"name": opp.name})
    elif outcome == StageOutcome.WON:
        lifecycle_advance(customer=opp.customer, to_stage=LifecycleStage.CUSTOMER, actor=actor,
                          reason=_("Opportunity “%(name)s” won") % {"name": opp.name})


def _stage_change(opp: Opportunity, from_stage: Stage | None, to_stage: Stage, actor, note: str) -> StageChange:
    change = StageChange(opportunity=opp, from_stage=from_stage, to_stage=to_stage, note=note or "",
                         by=actor if getattr(actor, "pk", None) else None)
    change.full_clean(exclude=["opportunity", "from_stage", "to_stage", "by"])
    change.save()
    return change


# -- create and update --------------------------------------------------------------

def opportunity_create(*, actor, data: dict[str, Any], lines: Iterable[dict[str, Any]] = (),
                       contacts: Iterable[dict[str, Any]] = ()) -> Opportunity:
    """Open an opportunity for a customer the actor may change. The pipeline defaults
    to the default one, the stage to its first open stage, the probability to the
    stage's, the owner to the actor and the team to the owner's."""
    _unknown(data, CREATE_FIELDS)
    data = dict(data)
    customer = data.get("customer")
    policy = policy_for(actor)
    if customer is None:
        raise ValidationError({"customer": _("Choose the customer.")})
    if not policy.can_view(customer):
        raise PermissionDenied(_("You may not see this customer."))
    if not policy.can_create_opportunities or not policy.can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    pipeline = data.get("pipeline") or default_pipeline()
    if pipeline is None:
        raise ValidationError({"pipeline": _("There is no active pipeline; an administrator adds one first.")})
    if not pipeline.active:
        raise ValidationError({"pipeline": _("This pipeline is no longer in use.")})
    data["pipeline"] = pipeline
    stage = data.get("stage") or open_stages(pipeline).first()
    if stage is None or stage.pipeline_id != pipeline.pk:
        raise ValidationError({"stage": _("Choose a stage of the opportunity's pipeline.")})
    if stage.outcome != StageOutcome.OPEN:
        raise ValidationError({"stage": _("A new opportunity starts in an open stage; win or lose it afterwards.")})
    data["stage"] = stage
    if data.get("probability") is None:
        data["probability"] = stage.probability
    if data.get("owner") is None and getattr(actor, "pk", None):
        data["owner"] = actor
    _check_owner(actor, data.get("owner"))
    if data.get("team") is None and data.get("owner") is not None:
        data["team"] = data["owner"].team
    built_lines = build_lines(lines)
    built_contacts = build_contacts(customer, contacts)
    opp = Opportunity(**data, created_by=actor if getattr(actor, "pk", None) else None)
    opp.amount = sum((ln.amount for ln in built_lines), Decimal("0"))
    with transaction.atomic():
        opp.full_clean()
        opp.save()
        _save_lines(opp, built_lines)
        _save_contacts(opp, built_contacts)
        _stage_change(opp, None, stage, actor, "")
        changes = snapshot(opp)
        changes["lines"] = _lines_text(opp)
        _audit(actor, "create", opp, changes)
        _follow_lifecycle(actor, opp)
    return opp


def opportunity_update(*, actor, opportunity: Opportunity, data: dict[str, Any], version: int | None,
                       lines: Iterable[dict[str, Any]] | None = None,
                       contacts: Iterable[dict[str, Any]] | None = None) -> Opportunity:
    """Change an opportunity's details, and its lines and contacts when given (all of
    them). Not its stage: :func:`opportunity_move`."""
    _require_change(actor, opportunity)
    _unknown(data, UPDATE_FIELDS)
    if "owner" in data and data["owner"] is not None and data["owner"].pk != opportunity.owner_id:
        _check_owner(actor, data["owner"])
    built_lines = build_lines(lines) if lines is not None else None
    built_contacts = build_contacts(opportunity.customer, contacts) if contacts is not None else None
    with transaction.atomic():
        fresh = _locked(opportunity, version)
        before = snapshot(fresh)
        lines_before = _lines_text(fresh)
        contacts_before = sorted((c.contact_id, c.role) for c in fresh.contacts.all())
        for k, v in data.items():
            if k == "probability" and v is None:
                v = fresh.stage.probability
            setattr(fresh, k, v)
        if built_lines is not None:
            fresh.amount = sum((ln.amount for ln in built_lines), Decimal("0"))
        fresh.full_clean()
        changes = diff(before, snapshot(fresh))
        if built_lines is not None:
            _save_lines(fresh, built_lines)
            after = _lines_text(fresh)
            if after != lines_before:
                changes["lines"] = [lines_before, after]
        if built_contacts is not None:
            _save_contacts(fresh, built_contacts)
            after_c = sorted((c.contact_id, c.role) for c in fresh.contacts.all())
            if after_c != contacts_before:
                changes["contacts"] = [[list(c) for c in contacts_before], [list(c) for c in after_c]]
        if changes:
            fresh.version += 1
            fresh.save()
            _audit(actor, "update", fresh, changes)
    _refresh(opportunity, fresh)
    return opportunity


# -- stage moves --------------------------------------------------------------------

def opportunity_move(*, actor, opportunity: Opportunity, stage: Stage, version: int | None = None, note: str = "",
                     lost_reason: LostReason | None = None, lost_note: str = "") -> Opportunity:
    """Move an open opportunity to ``stage`` of its pipeline. To the won stage: sets
    ``won_at`` and a probability of 100; to the lost stage: needs ``lost_reason``, sets
    ``lost_at`` and a probability of 0; to an open stage: the stage's probability."""
    _require_change(actor, opportunity)
    if stage is None:
        raise ValidationError({"stage": _("Choose the stage to move to.")})
    with transaction.atomic():
        fresh = _locked(opportunity, version)
        if stage.pipeline_id != fresh.pipeline_id:
            raise ValidationError({"stage": _("Choose a stage of the opportunity's pipeline.")})
        if not stage.active and stage.pk != fresh.stage_id:
            raise ValidationError({"stage": _("This stage is no longer in use.")})
        if fresh.stage.outcome != StageOutcome.OPEN:
            raise MoveNotAllowed(_("“%(name)s” is already %(outcome)s; reopen it before moving it.") % {
                "name": fresh.name, "outcome": fresh.stage.get_outcome_display().lower()})
        if stage.pk == fresh.stage_id:
            raise MoveNotAllowed(_("“%(name)s” is already at the stage “%(stage)s”.") % {
                "name": fresh.name, "stage": stage.name})
        before = snapshot(fresh)
        from_stage = fresh.stage
        now = timezone.now()
        if stage.outcome == StageOutcome.LOST:
            if lost_reason is None:
                raise ValidationError({"lost_reason": _("Say why the opportunity was lost.")})
            if not lost_reason.active:
                raise ValidationError({"lost_reason": _("This reason is no longer in use.")})
            fresh.lost_reason, fresh.lost_note, fresh.lost_at = lost_reason, lost_note or "", now
            fresh.probability = 0
        elif stage.outcome == StageOutcome.WON:
            fresh.won_at = now
            fresh.probability = 100
        else:
            fresh.probability = stage.probability
        fresh.stage = stage
        fresh.full_clean()
        fresh.version += 1
        fresh.save()
        _stage_change(fresh, from_stage, stage, actor, note)
        action = {StageOutcome.WON: "win", StageOutcome.LOST: "lose"}.get(stage.outcome, "move")
        _audit(actor, action, fresh, diff(before, snapshot(fresh)),
               summary=f"{fresh.name} · {from_stage.name} → {stage.name}")
        _follow_lifecycle(actor, fresh)
    _refresh(opportunity, fresh)
    return opportunity


def _outcome_stage_or_error(opportunity: Opportunity, outcome: str) -> Stage:
    stage = outcome_stage(opportunity.pipeline, outcome)
    if stage is None:
        raise MoveNotAllowed(_("The pipeline “%(pipeline)s” has no stage for this outcome.") % {
            "pipeline": opportunity.pipeline.name})
    return stage


def opportunity_win(*, actor, opportunity: Opportunity, version: int | None = None, note: str = "") -> Opportunity:
    return opportunity_move(actor=actor, opportunity=opportunity, version=version, note=note,
                            stage=_outcome_stage_or_error(opportunity, StageOutcome.WON))


def opportunity_lose(*, actor, opportunity: Opportunity, lost_reason: LostReason | None, lost_note: str = "",
                     version: int | None = None, note: str = "") -> Opportunity:
    return opportunity_move(actor=actor, opportunity=opportunity, version=version, note=note,
                            stage=_outcome_stage_or_error(opportunity, StageOutcome.LOST),
                            lost_reason=lost_reason, lost_note=lost_note)


def opportunity_reopen(*, actor, opportunity: Opportunity, stage: Stage | None = None, version: int | None = None,
                       note: str = "") -> Opportunity:
    """Bring a won or lost opportunity back to an open stage (default: the last open
    stage of its pipeline); the outcome fields are cleared. The customer's lifecycle
    stage is not moved back."""
    _require_change(actor, opportunity)
    with transaction.atomic():
        fresh = _locked(opportunity, version)
        if fresh.stage.outcome == StageOutcome.OPEN:
            raise MoveNotAllowed(_("“%(name)s” is still open; there is nothing to reopen.") % {"name": fresh.name})
        stage = stage or open_stages(fresh.pipeline).last()
        if stage is None or stage.pipeline_id != fresh.pipeline_id or stage.outcome != StageOutcome.OPEN:
            raise ValidationError({"stage": _("Choose an open stage of the opportunity's pipeline.")})
        before = snapshot(fresh)
        from_stage = fresh.stage
        fresh.stage, fresh.probability = stage, stage.probability
        fresh.won_at = fresh.lost_at = None
        fresh.lost_reason, fresh.lost_note = None, ""
        fresh.version += 1
        fresh.save()
        _stage_change(fresh, from_stage, stage, actor, note)
        _audit(actor, "reopen", fresh, diff(before, snapshot(fresh)),
               summary=f"{fresh.name} · {from_stage.name} → {stage.name}")
    _refresh(opportunity, fresh)
    return opportunity


def opportunity_assign(*, actor, opportunity: Opportunity, owner, version: int | None = None) -> Opportunity:
    """Give an opportunity to another owner (the list's bulk action)."""
    return opportunity_update(actor=actor, opportunity=opportunity, data={"owner": owner}, version=version)
