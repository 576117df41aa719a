"""The value analysis over orders kept in a warehouse, summarised by Apache Spark.

``kehu analyze --engine spark --orders SOURCE`` (docs/scale.md):

1. the orders are read where they are — a Parquet folder, a table of Spark's
   catalogue (Hive metastore, Unity, Glue ...) or a JDBC table
   (``jdbc:postgresql://...``; the driver's jar must be on Spark's class path,
   nothing is downloaded at run time);
2. the per-customer summary runs in Spark with the very SQL the databases run
   (``kehu.insights.summary_sql``); only its rows come back to the driver, as
   Arrow record batches;
3. the models are fitted on the driver, as for every run
   (``kehu.insights.pipeline.analyse``);
4. the scores go to Kehu's database (the score writer: binary ``COPY`` on
   PostgreSQL) or, with ``--scores-out DIR``, to Parquet files for the
   warehouse, with no database write.

The executors run only Spark SQL (no Python code of Kehu's): they need
nothing of Kehu installed.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _

from kehu.insights.summary_sql import OrderSummary, SummaryWindow, run_summary_spark, run_tracking_spark

__all__ = ["WarehouseError", "ORDER_COLUMNS", "spark_session", "register_orders", "SparkSource",
           "known_customers", "check_scores_out", "write_scores_parquet", "analyse_to_parquet"]

# What the summary SQL reads of each order.
ORDER_COLUMNS = ("customer_id", "order_date", "status", "amount", "cost", "paid_amount", "payment_due_on")
ORDERS_VIEW = "kehu_orders"
SCORES_ROWS_PER_FILE = 1_000_000
RUN_FILE = "_kehu_run.json"   # Spark and pyarrow leave files beginning with "_" out of the data set
_URL_SCHEMES = ("file:", "hdfs:", "s3a:", "s3:", "gs:", "abfs:", "abfss:", "wasbs:", "oss:", "cos:", "obs:")


class WarehouseError(Exception):
    """A failure to show to the user (already translated)."""


def spark_session(master: str | None = None, *, app_name: str = "kehu-analyze", conf: dict | None = None):
    """The Spark session: ``master`` when given (``local[4]``, ``spark://host:7077``,
    ``yarn`` ...), else the one ``spark-submit`` set, else ``local[*]``. No
    package is fetched (no ``spark.jars.packages``)."""
    if (master or "local").startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise WarehouseError(_("Spark is not installed: install Kehu with its Spark extra "
                               "(pip install 'kehu[spark]').")) from None
    builder = SparkSession.builder.appName(app_name)
    if not master and not os.environ.get("SPARK_ENV_LOADED") and "spark.master" not in (conf or {}):
        master = "local[*]"
    if master:
        builder = builder.master(master)
    # Day numbers are computed from dates: the session's time zone must not move them.
    settings = {"spark.sql.session.timeZone": "UTC", "spark.ui.showConsoleProgress": "false"}
    if master and master.startswith("local"):
        # Spark's default of 200 shuffle partitions is for clusters: on one
        # machine each costs a task per stage (100,000 customers, two cores:
        # the summary took 8.9 s with 200, 3.6 s with 2).
        settings["spark.sql.shuffle.partitions"] = str(2 * (os.cpu_count() or 1))
    settings.update(conf or {})
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # no Java, a master that does not answer
        raise WarehouseError(_("Spark could not start (is Java 17 or later installed, and is the master "
                               "reachable?): %(error)s") % {"error": str(exc).splitlines()[0] if str(exc) else
                                                           type(exc).__name__}) from exc
    return session


def _is_path(source: str) -> bool:
    return source.startswith(_URL_SCHEMES) or os.path.sep in source or source.endswith(".parquet") \
        or Path(source).exists()


def register_orders(spark, source: str, *, jdbc_table: str = "sales_order", jdbc_partitions: int = 1,
                    view: str = ORDERS_VIEW) -> str:
    """Make the orders of ``source`` the temporary view ``view`` (its name is
    returned) with the columns the summary reads. ``source``: a JDBC URL
    (``jdbc:...``, the table ``jdbc_table`` read in ``jdbc_partitions`` ranges
    of customer ids), a Parquet file or folder (a path or a URL), or else the
    name of a table in Spark's catalogue."""
    from pyspark.errors import AnalysisException

    try:
        if source.startswith("jdbc:"):
            cols = ", ".join(ORDER_COLUMNS)
            reader = (spark.read.format("jdbc").option("url", source)
                      .option("dbtable", f"(SELECT {cols} FROM {jdbc_table}) AS kehu_orders")
                      .option("fetchsize", "20000"))
            if jdbc_partitions > 1:
                bounds = (spark.read.format("jdbc").option("url", source)
                          .option("query", f"SELECT MIN(customer_id) AS lo, MAX(customer_id) AS hi FROM {jdbc_table}")
                          .load().first())
                if bounds is not None and bounds["lo"] is not None:
                    reader = (reader.option("partitionColumn", "customer_id").option("lowerBound", str(bounds["lo"]))
                              .option("upperBound", str(bounds["hi"] + 1))
                              .option("numPartitions", str(jdbc_partitions)))
            df = reader.load()
        elif _is_path(source):
            if "://" not in source and not Path(source).exists():
                raise WarehouseError(_("The orders' source %(source)s does not exist.") % {"source": source})
            df = spark.read.parquet(source)
        else:
            df = spark.table(source)
    except WarehouseError:
        raise
    except AnalysisException as exc:
        raise WarehouseError(_("Spark cannot read the orders from %(source)s: %(error)s") % {
            "source": source, "error": str(exc).splitlines()[0]}) from exc
    except Exception as exc:  # Py4J errors: a missing JDBC driver, a refused connection
        text = str(exc)
        if "No suitable driver" in text or "ClassNotFoundException" in text:
            raise WarehouseError(_("Spark has no JDBC driver for %(source)s: put the driver's jar on Spark's "
                                   "class path (spark-submit --jars, or spark.driver.extraClassPath and "
                                   "spark.executor.extraClassPath).") % {"source": source.split("?")[0]}) from exc
        raise WarehouseError(_("Spark cannot read the orders from %(source)s: %(error)s") % {
            "source": source.split("?")[0], "error": text.splitlines()[0] if text else type(exc).__name__}) from exc
    present = {c.lower() for c in df.columns}
    missing = [c for c in ORDER_COLUMNS if c not in present]
    if missing:
        raise WarehouseError(_("The orders of %(source)s lack the columns: %(columns)s.") % {
            "source": source.split("?")[0], "columns": ", ".join(missing)})
    df.select(*ORDER_COLUMNS).createOrReplaceTempView(view)
    return view


@dataclass
class SparkSource:
    """The summary computed by Spark over the view of the orders
    (``kehu.insights.services.run_execute(..., source=...)``)."""

    spark: object
    view: str = ORDERS_VIEW
    engine: str = "spark"

    def summary(self, window: SummaryWindow) -> OrderSummary:
        return run_summary_spark(self.spark, window, orders_table=self.view)

    def tracking(self, window: SummaryWindow):
        return run_tracking_spark(self.spark, window, orders_table=self.view)


def known_customers(ids: np.ndarray) -> np.ndarray:
    """Which of ``ids`` (sorted) are customers in Kehu's database."""
    from kehu.customers.models import Customer

    if len(ids) == 0:
        return np.zeros(0, bool)
    lo, hi = int(ids.min()), int(ids.max())
    qs = Customer.objects.filter(id__gte=lo, id__lte=hi).values_list("id", flat=True).order_by()
    present = np.fromiter(qs.iterator(chunk_size=100_000), dtype=np.int64)
    return np.isin(ids, present)


# -- scores as Parquet ---------------------------------------------------------------

def _arrow_column(name: str, kind: str, a, n: int):
    import pyarrow as pa

    if a is None:
        return pa.nulls(n, {"date": pa.date32(), "int": pa.int64(), "text": pa.string()}.get(kind, pa.float64()))
    a = np.asarray(a)
    if kind == "date":
        days = a.astype("datetime64[D]")
        return pa.array(days.astype(np.int64).astype(np.int32), type=pa.date32(), mask=np.isnat(days))
    if kind == "int":
        if a.dtype.kind == "f":
            return pa.array(np.nan_to_num(a).astype(np.int64), mask=np.isnan(a))
        return pa.array(a.astype(np.int64))
    if kind in ("text", "json"):
        return pa.array(a if a.dtype == object else a.astype(object), type=pa.string())  # None -> null
    f = a.astype(float)
    return pa.array(f, mask=np.isnan(f))


def check_scores_out(out_dir) -> None:
    """``--scores-out`` is a folder of the driver's file system (the driver writes it with pyarrow)."""
    if "://" in str(out_dir):
        raise WarehouseError(_("Write the scores to a local folder (or a mounted one), not to %(url)s; "
                               "copy the folder to the warehouse afterwards.") % {"url": out_dir})


def write_scores_parquet(analysis, out_dir, *, info: dict) -> int:
    """Write the analysis's per-customer scores as a Parquet data set in
    ``out_dir`` (``part-NNNNN.parquet``, a million rows each; the folder's own
    earlier parts are replaced) and ``_kehu_run.json`` (``info``: the run's
    dates, parameters and results). Returns the number of rows."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from kehu.insights.score_writer import _NOT_NULL_DEFAULTS, SCORE_COLUMNS

    check_scores_out(out_dir)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("part-*.parquet"):
        old.unlink()
    n = len(analysis.customer_id)
    as_of = dt.date.fromisoformat(info["as_of"])
    arrays = {"customer_id": pa.array(analysis.customer_id.astype(np.int64)),
              "as_of": pa.array([as_of] * n, type=pa.date32())}
    for name, kind in SCORE_COLUMNS.items():
        data = analysis.churn_reasons_json() if kind == "json" else analysis.columns.get(name)
        col = _arrow_column(name, kind, data, n)
        if name in _NOT_NULL_DEFAULTS and col.null_count:   # as Kehu's database stores them
            col = pc.fill_null(col, pa.scalar(_NOT_NULL_DEFAULTS[name], col.type))
        arrays[name] = col
    table = pa.table(arrays)
    for k, start in enumerate(range(0, max(n, 1), SCORES_ROWS_PER_FILE)):
        pq.write_table(table.slice(start, SCORES_ROWS_PER_FILE), out / f"part-{k:05d}.parquet",
                       compression="zstd")
    (out / RUN_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    return n


def analyse_to_parquet(source: SparkSource, *, window: SummaryWindow, explicit: bool, time_unit: str, model: str,
                       parameters: dict, out_dir, progress=None) -> dict:
    """The whole analysis with the summary from ``source`` and the scores
    written to Parquet (no database write). Returns the run's information
    (what ``_kehu_run.json`` holds), with ``results["timings"]``."""
    from kehu.insights.pipeline import STAGES, analyse

    report = progress or (lambda pct, stage: None)
    t0 = time.perf_counter()
    report(5, STAGES["summary"])
    summary = source.summary(window)
    t_summary = time.perf_counter() - t0
    if len(summary) == 0:
        raise WarehouseError(_("There are no orders up to the as-of date: nothing to analyse."))
    tracking = source.tracking(window) if explicit else None
    t_tracking = time.perf_counter() - t0 - t_summary
    report(35, STAGES["segments"])
    t = time.perf_counter()
    analysis = analyse(summary, window=window, explicit_split=explicit, time_unit=time_unit, model=model,
                       cfg=parameters, tracking=tracking, progress=report)
    t_fit = time.perf_counter() - t
    report(85, STAGES["storing"])
    results = analysis.results
    info = {"engine": source.engine, "as_of": window.as_of.isoformat(),
            "calibration_end": window.split.isoformat() if explicit else None,
            "holdout_end": window.holdout_end.isoformat() if explicit else None,
            "time_unit": time_unit, "model": model, "parameters": parameters, "results": results}
    t = time.perf_counter()
    write_scores_parquet(analysis, out_dir, info=info)
    t_store = time.perf_counter() - t
    results["timings"] = {"summary_sql": round(t_summary, 4), "tracking_sql": round(t_tracking, 4),
                          **results["timings"], "analyse": round(t_fit, 4), "store": round(t_store, 4),
                          "total": round(time.perf_counter() - t0, 4)}
    # the file gets the final timings too
    (Path(out_dir) / RUN_FILE).write_text(json.dumps(info, ensure_ascii=False, indent=2, default=str),
                                          encoding="utf-8")
    report(100, STAGES["done"])
    return info
