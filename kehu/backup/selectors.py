"""Reads of backups, for administrators only (``permissions.can_manage_backups``)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from kehu.backup.models import Backup
from kehu.backup.permissions import can_manage_backups


def _require(viewer) -> None:
    if viewer is None or not can_manage_backups(viewer):
        raise PermissionDenied(_("Only an administrator may see or make backups."))


def backup_list(*, viewer):
    _require(viewer)
    return Backup.objects.select_related("requested_by").order_by("-created_at", "-id")


def backup_get(*, viewer, pk: int) -> Backup:
    _require(viewer)
    backup = Backup.objects.select_related("requested_by").filter(pk=pk).first()
    if backup is None:
        raise Http404
    return backup
