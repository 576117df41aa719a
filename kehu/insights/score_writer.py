"""Writing a run's per-customer scores in bulk.

The pipeline's arrays are turned into text column by column with NumPy (no
per-customer Python formatting), then written in batches: on PostgreSQL with
``COPY insights_customerscore (...) FROM STDIN`` (text format), elsewhere
with one ``executemany`` INSERT per batch. Money is written as fixed-point
text from whole cents, so stored values are exact to the cent.
"""

from __future__ import annotations

import numpy as np
from django.db import connections

from kehu.insights.models import CustomerScore

__all__ = ["SCORE_COLUMNS", "write_scores", "delete_scores"]

BATCH = 100_000

# field -> kind (how its array is turned into text)
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
# NOT NULL columns: a missing value is written as this instead of NULL.
_NOT_NULL_DEFAULTS = {"rfm_group": "", "abc_class": "", "tier": "", "churn_reasons": "[]", "dick_basu": "unknown",
                      "reinartz_kumar": "", "revenue": "0.00", "gross_margin": "0.00", "outstanding": "0.00",
                      "monetary": "0.00", "historical_clv": "0.00", "orders": "0", "purchase_days": "0",
                      "frequency": "0", "recency": "0", "T": "0"}


def _text_column(values, kind: str, n: int) -> np.ndarray:
    """Object array of str, None where NULL."""
    out = np.full(n, None, dtype=object)
    if values is None:
        return out
    a = np.asarray(values)
    if kind == "text" or kind == "json":
        out[:] = a.astype(object)
        return out
    if kind == "date":
        if np.issubdtype(a.dtype, np.datetime64):
            ok = ~np.isnat(a)
            out[ok] = a[ok].astype("datetime64[D]").astype(str).astype(object)
        else:
            f = a.astype(float)
            ok = np.isfinite(f)
            out[ok] = f[ok].astype(np.int64).astype("datetime64[D]").astype(str).astype(object)
        return out
    if kind == "int":
        if a.dtype.kind == "f":
            ok = np.isfinite(a)
            out[ok] = a[ok].astype(np.int64).astype(str).astype(object)
        else:
            out[:] = a.astype(np.int64).astype(str).astype(object)
        return out
    f = a.astype(float)
    ok = np.isfinite(f)
    if kind == "float":
        out[ok] = np.round(f[ok], 8).astype(str).astype(object)
        return out
    if kind == "money":
        cents = np.rint(f[ok] * 100).astype(np.int64)
        sign = np.where(cents < 0, "-", "").astype(object)
        absc = np.abs(cents)
        whole = (absc // 100).astype(str).astype(object)
        frac = np.char.zfill((absc % 100).astype(str), 2).astype(object)
        out[ok] = sign + whole + "." + frac
        return out
    raise ValueError(kind)


def _columns(analysis) -> dict[str, np.ndarray]:
    n = len(analysis.customer_id)
    cols = {}
    for name, kind in SCORE_COLUMNS.items():
        values = analysis.churn_reasons if name == "churn_reasons" else analysis.columns.get(name)
        col = _text_column(values, kind, n)
        if name in _NOT_NULL_DEFAULTS:
            col[col == None] = _NOT_NULL_DEFAULTS[name]  # noqa: E711 (element-wise)
        if name == "reinartz_kumar":
            col[col == "unknown"] = ""
        cols[name] = col
    return cols


def write_scores(run, analysis, *, using: str = "default", progress=None) -> int:
    """Insert one CustomerScore row per customer of ``analysis`` for ``run``; returns the count."""
    connection = connections[using]
    n = len(analysis.customer_id)
    cols = _columns(analysis)
    names = ["run_id", "customer_id", *cols.keys()]
    db_columns = [CustomerScore._meta.get_field(f.removesuffix("_id") if f in ("run_id", "customer_id") else f)
                  .column for f in names]
    run_col = np.full(n, str(run.pk), dtype=object)
    cust_col = analysis.customer_id.astype(str).astype(object)
    all_cols = [run_col, cust_col, *cols.values()]
    table = CustomerScore._meta.db_table
    qn = connection.ops.quote_name
    col_sql = ", ".join(qn(c) for c in db_columns)
    connection.ensure_connection()
    for start in range(0, n, BATCH):
        part = [c[start:start + BATCH] for c in all_cols]
        if connection.vendor == "postgresql":
            for c in part:
                c[c == None] = "\\N"  # noqa: E711
            data = "\n".join(map("\t".join, zip(*part))) + "\n"
            with connection.cursor() as cur:
                with cur.cursor.copy(f"COPY {qn(table)} ({col_sql}) FROM STDIN") as copy:
                    copy.write(data.encode())
        else:
            marks = ", ".join(["%s"] * len(db_columns))
            with connection.cursor() as cur:
                cur.executemany(f"INSERT INTO {qn(table)} ({col_sql}) VALUES ({marks})", list(zip(*part)))
        if progress:
            progress(min(start + BATCH, n), n)
    return n


def delete_scores(run_ids, *, using: str = "default") -> int:
    """Delete the per-customer scores of the given runs (one statement)."""
    run_ids = list(run_ids)
    if not run_ids:
        return 0
    return CustomerScore.objects.using(using).filter(run_id__in=run_ids)._raw_delete(using)
