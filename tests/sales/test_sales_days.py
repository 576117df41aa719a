"""The kept sales per day as rows of differences (kehu/sales/sales_days.py): writers only
insert rows, a compaction replaces a day's rows by their sum and changes no total, and
neither waits for the other — the totals stay those of the orders whatever the order in
which writes and compactions run and commit."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count, Sum

from kehu.sales import sales_days
from kehu.sales.models import CustomerSalesDay, Order, SalesDay
from kehu.sales.purchase_summary import summary_check
from kehu.sales.services import order_create, order_delete, order_update

pytestmark = pytest.mark.django_db

START = dt.date(2025, 3, 1)


def _order(admin, customer, day, price="10.00"):
    return order_create(actor=admin, customer=customer, data={"order_date": day},
                        lines=[{"quantity": 1, "unit_price": price}], check_permissions=False)


def _totals():
    """Each day's total as readers see it (the sum of its rows), days adding up to nothing left out."""
    rows = SalesDay.objects.values("day").annotate(o=Sum("orders"), r=Sum("revenue_cents")).order_by("day")
    return {row["day"]: (row["o"], row["r"]) for row in rows if row["o"] or row["r"]}


def _from_orders():
    rows = CustomerSalesDay.objects.values("day").annotate(o=Sum("orders"), r=Sum("revenue_cents")).order_by("day")
    kept = {row["day"]: (row["o"], row["r"]) for row in rows}
    by_orders = {}
    for day, amount in Order.objects.exclude(status="cancelled").values_list("order_date", "amount"):
        o, r = by_orders.get(day, (0, 0))
        by_orders[day] = (o + 1, r + int(round(amount * 100)))
    assert kept == by_orders
    return by_orders


def _rows_per_day():
    return dict(SalesDay.objects.values("day").annotate(n=Count("id")).values_list("day", "n"))


def test_each_write_adds_a_row_and_compaction_keeps_the_sums(org, customers):
    admin = org.users.admin
    other = START + dt.timedelta(days=1)
    gone = START + dt.timedelta(days=2)
    orders = [_order(admin, c, START, p) for c, p in ((customers.n1, "10.00"), (customers.e1, "20.50"),
                                                      (customers.n1, "0.05"))]
    _order(admin, customers.e1, other, "7.00")
    order_update(actor=admin, order=orders[0], data={"order_date": other})
    order_update(actor=admin, order=orders[1], data={"status": "cancelled"})
    lost = _order(admin, customers.n1b, gone, "3.00")
    order_delete(actor=admin, order=lost)              # a day whose rows add up to nothing
    assert _rows_per_day() == {START: 5, other: 2, gone: 2}
    expected = _from_orders()
    assert _totals() == expected == {START: (1, 5), other: (2, 1700)}
    assert summary_check().differences == 0

    assert sales_days.compact([other]) == 2            # one day only
    assert _rows_per_day() == {START: 5, other: 1, gone: 2}
    assert sales_days.compact() == 7                   # every day with more than one row
    assert _rows_per_day() == {START: 1, other: 1}     # the empty day is gone
    assert _totals() == expected
    assert sales_days.compact() == 0                   # nothing left to do
    assert summary_check().differences == 0


def test_writes_and_compactions_interleaved_keep_the_totals(org, customers):
    """Sequentially interleaved: a write, a compaction of some days, a write of the same
    days, a compaction of all, a repair: after each step the totals are the orders'."""
    admin = org.users.admin
    days = [START + dt.timedelta(days=i) for i in range(4)]
    people = [customers.n1, customers.e1, customers.n1b]
    made = []
    for step in range(12):
        made.append(_order(admin, people[step % 3], days[step % 4], f"{step + 1}.25"))
        if step % 3 == 0:
            sales_days.compact(days[:2])
        if step % 4 == 1:
            order_update(actor=admin, order=made[step // 2], data={"order_date": days[(step + 1) % 4]})
        if step % 5 == 4:
            sales_days.compact()
        assert _totals() == _from_orders(), step
    SalesDay.objects.filter(day=days[0]).update(revenue_cents=1)      # damage: the repair corrects
    result = summary_check(repair=True)
    assert result.days_differ and result.repaired
    assert _totals() == _from_orders()
    assert set(_rows_per_day().values()) == {1}
    assert summary_check().differences == 0


@pytest.mark.django_db(transaction=True)
def test_a_writers_commit_compacts_its_busy_days(org, customers, monkeypatch):
    monkeypatch.setattr(sales_days, "COMPACT_AFTER", 3)
    admin = org.users.admin
    for i in range(7):
        _order(admin, customers.n1 if i % 2 else customers.e1, START, f"{i + 1}.00")
    assert _rows_per_day()[START] <= 3
    assert _totals() == _from_orders() == {START: (7, 2800)}
    with transaction.atomic():                       # rolled back: nothing to compact, nothing lost
        for _ in range(5):
            _order(admin, customers.n1, START)
        transaction.set_rollback(True)
    assert _totals() == {START: (7, 2800)}


def _pg_only():
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time by design")


def _in_thread(body, hold: threading.Event, ready: threading.Event, failed: list):
    def run():
        try:
            with transaction.atomic():
                body()
                ready.set()
                hold.wait(30)
        except Exception as exc:  # pragma: no cover - reported by the test
            failed.append(exc)
            ready.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


@pytest.mark.django_db(transaction=True)
def test_a_compaction_does_not_wait_for_an_open_writer_and_keeps_its_row(org, customers):
    """PostgreSQL: a writer's transaction has inserted its row of the day and not committed;
    a compaction of that day (3 s lock timeout) neither waits nor loses the row."""
    _pg_only()
    admin = org.users.admin
    for c in (customers.n1, customers.e1, customers.n1):
        _order(admin, c, START)
    hold, ready, failed = threading.Event(), threading.Event(), []
    thread = _in_thread(lambda: _order(admin, customers.n1b, START, "99.00"), hold, ready, failed)
    try:
        assert ready.wait(30) and not failed
        assert sales_days.compact([START], lock_timeout="3s") == 3
        assert _totals() == {START: (3, 3000)}           # the writer's row not committed yet
    finally:
        hold.set()
        thread.join(30)
    assert not failed
    assert _totals() == _from_orders() == {START: (4, 12900)}
    assert _rows_per_day() == {START: 2}
    assert summary_check().differences == 0


@pytest.mark.django_db(transaction=True)
def test_a_writer_does_not_wait_for_an_open_compaction(org, customers):
    """PostgreSQL: a compaction of a day has deleted its rows and not committed; an order of
    that day written meanwhile (3 s lock timeout) does not wait, and both commit exactly."""
    _pg_only()
    admin = org.users.admin
    for c in (customers.n1, customers.e1):
        _order(admin, c, START)
    hold, ready, failed = threading.Event(), threading.Event(), []
    thread = _in_thread(lambda: sales_days.compact([START]), hold, ready, failed)
    try:
        assert ready.wait(30) and not failed
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            _order(admin, customers.n1b, START, "5.00")
    finally:
        hold.set()
        thread.join(30)
    assert not failed
    assert _totals() == _from_orders() == {START: (3, 2500)}
    assert summary_check(repair=True).differences == 0
    assert _rows_per_day() == {START: 1}
