"""The all-or-nothing table imports in the browser (quotas, partners, staff without a login;
kehu/imports/tables.py): upload → dry run, its report → confirm → the result.

The uploaded file waits under ``MEDIA_ROOT/imports/`` on an :class:`ImportRun` of the user who
uploaded it, as for the customer import (kehu/imports/views.py); a file with bad rows is
refused at once (nothing to confirm: the import is all or nothing) and deleted. Whoever may
not run the kind gets a 403, a run of another user or of another kind a 404; partner users
never reach these pages (kehu/org/policies.py ``PARTNER_VIEWS``).
"""

from __future__ import annotations

from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.exports.writers import CSV_CONTENT_TYPE, csv_chunks
from kehu.imports.models import ImportRun, ImportStatus
from kehu.imports.readers import SUFFIXES, TableError, TableImportReport
from kehu.imports.tables import MAX_SHOWN_ERRORS, TableImport, report_dict, table_import
from kehu.imports.views import _clean_stale, _discard_file, _stored_path, store_upload

NAV = "import"


def _kind(request, kind: str) -> TableImport:
    spec = table_import(kind)
    if spec is None:
        raise Http404
    if not spec.may(request.user):
        raise PermissionDenied
    return spec


def _own_run(request, spec: TableImport, pk: int) -> ImportRun:
    return get_object_or_404(ImportRun, pk=pk, user=request.user, kind=spec.kind)


def _record(run: ImportRun, report: TableImportReport) -> None:
    run.dry_run = report.dry_run
    run.rows_read, run.created, run.updated = report.rows, report.created, report.updated
    run.error_count = run.skipped = len(report.errors)
    run.report = report_dict(report, limit=MAX_SHOWN_ERRORS)


def _context(spec: TableImport, **extra) -> dict:
    return {"nav_active": NAV, "spec": spec, "label": spec.label, **extra}


@login_required
@require_http_methods(["GET", "POST"])
def start(request, kind):
    """The upload form, the columns and the templates; a posted file is checked (a dry run)."""
    spec = _kind(request, kind)
    error = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        suffix = Path(upload.name).suffix.lower() if upload else ""
        if upload is None:
            error = _("Choose a file.")
        elif suffix not in SUFFIXES:
            error = _("Unknown file type %(suffix)s: use .csv or .xlsx.") % {"suffix": suffix or "''"}
        else:
            _clean_stale()
            run = ImportRun(user=request.user, kind=spec.kind)
            path = store_upload(run, upload)
            try:
                report = spec.run(actor=request.user, path=path, dry_run=True)
            except TableError as exc:
                path.unlink(missing_ok=True)
                error = str(exc)
            except PermissionDenied:
                path.unlink(missing_ok=True)
                raise
            else:
                _record(run, report)
                if report.refused:   # all or nothing: there is nothing to confirm
                    _discard_file(run)
                    run.status = ImportStatus.REFUSED
                run.save()
                return redirect("table_import_check", kind=spec.kind, pk=run.pk)
    return render(request, "imports/table_start.html", _context(
        spec, title=_("Import: %(what)s") % {"what": spec.label}, error=error,
        recent=ImportRun.objects.filter(user=request.user, kind=spec.kind)
        .exclude(status=ImportStatus.PREVIEW)[:10],
    ), status=400 if error else 200)


@login_required
def check(request, kind, pk):
    """The dry run's report (or, once imported, the result) of one upload."""
    spec = _kind(request, kind)
    run = _own_run(request, spec, pk)
    waiting = run.status == ImportStatus.PREVIEW and bool(run.stored_name) and _stored_path(run).exists()
    return render(request, "imports/table_check.html", _context(
        spec, title=_("Check the import") if run.status != ImportStatus.DONE else _("Import finished"),
        run=run, report=run.report, can_confirm=waiting,
        summary=spec.summary(TableImportReport(rows=run.rows_read, created=run.created, updated=run.updated,
                                               dry_run=run.status != ImportStatus.DONE)),
    ))


@login_required
@require_POST
def confirm(request, kind, pk):
    """Run the checked upload for real: all of it, or nothing when a row has gone bad since."""
    spec = _kind(request, kind)
    run = _own_run(request, spec, pk)
    path = _stored_path(run)
    # Claim the file first, so that a second click (or tab) cannot import it twice.
    claimed = path is not None and path.exists() and ImportRun.objects.filter(
        pk=run.pk, status=ImportStatus.PREVIEW, stored_name=run.stored_name).update(stored_name="")
    if not claimed:
        messages.error(request, _("This import is no longer waiting for confirmation; upload the file again."))
        return redirect("table_import_check", kind=spec.kind, pk=run.pk)
    try:
        report = spec.run(actor=request.user, path=path, dry_run=False)
    except TableError as exc:
        ImportRun.objects.filter(pk=run.pk).update(stored_name=run.stored_name)   # may be confirmed again
        messages.error(request, str(exc))
        return redirect("table_import_check", kind=spec.kind, pk=run.pk)
    _record(run, report)
    _discard_file(run)
    if report.refused:   # a row went bad since the check: the page lists it
        run.status = ImportStatus.REFUSED
    else:
        run.status = ImportStatus.DONE
        messages.success(request, spec.summary(report))
    run.save()
    return redirect("table_import_check", kind=spec.kind, pk=run.pk)


@login_required
@require_POST
def cancel(request, kind, pk):
    spec = _kind(request, kind)
    run = _own_run(request, spec, pk)
    if run.status != ImportStatus.DONE:
        _discard_file(run)
        run.status = ImportStatus.CANCELLED
        run.save(update_fields=["stored_name", "status", "updated_at"])
    messages.info(request, _("The import was cancelled and the file deleted."))
    return redirect("table_import", kind=spec.kind)


@login_required
def template_file(request, kind):
    """An empty CSV with the kind's column headings (``?lang=zh``: the Chinese ones)."""
    spec = _kind(request, kind)
    chinese = request.GET.get("lang") == "zh"
    header = [c.chinese if chinese else c.header for c in spec.columns]
    response = HttpResponse("".join(csv_chunks([header])), content_type=CSV_CONTENT_TYPE)
    name = f"kehu-{spec.kind}{'-zh' if chinese else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
