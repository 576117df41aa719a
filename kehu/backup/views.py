"""The backups page (administrators only): list, back up now, follow it, run a
failed one again, download, delete.

Restoring is a command-line operation (``kehu restore FILE``; meanwhile
every page answers 503, kehu.runtime.maintenance): it replaces the whole
database under every user's feet, which a page of the running server should
not do to itself.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.backup import schedule, selectors
from kehu.backup.models import BackupStatus, BackupTrigger
from kehu.backup.permissions import can_manage_backups
from kehu.backup.services import backup_delete, backup_retry, backup_start


def _require_admin(request) -> None:
    if not can_manage_backups(request.user):
        raise PermissionDenied(_("Only an administrator may see or make backups."))


def _table_context(request) -> dict:
    backups = list(selectors.backup_list(viewer=request.user)[:200])
    return {"backups": backups, "running": any(b.running for b in backups)}


@login_required
def backup_list(request):
    _require_admin(request)
    try:
        scheduled = schedule.parse(settings.KEHU_BACKUP_SCHEDULE) is not None
    except ValueError:
        scheduled = False
    return render(request, "backup/list.html", {
        "title": _("Backups"), "nav_active": "backups", **_table_context(request),
        "schedule": settings.KEHU_BACKUP_SCHEDULE, "scheduled": scheduled, "keep": settings.KEHU_BACKUP_KEEP,
        "backup_dir": settings.KEHU_BACKUP_DIR,
    })


@login_required
def backup_table(request):
    """The table alone; htmx polls it while a backup is queued or running."""
    _require_admin(request)
    return render(request, "backup/_table.html", _table_context(request))


@login_required
@require_POST
def backup_create(request):
    _require_admin(request)
    backup = backup_start(actor=request.user, trigger=BackupTrigger.WEB,
                          include_secret_key=request.POST.get("include_secret_key") == "1")
    messages.success(request, _("Backup %(name)s started. It runs in the background; this page follows it.")
                     % {"name": backup.filename})
    return redirect("backup_list")


@login_required
def backup_download(request, pk: int):
    backup = selectors.backup_get(viewer=request.user, pk=pk)
    if backup.status != BackupStatus.SUCCEEDED or not backup.path.is_file():
        raise Http404
    return FileResponse(open(backup.path, "rb"), as_attachment=True, filename=backup.filename,
                        content_type="application/gzip")


@login_required
def backup_remove(request, pk: int):
    backup = selectors.backup_get(viewer=request.user, pk=pk)
    if request.method == "POST":
        try:
            backup_delete(actor=request.user, backup=backup)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Backup %(name)s deleted.") % {"name": backup.filename})
        return redirect("backup_list")
    return render(request, "backup/delete.html", {"title": _("Delete backup"), "nav_active": "backups",
                                                  "backup": backup})


@login_required
@require_POST
def backup_run_again(request, pk: int):
    """Run a failed backup (e.g. one interrupted by a killed process) again, in the background."""
    backup = selectors.backup_get(viewer=request.user, pk=pk)
    try:
        backup_retry(actor=request.user, backup=backup)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Backup %(name)s started again. It runs in the background; this page follows it.")
                         % {"name": backup.filename})
    return redirect("backup_list")
