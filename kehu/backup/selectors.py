"""Reads of backups, for administrators only (``permissions.can_manage_backups``).

Both first mark the backups whose process died failed
(:func:`kehu.backup.services.backups_reap_dead`: one indexed query when none
is running), so no page, API answer or ``kehu backup --list`` shows a killed
backup as running."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from kehu.backup.models import Backup
from kehu.backup.permissions import can_manage_backups


def _require(viewer) -> None:
    if viewer is None or not can_manage_backups(viewer):
        raise PermissionDenied(_("Only an administrator may see or make backups."))


def _reap() -> None:
    from kehu.backup.services import backups_reap_dead

    backups_reap_dead()


def backup_list(*, viewer):
    _require(viewer)
    _reap()
    return Backup.objects.select_related("requested_by").order_by("-created_at", "-id")


def backup_get(*, viewer, pk: int) -> Backup:
    _require(viewer)
    _reap()
    backup = Backup.objects.select_related("requested_by").filter(pk=pk).first()
    if backup is None:
        raise Http404
    return backup
