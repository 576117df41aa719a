"""Logging touch points."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Customer
from kehu.engagement.models import Interaction
from kehu.org.policies import policy_for

INTERACTION_FIELDS = {
    "contact", "channel", "direction", "occurred_at", "participants", "subject",
    "summary", "next_step", "next_step_on",
}


def _audit_name(interaction: Interaction) -> str:
    """How the change history names an interaction: its subject, else its
    channel and day (a deleted one is no longer on the timeline to look at)."""
    if interaction.subject:
        return interaction.subject
    when = timezone.localtime(interaction.occurred_at).date().isoformat() if interaction.occurred_at else ""
    return f"{interaction.get_channel_display()} {when}".strip()


def interaction_log(*, actor, customer: Customer, data: dict[str, Any], check_permissions: bool = True) -> Interaction:
    """Record a call, visit, email, message or meeting with its summary (联系纪要)."""
    if check_permissions and not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - INTERACTION_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    data = dict(data)
    data.setdefault("occurred_at", timezone.now())
    contact = data.get("contact")
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationError({"contact": _("This contact works at another customer.")})
    interaction = Interaction(customer=customer, user=actor if getattr(actor, "pk", None) else None, **data)
    with transaction.atomic():
        interaction.full_clean()
        interaction.save()
        audit_record(actor=actor, action="create", instance=interaction, customer_id=customer.pk,
                     summary=_audit_name(interaction))
    return interaction


def interaction_update(*, actor, interaction: Interaction, data: dict[str, Any]) -> Interaction:
    """Change an interaction. Anyone who may change its customer may, not
    only who logged it: the owner and their manager answer for the customer's
    record, and the author may have left. The author (``user``) stays; the
    change history says who changed what."""
    if not policy_for(actor).can_change(interaction.customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - INTERACTION_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    before = snapshot(interaction)
    for k, v in data.items():
        setattr(interaction, k, v)
    if interaction.contact_id and interaction.contact.customer_id != interaction.customer_id:
        raise ValidationError({"contact": _("This contact works at another customer.")})
    with transaction.atomic():
        interaction.full_clean()
        interaction.save()
        changes = diff(before, snapshot(interaction))
        if changes:
            audit_record(actor=actor, action="update", instance=interaction,
                         customer_id=interaction.customer_id, changes=changes, summary=_audit_name(interaction))
    return interaction


def interaction_delete(*, actor, interaction: Interaction) -> None:
    """Delete an interaction (the same people as :func:`interaction_update`);
    the change history keeps what it said."""
    if not policy_for(actor).can_change(interaction.customer):
        raise PermissionDenied(_("You may not change this customer."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=interaction, customer_id=interaction.customer_id,
                     changes=snapshot(interaction), summary=_audit_name(interaction))
        interaction.delete()
