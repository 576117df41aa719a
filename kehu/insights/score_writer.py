"""Writing a run's per-customer scores in bulk.

PostgreSQL (the scores table is partitioned by run, migration 0003):

1. The arrays are packed with NumPy into PostgreSQL's *binary* COPY format —
   one structured array of fixed-width big-endian fields, so no number is
   ever formatted as text in Python — and copied into a temporary staging
   table. Missing values travel as sentinels (NaN, the smallest int64,
   ``-infinity`` dates) and become NULL on the way out; category texts travel
   as small codes; money as whole cents (exact).
2. One ``INSERT ... SELECT`` moves them into a new table of the parent's shape
   that has no index yet and a ``CHECK (run_id = N)``, turning codes into
   texts, cents into ``numeric`` and the churn signals into the JSON reasons.
3. The parent's indexes are built on it in bulk and it is attached as the
   run's partition (``ATTACH PARTITION`` adopts the indexes, and the CHECK
   spares it a scan). Building an index once over the finished rows is far
   cheaper than keeping eight indexes up to date row by row.

Dropping a run's scores drops its partition.

Elsewhere (SQLite, up to about a hundred thousand customers): the columns are
formatted as text column by column and inserted with ``executemany``.
"""

from __future__ import annotations

import datetime as dt
import time

import numpy as np
from django.db import connections

from kehu.insights.models import CustomerScore, DickBasu, ReinartzKumar, RfmGroup, ValueTier
from kehu.insights.pipeline import CHURN_MIN_CONTRIBUTION

__all__ = ["SCORE_COLUMNS", "write_scores", "delete_scores", "partition_name"]

BATCH = 100_000

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


# -- PostgreSQL: binary COPY into a staging table, then into the run's partition --

def _stage_layout(analysis, n: int):
    """(staging column SQL types, structured array) for the binary COPY, and the SELECT expressions."""
    fields, values, select = [], [], []

    def add(col, pg_type, np_type, data, expr):
        fields.append((col, pg_type, np_type))
        values.append(data)
        select.append(expr)

    add("customer_id", "bigint", ">i8", analysis.customer_id.astype(np.int64), "s.customer_id")
    for name, kind in SCORE_COLUMNS.items():
        col = f"c_{name.lower()}"
        if kind == "json":
            select.append(None)  # built below from the signals
            continue
        a = _values(analysis, name, n)
        if kind == "date":
            if a is None:
                data = np.full(n, _DATE_NULL, np.int32)
            else:
                days, ok = _day_numbers(a)
                data = np.where(ok, days - _PG_EPOCH, _DATE_NULL).astype(np.int32)
            add(col, "date", ">i4", data, f"NULLIF(s.{col}, '-infinity'::date)")
        elif kind == "int":
            if a is None:
                data = np.full(n, _INT_NULL, np.int64)
            elif a.dtype.kind == "f":
                data = np.where(np.isfinite(a), np.nan_to_num(a), 0).astype(np.int64)
                data[~np.isfinite(a)] = _INT_NULL
            else:
                data = a.astype(np.int64)
            add(col, "bigint", ">i8", data, f"NULLIF(s.{col}, {_INT_NULL})")
        elif kind == "money":
            if a is None:
                data = np.full(n, _INT_NULL, np.int64)
            else:
                f = a.astype(float)
                data = np.rint(np.nan_to_num(f) * 100).astype(np.int64)
                data[~np.isfinite(f)] = _INT_NULL
            add(col, "bigint", ">i8", data, f"NULLIF(s.{col}, {_INT_NULL})::numeric / 100")
        elif kind == "float":
            data = np.full(n, np.nan) if a is None else a.astype(float)
            add(col, "double precision", ">f8", data, f"NULLIF(s.{col}, 'NaN'::float8)")
        elif kind == "text":
            labels = _CATEGORIES[name]
            data = _codes(name, a)
            array = "ARRAY[" + ", ".join("'" + v + "'" for v in labels) + "]::text[]"
            add(col, "smallint", ">i2", data, f"({array})[s.{col} + 1]")
    # Churn reasons: NumPy puts each customer's signals in order of
    # contribution (largest first, those under the minimum dropped); SQL only
    # concatenates the JSON text of the ranks that are present.
    names = list(analysis.churn_signals)
    reasons = "'[]'::jsonb"
    if names:
        C = np.stack([np.asarray(analysis.churn_signals[k][0], float) for k in names], axis=1)
        V = np.stack([np.asarray(analysis.churn_signals[k][1], float) for k in names], axis=1)
        key = np.where(np.isnan(C), -np.inf, C)
        order = np.argsort(-key, axis=1, kind="stable")
        Cs = np.take_along_axis(C, order, axis=1)
        Vs = np.take_along_axis(V, order, axis=1)
        present = np.nan_to_num(Cs, nan=-1.0) >= CHURN_MIN_CONTRIBUTION
        labels = "ARRAY[" + ", ".join("'" + k + "'" for k in names) + "]::text[]"
        items = []
        for j in range(len(names)):
            add(f"k{j}", "smallint", ">i2", np.where(present[:, j], order[:, j], -1).astype(np.int16), None)
            add(f"k{j}_c", "double precision", ">f8", np.where(present[:, j], Cs[:, j], 0.0), None)
            add(f"k{j}_v", "double precision", ">f8", Vs[:, j], None)
            for _ in range(3):
                select.pop()
            value = f"COALESCE(round(NULLIF(s.k{j}_v, 'NaN'::float8)::numeric, 3)::text, 'null')"
            items.append(
                f"CASE WHEN s.k{j} >= 0 THEN '{{\"signal\": \"' || ({labels})[s.k{j} + 1] || "
                f"'\", \"contribution\": ' || round(s.k{j}_c::numeric, 3)::text || "
                f"', \"value\": ' || {value} || '}}' END")
        reasons = "('[' || concat_ws(', ', " + ", ".join(items) + ") || ']')::jsonb"
    select = [reasons if e is None else e for e in select]
    dtype = [("count", ">i2")]
    for col, _pg, np_type in fields:
        dtype += [(f"{col}_len", ">i4"), (col, np_type)]
    packed = np.empty(n, dtype=np.dtype(dtype))
    packed["count"] = len(fields)
    lengths = {}
    for (col, _pg, np_type), data in zip(fields, values):
        size = np.dtype(np_type).itemsize
        if size not in lengths:
            lengths[size] = np.full(n, size, dtype=">i4")
        # Byte-swapped first, then copied: a plain strided copy, several
        # times faster than converting into the packed, unaligned field.
        packed[f"{col}_len"] = lengths[size]
        packed[col] = np.asarray(data).astype(np_type)
    return fields, packed, select


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
    fields, packed, select = _stage_layout(analysis, n)
    step("store_pack")
    stage = "kehu_score_stage"
    targets = ["run_id", "customer_id"] + [CustomerScore._meta.get_field(f).column for f in SCORE_COLUMNS]
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {qn(stage)}")
        cur.execute(f"CREATE TEMP TABLE {qn(stage)} ("
                    + ", ".join(f"{qn(c)} {t} NOT NULL" for c, t, _ in fields) + ") ON COMMIT DROP")
        with cur.cursor.copy(f"COPY {qn(stage)} FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(_HEADER)
            for start in range(0, n, BATCH):
                copy.write(packed[start:start + BATCH].tobytes())
            copy.write(_TRAILER)
        step("store_copy")
        cur.execute(f"DROP TABLE IF EXISTS {qn(part)}")
        cur.execute(f"CREATE TABLE {qn(part)} (LIKE {qn(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cur.execute(f"ALTER TABLE {qn(part)} ADD CONSTRAINT {qn(part + '_run')} CHECK (run_id = {int(run.pk)})")
        cur.execute(f"INSERT INTO {qn(part)} ({', '.join(qn(c) for c in targets)}) "
                    f"SELECT {int(run.pk)}, {', '.join(select)} FROM {qn(stage)} AS s")
        cur.execute(f"DROP TABLE {qn(stage)}")
        step("store_insert")
        _attach(cur, qn, table, part, run.pk, step)


def _attach(cur, qn, table: str, part: str, run_id: int, step) -> None:
    """Build the parent's indexes on ``part`` in bulk, then attach it as run ``run_id``'s partition."""
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    cur.execute("SELECT pg_get_indexdef(indexrelid), indisunique FROM pg_index WHERE indrelid = %s::regclass",
                [table])
    for i, (definition, unique) in enumerate(cur.fetchall()):
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
