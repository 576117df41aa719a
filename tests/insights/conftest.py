from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import pytest

from kehu.analytics.datasets import load_cdnow_sample


def cdnow_orders_csv(path: Path) -> Path:
    """The raw CDNOW sample as an orders file with the documented import columns
    (docs/import.md): one order per purchase line, customers 'CD0001'..'CD2357'."""
    d = load_cdnow_sample()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_ref", "customer_name", "order_ref", "order_date", "quantity", "amount", "cost"])
        for i, (cid, date, qty, amount) in enumerate(zip(d.customer_id, d.date, d.quantity, d.amount), 1):
            w.writerow([f"CD{cid:04d}", f"CDNOW {cid}", f"CDNOW-{i:05d}", str(date), max(int(qty), 1),
                        f"{amount:.2f}", "0"])
    return path


@pytest.fixture(scope="session")
def cdnow_csv(tmp_path_factory) -> Path:
    return cdnow_orders_csv(tmp_path_factory.mktemp("cdnow") / "cdnow_orders.csv")


@pytest.fixture(scope="session")
def spark():
    """Spark in local mode, one session for the whole test run (it takes
    seconds to start). Not skipped when it cannot start: the test fails and
    says why (Java 17+ and the spark extra — pyspark, pyarrow — are required)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    try:
        import pyarrow  # noqa: F401  (the summary comes back as Arrow)
        from pyspark.sql import SparkSession
    except ImportError as exc:
        pytest.fail(f"pyspark is not installed ({exc}); install the extras: pip install -e '.[test,spark]'")
    t = time.perf_counter()
    try:
        session = (SparkSession.builder.master("local[1]").appName("kehu-summary-test")
                   .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
                   .config("spark.driver.memory", "1g").config("spark.sql.session.timeZone", "UTC")
                   .config("spark.ui.showConsoleProgress", "false").getOrCreate())
    except Exception as exc:  # JavaGateway/Java missing: say so plainly
        pytest.fail(f"Spark could not start in local mode (is Java 17+ installed and on PATH?): {exc}")
    session.sparkContext.setLogLevel("ERROR")
    session.kehu_start_seconds = time.perf_counter() - t
    yield session
    session.stop()
