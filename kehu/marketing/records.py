"""Audited writes of the marketing apps' simple configuration objects (message
templates, care rules, coupon kinds, member tiers, earning rules): validate
(``full_clean`` and the app's own checks), save and record the audit event in
one transaction — the same three steps every such service repeated."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot

Check = Callable[[models.Model], None]


def _full_clean(instance: models.Model) -> None:
    instance.full_clean()


def take(data: dict[str, Any], fields: Iterable[str], *, strict: bool = True) -> dict[str, Any]:
    """The items of ``data`` that are among ``fields``; ``strict``: any other key is a field error."""
    fields = set(fields)
    unknown = set(data) - fields
    if unknown and strict:
        raise ValidationError({k: _("Unknown field.") for k in sorted(unknown)})
    return {k: v for k, v in data.items() if k in fields}


def audited_save(*, actor, instance: models.Model, data: dict[str, Any] | None = None, check: Check | None = None,
                 summary: Callable[[models.Model], str] | str = "", after_save: Check | None = None,
                 always_record: bool = True) -> models.Model:
    """Set ``data`` on ``instance``, validate it with ``check`` (default ``full_clean``), save it and record
    ``create`` (with its snapshot) or ``update`` (with the changed fields) in one transaction.
    ``after_save`` runs inside the transaction (many-to-many fields). An update that changes nothing is
    recorded only when ``always_record``."""
    creating = instance._state.adding
    before = {} if creating else snapshot(instance)
    for key, value in (data or {}).items():
        setattr(instance, key, value)
    with transaction.atomic():
        (check or _full_clean)(instance)
        instance.save()
        if after_save is not None:
            after_save(instance)
        text = summary(instance) if callable(summary) else summary
        if creating:
            audit_record(actor=actor, action="create", instance=instance, changes=snapshot(instance), summary=text)
        else:
            changes = diff(before, snapshot(instance))
            if changes or always_record:
                audit_record(actor=actor, action="update", instance=instance, changes=changes, summary=text)
    return instance


def audited_delete(*, actor, instance: models.Model, summary: str = "") -> None:
    """Record ``delete`` (with what the object was) and delete it, in one transaction."""
    with transaction.atomic():
        audit_record(actor=actor, action="delete", instance=instance, changes=snapshot(instance), summary=summary)
        instance.delete()
