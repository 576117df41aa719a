"""Import pages: upload → preview (mapping, first rows, full check) → confirm → result;
and the customer and order exports.

The uploaded file waits under ``MEDIA_ROOT/imports/`` with a random name
between preview and confirm, recorded on an :class:`ImportRun` of the user who
uploaded it; another user gets a 404. The file is deleted once the import is
done or cancelled, and previews left for a day are cleaned up.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from kehu.customers.selectors import CustomerFilters
from kehu.imports.columns import COLUMNS, cell_text, chinese_header, custom_columns, map_headers
from kehu.exports.http import export_response
from kehu.exports.writers import CSV_CONTENT_TYPE, csv_chunks
from kehu.customfields.values import parse_filters
from kehu.imports.exports import customer_rows, interaction_rows, order_rows, task_rows
from kehu.imports.models import ImportKind, ImportRun, ImportStatus
from kehu.imports.readers import SUFFIXES, TableError, open_table
from kehu.imports.services import ImportUsageError, run_import
from kehu.imports.tables import table_imports_for
from kehu.org.policies import policy_for

PREVIEW_ROWS = 10
STALE_AFTER = dt.timedelta(days=1)


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "imports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stored_path(run: ImportRun) -> Path | None:
    if not run.stored_name:
        return None
    return _upload_dir() / run.stored_name


def _discard_file(run: ImportRun) -> None:
    path = _stored_path(run)
    if path is not None:
        path.unlink(missing_ok=True)
    run.stored_name = ""


def store_upload(run: ImportRun, upload) -> Path:
    """Keep ``upload`` under a random name (with its suffix) until the import is confirmed or
    cancelled; the run records both names. Returns the stored file's path."""
    run.filename = Path(upload.name).name[:255]
    run.stored_name = secrets.token_urlsafe(24) + Path(upload.name).suffix.lower()
    path = _stored_path(run)
    with open(path, "wb") as fh:
        for chunk in upload.chunks():
            fh.write(chunk)
    return path


def _clean_stale() -> None:
    cutoff = timezone.now() - STALE_AFTER
    for run in ImportRun.objects.filter(created_at__lt=cutoff).exclude(stored_name=""):
        _discard_file(run)
        if run.status in (ImportStatus.PREVIEW, ImportStatus.REFUSED):
            run.status = ImportStatus.CANCELLED
        run.save(update_fields=["stored_name", "status", "updated_at"])


def _require_importer(request) -> None:
    if not policy_for(request.user).can_create:
        raise PermissionDenied


def _column_help():
    rows = []
    for kind, columns in COLUMNS.items():
        rows.append({
            "kind": kind,
            "label": ImportKind(kind).label,
            "columns": [{
                "field": c.field, "required": c.required, "help": c.help,
                "aliases": [a for a in c.aliases], "chinese": chinese_header(c),
            } for c in columns],
        })
    return rows


def _preview_rows(path: Path, kind: str) -> dict:
    table = open_table(path)
    hmap = map_headers(table.headers, kind, custom_columns(kind))
    rows = []
    for line, values in table.rows():
        rows.append({"line": line, "cells": [cell_text(values[i]) if i < len(values) else "" for i, _c in hmap.columns]})
        if len(rows) >= PREVIEW_ROWS:
            break
    return {"preview_fields": [c.field for _i, c in hmap.columns], "preview_rows": rows,
            "missing": hmap.missing}


@login_required
@require_http_methods(["GET", "POST"])
def start(request):
    _require_importer(request)
    error = None
    kind = request.POST.get("kind") or request.GET.get("kind") or ImportKind.CUSTOMERS
    if request.method == "POST":
        upload = request.FILES.get("file")
        suffix = Path(upload.name).suffix.lower() if upload else ""
        if kind not in ImportKind.values:
            error = _("Choose what to import.")
        elif upload is None:
            error = _("Choose a file.")
        elif suffix not in SUFFIXES:
            error = _("Unknown file type %(suffix)s: use .csv or .xlsx.") % {"suffix": suffix or "''"}
        else:
            _clean_stale()
            run = ImportRun(user=request.user, kind=kind)
            path = store_upload(run, upload)
            try:
                report = run_import(kind, actor=request.user, source=path, dry_run=True)
                extra = _preview_rows(path, kind)
            except (ImportUsageError, TableError) as exc:
                path.unlink(missing_ok=True)
                error = str(exc)
            else:
                report.filename = run.filename
                run.rows_read = report.rows_read
                run.created, run.updated = report.created, report.updated
                run.skipped, run.error_count, run.warning_count = report.skipped, report.error_count, report.warning_count
                run.report = {**report.as_dict(), **extra}
                run.save()
                return redirect("import_preview", pk=run.pk)
    return render(request, "imports/start.html", {
        "title": _("Import"), "nav_active": "import", "error": error, "kind": kind,
        "kinds": ImportKind.choices, "help": _column_help(),
        "recent": ImportRun.objects.filter(user=request.user, kind__in=ImportKind.values)
        .exclude(status=ImportStatus.PREVIEW)[:10],
        "table_imports": table_imports_for(request.user),
    }, status=400 if error else 200)


def _own_run(request, pk) -> ImportRun:
    return get_object_or_404(ImportRun, pk=pk, user=request.user, kind__in=ImportKind.values)


@login_required
def preview(request, pk):
    run = _own_run(request, pk)
    if run.status == ImportStatus.DONE:
        return redirect("import_result", pk=run.pk)
    report = run.report
    mapped = report.get("mapped", [])
    return render(request, "imports/preview.html", {
        "title": _("Check the import"), "nav_active": "import", "run": run, "report": report,
        "mapped": mapped, "can_confirm": bool(run.stored_name) and run.status in (ImportStatus.PREVIEW, ImportStatus.REFUSED),
    })


@login_required
@require_POST
def confirm(request, pk):
    _require_importer(request)
    run = _own_run(request, pk)
    path = _stored_path(run)
    if run.status not in (ImportStatus.PREVIEW, ImportStatus.REFUSED) or path is None or not path.exists():
        messages.error(request, _("This import is no longer waiting for confirmation; upload the file again."))
        return redirect("import_start")
    skip_bad = bool(request.POST.get("skip_bad"))
    preview_keys = {k: v for k, v in run.report.items() if k.startswith("preview") or k == "missing"}
    try:
        report = run_import(run.kind, actor=request.user, source=path, skip_bad=skip_bad, run=run)
    except (ImportUsageError, TableError) as exc:
        messages.error(request, str(exc))
        return redirect("import_preview", pk=run.pk)
    run.refresh_from_db()
    run.report = {**run.report, **preview_keys, "filename": run.filename}
    if report.refused:
        run.save(update_fields=["report", "updated_at"])
        messages.error(request, ngettext(
            "Nothing was imported: %(count)d row is bad. Fix the file, or tick “skip bad rows” to import the good rows.",
            "Nothing was imported: %(count)d rows are bad. Fix the file, or tick “skip bad rows” to import the good rows.",
            report.skipped) % {"count": report.skipped})
        return redirect("import_preview", pk=run.pk)
    _discard_file(run)
    run.save(update_fields=["report", "stored_name", "updated_at"])
    return redirect("import_result", pk=run.pk)


@login_required
@require_POST
def cancel(request, pk):
    run = _own_run(request, pk)
    if run.status != ImportStatus.DONE:
        _discard_file(run)
        run.status = ImportStatus.CANCELLED
        run.save(update_fields=["stored_name", "status", "updated_at"])
    messages.info(request, _("The import was cancelled and the file deleted."))
    return redirect("import_start")


@login_required
def result(request, pk):
    run = _own_run(request, pk)
    if run.status != ImportStatus.DONE:
        return redirect("import_preview", pk=run.pk)
    return render(request, "imports/result.html", {
        "title": _("Import finished"), "nav_active": "import", "run": run, "report": run.report,
    })


@login_required
def template_file(request, kind):
    if kind not in ImportKind.values:
        raise Http404
    columns = COLUMNS[kind]
    chinese = request.GET.get("lang") == "zh"
    header = [chinese_header(c) if chinese else c.field for c in columns]
    response = HttpResponse("".join(csv_chunks([header])), content_type=CSV_CONTENT_TYPE)
    name = f"kehu-{kind}{'-zh' if chinese else ''}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# -- exports ---------------------------------------------------------------------

def _int(value):
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date(value):
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _download(request, rows, *, fmt: str, basename: str):
    stamp = timezone.localdate().strftime("%Y%m%d")
    return export_response(request, rows, export=basename, fmt=fmt, filename=f"{basename}-{stamp}", sheet=basename)


def clean_ids(values):
    """A list's selection (``ids=``), as the list machinery reads it."""
    from kehu.web.lists import clean_ids as _clean

    try:
        return _clean(values)
    except ValidationError:
        raise Http404 from None


@login_required
def customer_export(request):
    g = request.GET
    fmt = g.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    filters = CustomerFilters(q=g.get("q", ""), kind=g.get("kind", ""), stage=g.get("stage", ""),
                              region=g.get("region", ""), owner_id=_int(g.get("owner")), team_id=_int(g.get("team")),
                              partner_id=_int(g.get("partner")), tag=g.get("tag", ""), city=g.get("city", ""), industry=g.get("industry", ""),
                              ids=tuple(clean_ids(g.getlist("ids"))),
                              custom=tuple(parse_filters("customer", g)))
    return _download(request, customer_rows(viewer=request.user, filters=filters), fmt=fmt, basename="customers")


@login_required
def order_export(request):
    g = request.GET
    fmt = g.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = order_rows(viewer=request.user, date_from=_date(g.get("date_from")), date_to=_date(g.get("date_to")),
                      customer_id=_int(g.get("customer")), ids=tuple(clean_ids(g.getlist("ids"))))
    return _download(request, rows, fmt=fmt, basename="orders")


@login_required
def interaction_export(request):
    """The interactions the user may see (the list's filters, or its
    selection ``ids=``) as CSV or .xlsx."""
    g = request.GET
    fmt = g.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    rows = interaction_rows(viewer=request.user, ids=tuple(clean_ids(g.getlist("ids"))),
                            channel=g.get("channel", "")[:20], user_id=_int(g.get("user")),
                            date_from=_date(g.get("date_from")), date_to=_date(g.get("date_to")))
    return _download(request, rows, fmt=fmt, basename="interactions")


@login_required
def task_export(request):
    """The tasks the user may see (the list's filters, or its selection
    ``ids=``) as CSV or .xlsx."""
    from kehu.web.forms.tasks import TaskFilterForm

    g = request.GET
    fmt = g.get("format", "csv")
    if fmt not in ("csv", "xlsx"):
        raise Http404
    ids = tuple(clean_ids(g.getlist("ids")))
    if ids:  # a selection: the rows ticked, whatever the list showed
        rows = task_rows(viewer=request.user, ids=ids)
    else:  # the list's filters, with the list's defaults (my open tasks)
        f = TaskFilterForm(g, team=True).values()
        rows = task_rows(viewer=request.user, scope=f["scope"], status=f["status"], source=f["source"], due=f["due"])
    return _download(request, rows, fmt=fmt, basename="tasks")
