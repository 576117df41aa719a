"""The customer import's big-file paths: parse worker processes (PostgreSQL) give the same
report and the same customers as parsing in-process; the write checks the owners and teams once
each, falls back to PostgreSQL's per-row checks when one is gone, and leaves the session's
settings as it found them."""

import pytest
from django.db import IntegrityError, connection, transaction

from kehu.customers.models import Customer
from kehu.imports import services
from kehu.imports.readers import open_table
from kehu.imports.services import import_customers

from .conftest import write_csv, write_xlsx

postgres_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="a PostgreSQL-only path")


def _rows(customers):
    """A file with something wrong in every way the check knows, spread over several batches."""
    rows = [["ref", "name", "type", "phone", "email", "city", "owner", "tags", "city_tier"]]
    for i in range(60):
        rows.append([f"P{i:03d}", f"客户{i % 9}", "企业" if i % 2 else "个人", f"1390000{i % 7:04d}",
                     f"p{i % 5}@x.example" if i % 3 else "", "上海" if i % 4 else "", "sales_n1" if i % 5 else "",
                     "a、b" if i % 6 == 0 else "", str(i % 4 + 1)])
    rows[5][2] = "???"                      # a bad choice
    rows[9][6] = "nobody"                   # an unknown owner
    rows[13][6] = "sales_e1"                # an owner of another team
    rows[20][0] = "P003"                    # a code already on line 5 (that row is itself bad)
    rows[31][0] = "P010"                    # a code already on line 12, in another batch
    rows[33][6] = "nobody"                  # the unknown owner again, in another batch
    rows[40][0] = customers.e1.ref          # another team's customer: not to be changed
    rows[41][0] = customers.n1.ref          # an update
    rows[50][8] = "-1"                      # a bad number
    return rows


def _report(report):
    return (sorted((e.line, e.column, e.message) for e in report.errors),
            sorted((w.line, w.column, w.message) for w in report.warnings),
            report.rows_read, report.created, report.updated, report.skipped)


@postgres_only
def test_parse_workers_give_the_same_report_and_customers(org, customers, tmp_path, monkeypatch):
    path = write_csv(tmp_path / "c.csv", _rows(customers))
    monkeypatch.setattr(services, "BATCH", 7)
    monkeypatch.setattr(services, "PARALLEL_MIN_BYTES", 10**12)
    assert services._parse_workers(open_table(path)) == 0
    alone = import_customers(actor=org.users.north_manager, source=path, dry_run=True)

    monkeypatch.setattr(services, "PARALLEL_MIN_BYTES", 0)
    assert services._parse_workers(open_table(path)) == 2
    forked = []
    real = services._checked_in_workers

    def spy(table, ctx, workers):
        forked.append(workers)
        yield from real(table, ctx, workers)

    monkeypatch.setattr(services, "_checked_in_workers", spy)
    parallel = import_customers(actor=org.users.north_manager, source=path, dry_run=True)
    assert forked == [2]
    assert _report(parallel) == _report(alone)
    errors = {(line, column) for line, column, _m in _report(parallel)[0]}
    assert {(6, "type"), (10, "owner"), (14, "owner"), (21, "ref"), (32, "ref"), (34, "owner"), (41, "ref"),
            (51, "city_tier")} <= errors
    assert parallel.warnings and parallel.updated == 1

    report = import_customers(actor=org.users.north_manager, source=path, skip_bad=True)
    assert forked == [2, 2]
    assert (report.created, report.updated) == (alone.created, alone.updated)
    new = Customer.objects.filter(ref__startswith="P")
    assert new.count() == alone.created
    assert set(new.values_list("owner__username", "team_id").distinct()) == {
        ("sales_n1", org.teams.n1.id), ("north_manager", org.teams.north.id)}
    p000 = Customer.objects.get(ref="P000")
    assert p000.name_pinyin == "kehu0" and p000.phone == "13900000000" and p000.city_tier == 1
    assert sorted(p000.tags.values_list("name", flat=True)) == ["a", "b"]


def test_no_parse_workers_for_sqlite_or_spreadsheets(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "PARALLEL_MIN_BYTES", 0)
    rows = [["ref", "name", "type"], ["A1", "One", "个人"]]
    expected = 2 if connection.vendor == "postgresql" else 0
    assert services._parse_workers(open_table(write_csv(tmp_path / "c.csv", rows))) == expected
    assert services._parse_workers(open_table(write_xlsx(tmp_path / "c.xlsx", rows))) == 0


@postgres_only
def test_the_write_checks_owners_once_and_restores_the_session(org, tmp_path, monkeypatch):
    from kehu.imports import staging

    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "owner"], ["Q1", "甲", "个人", "sales_n1"],
                                          ["Q2", "乙", "个人", ""]])
    real = staging.CustomerStage._lock_references
    checked = []
    monkeypatch.setattr(staging.CustomerStage, "_lock_references",
                        lambda self, *args: checked.append(real(self, *args)) or checked[-1])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.created == 2
    assert checked == [True]        # the test database's role is a superuser: the once-per-value path
    assert Customer.objects.get(ref="Q1").owner == org.users.sales_n1
    with connection.cursor() as cursor:
        cursor.execute("SHOW session_replication_role")
        assert cursor.fetchone()[0] == "origin"


@postgres_only
def test_an_owner_gone_before_the_write_is_refused_by_the_database(org, tmp_path, monkeypatch):
    """The owner's row is deleted between the check and the write (as by another session):
    the once-per-owner check finds it missing, the per-row foreign-key check stays on and
    refuses the rows; nothing is written."""
    from kehu.imports import staging

    gone = org.users.sales_n1b
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "owner"], ["G1", "甲", "个人", "sales_n1b"]])
    real = staging.CustomerStage._lock_references
    seen = []

    def lock(self, cursor, in_range, lines):
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("UPDATE org_user SET team_id = NULL WHERE id = %s", [gone.pk])
        cursor.execute("DELETE FROM org_user WHERE id = %s", [gone.pk])
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        seen.append(real(self, cursor, in_range, lines))
        return seen[-1]

    monkeypatch.setattr(staging.CustomerStage, "_lock_references", lock)
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            import_customers(actor=org.users.admin, source=path)
    assert seen == [False]
    assert not Customer.objects.filter(ref="G1").exists()
