"""CSV and .xlsx writers shared by every export.

Formula injection (OWASP, "CSV Injection"): a cell whose text begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula by
Excel, LibreOffice and WPS when the file is opened — ``=HYPERLINK(...)`` in a
customer's name becomes a live link, ``=cmd|...`` a command. So:

- in CSV such a text cell gets a leading single quote (``'=HYPERLINK(...)``),
  which spreadsheets show as text and which the importer takes off again
  (:func:`restore`), so an exported file still imports unchanged;
- in .xlsx every text cell is written as a string (cell type ``s``), never as
  a formula, and keeps its exact text.

Only text is touched: ints, floats and ``Decimal`` amounts are numbers and a
negative amount ``-12.50`` stays ``-12.50``. A text cell that already begins
with quotes followed by one of those characters gets one more quote, so that
:func:`restore` gives back exactly what was exported.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import tempfile
from decimal import Decimal
from typing import Iterable, Iterator

BOM = "\ufeff"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"

#: The first characters that make a spreadsheet read a cell as a formula.
FORMULA_TRIGGERS = "=+-@\t\r"
_FIRST = frozenset(FORMULA_TRIGGERS + "'")  # a cheap test before the pattern
_NEEDS_QUOTE = re.compile(r"'*[=+\-@\t\r]")
_QUOTED = re.compile(r"'+[=+\-@\t\r]")
# Characters an .xlsx file cannot hold at all (XML 1.0 forbids them).
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise(text: str) -> str:
    """``text`` as a CSV cell: with a leading ``'`` when a spreadsheet would run it as a formula."""
    return "'" + text if text[:1] in _FIRST and _NEEDS_QUOTE.match(text) else text


def restore(text: str) -> str:
    """The inverse of :func:`neutralise`, for a CSV cell read back by the importer."""
    return text[1:] if _QUOTED.match(text) else text


def csv_cell(value) -> str:
    """One value as CSV text: numbers and dates as they are, text neutralised."""
    if type(value) is str:
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return neutralise(str(value))


class _Echo:
    def write(self, value):
        return value


def csv_chunks(rows: Iterable[list], *, bom: bool = True) -> Iterator[str]:
    """CSV text, a few hundred rows at a time, for a streaming download."""
    writer = csv.writer(_Echo())
    buffer = [BOM] if bom else []
    iterator = iter(rows)
    try:
        for row in iterator:
            # plain text (most cells) goes straight through; the rest via csv_cell
            buffer.append(writer.writerow([v if type(v) is str and v[:1] not in _FIRST else csv_cell(v)
                                           for v in row]))
            if len(buffer) >= 500:
                yield "".join(buffer)
                buffer = []
        if buffer:
            yield "".join(buffer)
    finally:
        # A download broken off closes this generator: close the rows too, so
        # that their audit record learns how far it got.
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


def write_csv(rows: Iterable[list], path) -> int:
    """Write rows to ``path`` as UTF-8 CSV with a BOM; returns the number of data rows (after the header)."""
    count = 0

    def counting():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    with open(path, "w", encoding="utf-8", newline="") as fh:
        for chunk in csv_chunks(counting()):
            fh.write(chunk)
    return max(count - 1, 0)


def _xlsx_value(ws, value):
    from openpyxl.cell import WriteOnlyCell

    if value is None or isinstance(value, (bool, int, float, dt.date, dt.datetime)):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            from django.utils import timezone

            return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        return value
    if isinstance(value, Decimal):
        return float(value)
    text = _XLSX_ILLEGAL.sub("", str(value))
    if text[:1] in FORMULA_TRIGGERS or text[:1] == "#":
        # openpyxl would store "=..." as a formula and "#N/A" as an error: force a string cell.
        cell = WriteOnlyCell(ws, value=text)
        cell.data_type = "s"
        return cell
    return text


def write_xlsx_sheets(sheets: Iterable[tuple[str, Iterable[list]]], target) -> int:
    """Write ``(title, rows)`` sheets to ``target`` (a path or a binary file) as .xlsx.

    Text is always a string cell, never a formula; numbers (``Decimal`` too)
    are numbers and dates are dates, so Excel can sum and sort them. Returns
    the number of rows written, all sheets together.
    """
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    count = 0
    for title, rows in sheets:
        ws = wb.create_sheet(title=_sheet_title(title))
        for row in rows:
            ws.append([_xlsx_value(ws, v) for v in row])
            count += 1
    wb.save(target)
    return count


def write_xlsx(rows: Iterable[list], target, *, title: str = "Sheet1") -> int:
    """One sheet of rows to ``target``; returns the number of data rows (after the header)."""
    return max(write_xlsx_sheets([(title, rows)], target) - 1, 0)


def _sheet_title(title) -> str:
    # Excel's limits: 31 characters, none of []:*?/\
    return re.sub(r"[\[\]:*?/\\]", " ", str(title))[:31] or "Sheet1"


def csv_sections(tables: Iterable[tuple[str, list, Iterable[list]]]) -> Iterator[list]:
    """Several tables in one CSV: a title row, the header, the rows and a blank row each."""
    for title, header, rows in tables:
        yield [title]
        yield header
        yield from rows
        yield []


def download(rows: Iterable[list], *, fmt: str, filename: str, sheet: str = "Sheet1"):
    """An HTTP download of ``rows`` as ``fmt`` ("csv" streams; "xlsx" is built
    in a temporary file that spills to disk past a few megabytes)."""
    from django.http import FileResponse, StreamingHttpResponse
    from django.utils.http import content_disposition_header

    if fmt == "xlsx":
        target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        write_xlsx(rows, target, title=sheet)
        target.seek(0)
        return FileResponse(target, as_attachment=True, filename=f"{filename}.xlsx", content_type=XLSX_CONTENT_TYPE)
    response = StreamingHttpResponse(csv_chunks(rows), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    return response


def download_sheets(tables: list[tuple[str, list, list]], *, fmt: str, filename: str):
    """An HTTP download of several ``(title, header, rows)`` tables (small,
    already in memory): one sheet each in .xlsx, one after another in CSV."""
    import io

    from django.http import HttpResponse
    from django.utils.http import content_disposition_header

    if fmt == "xlsx":
        buf = io.BytesIO()
        write_xlsx_sheets(((title, [header, *rows]) for title, header, rows in tables), buf)
        response = HttpResponse(buf.getvalue(), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{filename}.xlsx")
        return response
    response = HttpResponse("".join(csv_chunks(csv_sections(tables))), content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.csv")
    return response
