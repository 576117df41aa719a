"""Benchmarks of issue 17 items 1 and 2: what keeping the purchase summary costs the
order import, and how long an order takes to move its customer's scores.

``kehu bench import-orders --lines N``
    Writes a CSV of N one-line orders for existing customers (spread over up to
    50,000 of them), then times, on the configured database:

    1. ``kehu import orders`` with the summary maintenance switched off (the
       import as it was before issue 17);
    2. the same import with it (what runs now: one set-based refresh of the
       touched customers in the import's transaction);
    3. PostgreSQL's ``COPY ... FROM STDIN (FORMAT csv)`` of the same file into
       a plain scratch table (the reference of ``kehu bench import``).

    Prints the times and the ratios; the imported orders are removed after each
    run and the touched customers' summaries refreshed, so the database is left
    as it was.

``kehu bench rescore --runs N``
    Needs a finished value analysis (``kehu analyze``). Starts a Huey consumer in
    this process (one worker thread, the ``kehu worker`` polling settings), creates
    N orders through the order service, one at a time, each for a random customer
    with orders, and times from just before ``order_create`` until that customer's
    score row says it was rescored after that order (polled every millisecond).
    Prints p50 / p95 / max of the whole, and of the order write alone.
    With ``--in-process`` the task runs in this process right after the order's
    commit instead (no queue): the cost of the rescoring itself. ``after_write``
    is the time from the order's commit to the score row updated.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import random
import tempfile
import time
from contextlib import contextmanager

import numpy as np

REF_PREFIX = "BENCHIO-"


def _pct(values, q):
    return float(np.percentile(np.asarray(values, float), q)) if values else None


@contextmanager
def _summary_maintenance(enabled: bool, timings: dict):
    """Switch the import's summary refresh off, or time it."""
    import kehu.sales.purchase_summary as ps

    original = ps.orders_written

    def timed(customer_ids, **kwargs):
        t = time.perf_counter()
        original(customer_ids, **kwargs)
        timings["summary_refresh"] = timings.get("summary_refresh", 0.0) + time.perf_counter() - t

    ps.orders_written = timed if enabled else (lambda customer_ids, **kwargs: None)
    try:
        yield
    finally:
        ps.orders_written = original


def _cleanup_imported(touched: list[int]) -> None:
    from django.db import connection, transaction

    from kehu.sales.models import Order, OrderLine
    from kehu.sales.purchase_summary import summary_refresh

    with transaction.atomic():
        ids = list(Order.objects.filter(ref__startswith=REF_PREFIX).values_list("id", flat=True))
        for start in range(0, len(ids), 20_000):
            chunk = ids[start:start + 20_000]
            OrderLine.objects.filter(order_id__in=chunk).delete()
            with connection.cursor() as cur:   # no cascade collection: lines are gone, nothing else points here
                cur.execute(f"DELETE FROM {Order._meta.db_table} WHERE id IN ({', '.join(map(str, chunk))})")
        summary_refresh(touched)


def run_import_orders_bench(*, lines: int, seed: int = 1, as_json: bool = False) -> int:
    from django.db import connection

    from django.db.models import Q

    from kehu.customers.models import Customer
    from kehu.imports.services import import_orders
    from kehu.org.models import Role, User

    rnd = random.Random(seed)
    refs = list(Customer.objects.order_by("id").values_list("id", "ref")[:50_000])
    if not refs:
        print("kehu bench import-orders: no customers; run `kehu generate` first")
        return 1
    admin = (User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
             .order_by("id").first())
    if admin is None:
        print("kehu bench import-orders: no active administrator to import as; run `kehu demo` or "
              "`kehu generate` first")
        return 1
    folder = tempfile.mkdtemp(prefix="kehu-bench-orders-")
    path = os.path.join(folder, "orders.csv")
    start = dt.date(2025, 1, 1)
    touched = set()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_ref", "order_ref", "order_date", "amount", "cost"])
        for i in range(lines):
            cid, ref = refs[rnd.randrange(len(refs))]
            touched.add(cid)
            cents = rnd.randint(100, 500_000)
            w.writerow([ref, f"{REF_PREFIX}{i:09d}", (start + dt.timedelta(days=rnd.randrange(600))).isoformat(),
                        f"{cents // 100}.{cents % 100:02d}", f"{cents // 200}.{cents % 100:02d}"])
    touched = sorted(touched)
    figures: dict = {"lines": lines, "customers": len(touched), "database": connection.vendor}
    try:
        for label, enabled in (("import_without_summary", False), ("import_with_summary", True)):
            timings: dict = {}
            with _summary_maintenance(enabled, timings):
                t = time.perf_counter()
                report = import_orders(actor=admin, source=path)
                figures[label] = round(time.perf_counter() - t, 3)
            if report.created != lines:
                print(f"kehu bench import-orders: the import created {report.created} of {lines} orders")
                return 1
            if enabled:
                figures["summary_refresh"] = round(timings.get("summary_refresh", 0.0), 3)
            _cleanup_imported(touched)
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("CREATE TEMP TABLE kehu_bench_orders_copy (customer_ref text, order_ref text, "
                            "order_date date, amount numeric(16,2), cost numeric(16,2))")
                t = time.perf_counter()
                with open(path, "rb") as fh, cur.cursor.copy(
                        "COPY kehu_bench_orders_copy FROM STDIN (FORMAT csv, HEADER)") as copy:
                    while chunk := fh.read(1 << 20):
                        copy.write(chunk)
                figures["copy"] = round(time.perf_counter() - t, 3)
                cur.execute("DROP TABLE kehu_bench_orders_copy")
            figures["ratio_with_summary_to_copy"] = round(figures["import_with_summary"] / figures["copy"], 2)
            figures["ratio_without_summary_to_copy"] = round(figures["import_without_summary"] / figures["copy"], 2)
        figures["ratio_with_to_without"] = round(figures["import_with_summary"] / figures["import_without_summary"], 3)
    finally:
        os.remove(path)
        os.rmdir(folder)
    if as_json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            print(f"{k:32s} {v}")
    return 0


def run_rescore_bench(*, runs: int, seed: int = 1, in_process: bool = False, as_json: bool = False) -> int:
    from django.utils import timezone

    from kehu import jobs
    from kehu.insights.models import CustomerScore
    from kehu.insights.selectors import latest_run
    from kehu.sales.models import CustomerPurchaseSummary, Order
    from kehu.sales.services import order_create

    run = latest_run()
    if run is None or not (run.results or {}).get("scoring"):
        print("kehu bench rescore: no finished value analysis with scoring parameters; run `kehu analyze` first")
        return 1
    rnd = random.Random(seed)
    ids = list(CustomerPurchaseSummary.objects.order_by("customer_id").values_list("customer_id", flat=True)[:200_000])
    if not ids:
        print("kehu bench rescore: no customers with orders")
        return 1
    from kehu.customers.models import Customer

    today = timezone.localdate()
    consumer = None
    queued: list = []
    import kehu.insights.rescoring as rescoring

    original_later = rescoring.rescore_later
    if in_process:   # the task's own work, timed apart from the order's write: no queue
        rescoring.rescore_later = lambda customer_ids, order_id=None: queued.append((list(customer_ids), order_id))
    else:
        from huey.consumer import Consumer

        jobs.discover()
        consumer = Consumer(jobs.huey, workers=1, periodic=False, worker_type="thread",
                            max_delay=jobs.WORKER_MAX_DELAY, check_worker_health=False)
        consumer.start()
    totals, writes, made = [], [], []
    try:
        for _ in range(runs):
            customer = Customer.objects.get(pk=ids[rnd.randrange(len(ids))])
            t0 = time.perf_counter()
            order = order_create(actor=None, customer=customer, data={"order_date": today},
                                 lines=[{"quantity": 1, "unit_price": f"{rnd.randint(10, 5000)}.00"}],
                                 check_permissions=False)
            t1 = time.perf_counter()
            made.append(order.pk)
            if in_process:
                from kehu.insights.tasks import rescore_customers

                while queued:
                    customer_ids, order_id = queued.pop(0)
                    rescore_customers.call_local(customer_ids, order_id)
            deadline = t1 + 30
            while True:
                if CustomerScore.objects.filter(run=run, customer_id=customer.pk,
                                                rescored_order_ref=order.ref).exists():
                    break
                if time.perf_counter() > deadline:
                    print(f"kehu bench rescore: order {order.ref} not rescored within 30 s")
                    return 1
                time.sleep(0.001)
            totals.append(time.perf_counter() - t0)
            writes.append(t1 - t0)
    finally:
        if consumer is not None:
            consumer.stop(graceful=True)
        rescoring.rescore_later = original_later
        # the bench's orders go again (their customers' summaries follow; the scores stay rescored)
        for pk in made:
            order = Order.objects.filter(pk=pk).first()
            if order is not None:
                _quiet_delete(order)
    figures = {
        "runs": len(totals), "run": run.pk, "mode": "in-process" if in_process else "worker",
        "total_p50_ms": round(_pct(totals, 50) * 1000, 1), "total_p95_ms": round(_pct(totals, 95) * 1000, 1),
        "total_max_ms": round(max(totals) * 1000, 1),
        "order_write_p50_ms": round(_pct(writes, 50) * 1000, 1),
        "order_write_p95_ms": round(_pct(writes, 95) * 1000, 1),
        "after_write_p50_ms": round(_pct([a - b for a, b in zip(totals, writes)], 50) * 1000, 1),
        "after_write_p95_ms": round(_pct([a - b for a, b in zip(totals, writes)], 95) * 1000, 1),
    }
    if as_json:
        print(json.dumps(figures))
    else:
        for k, v in figures.items():
            print(f"{k:24s} {v}")
    return 0


def _quiet_delete(order) -> None:
    """Remove a benchmark order without the service's permission check and audit record."""
    from django.db import transaction

    from kehu.sales.purchase_summary import summary_refresh

    with transaction.atomic():
        customer_id = order.customer_id
        order.lines.all().delete()
        order.delete()
        summary_refresh([customer_id])

