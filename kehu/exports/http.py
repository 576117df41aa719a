"""The one way a page hands out an export: audited, then streamed or built by
the shared writers."""

from __future__ import annotations

from typing import Iterable

from kehu.exports.audit import audited_rows, export_audit_finish, export_audit_start
from kehu.exports.writers import download, download_sheets


def _filters(request) -> dict:
    return {k: v for k, v in request.GET.items() if k != "format"}


def _via(request) -> str:
    return "api" if request.path.startswith("/api/") else "web"


def export_response(request, rows: Iterable[list], *, export: str, fmt: str, filename: str, sheet: str = "Sheet1",
                    object_id: int | None = None):
    """``rows`` (a header, then data) as a CSV or .xlsx download, with its audit record."""
    event = export_audit_start(actor=request.user, export=export, fmt=fmt, via=_via(request),
                               filters=_filters(request), object_id=object_id)
    return download(audited_rows(rows, event), fmt=fmt, filename=filename, sheet=sheet)


def export_tables_response(request, tables: list[tuple[str, list, list]], *, export: str, fmt: str, filename: str,
                           object_id: int | None = None):
    """Several ``(title, header, rows)`` tables as one download (a sheet each
    in .xlsx), with its audit record counting the data rows of them all."""
    event = export_audit_start(actor=request.user, export=export, fmt=fmt, via=_via(request),
                               filters=_filters(request), object_id=object_id)
    response = download_sheets(tables, fmt=fmt, filename=filename)
    export_audit_finish(event, rows=sum(len(rows) for _t, _h, rows in tables))
    return response
