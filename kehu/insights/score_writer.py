"""Writing a run's per-customer scores in bulk.

PostgreSQL (the scores table is partitioned by run, migration 0003):

1. A new table of the parent's shape, with no index yet and a
   ``CHECK (run_id = N)``, receives the run's final rows as one *binary*
   COPY (``FREEZE``: the table is new in the transaction). The rows are made
   in NumPy, a batch at a time, as a byte matrix with a mask of the bytes each
   row has (``_copy_batches``), so no number is formatted by Python per value:
   dates as day numbers, money as ``numeric`` digits from whole cents,
   category texts from a table of their bytes, and the churn reasons as jsonb
   — the JSON text made column by column, numbers rounded to three decimals
   exactly as PostgreSQL's ``round(x::numeric, 3)`` does (``_thousandths``).
   No staging table and no ``INSERT … SELECT``.
2. The parent's indexes are built on it in bulk and it is attached as the
   run's partition (``ATTACH PARTITION`` adopts the indexes, and the CHECK
   spares it a scan). Building an index once over the finished rows is far
   cheaper than keeping eight indexes up to date row by row. Readers keep
   reading the previous run until the transaction commits.

Dropping a run's scores drops its partition.

Elsewhere (SQLite, up to about a hundred thousand customers): the columns are
formatted as text column by column and inserted with ``executemany``.
"""

from __future__ import annotations

import datetime as dt
import time
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db import connections

from kehu.insights.models import CustomerScore, DickBasu, ReinartzKumar, RfmGroup, ValueTier
from kehu.insights.pipeline import CHURN_MIN_CONTRIBUTION

__all__ = ["SCORE_COLUMNS", "write_scores", "delete_scores", "partition_name"]

BATCH = 100_000
COPY_BATCH = 8_192  # rows per batch of the binary COPY's byte matrix

# field -> kind (how its array is stored)
SCORE_COLUMNS = {
    "first_order": "date", "last_order": "date", "orders": "int", "purchase_days": "int",
    "revenue": "money", "gross_margin": "money", "outstanding": "money",
    "frequency": "float", "recency": "float", "T": "float", "monetary": "money",
    "recency_days": "int", "r_score": "int", "f_score": "int", "m_score": "int", "rfm_group": "text",
    "abc_class": "text", "tier": "text", "scorecard": "float", "scorecard_rank": "int",
    "p_alive": "float", "expected_purchases": "float", "expected_spend": "money", "clv": "money",
    "historical_clv": "money", "rhythm_days": "float", "next_order_date": "date",
    "churn_risk": "float", "churn_reasons": "json", "revenue_at_risk": "money",
    "attitude": "float", "dick_basu": "text", "reinartz_kumar": "text",
}
# What a NOT NULL column gets when the run has no value for it.
_NOT_NULL_DEFAULTS = {"rfm_group": "", "abc_class": "", "tier": "", "dick_basu": DickBasu.UNKNOWN.value,
                      "reinartz_kumar": "", "revenue": 0.0, "gross_margin": 0.0, "outstanding": 0.0,
                      "monetary": 0.0, "historical_clv": 0.0, "orders": 0, "purchase_days": 0,
                      "frequency": 0.0, "recency": 0.0, "T": 0.0}
# The texts a category column may hold (its code is the position).
_CATEGORIES = {
    "rfm_group": [""] + list(RfmGroup.values),
    "abc_class": ["", "A", "B", "C"],
    "tier": [""] + list(ValueTier.values),
    "dick_basu": list(DickBasu.values),
    "reinartz_kumar": [""] + list(ReinartzKumar.values),
}
_PG_EPOCH = (dt.date(2000, 1, 1) - dt.date(1970, 1, 1)).days
_INT_NULL = np.iinfo(np.int64).min
_DATE_NULL = np.iinfo(np.int32).min  # PostgreSQL's -infinity


def partition_name(run_id: int) -> str:
    return f"{CustomerScore._meta.db_table}_r{int(run_id)}"


# -- arrays -------------------------------------------------------------------

def _values(analysis, name: str, n: int):
    values = analysis.columns.get(name)
    if values is None:
        default = _NOT_NULL_DEFAULTS.get(name)
        return None if default is None else np.full(n, default, dtype=object if isinstance(default, str) else float)
    return np.asarray(values)


def _day_numbers(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(days since 1970-01-01 as int64, known mask) from datetime64 or float day numbers."""
    if np.issubdtype(a.dtype, np.datetime64):
        ok = ~np.isnat(a)
        return np.where(ok, a.astype("datetime64[D]").astype(np.int64), 0), ok
    f = a.astype(float)
    ok = np.isfinite(f)
    return np.where(ok, f, 0).astype(np.int64), ok


def _codes(name: str, a: np.ndarray) -> np.ndarray:
    """Position of each value in the column's labels (a dict lookup per value:
    far cheaper than sorting an array of Python strings)."""
    lookup = {v: i for i, v in enumerate(_CATEGORIES[name])}
    if name == "reinartz_kumar":
        lookup["unknown"] = 0
    try:
        return np.fromiter((lookup[v] for v in a.tolist()), dtype=np.int16, count=len(a))
    except KeyError as exc:
        raise ValueError(f"{name}: unknown value {exc}") from None


# -- PostgreSQL: the final rows as one binary COPY into the run's partition --
#
# Each row of PostgreSQL's binary COPY is a field count, then per field its
# length (int32, -1 for NULL) and its bytes. A batch of rows is laid out as
# one (rows, width) byte matrix — every field at a fixed column, wide enough
# for its longest value — with a mask of the bytes a row really has (a NULL
# keeps only its length, a text only its own characters); ``matrix[mask]``
# is then the batch's COPY data, rows and fields in order.

def _be(a, np_type: str) -> np.ndarray:
    """(n, size) bytes of ``a`` as big-endian ``np_type``."""
    a = np.ascontiguousarray(np.asarray(a).astype(np_type))
    return a.view(np.uint8).reshape(len(a), -1)


def _length_block(length) -> np.ndarray:
    return _be(length, ">i4")


class _Field:
    """One column's blocks for rows [start, stop): a list of (bytes, keep mask or None)."""

    def __init__(self, blocks):
        self.blocks = blocks  # callable(start, stop) -> list[(uint8 (m, w), bool (m, w) | None)]


def _fixed(data: np.ndarray, np_type: str, ok: np.ndarray | None) -> _Field:
    """A fixed-width binary value (NULL where ``ok`` is False)."""
    size = np.dtype(np_type).itemsize
    length = np.full(len(data), size, np.int32) if ok is None else np.where(ok, size, -1).astype(np.int32)

    def blocks(start, stop):
        keep = None if ok is None else np.broadcast_to(ok[start:stop, None], (stop - start, size))
        return [(_length_block(length[start:stop]), None), (_be(data[start:stop], np_type), keep)]
    return _Field(blocks)


def _padded(texts: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(labels × width byte table, lengths) of byte strings, zero-padded."""
    width = max([len(t) for t in texts] + [1])
    table = np.zeros((len(texts), width), np.uint8)
    for i, t in enumerate(texts):
        table[i, :len(t)] = np.frombuffer(t, np.uint8)
    return table, np.array([len(t) for t in texts], np.int32)


def _category(labels: list[str], codes: np.ndarray) -> _Field:
    table, lengths = _padded([label.encode() for label in labels])
    width = table.shape[1]
    length = lengths[codes]

    def blocks(start, stop):
        return [(_length_block(length[start:stop]), None),
                (table[codes[start:stop]], np.arange(width) < length[start:stop, None])]
    return _Field(blocks)


_NUMERIC_DIGITS = 5  # base-10000 digits of numeric(16, 2): weight 3 down to 10^-4


def _numeric_cents(cents: np.ndarray, ok: np.ndarray) -> _Field:
    """numeric with two decimals from whole cents, in PostgreSQL's binary form
    (ndigits, weight, sign, dscale, base-10000 digits; the server strips the
    zero digits as it would from a computed value)."""
    a = np.abs(cents)
    if ok.any() and a[ok].max() >= 10 ** 18:
        raise ValueError("money out of range")
    n = len(cents)
    rec = np.empty((n, 4 + _NUMERIC_DIGITS), np.int64)
    rec[:, 0] = _NUMERIC_DIGITS
    rec[:, 1] = _NUMERIC_DIGITS - 2
    rec[:, 2] = np.where(cents < 0, 0x4000, 0)
    rec[:, 3] = 2
    for i, scale in enumerate((10 ** 14, 10 ** 10, 10 ** 6, 10 ** 2)):
        rec[:, 4 + i] = a // scale % 10000
    rec[:, 4 + _NUMERIC_DIGITS - 1] = a % 100 * 100
    data = _be(rec.reshape(-1), ">u2").reshape(n, -1)
    size = data.shape[1]
    length = np.where(ok, size, -1).astype(np.int32)

    def blocks(start, stop):
        return [(_length_block(length[start:stop]), None),
                (data[start:stop], np.broadcast_to(ok[start:stop, None], (stop - start, size)))]
    return _Field(blocks)


def _thousandths(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(round(x::numeric, 3) as whole thousandths, finite mask), as PostgreSQL
    computes it: the float is first written with 15 significant digits, then
    rounded half away from zero. Exact in NumPy except within a hair of a
    tie, where those few values go through ``Decimal`` the same way."""
    x = np.asarray(x, float)
    ok = np.isfinite(x)
    r = np.abs(np.where(ok, x, 0.0)) * 1000
    big = r >= 1e15
    r = np.where(big, 0.0, r)
    m = np.floor(r + 0.5)
    unsure = ok & (big | (np.abs(r - np.floor(r) - 0.5) <= 1e-13 * np.maximum(r, 1.0)))
    m = np.where(x < 0, -m, m).astype(np.int64)
    for i in np.flatnonzero(unsure):
        q = Decimal(format(float(x[i]), ".15g")).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
        m[i] = int(q.scaleb(3))
    return np.where(ok, m, 0), ok


def _decimal_text(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(right-aligned ASCII of m / 1000 with three decimals, keep mask): what
    numeric's text output gives (no minus sign on zero)."""
    a = np.abs(m)
    whole = a // 1000
    digits = max(1, len(str(int(whole.max())))) if len(a) else 1
    width = 1 + digits + 4
    n = len(m)
    out = np.empty((n, width), np.uint8)
    for i in range(3):
        out[:, width - 1 - i] = 48 + a // 10 ** i % 10
    out[:, width - 4] = ord(".")
    for i in range(digits):
        out[:, width - 5 - i] = 48 + whole // 10 ** i % 10
    ndig = np.ones(n, np.int64)
    for i in range(1, digits):
        ndig += whole >= 10 ** i
    neg = m < 0
    length = 4 + ndig + neg
    out[np.flatnonzero(neg), width - length[neg]] = ord("-")
    keep = np.arange(width) >= (width - length)[:, None]
    return out, keep


def _reasons(names: list[str], contributions: np.ndarray, values: np.ndarray, n: int) -> _Field:
    """The churn reasons as jsonb (version 1, then the JSON text): the
    signals over the minimum, largest contribution first, each
    ``{"signal": …, "contribution": round(c, 3), "value": round(v, 3) | null}``."""
    k = len(names)
    if not k:
        return _text_constant(b"\x01[]", n)
    key = np.where(np.isnan(contributions), -np.inf, contributions)
    order = np.argsort(-key, axis=1, kind="stable")
    Cs = np.take_along_axis(contributions, order, axis=1)
    Vs = np.take_along_axis(values, order, axis=1)
    present = np.nan_to_num(Cs, nan=-1.0) >= CHURN_MIN_CONTRIBUTION
    heads, head_len = _padded([b'{"signal": "' + name.encode() + b'", "contribution": ' for name in names])
    c_text = [_decimal_text(_thousandths(Cs[:, j])[0]) for j in range(k)]
    v_text = []
    for j in range(k):
        mv, okv = _thousandths(Vs[:, j])
        text, keep = _decimal_text(mv)
        width = text.shape[1]  # at least six: "0.000" and a sign
        null = ~okv
        text[null, -4:] = np.frombuffer(b"null", np.uint8)
        keep[null] = np.arange(width) >= width - 4
        v_text.append((text, keep))
    consts = {s: np.frombuffer(s, np.uint8)[None, :] for s in (b"\x01[", b", ", b', "value": ', b"}", b"]")}
    length = np.full(n, 3, np.int64)  # version byte and the brackets
    for j in range(k):
        p = present[:, j]
        length += p * (head_len[order[:, j]] + c_text[j][1].sum(axis=1) + v_text[j][1].sum(axis=1)
                       + len(b', "value": ') + 1 + (2 if j else 0))

    def blocks(start, stop):
        m = stop - start
        full = lambda s: np.broadcast_to(consts[s], (m, consts[s].shape[1]))  # noqa: E731
        out = [(_length_block(length[start:stop]), None), (full(b"\x01["), None)]
        for j in range(k):
            p = np.broadcast_to(present[start:stop, j, None], (m, 1))
            codes = order[start:stop, j]
            if j:
                out.append((full(b", "), np.broadcast_to(p, (m, 2))))
            out.append((heads[codes], p & (np.arange(heads.shape[1]) < head_len[codes][:, None])))
            out.append((c_text[j][0][start:stop], p & c_text[j][1][start:stop]))
            out.append((full(b', "value": '), np.broadcast_to(p, (m, len(b', "value": ')))))
            out.append((v_text[j][0][start:stop], p & v_text[j][1][start:stop]))
            out.append((full(b"}"), p))
        out.append((full(b"]"), None))
        return out
    return _Field(blocks)


def _text_constant(value: bytes, n: int) -> _Field:
    const = np.frombuffer(value, np.uint8)[None, :]

    def blocks(start, stop):
        m = stop - start
        return [(_length_block(np.full(m, len(value), np.int32)), None),
                (np.broadcast_to(const, (m, len(value))), None)]
    return _Field(blocks)


def _row_fields(analysis, run_id: int, n: int, connection) -> tuple[list[str], list[_Field]]:
    """The partition's columns in COPY order and their encoders."""
    columns = ["run_id", "customer_id"]
    fields = [_fixed(np.full(n, run_id, np.int64), ">i8", None),
              _fixed(analysis.customer_id.astype(np.int64), ">i8", None)]
    for name, kind in SCORE_COLUMNS.items():
        model_field = CustomerScore._meta.get_field(name)
        columns.append(model_field.column)
        if kind == "json":
            names = list(analysis.churn_signals)
            if names:
                C = np.stack([np.asarray(analysis.churn_signals[k][0], float) for k in names], axis=1)
                V = np.stack([np.asarray(analysis.churn_signals[k][1], float) for k in names], axis=1)
            else:
                C = V = np.empty((n, 0))
            fields.append(_reasons(names, C, V, n))
            continue
        a = _values(analysis, name, n)
        if kind == "date":
            if a is None:
                days, ok = np.zeros(n, np.int64), np.zeros(n, bool)
            else:
                days, ok = _day_numbers(a)
            fields.append(_fixed(days - _PG_EPOCH, ">i4", ok))
        elif kind == "int":
            np_type = {"smallint": ">i2", "integer": ">i4", "bigint": ">i8"}[model_field.db_type(connection)]
            if a is None:
                data, ok = np.zeros(n, np.int64), np.zeros(n, bool)
            elif a.dtype.kind == "f":
                ok = np.isfinite(a)
                data = np.where(ok, a, 0).astype(np.int64)
            else:
                data, ok = a.astype(np.int64), None
            fields.append(_fixed(data, np_type, ok))
        elif kind == "money":
            if a is None:
                cents, ok = np.zeros(n, np.int64), np.zeros(n, bool)
            else:
                f = a.astype(float)
                ok = np.isfinite(f)
                cents = np.rint(np.where(ok, f, 0) * 100).astype(np.int64)
            fields.append(_numeric_cents(cents, ok))
        elif kind == "float":
            data = np.full(n, np.nan) if a is None else a.astype(float)
            ok = ~np.isnan(data)
            fields.append(_fixed(data, ">f8", None if ok.all() else ok))
        elif kind == "text":
            labels = _CATEGORIES[name]
            fields.append(_category(labels, _codes(name, a).astype(np.intp)))
    return columns, fields


def _copy_batches(fields: list[_Field], n: int):
    """The binary COPY data of rows [0, n), batch by batch. Small batches keep
    the byte matrix and its mask in the processor's cache (a few MB)."""
    count = np.frombuffer(len(fields).to_bytes(2, "big"), np.uint8)[None, :]
    matrix = keep = None
    for start in range(0, n, COPY_BATCH):
        stop = min(start + COPY_BATCH, n)
        m = stop - start
        blocks = [(np.broadcast_to(count, (m, 2)), None)]
        for field in fields:
            blocks.extend(field.blocks(start, stop))
        if matrix is None:
            width = sum(b.shape[1] for b, _ in blocks)
            matrix = np.empty((min(COPY_BATCH, n), width), np.uint8)
            keep = np.ones(matrix.shape, bool)  # the unmasked blocks' bytes stay kept
        at = 0
        for data, k in blocks:
            w = data.shape[1]
            matrix[:m, at:at + w] = data
            if k is not None:
                keep[:m, at:at + w] = k
            at += w
        yield matrix[:m][keep[:m]].tobytes()


_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_TRAILER = (-1).to_bytes(2, "big", signed=True)


class _Steps:
    def __init__(self, timings):
        self.timings = timings if timings is not None else {}
        self.t = time.perf_counter()

    def __call__(self, name):
        now = time.perf_counter()
        self.timings[name] = round(self.timings.get(name, 0.0) + now - self.t, 4)
        self.t = now


def _write_postgres(connection, run, analysis, timings=None) -> None:
    qn = connection.ops.quote_name
    table = CustomerScore._meta.db_table
    part = partition_name(run.pk)
    n = len(analysis.customer_id)
    step = _Steps(timings)
    columns, fields = _row_fields(analysis, int(run.pk), n, connection)
    step("store_pack")
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {qn(part)}")
        cur.execute(f"CREATE TABLE {qn(part)} (LIKE {qn(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cur.execute(f"ALTER TABLE {qn(part)} ADD CONSTRAINT {qn(part + '_run')} CHECK (run_id = {int(run.pk)})")
        # FREEZE: the table is new in this transaction, so its rows can be
        # written frozen and all-visible (no hint-bit writes on the first reads).
        with cur.cursor.copy(f"COPY {qn(part)} ({', '.join(qn(c) for c in columns)}) "
                             "FROM STDIN (FORMAT BINARY, FREEZE)") as copy:
            copy.write(_HEADER)
            for chunk in _copy_batches(fields, n):
                copy.write(chunk)
            copy.write(_TRAILER)
        step("store_copy")
        _attach(cur, qn, table, part, run.pk, step)


def _attach(cur, qn, table: str, part: str, run_id: int, step) -> None:
    """Build the parent's indexes on ``part`` in bulk, then attach it as run ``run_id``'s partition."""
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    # The primary key and the unique constraint are made as constraints: ATTACH
    # adopts a constraint's index only from a constraint, and would otherwise
    # build both a second time (a plain unique index is not adopted for them).
    cur.execute("SELECT pg_get_indexdef(i.indexrelid), i.indisunique, pg_get_constraintdef(c.oid) "
                "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
                "AND c.contype IN ('p', 'u') WHERE i.indrelid = %s::regclass ORDER BY i.indexrelid", [table])
    for i, (definition, unique, constraint) in enumerate(cur.fetchall()):
        if constraint:
            cur.execute(f"ALTER TABLE {qn(part)} ADD CONSTRAINT {qn(f'{part}_c{i}')} {constraint}")
            continue
        using = definition.partition(" ON ")[2].removeprefix("ONLY ").partition(" USING ")[2]
        cur.execute(f"CREATE {'UNIQUE ' if unique else ''}INDEX {qn(f'{part}_i{i}')} ON {qn(part)} USING {using}")
    step("store_indexes")
    cur.execute(f"ALTER TABLE {qn(table)} ATTACH PARTITION {qn(part)} FOR VALUES IN ({int(run_id)})")
    step("store_attach")
    cur.execute(f"ANALYZE {qn(part)}")
    step("store_analyze")


# -- elsewhere: text columns and executemany ------------------------------------

def _text_column(a, kind: str, n: int) -> np.ndarray:
    """Object array of str (None where NULL)."""
    out = np.full(n, None, dtype=object)
    if a is None:
        return out
    if kind in ("text", "json"):
        out[:] = a.astype(object)
        return out
    if kind == "date":
        days, ok = _day_numbers(a)
        out[ok] = days[ok].astype("datetime64[D]").astype(str).astype(object)
        return out
    f = a.astype(float)
    ok = np.isfinite(f)
    if kind == "int":
        out[ok] = f[ok].astype(np.int64).astype(str).astype(object)
    elif kind == "float":
        out[ok] = np.round(f[ok], 8).astype(str).astype(object)
    elif kind == "money":
        cents = np.rint(f[ok] * 100).astype(np.int64)
        sign = np.where(cents < 0, "-", "").astype(object)
        absc = np.abs(cents)
        out[ok] = (sign + (absc // 100).astype(str).astype(object) + "."
                   + np.char.zfill((absc % 100).astype(str), 2).astype(object))
    return out


def _write_rows(connection, run, analysis) -> None:
    qn = connection.ops.quote_name
    table = CustomerScore._meta.db_table
    n = len(analysis.customer_id)
    cols = [np.full(n, int(run.pk), dtype=object), analysis.customer_id.astype(object)]
    for name, kind in SCORE_COLUMNS.items():
        a = analysis.churn_reasons_json() if kind == "json" else _values(analysis, name, n)
        col = _text_column(a, kind, n)
        if name == "reinartz_kumar":
            col[col == "unknown"] = ""
        cols.append(col)
    targets = ["run_id", "customer_id"] + [CustomerScore._meta.get_field(f).column for f in SCORE_COLUMNS]
    sql = (f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in targets)}) "
           f"VALUES ({', '.join(['%s'] * len(targets))})")
    with connection.cursor() as cur:
        for start in range(0, n, BATCH):
            cur.executemany(sql, list(zip(*(c[start:start + BATCH] for c in cols))))


def write_scores(run, analysis, *, using: str = "default", timings: dict | None = None) -> int:
    """Store one CustomerScore row per customer of ``analysis`` for ``run``; returns the count.
    Call it inside a transaction: nothing of the run is left when it fails. The
    time of each step is added to ``timings`` (PostgreSQL)."""
    connection = connections[using]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        _write_postgres(connection, run, analysis, timings)
    else:
        _write_rows(connection, run, analysis)
    return len(analysis.customer_id)


def delete_scores(run_ids, *, using: str = "default") -> None:
    """Delete the per-customer scores of the given runs: on PostgreSQL their
    partitions are dropped (and any rows of theirs in the default partition
    deleted), elsewhere one DELETE."""
    run_ids = [int(r) for r in run_ids]
    if not run_ids:
        return
    connection = connections[using]
    if connection.vendor == "postgresql":
        qn = connection.ops.quote_name
        with connection.cursor() as cur:
            for run_id in run_ids:
                cur.execute(f"DROP TABLE IF EXISTS {qn(partition_name(run_id))}")
    CustomerScore.objects.using(using).filter(run_id__in=run_ids)._raw_delete(using)
