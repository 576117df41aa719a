"""Automatic customer codes and order numbers (issue 13, item 3): a code typed by hand never
blocks the counter, parallel creates never collide, bulk paths take a block in one step."""

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Customer
from kehu.customers.services import customer_create
from kehu.numbering.models import Counter
from kehu.numbering.services import number_reserve
from kehu.sales.models import Order
from kehu.sales.services import order_create
from tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]


def _create(actor, **data):
    return customer_create(actor=actor, data={"name": "客户", "kind": "organization", **data})


@pytest.mark.django_db
def test_a_typed_code_does_not_stop_the_numbering(org):
    admin = org.users.admin
    first = _create(admin)
    assert first.ref == "C00000001"
    _create(admin, ref="C99999999")                  # the old way: every later create failed
    assert _create(admin).ref == "C00000002"
    _create(admin, ref="C00000003")                  # a typed code where the counter goes next
    assert [_create(admin).ref for _ in range(2)] == ["C00000004", "C00000005"]


@pytest.mark.django_db
def test_a_typed_order_number_does_not_stop_the_numbering(org, customers):
    admin, customer = org.users.admin, customers.n1
    lines = [{"quantity": 1, "unit_price": Decimal("10")}]

    def order(**data):
        return order_create(actor=admin, customer=customer, data={"order_date": dt.date(2026, 1, 5), **data},
                            lines=lines)

    assert order().ref == "SO000000001"
    order(ref="SO999999999")
    order(ref="SO000000002")
    assert [order().ref for _ in range(2)] == ["SO000000003", "SO000000004"]


@pytest.mark.django_db
def test_a_missing_counter_starts_from_the_data(org):
    CustomerFactory(ref="C00000041")
    CustomerFactory(ref="C123456789")                # longer than the form: still the highest
    Counter.objects.all().delete()
    assert number_reserve(series="customer", count=2) == ["C123456790", "C123456791"]


@pytest.mark.django_db
def test_the_migration_seeds_from_the_data(org):
    from importlib import import_module

    from django.apps import apps

    seed = import_module("kehu.numbering.migrations.0002_seed_counters").seed
    CustomerFactory(ref="C00000077")
    Counter.objects.all().delete()
    seed(apps, None)
    assert Counter.objects.get(name="customer").value == 77
    assert Counter.objects.get(name="order").value == 0


@pytest.mark.django_db
def test_a_block_is_taken_in_one_step_skipping_taken_codes(org):
    CustomerFactory(ref="C00000002")
    with CaptureQueriesContext(connection) as queries:
        codes = number_reserve(series="customer", count=4, avoid={"C00000004"})
    assert codes == ["C00000001", "C00000003", "C00000005", "C00000006"]
    writes = [q["sql"] for q in queries if "numbering_counter" in q["sql"] and q["sql"].startswith("UPDATE")]
    assert len(writes) == 1


@pytest.mark.django_db
def test_the_order_import_reserves_its_numbers_as_one_block(org, customers, tmp_path):
    from kehu.imports.services import import_orders

    path = tmp_path / "o.csv"
    path.write_text("order_ref,customer_ref,order_date,amount\r\n"
                    f",{customers.n1.ref},2026-01-02,10\r\n"
                    f"SO000000002,{customers.n1.ref},2026-01-02,10\r\n"
                    f",{customers.n1.ref},2026-01-03,10\r\n"
                    f",{customers.n1.ref},2026-01-04,10\r\n", encoding="utf-8")
    with CaptureQueriesContext(connection) as queries:
        report = import_orders(actor=org.users.admin, source=path)
    assert report.written and report.created == 4
    assert sorted(Order.objects.values_list("ref", flat=True)) == [
        "SO000000001", "SO000000002", "SO000000003", "SO000000004"]
    writes = [q["sql"] for q in queries if "numbering_counter" in q["sql"] and q["sql"].startswith("UPDATE")]
    assert len(writes) == 1
    assert Counter.objects.get(name="order").value == 4


def _in_parallel(n: int, work) -> list:
    """Run ``work(i)`` in ``n`` threads at once, each with its own database connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n

    def run(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            results[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


@pytest.mark.django_db(transaction=True)
def test_parallel_creates_get_distinct_numbers(org, customers):
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite database has no locking between connections: "
                    "see test_parallel_creates_on_a_sqlite_file")
    admin = org.users.admin
    customer_results = _in_parallel(16, lambda i: _create(admin).ref)
    assert not [r for r in customer_results if isinstance(r, Exception)], customer_results
    assert len(set(customer_results)) == 16
    lines = [{"quantity": 1, "unit_price": Decimal("10")}]
    order_results = _in_parallel(16, lambda i: order_create(
        actor=admin, customer=customers.n1, data={"order_date": dt.date(2026, 1, 5)}, lines=lines).ref)
    assert not [r for r in order_results if isinstance(r, Exception)], order_results
    assert len(set(order_results)) == 16


SQLITE_SCRIPT = r"""
import datetime as dt, json, sys, threading
from decimal import Decimal
import django
django.setup()
from django.core.management import call_command
from django.db import connections
call_command("migrate", verbosity=0)
from kehu.customers.services import customer_create
from kehu.sales.services import order_create
from kehu.org.models import User

admin = User.objects.create(username="admin", role="admin", is_superuser=True)
base = customer_create(actor=admin, data={"name": "Base", "kind": "organization"})

def parallel(n, work):
    barrier = threading.Barrier(n)
    out = [None] * n
    def run(i):
        try:
            barrier.wait()
            out[i] = work(i)
        except Exception as exc:
            out[i] = "error: %r" % exc
        finally:
            connections.close_all()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    return out

lines = [{"quantity": 1, "unit_price": Decimal("10")}]
print(json.dumps({
    "customers": parallel(16, lambda i: customer_create(actor=admin, data={"name": "P%d" % i, "kind": "organization"}).ref),
    "orders": parallel(16, lambda i: order_create(actor=admin, customer=base, data={"order_date": dt.date(2026, 1, 5)},
                                                  lines=lines).ref),
}))
"""


def test_parallel_creates_on_a_sqlite_file(tmp_path):
    """SQLite with its real locking (a database file, Kehu's own settings): 16 threads at once."""
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'k.sqlite3'}", KEHU_HOME=str(tmp_path),
               DJANGO_SETTINGS_MODULE="kehu.settings", PYTHONPATH=str(ROOT), KEHU_SECRET_KEY="test-only")
    done = subprocess.run([sys.executable, "-c", SQLITE_SCRIPT], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("customers", "orders"):
        assert not [r for r in result[key] if r.startswith("error")], result[key]
        assert len(set(result[key])) == 16
