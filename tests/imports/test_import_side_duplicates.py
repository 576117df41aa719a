"""A big customer import finds its duplicate warnings on a second connection while the first
one writes (PostgreSQL): the same warnings as the search on the importing connection, the
second connection closed afterwards, a failed search writes nothing, and no second connection
to be had means the search runs on the importing connection."""

import threading
import time

import pytest
from django.db import OperationalError, connection, transaction

from kehu.customers.models import Customer
from kehu.imports import staging
from kehu.imports.services import import_customers
from kehu.imports.staging import CustomerStage

from .conftest import write_csv

pytestmark = [pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a PostgreSQL-only path"),
              pytest.mark.django_db(transaction=True)]


def _rows(customers):
    rows = [["ref", "name", "type", "phone", "email", "city"]]
    for i in range(40):
        rows.append([f"S{i:03d}", f"客户{i % 7}", "个人", f"1370000{i % 9:04d}", f"s{i % 6}@x.example",
                     "杭州" if i % 3 else ""])
    rows[7][3] = customers.n1.phone          # the phone of a customer in the database
    return rows


def _warnings(report):
    return sorted((w.line, w.column, w.message) for w in report.warnings)


def _sessions(expected: int | None = None) -> int:
    """The database's sessions; with ``expected``, waits (up to 10 s) for the count to come back to
    it: a closed connection's server process leaves ``pg_stat_activity`` a moment after the close."""
    for _ in range(100):
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
            count = cursor.fetchone()[0]
        if expected is None or count == expected:
            return count
        time.sleep(0.1)
    return count


def _spy_searches(monkeypatch) -> list:
    started = []
    real = CustomerStage.start_duplicates

    def spy(self, limit, visible=None):
        search = real(self, limit, visible)
        started.append(type(search).__name__)
        return search

    monkeypatch.setattr(CustomerStage, "start_duplicates", spy)
    return started


def test_the_second_connection_finds_the_same_warnings(org, customers, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "c.csv", _rows(customers))
    here = import_customers(actor=org.users.admin, source=path, dry_run=True)   # on the importing connection
    assert here.warning_count > 10
    assert any("existing customer" in w.message for w in here.warnings)

    monkeypatch.setattr(staging, "SIDE_MIN_ROWS", 1)
    started = _spy_searches(monkeypatch)
    sessions = _sessions()
    report = import_customers(actor=org.users.admin, source=path)
    assert started == ["_SideDuplicates"]
    assert report.created == 40 and report.written
    assert _warnings(report) == _warnings(here)
    assert report.warning_count == here.warning_count
    assert _sessions(sessions) == sessions              # the second connection is closed
    assert not [t for t in threading.enumerate() if t.name == "kehu-import-duplicates"]


def test_small_files_and_open_transactions_search_on_the_importing_connection(org, customers, tmp_path,
                                                                              monkeypatch):
    path = write_csv(tmp_path / "c.csv", _rows(customers))
    started = _spy_searches(monkeypatch)
    import_customers(actor=org.users.admin, source=path)            # below SIDE_MIN_ROWS
    monkeypatch.setattr(staging, "SIDE_MIN_ROWS", 1)
    Customer.objects.filter(ref__startswith="S").delete()
    with transaction.atomic():      # the second connection would not see this transaction's work
        import_customers(actor=org.users.admin, source=path)
    assert started == ["DuplicateSearch", "DuplicateSearch"]


def test_a_failed_search_writes_nothing(org, customers, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "c.csv", _rows(customers))
    monkeypatch.setattr(staging, "SIDE_MIN_ROWS", 1)
    real = staging._find_duplicates

    def failing(cursor, limit, *, postgres, visible=None):
        if threading.current_thread().name == "kehu-import-duplicates":
            raise OperationalError("the search went wrong")
        return real(cursor, limit, postgres=postgres, visible=visible)

    monkeypatch.setattr(staging, "_find_duplicates", failing)
    with pytest.raises(OperationalError, match="the search went wrong"):
        import_customers(actor=org.users.admin, source=path)
    assert not Customer.objects.filter(ref__startswith="S").exists()
    # the import can be run again, and then succeeds
    monkeypatch.setattr(staging, "_find_duplicates", real)
    assert import_customers(actor=org.users.admin, source=path).created == 40


def test_without_a_second_connection_the_search_runs_here(org, customers, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "c.csv", _rows(customers))
    here = import_customers(actor=org.users.admin, source=path, dry_run=True)
    monkeypatch.setattr(staging, "SIDE_MIN_ROWS", 1)

    def refused(*args):
        raise OperationalError("FATAL: sorry, too many clients already")

    monkeypatch.setattr(staging._SideDuplicates, "_connect", staticmethod(refused))
    started = _spy_searches(monkeypatch)
    report = import_customers(actor=org.users.admin, source=path)
    assert started == ["_SideDuplicates"]       # tried, refused, then searched on the first connection
    assert report.created == 40
    assert _warnings(report) == _warnings(here)


def test_a_failed_write_stops_the_search(org, customers, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "c.csv", _rows(customers))
    monkeypatch.setattr(staging, "SIDE_MIN_ROWS", 1)
    sessions = _sessions()

    def broken(self, **kwargs):
        raise OperationalError("the disk is full")

    monkeypatch.setattr(CustomerStage, "insert_new", broken)
    started = _spy_searches(monkeypatch)
    with pytest.raises(OperationalError, match="the disk is full"):
        import_customers(actor=org.users.admin, source=path)
    assert started == ["_SideDuplicates"]
    assert not Customer.objects.filter(ref__startswith="S").exists()
    assert _sessions(sessions) == sessions
    assert not [t for t in threading.enumerate() if t.name == "kehu-import-duplicates"]
