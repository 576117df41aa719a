"""Reading the company-wide audit log (administrators only, see
:mod:`kehu.org.policies`)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from kehu.audit.models import AuditEvent
from kehu.org.policies import policy_for


def audit_event_list(*, viewer, action: str = "", entity: str = "", actor_id: int | None = None) -> QuerySet:
    """Audit events, newest first, filtered by action (``"export"`` …), record
    type or export, and actor. Raises ``PermissionDenied`` for anyone but an
    administrator."""
    if not policy_for(viewer).may_read_audit_log:
        raise PermissionDenied
    qs = AuditEvent.objects.select_related("actor")
    if action:
        qs = qs.filter(action=action)
    if entity:
        qs = qs.filter(entity=entity)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    return qs.order_by("-created_at", "-id")
