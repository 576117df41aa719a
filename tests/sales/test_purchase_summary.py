"""The kept purchase summary (issue 17, item 1): after random sequences of order
writes — create, change, cancel, delete, pay, import, merge — the kept rows equal the
summary query recomputed from the orders (the nightly check finds nothing); an import
that fails half way leaves them as they were; the check reports and repairs damage."""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu.customers.services import customer_merge
from kehu.imports.services import import_orders
from kehu.sales import sales_days
from kehu.sales.models import CustomerPurchaseSummary, Order
from kehu.sales.purchase_summary import summary_check, summary_rebuild, summary_refresh
from kehu.sales.services import order_create, order_delete, order_update, payment_record
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

START = dt.date(2025, 1, 1)

step = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 2), st.integers(0, 60), st.integers(1, 90_000)),
    st.tuples(st.just("update"), st.integers(0, 50), st.integers(0, 60), st.integers(1, 90_000)),
    st.tuples(st.just("cancel"), st.integers(0, 50), st.just(0), st.just(0)),
    st.tuples(st.just("uncancel"), st.integers(0, 50), st.just(0), st.just(0)),
    st.tuples(st.just("delete"), st.integers(0, 50), st.just(0), st.just(0)),
    st.tuples(st.just("pay"), st.integers(0, 50), st.integers(0, 60), st.integers(1, 90_000)),
    st.tuples(st.just("import"), st.integers(0, 2), st.integers(0, 60), st.integers(1, 90_000)),
    st.tuples(st.just("merge"), st.integers(0, 2), st.integers(0, 2), st.just(0)),
    st.tuples(st.just("compact"), st.integers(0, 60), st.just(0), st.just(0)),
)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _orders_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["customer_ref", "order_date", "amount", "cost"])
        w.writerows(rows)
    return path


def _assert_kept_equals_orders():
    result = summary_check()
    assert result.differences == 0, result


@given(steps=st.lists(step, min_size=1, max_size=12))
@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_random_order_writes_keep_the_summary_equal_to_the_orders(org, tmp_path, steps):
    admin = org.users.admin
    with transaction.atomic():
        people = [CustomerFactory(owner=org.users.sales_n1, name=f"S{i}") for i in range(3)]
        for n, (kind, a, b, cents) in enumerate(steps):
            orders = list(Order.objects.filter(customer__in=people).order_by("id"))
            order = orders[a % len(orders)] if orders else None
            day = START + dt.timedelta(days=b)
            try:
                if kind == "create":
                    order_create(actor=admin, customer=people[a], data={"order_date": day},
                                 lines=[{"quantity": 1, "unit_price": _money(cents), "unit_cost": _money(cents // 2)}],
                                 check_permissions=False)
                elif kind == "update" and order is not None:
                    order_update(actor=admin, order=order, data={"order_date": day},
                                 lines=[{"quantity": 1, "unit_price": _money(cents), "unit_cost": "1.00"}])
                elif kind == "cancel" and order is not None:
                    order_update(actor=admin, order=order, data={"status": "cancelled"})
                elif kind == "uncancel" and order is not None:
                    order_update(actor=admin, order=order, data={"status": "delivered"})
                elif kind == "delete" and order is not None:
                    order_delete(actor=admin, order=order)
                elif kind == "pay" and order is not None:
                    payment_record(actor=admin, order=order, amount=_money(max(1, cents % 5000)), received_on=day)
                elif kind == "import":
                    path = _orders_csv(tmp_path / f"o{n}.csv", [
                        [people[a].ref, day.isoformat(), _money(cents), "0"],
                        [people[(a + 1) % 3].ref, (day + dt.timedelta(days=1)).isoformat(), "12.34", "1.00"],
                        [people[a].ref, day.isoformat(), "0.05", "0"],
                    ])
                    report = import_orders(actor=admin, source=path)
                    assert report.created == 3
                elif kind == "compact":   # the sales per day: one day's rows, or every day's
                    sales_days.compact([START + dt.timedelta(days=a)] if a % 2 else None)
                elif kind == "merge" and a != b and people[a] is not None and people[b] is not None:
                    customer_merge(actor=admin, keep=people[a], drop=people[b])
                    people[b] = None
            except ValidationError:
                pass   # refused (an overpayment, a paid order's deletion): nothing changed
            people = [p for p in people if p is not None] or [CustomerFactory(owner=org.users.sales_n1)]
            while len(people) < 3:
                people.append(people[0])
            _assert_kept_equals_orders()
        transaction.set_rollback(True)


def test_an_interrupted_import_leaves_the_summary_as_it_was(org, customers, tmp_path, monkeypatch):
    admin = org.users.admin
    order_create(actor=admin, customer=customers.n1, data={"order_date": START},
                 lines=[{"quantity": 1, "unit_price": "100.00"}], check_permissions=False)
    before = list(CustomerPurchaseSummary.objects.order_by("customer_id").values_list())
    assert len(before) == 1

    def boom(**kwargs):
        raise RuntimeError("the server went away")

    monkeypatch.setattr("kehu.marketing.winback.services.winback_on_imported_orders", boom)
    path = _orders_csv(tmp_path / "o.csv", [[customers.n1.ref, "2025-02-01", "50.00", "0"],
                                             [customers.e1.ref, "2025-02-02", "70.00", "0"]])
    with pytest.raises(RuntimeError):
        import_orders(actor=admin, source=path)
    assert list(CustomerPurchaseSummary.objects.order_by("customer_id").values_list()) == before
    assert Order.objects.count() == 1
    _assert_kept_equals_orders()


def test_the_kept_row_holds_the_figures(org, customers):
    admin = org.users.admin
    c = customers.n1
    o1 = order_create(actor=admin, customer=c, data={"order_date": START},
                      lines=[{"quantity": 1, "unit_price": "100.10", "unit_cost": "60.00"}], check_permissions=False)
    order_create(actor=admin, customer=c, data={"order_date": START},
                 lines=[{"quantity": 2, "unit_price": "0.05", "unit_cost": "0"}], check_permissions=False)
    order_create(actor=admin, customer=c, data={"order_date": START + dt.timedelta(days=10)},
                 lines=[{"quantity": 1, "unit_price": "20.00", "unit_cost": "5.00"}], check_permissions=False)
    payment_record(actor=admin, order=o1, amount="30.00", received_on=START)
    row = CustomerPurchaseSummary.objects.get(customer=c)
    assert (row.first_order, row.last_order, row.purchase_days, row.orders) == (
        START, START + dt.timedelta(days=10), 2, 3)
    assert (row.revenue_cents, row.cost_cents, row.paid_cents, row.first_amount_cents) == (12020, 6500, 3000, 10020)
    order_update(actor=admin, order=o1, data={"status": "cancelled"})
    row.refresh_from_db()
    assert (row.orders, row.revenue_cents, row.first_amount_cents) == (2, 2010, 10)
    for o in Order.objects.filter(customer=c).exclude(pk=o1.pk):
        order_delete(actor=admin, order=o)
    assert not CustomerPurchaseSummary.objects.filter(customer=c).exists()   # only a cancelled order left


def test_a_rejected_order_leaves_the_summary(org, customers):
    from kehu.sales.services import order_reject

    admin = org.users.admin
    order = order_create(actor=admin, customer=customers.n1, data={"order_date": START},
                         lines=[{"quantity": 1, "unit_price": "10.00"}], check_permissions=False)
    Order.objects.filter(pk=order.pk).update(approval="pending")
    order.refresh_from_db()
    order_reject(actor=admin, order=order, note="over the credit limit")
    assert not CustomerPurchaseSummary.objects.filter(customer=customers.n1).exists()
    _assert_kept_equals_orders()


def test_the_check_reports_and_repairs(org, customers):
    admin = org.users.admin
    for c in (customers.n1, customers.e1):
        order_create(actor=admin, customer=c, data={"order_date": START},
                     lines=[{"quantity": 1, "unit_price": "10.00"}], check_permissions=False)
    CustomerPurchaseSummary.objects.filter(customer=customers.n1).update(revenue_cents=1)
    CustomerPurchaseSummary.objects.filter(customer=customers.e1).delete()
    CustomerPurchaseSummary.objects.create(customer=customers.n1b, first_order=START, last_order=START,
                                           purchase_days=1, orders=1, revenue_cents=5, cost_cents=0, paid_cents=0,
                                           first_amount_cents=5, updated_at=START.isoformat() + "T00:00Z")
    result = summary_check()
    assert (result.different, result.missing, result.extra, result.repaired) == (1, 1, 1, False)
    assert result.examples == sorted([customers.n1.pk, customers.e1.pk, customers.n1b.pk])
    assert summary_check(repair=True).repaired
    assert summary_check().differences == 0


def test_rebuild_and_refresh_agree(org):
    from tests.insights.factories import order_history

    made = order_history(org.users.sales_n1, customers=25, seed=3)   # bulk: no summary yet
    assert summary_check().missing > 0
    assert summary_rebuild() == summary_check().customers
    _assert_kept_equals_orders()
    CustomerPurchaseSummary.objects.all().delete()
    summary_refresh([c.pk for c in made])
    _assert_kept_equals_orders()


def test_summary_cli_exit_status(org, customers, capsys):
    from kehu.cli import main

    order_create(actor=org.users.admin, customer=customers.n1, data={"order_date": START},
                 lines=[{"quantity": 1, "unit_price": "10.00"}], check_permissions=False)
    assert main(["summary", "check"]) == 0
    CustomerPurchaseSummary.objects.update(orders=7)
    assert main(["summary", "check"]) == 1
    assert main(["summary", "check", "--repair"]) == 0
    assert main(["summary", "check", "--json"]) == 0
    assert '"different": 0' in capsys.readouterr().out


def test_the_check_finds_and_repairs_the_sales_per_day(org, customers):
    from kehu.sales.models import CustomerSalesDay, SalesDay

    admin = org.users.admin
    for c, day in ((customers.n1, START), (customers.e1, START), (customers.e1, START + dt.timedelta(days=3))):
        order_create(actor=admin, customer=c, data={"order_date": day},
                     lines=[{"quantity": 1, "unit_price": "10.00"}], check_permissions=False)
    assert SalesDay.objects.filter(day=START).aggregate(s=Sum("revenue_cents"))["s"] == 2000
    assert CustomerSalesDay.objects.filter(customer=customers.e1).count() == 2
    _assert_kept_equals_orders()
    CustomerSalesDay.objects.filter(customer=customers.n1).update(revenue_cents=1)
    result = summary_check()
    assert (result.sales_days, result.days_differ) == (1, False)
    assert result.examples == [customers.n1.pk]
    SalesDay.objects.filter(day=START).update(orders=9)
    assert summary_check().days_differ
    assert summary_check(repair=True).repaired
    _assert_kept_equals_orders()
    assert SalesDay.objects.filter(day=START).aggregate(s=Sum("orders"))["s"] == 2
    assert SalesDay.objects.filter(day=START).count() == 1      # the repair compacts
