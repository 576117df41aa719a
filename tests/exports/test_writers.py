"""The shared writers: what is neutralised, what is left alone, and that the
importer's :func:`restore` undoes exactly what :func:`neutralise` did."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
from hypothesis import given
from hypothesis import strategies as st

from kehu.exports.writers import csv_chunks, neutralise, restore, write_xlsx


def _csv(rows) -> list[list[str]]:
    text = "".join(csv_chunks(rows))
    return list(csv.reader(io.StringIO(text[1:], newline="")))


def test_text_that_starts_a_formula_gets_a_quote():
    cells = ['=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "'=1"]
    assert _csv([cells])[0] == ["'" + c for c in cells]


def test_other_text_numbers_and_dates_are_left_alone():
    row = ["北方钢铁", "a=b", "x-1", "'quoted", "", None, Decimal("-12.50"), -3, -1.5, True, dt.date(2026, 1, 2)]
    assert _csv([row])[0] == ["北方钢铁", "a=b", "x-1", "'quoted", "", "", "-12.50", "-3", "-1.5", "yes",
                              "2026-01-02"]


def test_xlsx_writes_text_as_strings_and_numbers_as_numbers():
    buf = io.BytesIO()
    write_xlsx([["name", "amount"], ["=1+1", Decimal("-12.50")], ["#N/A", -3], ["-2+3", None]], buf)
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue())).active
    cells = [[(c.value, c.data_type) for c in row] for row in ws.iter_rows(min_row=2)]
    assert cells == [[("=1+1", "s"), (-12.5, "n")], [("#N/A", "s"), (-3, "n")], [("-2+3", "s"), (None, "n")]]


@given(st.text(max_size=12))
def test_restore_undoes_neutralise(text):
    assert restore(neutralise(text)) == text


def test_xlsx_streams_row_by_row_and_reads_back():
    """The .xlsx download hands out bytes before the last row is read, and the file
    opens with every value of its kind: text as strings, numbers, dates, booleans."""
    from kehu.exports.writers import xlsx_chunks

    read = []

    def rows():
        yield ["name", "amount", "day", "at", "ok", "empty"]
        for i in range(2000):
            read.append(i)
            yield [f"=cmd|{i}" if i == 7 else f"客户 <{i}> & co\x01", Decimal("-12.50") + i, dt.date(2026, 1, 2),
                   dt.datetime(2026, 1, 2, 3, 4, 5), i % 2 == 0, None]

    chunks = xlsx_chunks(rows(), title="Orders: 2026")
    first = next(chunks)
    assert first.startswith(b"PK") and read == []
    data = first + b"".join(chunks)
    assert len(read) == 2000
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb.active
    assert ws.title == "Orders  2026"
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == ("name", "amount", "day", "at", "ok", "empty")
    assert values[8] == ("=cmd|7", -5.5, dt.datetime(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5), False, None)
    assert values[1][0] == "客户 <0> & co" and len(values) == 2001
    assert ws["A9"].data_type == "s" and ws["B2"].data_type == "n"
