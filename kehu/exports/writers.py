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
    """One sheet of rows to ``target`` (a path or a binary file), streamed as
    :func:`xlsx_chunks` writes it; returns the number of data rows (after the header)."""
    count = 0

    def counting():
        nonlocal count
        for row in rows:
            count += 1
            yield row

    if isinstance(target, (str, bytes)) or hasattr(target, "__fspath__"):
        with open(target, "wb") as fh:
            for chunk in xlsx_chunks(counting(), title=title):
                fh.write(chunk)
    else:
        for chunk in xlsx_chunks(counting(), title=title):
            target.write(chunk)
    return max(count - 1, 0)


# -- a one-sheet .xlsx written row by row ------------------------------------------------
# openpyxl's write-only mode keeps memory flat but still hands out nothing before the
# last row (it zips the sheet on save). This writer emits the zip as it goes: the
# sheet's XML is deflated row by row into a zip entry with a data descriptor (zipfile
# writes those to a stream it cannot seek), so a download of a million rows starts at
# once and holds a few hundred rows in memory. Text is an inline string cell — never a
# formula, never an error value — numbers are numbers and dates are dates (styles 1, 2).

_XLSX_STATIC = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '</Types>'),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'styles" Target="styles.xml"/></Relationships>'),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
        '</styleSheet>'),
}
_EPOCH = dt.datetime(1899, 12, 30)


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _xlsx_cell(ref: str, value) -> str:
    from xml.sax.saxutils import escape

    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
            return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'
        return f'<c r="{ref}"><v>{format(value, "f") if isinstance(value, Decimal) else repr(value)}</v></c>'
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            from django.utils import timezone

            value = timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
        delta = value - _EPOCH
        return f'<c r="{ref}" s="2"><v>{delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6!r}</v></c>'
    if isinstance(value, dt.date):
        return f'<c r="{ref}" s="1"><v>{(value - _EPOCH.date()).days}</v></c>'
    text = escape(_XLSX_ILLEGAL.sub("", str(value)))
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


class _Sink:
    """A write-only, unseekable buffer that zipfile writes into and the generator drains."""

    def __init__(self):
        self.parts: list[bytes] = []
        self.offset = 0

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        self.offset += len(data)
        return len(data)

    def tell(self) -> int:
        return self.offset

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


def xlsx_chunks(rows: Iterable[list], *, title: str = "Sheet1") -> Iterator[bytes]:
    """A one-sheet .xlsx of ``rows``, as bytes handed out a few hundred rows at a time
    (for a streaming download or a file)."""
    import zipfile
    from xml.sax.saxutils import quoteattr

    sink = _Sink()
    iterator = iter(rows)
    try:
        with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            workbook = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                f'<sheets><sheet name={quoteattr(_sheet_title(title))} sheetId="1" r:id="rId1"/></sheets></workbook>')
            for name, text in [*_XLSX_STATIC.items(), ("xl/workbook.xml", workbook)]:
                zf.writestr(name, text)
            yield sink.drain()
            letters: list[str] = []
            with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
                sheet.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                            b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                            b'<sheetData>')
                buffer = []
                for r, row in enumerate(iterator, start=1):
                    while len(letters) < len(row):
                        letters.append(_column_letters(len(letters) + 1))
                    buffer.append(f'<row r="{r}">'
                                  + "".join(_xlsx_cell(f"{letters[i]}{r}", v) for i, v in enumerate(row))
                                  + "</row>")
                    if len(buffer) >= 500:
                        sheet.write("".join(buffer).encode())
                        buffer = []
                        data = sink.drain()
                        if data:
                            yield data
                sheet.write(("".join(buffer) + "</sheetData></worksheet>").encode())
        yield sink.drain()
    finally:
        # A download broken off closes this generator: close the rows too (their audit record)
        close = getattr(iterator, "close", None)
        if close is not None:
            close()


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
    """An HTTP download of ``rows`` as ``fmt``, streamed as it is written (CSV and .xlsx)."""
    from django.http import StreamingHttpResponse
    from django.utils.http import content_disposition_header

    if fmt == "xlsx":
        response = StreamingHttpResponse(xlsx_chunks(rows, title=sheet), content_type=XLSX_CONTENT_TYPE)
        response["Content-Disposition"] = content_disposition_header(True, f"{filename}.xlsx")
        return response
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
