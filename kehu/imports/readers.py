"""Stream rows out of CSV and .xlsx files, with the spreadsheet's own line numbers.

CSV encodings: a UTF-8 byte-order mark means UTF-8 (what Excel writes for
"CSV UTF-8"), a UTF-16 mark means UTF-16 (Excel's "Unicode text"); otherwise
the file is checked as UTF-8 in one streaming pass and read as GB18030 (a
superset of GBK, what Chinese Excel writes for plain "CSV") when it is not.
The delimiter (``,`` ``;`` or tab) is sniffed from the header line.

Line numbers are the ones the user sees in Excel or a text editor: the header
is line 1 when it is the first line; a quoted cell spanning several lines
counts them all, and blank lines are skipped but counted.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from django.utils.translation import gettext as _

from kehu.exports.writers import restore

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SUFFIXES = CSV_SUFFIXES | XLSX_SUFFIXES
csv.field_size_limit(16 * 1024 * 1024)


def has_nul(value) -> bool:
    """True for a text cell holding a NUL character (``\\x00``): PostgreSQL cannot
    store it, SQLite would keep an invisible character. Every import reports
    such a cell as a bad one with :func:`nul_message`."""
    return type(value) is str and "\x00" in value


def nul_message() -> str:
    return _("contains a NUL character (\\x00), which cannot be stored")


@dataclass
class TableImportReport:
    """What an all-or-nothing table import did (quotas, partners, staff): the rows read, the
    records created and changed, and the bad rows as (line, reason) — any of them and
    nothing was written (``refused``)."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.errors)


class RollbackImport(Exception):
    """Raised inside an import's transaction to undo it (a dry run, or bad rows)."""


class TableError(Exception):
    """The file cannot be read as a table at all (a usage error, not a bad row)."""


def detect_encoding(path: Path) -> str:
    """``utf-8-sig``, ``utf-16``, ``utf-8`` or ``gb18030`` for the file at ``path``."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        fh.seek(0)
        utf8 = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(1 << 20):
                utf8.decode(chunk)
            utf8.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        fh.seek(0)
        gb = codecs.getincrementaldecoder("gb18030")()
        try:
            while chunk := fh.read(1 << 20):
                gb.decode(chunk)
            gb.decode(b"", final=True)
        except UnicodeDecodeError:
            raise TableError(_("The file is neither UTF-8 nor GBK/GB18030 text.")) from None
        return "gb18030"


def sniff_delimiter(line: str) -> str:
    """The most frequent of ``,`` ``;`` and tab outside quotes in the header line."""
    counts = {",": 0, ";": 0, "\t": 0}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else ","


def _blank(values) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


@dataclass
class Table:
    """An opened spreadsheet: its header and a way to stream the data rows (more than once)."""

    path: Path
    format: str                     # "csv" or "xlsx"
    encoding: str = ""
    delimiter: str = ""
    headers: list = field(default_factory=list)
    header_line: int = 0
    total_bytes: int = 0
    _position: object = None

    def position(self) -> int:
        """Bytes read so far in the current pass over a CSV file (for progress bars)."""
        fh = self._position
        try:
            return fh.tell() if fh is not None else 0
        except (OSError, ValueError):
            return 0

    def rows(self) -> Iterator[tuple[int, list]]:
        """``(line number, cell values)`` for every non-blank row after the header."""
        if self.format == "csv":
            yield from self._csv_rows(skip_header=True)
        else:
            yield from self._xlsx_rows(skip_header=True)

    # -- CSV ---------------------------------------------------------------
    def _csv_rows(self, *, skip_header: bool) -> Iterator[tuple[int, list]]:
        with open(self.path, "rb") as raw:
            self._position = raw
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            reader = csv.reader(text, delimiter=self.delimiter or ",")
            last = 0
            seen_header = False
            try:
                for values in reader:
                    start, last = last + 1, reader.line_num
                    if not values or _blank(values):
                        continue
                    if not seen_header:
                        seen_header = True
                        if skip_header:
                            continue
                    # A cell Kehu's export quoted against formula injection ('=...) reads back as it was.
                    yield start, [restore(v) for v in values]
            except UnicodeDecodeError:
                raise TableError(_("The file is not valid %(encoding)s text after line %(line)d.")
                                 % {"encoding": self.encoding, "line": last}) from None
            except csv.Error as exc:
                raise TableError(_("The CSV file is malformed near line %(line)d: %(error)s")
                                 % {"line": last + 1, "error": exc}) from None
            finally:
                self._position = None

    # -- xlsx ----------------------------------------------------------------
    def _xlsx_rows(self, *, skip_header: bool) -> Iterator[tuple[int, list]]:
        import openpyxl

        try:
            wb = openpyxl.load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
            raise TableError(_("The file is not a readable .xlsx workbook: %(error)s") % {"error": exc}) from None
        try:
            ws = wb.worksheets[0]
            seen_header = False
            for line, values in enumerate(ws.iter_rows(values_only=True), start=1):
                values = list(values)
                while values and values[-1] is None:
                    values.pop()
                if not values or _blank(values):
                    continue
                if not seen_header:
                    seen_header = True
                    if skip_header:
                        continue
                yield line, values
        finally:
            wb.close()


def open_table(path: str | os.PathLike) -> Table:
    """Open ``path`` and read its header row. Raises :class:`TableError`."""
    path = Path(path)
    if not path.is_file():
        raise TableError(_("No such file: %(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise TableError(_("Old .xls workbooks are not supported; save the file as .xlsx or CSV."))
    if suffix not in SUFFIXES:
        raise TableError(_("Unknown file type %(suffix)s: use .csv or .xlsx.") % {"suffix": suffix or "''"})
    table = Table(path=path, format="xlsx" if suffix in XLSX_SUFFIXES else "csv", total_bytes=path.stat().st_size)
    if table.format == "csv":
        table.encoding = detect_encoding(path)
        with open(path, encoding=table.encoding, newline="") as fh:
            first = ""
            for line in fh:
                if line.strip():
                    first = line
                    break
        table.delimiter = "\t" if suffix == ".tsv" else sniff_delimiter(first)
        rows = table._csv_rows(skip_header=False)
    else:
        rows = table._xlsx_rows(skip_header=False)
    try:
        line, headers = next(rows)
    except StopIteration:
        raise TableError(_("The file has no header row.")) from None
    finally:
        rows.close()
    table.header_line, table.headers = line, headers
    return table
