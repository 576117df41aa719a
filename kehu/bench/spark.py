"""``kehu bench spark``: the warehouse path timed step by step on a generated Parquet set.

Generates (or reuses, when ``_kehu_dataset.json`` says it is the same size
and seed) ``--customers`` customers' ``--orders`` order lines as Parquet
(:mod:`kehu.bench.generate_parquet`), then times what
``kehu analyze --engine spark --scores-out`` does: the summary in Spark (with
the rows back to the driver as Arrow), the models' fit and scoring on the
driver, and the scores written as Parquet (``total`` is their sum; ``summary_again``
repeats the summary in the warm session and is not counted). The as-of date is the data set's
last day and the value settings are the defaults, so runs on different days
and machines compare. Peak memory: the driver's Python process and Spark's
JVM (in local mode the JVM is the whole of Spark), their high-water marks
(``VmHWM``).
"""

from __future__ import annotations

import datetime as dt
import json
import resource
import shutil
import sys
import time
from pathlib import Path

__all__ = ["run_spark_bench"]


def _jvm_peak_mib(spark) -> float | None:
    try:
        pid = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except Exception:  # not Linux, or not a local JVM: not measured
        return None
    return None


def _default_folder(customers: int, order_lines: int, seed: int) -> Path:
    return Path("var") / "bench-parquet" / f"orders-c{customers}-l{order_lines}-s{seed}"


def run_spark_bench(*, customers: int, order_lines: int, folder=None, seed: int = 1, master: str | None = None,
                    driver_memory: str | None = None, spark=None, keep_scores: bool = False,
                    as_json: bool = False, out=None) -> dict:
    from kehu.bench.generate_parquet import generate_parquet, read_dataset_info
    from kehu.insights.config import default_config
    from kehu.insights.pipeline import analyse
    from kehu.insights.services import summary_window
    from kehu.insights.warehouse import SparkSource, register_orders, spark_session, write_scores_parquet

    out = out or sys.stdout
    folder = Path(folder) if folder else _default_folder(customers, order_lines, seed)
    seconds: dict[str, float] = {}
    info = read_dataset_info(folder)
    reused = bool(info and info["customers"] == customers and info["order_lines"] == order_lines
                  and info["seed"] == seed)
    t = time.perf_counter()
    if not reused:
        generate_parquet(folder, customers=customers, order_lines=order_lines, seed=seed,
                         progress=sys.stderr.isatty())
        info = read_dataset_info(folder)
    seconds["generate"] = 0.0 if reused else round(time.perf_counter() - t, 3)

    t0 = time.perf_counter()
    own = spark is None
    if own:
        conf = {"spark.driver.memory": driver_memory} if driver_memory else {}
        spark = spark_session(master or "local[*]", app_name="kehu-bench-spark", conf=conf)
        spark.sparkContext.setLogLevel("ERROR")
    seconds["spark_start"] = round(time.perf_counter() - t0, 3)
    cfg = default_config()
    as_of = dt.date.fromisoformat(info["last_day"])
    window, explicit = summary_window(as_of=as_of, calibration_end=None, holdout_end=None, parameters=cfg)
    try:
        t = time.perf_counter()
        source = SparkSource(spark, register_orders(spark, str(folder.resolve()), view="kehu_bench_orders"))
        summary = source.summary(window)
        seconds["summary"] = round(time.perf_counter() - t, 3)
        # the first query of a new JVM also compiles Spark's generated code:
        # the same summary again shows what a warm session (a cluster's) takes
        t = time.perf_counter()
        source.summary(window)
        seconds["summary_again"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        analysis = analyse(summary, window=window, explicit_split=explicit, time_unit=cfg["time_unit"],
                           model=cfg["model"], cfg=cfg)
        seconds["fit"] = round(time.perf_counter() - t, 3)
        scores = folder.parent / (folder.name + "-scores")
        t = time.perf_counter()
        write_scores_parquet(analysis, scores, info={"as_of": as_of.isoformat(), "engine": "spark",
                                                      "results": analysis.results})
        seconds["scores_out"] = round(time.perf_counter() - t, 3)
        jvm_peak = _jvm_peak_mib(spark)
    finally:
        if own:
            spark.stop()
    seconds["total"] = round(seconds["summary"] + seconds["fit"] + seconds["scores_out"], 3)  # one run's
    if not keep_scores:
        shutil.rmtree(scores, ignore_errors=True)
    model = analysis.results.get("model") or {}
    figures = {
        "customers": customers, "order_lines": order_lines, "orders": info["orders"], "seed": seed,
        "folder": str(folder), "data_mib": round(info["bytes"] / 2**20, 1), "reused_data": reused,
        "master": master or ("local[*]" if own else spark.sparkContext.master), "as_of": as_of.isoformat(),
        "customers_scored": len(summary), "seconds": seconds,
        "inner_timings": analysis.results.get("timings", {}),
        "peak_rss_mib": {"driver_python": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                         "spark_jvm": None if jvm_peak is None else round(jvm_peak, 1)},
        "params": {model.get("name", "model"): model.get("params"),
                   "gamma_gamma": (analysis.results.get("gamma_gamma") or {}).get("params")},
    }
    if as_json:
        print(json.dumps(figures, indent=2), file=out)
    else:
        print(f"Spark warehouse path, {customers:,} customers / {order_lines:,} order lines "
              f"({info['orders']:,} orders, {figures['data_mib']} MiB of Parquet"
              f"{', reused' if reused else ''}), master {figures['master']}:", file=out)
        for step in ("generate", "spark_start", "summary", "summary_again", "fit", "scores_out", "total"):
            print(f"  {step:<12} {seconds[step]:9.2f} s", file=out)
        print(f"  customers scored {len(summary):,}; peak RSS: driver Python "
              f"{figures['peak_rss_mib']['driver_python']:,.0f} MiB, Spark JVM "
              f"{'-' if jvm_peak is None else f'{jvm_peak:,.0f}'} MiB", file=out)
        print(f"  {json.dumps(figures['params'])}", file=out)
    return figures
