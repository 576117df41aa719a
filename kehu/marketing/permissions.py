"""The one "may manage marketing" check of the marketing apps (outreach, coupons,
membership, care, winback): marketing and administrators, as
:attr:`kehu.org.policies.CustomerPolicy.may_manage_marketing` says. Which
customers they reach is still the view scope."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from kehu.org.policies import policy_for


def may_manage(actor) -> bool:
    return actor is not None and policy_for(actor).may_manage_marketing


def require_marketing(actor, message=None, *, system_ok: bool = False) -> None:
    """Raise :class:`PermissionDenied` unless ``actor`` may manage marketing.
    ``system_ok``: ``actor`` None is the system (a job, a command) and passes."""
    if actor is None and system_ok:
        return
    if not may_manage(actor):
        raise PermissionDenied(message or _("Only marketing and administrators may change this."))
