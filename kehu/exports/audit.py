"""The audit record of an export: who, when, which export with which filters,
in which format, through which door (browser, API, command) and how many rows.

An export's event is written when the export starts, so that a download that
is broken off, or a process that dies half-way, still leaves its trace; the
number of rows is filled in as the last row goes out (``complete`` tells
whether it did). The events are ordinary :class:`~kehu.audit.models.AuditEvent`
rows with ``action="export"``: administrators read them on the audit page and
through ``GET /api/v1/audit-events``.
"""

from __future__ import annotations

from typing import Iterable, Iterator

from kehu.audit.models import AuditEvent

EXPORT_ACTION = "export"
_MAX_FILTER_TEXT = 200


def _clean_filters(filters: dict | None) -> dict:
    """Filters as JSON-ready text: empty ones dropped, long ones cut."""
    out = {}
    for key, value in (filters or {}).items():
        if value is None or value == "" or (isinstance(value, (list, tuple, set, dict)) and not value):
            continue
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value)
        out[str(key)[:40]] = str(value).replace("\x00", "")[:_MAX_FILTER_TEXT]
    return out


def export_audit_start(*, actor, export: str, fmt: str, via: str, filters: dict | None = None,
                       object_id: int | None = None) -> AuditEvent:
    """Record that ``actor`` started the export ``export`` (a key of
    :data:`kehu.exports.registry.EXPORTS`) in format ``fmt`` through ``via``
    ("web", "api" or "cli"), with its ``filters``; ``object_id`` is the survey,
    segment or analysis it was taken from, when there is one."""
    return AuditEvent.objects.create(
        actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
        action=EXPORT_ACTION,
        entity=export[:40],
        entity_id=object_id or 0,
        summary=f"{export} ({fmt}, {via})"[:300],
        changes={"export": export, "format": fmt, "via": via, "filters": _clean_filters(filters),
                 "rows": None, "complete": False},
    )


def export_audit_finish(event: AuditEvent, *, rows: int | None, complete: bool = True) -> None:
    """Store how many data rows the export wrote (None for a report, which has no rows)."""
    changes = dict(event.changes, rows=rows, complete=complete)
    event.changes = changes
    event.summary = f"{changes['export']} ({changes['format']}, {changes['via']})" + (
        f": {rows}" if rows is not None else "")
    AuditEvent.objects.filter(pk=event.pk).update(changes=changes, summary=event.summary)


def audited_rows(rows: Iterable[list], event: AuditEvent, *, header_rows: int = 1,
                 counts=None) -> Iterator[list]:
    """``rows`` passed through, counting them into ``event`` when they run out
    (or when the consumer stops early: ``complete`` is then false).

    The first ``header_rows`` rows are headers and not counted; ``counts`` (a
    function of a row, default 1 each) lets a file of several tables count
    only its data rows.
    """
    seen = 0
    data = 0
    complete = False
    try:
        for row in rows:
            seen += 1
            if seen > header_rows:
                data += 1 if counts is None else counts(row)
            yield row
        complete = True
    finally:
        export_audit_finish(event, rows=data, complete=complete)
