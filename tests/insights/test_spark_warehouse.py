"""The warehouse path: ``kehu analyze --engine spark`` and ``kehu generate --parquet``.

Spark runs in local mode (one session for the whole test run, the ``spark``
fixture). The orders of the test database are written as a Parquet folder,
so each run of the suite (SQLite, PostgreSQL) checks that Spark gives the
identical summary and parameters to that database; the database runs are
checked against the NumPy reference in test_summary_sql.py.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import fields
from decimal import Decimal

import numpy as np
import pytest

from kehu.cli import main
from kehu.insights.config import default_config
from kehu.insights.models import AnalysisRun, CustomerScore, RunStatus
from kehu.insights.pipeline import analyse
from kehu.insights.services import run_create, run_execute, summary_window
from kehu.insights.summary_sql import run_summary, run_tracking
from kehu.sales.models import Order
from tests.insights.factories import order_history

AS_OF = dt.date(2024, 10, 31)
COLUMNS = ("customer_id", "order_date", "status", "amount", "cost", "paid_amount", "payment_due_on")


@pytest.fixture
def history(org):
    return order_history(org.users.sales_n1, customers=60, seed=23)


def orders_parquet(folder, extra=()):
    """The database's orders (and ``extra`` rows) as a Parquet folder, money as decimal(16, 2)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = list(Order.objects.values_list(*COLUMNS)) + list(extra)
    money = pa.decimal128(16, 2)
    table = pa.table({
        "customer_id": pa.array([r[0] for r in rows], pa.int64()),
        "order_date": pa.array([r[1] for r in rows], pa.date32()),
        "status": pa.array([r[2] for r in rows], pa.string()),
        "amount": pa.array([r[3] for r in rows], money), "cost": pa.array([r[4] for r in rows], money),
        "paid_amount": pa.array([r[5] for r in rows], money),
        "payment_due_on": pa.array([r[6] for r in rows], pa.date32()),
    })
    folder.mkdir(parents=True, exist_ok=True)
    half = len(rows) // 2   # two files: a folder of parts, as a warehouse keeps them
    pq.write_table(table.slice(0, half), folder / "part-00000.parquet")
    pq.write_table(table.slice(half), folder / "part-00001.parquet")
    return folder


@pytest.mark.slow
@pytest.mark.django_db
def test_spark_and_this_database_give_identical_summaries_and_parameters(history, spark, tmp_path):
    from kehu.insights.warehouse import SparkSource, register_orders

    cfg = default_config()
    view = register_orders(spark, str(orders_parquet(tmp_path / "orders")), view="kehu_orders_same")
    source = SparkSource(spark, view)
    for calibration_end in (None, dt.date(2024, 3, 31)):
        window, explicit = summary_window(as_of=AS_OF, calibration_end=calibration_end, holdout_end=None,
                                          parameters=cfg)
        here, there = run_summary(window), source.summary(window)
        assert len(here) > 40
        for f in fields(here):
            np.testing.assert_array_equal(getattr(there, f.name), getattr(here, f.name), err_msg=f.name)
        tracking_here = run_tracking(window) if explicit else None
        tracking_there = source.tracking(window) if explicit else None
        if explicit:
            assert [a.tolist() for a in tracking_here] == [a.tolist() for a in tracking_there]
        fitted = [analyse(s, window=window, explicit_split=explicit, time_unit="week", model="bgnbd", cfg=cfg,
                          tracking=t).results for s, t in ((here, tracking_here), (there, tracking_there))]
        assert fitted[0]["model"]["params"] == fitted[1]["model"]["params"]
        assert fitted[0]["gamma_gamma"]["params"] == fitted[1]["gamma_gamma"]["params"]
        assert fitted[0]["counts"] == fitted[1]["counts"]


@pytest.mark.slow
@pytest.mark.django_db
def test_cli_spark_to_parquet_writes_no_database_row_and_scores_as_the_database_does(history, spark, tmp_path,
                                                                                   capsys):
    import pyarrow.parquet as pq

    orders = orders_parquet(tmp_path / "orders")
    out = tmp_path / "scores"
    runs = AnalysisRun.objects.count()
    assert main(["analyze", "--engine", "spark", "--orders", str(orders), "--scores-out", str(out),
                 "--as-of", AS_OF.isoformat(), "--json", "-q"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["engine"] == "spark" and printed["scores_out"] == str(out)
    assert AnalysisRun.objects.count() == runs and not CustomerScore.objects.exists()   # no database write
    scores = pq.read_table(out).to_pydict()
    info = json.loads((out / "_kehu_run.json").read_text(encoding="utf-8"))
    assert info["as_of"] == AS_OF.isoformat() and info["results"]["model"]["params"] == printed["bgnbd"]

    # the same analysis in the database: the same parameters and scores
    run = run_execute(run_create(actor=None, as_of=AS_OF))
    assert run.status == RunStatus.SUCCEEDED
    assert run.results["model"]["params"] == printed["bgnbd"]
    stored = {s.customer_id: s for s in CustomerScore.objects.filter(run=run)}
    assert sorted(stored) == scores["customer_id"]
    for i, cid in enumerate(scores["customer_id"]):
        s = stored[cid]
        assert scores["p_alive"][i] == pytest.approx(s.p_alive, abs=1e-7)  # stored to 8 places
        assert scores["rfm_group"][i] == s.rfm_group and scores["tier"][i] == s.tier
        assert scores["last_order"][i] == s.last_order and scores["as_of"][i] == AS_OF
        assert Decimal(str(scores["clv"][i])).quantize(Decimal("0.01")) == s.clv
        assert json.loads(scores["churn_reasons"][i]) == s.churn_reasons


@pytest.mark.slow
@pytest.mark.django_db
def test_cli_spark_to_the_database_skips_customers_it_does_not_know(history, spark, tmp_path, capsys):
    stranger = 10**9
    extra = [(stranger, dt.date(2024, 1, 5) + dt.timedelta(days=30 * k), "delivered", Decimal("120.50"),
              Decimal("60.00"), Decimal("120.50"), None) for k in range(4)]
    orders = orders_parquet(tmp_path / "orders", extra)
    assert main(["analyze", "--engine", "spark", "--orders", str(orders), "--as-of", AS_OF.isoformat(), "-q"]) == 0
    captured = capsys.readouterr()
    assert "1 customers of" in captured.err and "not in Kehu's database" in captured.err
    run = AnalysisRun.objects.latest("id")
    assert run.status == RunStatus.SUCCEEDED and run.engine == "spark"
    assert run.results["counts"]["not_in_database"] == 1
    assert run.results["counts"]["customers"] == run.customers + 1   # scored, not stored
    with_orders = set(Order.objects.filter(order_date__lte=AS_OF).exclude(status="cancelled")
                      .values_list("customer_id", flat=True))
    assert set(CustomerScore.objects.filter(run=run).values_list("customer_id", flat=True)) == with_orders


@pytest.mark.django_db
def test_cli_spark_options_are_checked(org, tmp_path, capsys):
    assert main(["analyze", "--orders", str(tmp_path)]) == 2
    assert "--orders needs --engine spark" in capsys.readouterr().err
    assert main(["analyze", "--engine", "spark"]) == 2
    assert "needs --orders" in capsys.readouterr().err
    assert main(["analyze", "--engine", "spark", "--orders", str(tmp_path), "--scores-out", "s3a://b/scores"]) == 1
    assert "local folder" in capsys.readouterr().err
    from kehu.insights import spark_job   # spark-submit's entry: kehu analyze --engine spark

    assert spark_job.main([]) == 2
    assert "needs --orders" in capsys.readouterr().err
    assert not AnalysisRun.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db
def test_cli_spark_says_what_is_wrong_with_the_source(org, spark, tmp_path, capsys):
    import pyarrow as pa
    import pyarrow.parquet as pq

    assert main(["analyze", "--engine", "spark", "--orders", str(tmp_path / "nowhere"), "-q"]) == 1
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "bad").mkdir()
    pq.write_table(pa.table({"customer_id": [1], "order_date": [dt.date(2024, 1, 1)]}), tmp_path / "bad" / "p.parquet")
    assert main(["analyze", "--engine", "spark", "--orders", str(tmp_path / "bad"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "lack the columns" in err and "paid_amount" in err and "Traceback" not in err
    assert main(["analyze", "--engine", "spark", "--orders", "no_such_table", "-q"]) == 1
    assert "cannot read the orders" in capsys.readouterr().err
    assert not AnalysisRun.objects.exists()


def test_generate_parquet_makes_exactly_what_is_asked_the_same_every_time(tmp_path):
    import pyarrow.parquet as pq

    from kehu.bench.generate_parquet import generate_parquet, read_dataset_info

    end = dt.date(2026, 6, 30)
    rep = generate_parquet(tmp_path / "a", customers=1200, order_lines=9000, seed=5, end=end, chunk_customers=500)
    again = generate_parquet(tmp_path / "b", customers=1200, order_lines=9000, seed=5, end=end, chunk_customers=500)
    assert rep.files == 3 and rep.order_lines == 9000 and rep.orders == again.orders
    a, b = pq.read_table(tmp_path / "a"), pq.read_table(tmp_path / "b")
    assert a.equals(b)
    t = a.to_pydict()
    assert sum(t["lines"]) == 9000 and min(t["lines"]) >= 1 and len(t["customer_id"]) == rep.orders
    ids = np.array(t["customer_id"])
    assert ids.min() >= 1 and ids.max() <= 1200 and 0.6 < len(np.unique(ids)) / 1200 <= 0.8
    assert min(t["order_date"]) > end - dt.timedelta(days=365 * 3) and max(t["order_date"]) <= end
    assert set(t["status"]) <= {"open", "confirmed", "cancelled", "delivered"}
    assert all(p <= amt for p, amt in zip(t["paid_amount"], t["amount"]))
    assert all(due - d == dt.timedelta(days=30) for d, due in zip(t["order_date"], t["payment_due_on"]))
    assert str(a.schema.field("amount").type) == "decimal128(16, 2)" and min(t["amount"]) > 0
    assert read_dataset_info(tmp_path / "a")["order_lines"] == 9000
    with pytest.raises(ValueError):
        generate_parquet(tmp_path / "c", customers=0, order_lines=10)


@pytest.mark.django_db
def test_the_parquet_set_has_the_prices_of_the_database_set():
    from kehu.bench.generate import catalogue_prices, ensure_products

    assert catalogue_prices() == [(price, cost) for _pk, price, cost in ensure_products()]


@pytest.mark.slow
def test_bench_spark_times_each_step_on_a_generated_set(spark, tmp_path, capsys):
    from kehu.bench.spark import run_spark_bench

    figures = run_spark_bench(customers=800, order_lines=6000, folder=tmp_path / "set", seed=2, spark=spark,
                              as_json=True)
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(figures))
    for step in ("generate", "summary", "summary_again", "fit", "scores_out", "total"):
        assert figures["seconds"][step] >= 0
    assert figures["customers_scored"] > 500 and figures["peak_rss_mib"]["driver_python"] > 0
    # a second run reuses the set
    again = run_spark_bench(customers=800, order_lines=6000, folder=tmp_path / "set", seed=2, spark=spark,
                            as_json=True)
    capsys.readouterr()
    assert again["reused_data"] and again["seconds"]["generate"] == 0
