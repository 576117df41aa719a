"""Writes of the customer value app: value settings and analysis runs."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.insights.config import validate_config, value_settings
from kehu.insights.models import ValueSettings
from kehu.org.policies import policy_for


def can_change_value_settings(user) -> bool:
    """Administrators change the value settings; ``None`` is the system itself."""
    return user is None or policy_for(user).is_admin


def value_settings_update(*, actor, config: dict) -> ValueSettings:
    """Validate and save the company's value settings.

    ``config`` holds the sections to change (see ``kehu.insights.config``);
    a section left out keeps its saved value, a section given replaces the
    saved one whole. Raises ``PermissionDenied`` unless the actor is an
    administrator, ``ValidationError`` (dotted field path → translated
    messages) when a value is wrong; nothing is saved then.
    """
    if not can_change_value_settings(actor):
        raise PermissionDenied(_("Only an administrator may change the value settings."))
    with transaction.atomic():
        row = ValueSettings.objects.select_for_update().order_by("id").first()
        stored = dict(row.config) if row is not None else {}
        before = value_settings()
        merged = {**stored, **config} if isinstance(config, dict) else config
        clean = validate_config(merged)
        if row is None:
            row = ValueSettings(config=clean, updated_by=actor)
        else:
            row.config = clean
            row.updated_by = actor
        row.full_clean()
        row.save()
        changed = sorted(k for k in clean if before.get(k) != clean[k])
        audit_record(actor=actor, action="update", instance=row,
                     changes={k: [before.get(k), clean[k]] for k in changed},
                     summary="value settings: " + ", ".join(changed))
    return row
