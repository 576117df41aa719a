"""Logging touch points."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customers.models import Customer
from kehu.engagement.models import Interaction
from kehu.org.policies import policy_for

log = logging.getLogger(__name__)

INTERACTION_FIELDS = {
    "contact", "channel", "direction", "occurred_at", "participants", "subject",
    "summary", "next_step", "next_step_on", "custom",
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
    if "custom" in data or check_permissions:   # a user's log: its custom fields, required ones too
        from kehu.customfields.values import clean_custom_values

        data["custom"] = clean_custom_values("interaction", data.get("custom"))
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


def interaction_update(*, actor, interaction: Interaction, data: dict[str, Any],
                       custom_partial: bool = False) -> Interaction:
    """Change an interaction. Anyone who may change its customer may, not
    only who logged it: the owner and their manager answer for the customer's
    record, and the author may have left. The author (``user``) stays; the
    change history says who changed what."""
    if not policy_for(actor).can_change(interaction.customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - INTERACTION_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    if "custom" in data:        # as for customer_update
        from kehu.customfields.values import clean_custom_values

        data = {**data, "custom": clean_custom_values("interaction", data["custom"], current=interaction.custom,
                                                      partial=custom_partial)}
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
    from kehu.attachments.services import attachments_delete

    if not policy_for(actor).can_change(interaction.customer):
        raise PermissionDenied(_("You may not change this customer."))
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=interaction, customer_id=interaction.customer_id,
                     changes=snapshot(interaction), summary=_audit_name(interaction))
        attachments_delete(queryset=interaction.attachments.all())
        interaction.delete()


# -- tasks ------------------------------------------------------------------------

TASK_FIELDS = {"title", "description", "due_on", "assigned_to"}


def _check_assignee(customer: Customer | None, assignee, actor, partner=None) -> None:
    """A task's assignee must be active and, for a task about a customer,
    able to see that customer — else the task would be invisible to them;
    for a task about a partner (and no customer), one who may read the
    partners' tasks (never a partner user)."""
    if assignee is None:
        return
    if not assignee.is_active:
        raise ValidationError({"assigned_to": _("This user is no longer active.")})
    if customer is not None and not policy_for(assignee).can_view(customer):
        raise ValidationError({"assigned_to": _(
            "%(user)s may not see this customer; share the customer with them first.") % {"user": assignee}})
    if customer is None and partner is not None:
        if not policy_for(assignee).may_read_partner_tasks:
            raise ValidationError({"assigned_to": _("%(user)s may not see this partner.") % {"user": assignee}})
    if assignee.pk != getattr(actor, "pk", None) and actor is not None and not policy_for(actor).can_assign_to(
            assignee):
        raise ValidationError({"assigned_to": _("You may not give tasks to %(user)s.") % {"user": assignee}})


def task_create(*, actor, customer: Customer | None, data: dict[str, Any]):
    """A task added by hand (source ``manual``): about a customer the actor
    may change, or a personal one without a customer. Assigned to the actor
    unless ``assigned_to`` says otherwise (someone the actor may assign to)."""
    from kehu.engagement.models import Task, TaskSource

    policy = policy_for(actor)
    if not policy.active or policy.read_only:
        raise PermissionDenied(_("You may not add tasks."))
    if customer is not None and not policy.can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    unknown = set(data) - TASK_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    data = dict(data)
    assignee = data.pop("assigned_to", None) or actor
    _check_assignee(customer, assignee, actor)
    task = Task(customer=customer, assigned_to=assignee, created_by=actor, source=TaskSource.MANUAL, **data)
    with transaction.atomic():
        task.full_clean()
        task.save()
        audit_record(actor=actor, action="create", instance=task, customer_id=task.customer_id, summary=task.title)
    return task


def task_create_from_source(*, customer: Customer | None, assigned_to, source: str, source_ref: dict,
                            title: str, description: str = "", due_on=None, created_by=None, partner=None):
    """A task set off by something in Kehu (a survey answer, a churn warning,
    a complaint, a partner's low score): no permission check (the system
    acts), idempotent — a second call for the same ``source`` and
    ``source_ref`` returns the task the first made, ``(task, created)``.
    ``partner``: the partner of the channel it is about (with no customer)."""
    from django.db import IntegrityError

    from kehu.engagement.models import Task

    same = Task.objects.filter(source=source, **{f"source_ref__{k}": v for k, v in source_ref.items()})
    existing = same.first()
    if existing is not None:
        return existing, False
    task = Task(customer=customer, partner=partner, assigned_to=assigned_to, created_by=created_by, source=source,
                source_ref=source_ref, title=title[:200], description=description, due_on=due_on)
    # The related rows are the caller's objects (they exist), and the one-task-per-source
    # rule was just checked and is kept by the database's constraint (IntegrityError below).
    task.full_clean(exclude=["customer", "partner", "assigned_to", "created_by"], validate_unique=False,
                    validate_constraints=False)
    try:
        with transaction.atomic():
            task.save()
            audit_record(actor=None, action="create", instance=task, customer_id=task.customer_id,
                         summary=task.title)
    except IntegrityError:
        # Another submission made it between our check and our insert.
        return same.get(), False
    return task, True


def task_notify(task_id: int) -> None:
    """E-mail the assignee about a new follow-up task Kehu made (a survey answer, a
    partner behind its target), in their language; run after the transaction
    commits."""
    from django.conf import settings
    from django.urls import reverse
    from django.utils import translation

    from kehu.engagement.models import Task

    task = Task.objects.select_related("assigned_to", "customer").filter(pk=task_id).first()
    if task is None or task.assigned_to is None or not task.assigned_to.email:
        return
    user = task.assigned_to
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = _("New follow-up task: %(title)s") % {"title": task.title}
        link = getattr(settings, "KEHU_BASE_URL", "").rstrip("/") + reverse("task_detail", args=[task.pk])
        body = "\n\n".join([
            task.description,
            _("Due: %(date)s") % {"date": task.due_on.isoformat() if task.due_on else "—"},
            _("Open the task: %(link)s") % {"link": link},
        ])
    try:
        send_mail(subject, body, None, [user.email])
    except Exception:  # the task exists; a mail server that is down must not hide it
        log.exception("could not e-mail task %s to %s", task.pk, user.email)


def _require_task_change(actor, task) -> None:
    from kehu.engagement.selectors import task_may_change

    if not task_may_change(viewer=actor, task=task):
        raise PermissionDenied(_("You may not change this task."))


def _require_open(task) -> None:
    from kehu.engagement.models import TaskStatus

    if task.status != TaskStatus.OPEN:
        raise ValidationError(_("This task is already closed."))


def task_update(*, actor, task, data: dict[str, Any]):
    """Change an open task's title, details, due date or assignee."""
    _require_task_change(actor, task)
    _require_open(task)
    unknown = set(data) - TASK_FIELDS
    if unknown:
        raise ValidationError({k: _("Unknown field.") for k in unknown})
    if "assigned_to" in data and data["assigned_to"] is not None and data["assigned_to"] != task.assigned_to:
        _check_assignee(task.customer, data["assigned_to"], actor, partner=task.partner)
    before = snapshot(task)
    for k, v in data.items():
        setattr(task, k, v)
    with transaction.atomic():
        task.full_clean()
        task.save()
        changes = diff(before, snapshot(task))
        if changes:
            audit_record(actor=actor, action="update", instance=task, customer_id=task.customer_id,
                         changes=changes, summary=task.title)
    return task


def task_complete(*, actor, task, outcome: str, log_interaction: bool = False, channel: str = "phone"):
    """Close a task as done with what came of it. With ``log_interaction``
    the outcome is also logged as an interaction (联系纪要) with the task's
    customer, on ``channel``, so it appears on the customer's timeline."""
    from kehu.engagement.models import Channel, TaskStatus

    _require_task_change(actor, task)
    _require_open(task)
    outcome = (outcome or "").strip()
    if not outcome:
        raise ValidationError({"outcome": _("Say what came of it.")})
    if log_interaction and task.customer_id is None:
        raise ValidationError({"log_interaction": _("This task is not about a customer.")})
    if log_interaction and channel not in Channel.values:
        raise ValidationError({"channel": _("Choose a channel.")})
    with transaction.atomic():
        task.status = TaskStatus.DONE
        task.outcome = outcome
        task.completed_at = timezone.now()
        task.full_clean()
        task.save()
        audit_record(actor=actor, action="complete", instance=task, customer_id=task.customer_id,
                     summary=task.title)
        if log_interaction:
            interaction_log(actor=actor, customer=task.customer, check_permissions=False, data={
                "channel": channel, "subject": task.title[:200], "summary": outcome})
    return task


def task_cancel(*, actor, task, reason: str = ""):
    """Close a task that no longer needs doing; ``reason`` is kept as its outcome."""
    from kehu.engagement.models import TaskStatus

    _require_task_change(actor, task)
    _require_open(task)
    with transaction.atomic():
        task.status = TaskStatus.CANCELLED
        task.outcome = (reason or "").strip()
        task.completed_at = timezone.now()
        task.full_clean()
        task.save()
        audit_record(actor=actor, action="cancel", instance=task, customer_id=task.customer_id,
                     summary=task.title)
    return task


def tasks_follow_owner(*, customer_ids, from_owner_id, to_owner) -> int:
    """When customers change owner, their open tasks that were the old
    owner's go with them to the new owner (who can see them; the old owner
    may no longer). Called by the customer services; returns how many moved."""
    from kehu.engagement.models import Task, TaskStatus

    ids = list(customer_ids)
    if not ids or from_owner_id is None or to_owner is None or from_owner_id == to_owner.pk:
        return 0
    moved = 0
    for start in range(0, len(ids), 1000):
        moved += Task.objects.filter(customer_id__in=ids[start:start + 1000], status=TaskStatus.OPEN,
                                     assigned_to_id=from_owner_id).update(assigned_to=to_owner,
                                                                          updated_at=timezone.now())
    return moved
