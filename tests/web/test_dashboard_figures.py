"""The dashboard's sales figures, cached per visibility scope (kehu/sales/dashboard_figures.py):
what a viewer sees equals what the orders they may see add up to, after every kind of write."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db.models import Sum
from django.urls import reverse

from kehu.org.policies import policy_for
from kehu.sales import dashboard_figures as figs
from kehu.sales.models import Order, OrderStatus
from kehu.sales.services import order_delete, order_update
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _from_orders(user, today):
    """The figures straight from the orders the user may see, with no cache."""
    orders = policy_for(user).visible(Order.objects.exclude(status=OrderStatus.CANCELLED), prefix="customer__")
    ago = figs.months_back(today, 12)
    year = orders.filter(order_date__gte=dt.date(today.year, 1, 1), order_date__lte=today)
    last12 = orders.filter(order_date__gt=ago, order_date__lte=today)
    per_customer = {}
    for cid, amount in last12.values_list("customer_id", "amount"):
        per_customer[cid] = per_customer.get(cid, Decimal("0")) + amount
    top = sorted(per_customer.items(), key=lambda kv: (-kv[1], kv[0]))[:figs.TOP]
    return {"revenue_year": year.aggregate(s=Sum("amount"))["s"] or Decimal("0"),
            "revenue_12m": last12.aggregate(s=Sum("amount"))["s"] or Decimal("0"), "top": top}


def _check_everyone(org, today):
    for user in (org.users.sales_n1, org.users.sales_e1, org.users.admin):
        assert figs.sales_figures(policy_for(user), today) == _from_orders(user, today), user.username


def test_figures_follow_every_write_for_each_scope(org, customers):
    today = dt.date.today()
    _check_everyone(org, today)  # empty, and now cached
    mine = OrderFactory(customer=customers.n1, order_date=today)
    OrderFactory(customer=customers.e1, order_date=today, lines=[{"quantity": 1, "unit_price": "999"}])
    _check_everyone(org, today)
    order_update(actor=org.users.admin, order=mine, data={"order_date": today},
                 lines=[{"quantity": 5, "unit_price": "10.00"}])
    _check_everyone(org, today)
    order_update(actor=org.users.admin, order=mine, data={"status": OrderStatus.CANCELLED})
    _check_everyone(org, today)
    other = OrderFactory(customer=customers.n1, order_date=today)
    _check_everyone(org, today)
    order_delete(actor=org.users.admin, order=other)
    _check_everyone(org, today)
    # a customer handed to another salesperson takes its orders' figures along
    OrderFactory(customer=customers.n1, order_date=today, lines=[{"quantity": 3, "unit_price": "7.00"}])
    _check_everyone(org, today)
    customers.n1.owner = org.users.sales_e1
    customers.n1.save()
    _check_everyone(org, today)


def test_one_computation_per_scope_until_a_write(org, customers, monkeypatch):
    today = dt.date.today()
    OrderFactory(customer=customers.n1, order_date=today)
    calls = []
    real = figs.compute_sales_figures
    monkeypatch.setattr(figs, "compute_sales_figures", lambda policy, day: calls.append(policy) or real(policy, day))
    admin_policy = policy_for(org.users.admin)
    figs.sales_figures(admin_policy, today)
    figs.sales_figures(policy_for(org.users.admin), today)
    assert len(calls) == 1
    figs.sales_figures(policy_for(org.users.sales_n1), today)  # another scope: its own entry
    assert len(calls) == 2
    OrderFactory(customer=customers.e1, order_date=today)
    figs.sales_figures(policy_for(org.users.admin), today)
    assert len(calls) == 3


@pytest.mark.django_db(transaction=True)
def test_bulk_writers_bump_the_version(org, customers):
    before = cache.get(figs.VERSION_KEY)
    figs.bump_sales_version()
    assert cache.get(figs.VERSION_KEY) != before


def test_dashboard_shows_the_cached_figures(client_for, org, customers):
    u = org.users.sales_n1
    today = dt.date.today()
    client = client_for(u)
    assert "¥200.00" not in client.get(reverse("home")).content.decode()
    OrderFactory(customer=customers.n1, order_date=today)  # ¥200.00
    html = client.get(reverse("home")).content.decode()
    assert "¥200.00" in html and "北方钢铁贸易有限公司" in html
    CustomerFactory(name="Unrelated", owner=org.users.sales_e1)
    assert "¥200.00" in client.get(reverse("home")).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_writers_transaction_sees_its_own_writes_and_others_see_them_at_commit(org, customers):
    from django.db import transaction

    today = dt.date.today()
    _check_everyone(org, today)                      # cached
    before = cache.get(figs.VERSION_KEY)
    with transaction.atomic():
        OrderFactory(customer=customers.n1, order_date=today)
        OrderFactory(customer=customers.n1, order_date=today)
        # the shared version is not written inside the transaction (no lock on its row) ...
        assert cache.get(figs.VERSION_KEY) == before
        # ... but the transaction itself reads its own writes
        _check_everyone(org, today)
        assert sum(getattr(cb, "kehu_sales_bump", False)
                   for _sids, cb, _robust in transaction.get_connection().run_on_commit) == 1
    assert cache.get(figs.VERSION_KEY) != before  # everyone's figures at the commit
    _check_everyone(org, today)
    with transaction.atomic():                        # a rolled-back write leaves no mark behind
        OrderFactory(customer=customers.e1, order_date=today)
        transaction.set_rollback(True)
    _check_everyone(org, today)


@pytest.mark.django_db(transaction=True)
def test_a_long_transaction_does_not_hold_up_other_order_writers(org, customers):
    """An import's transaction used to hold the version row of the database cache until it
    committed: every other order written meanwhile waited for it (a load test saw order imports
    time out behind `kehu bench import-orders`); then the kept sales of the orders' day (one
    sales.SalesDay row per day, incremented in the writer's transaction) did the same."""
    import threading

    from django.db import connection, transaction

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time by design")
    today = dt.date.today()
    figs.bump_sales_version()            # the version row exists
    written, release, failed = threading.Event(), threading.Event(), []

    def long_writer():
        try:
            with transaction.atomic():
                # the same day as the second writer's: the kept sales of a day (sales.SalesDay) are
                # rows of differences that writers only insert, not one row they would take in turn
                OrderFactory(customer=customers.n1, order_date=today)
                written.set()
                release.wait(30)
        except Exception as exc:  # pragma: no cover - reported below
            failed.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=long_writer)
    thread.start()
    try:
        assert written.wait(30)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            OrderFactory(customer=customers.e1, order_date=today)
    finally:
        release.set()
        thread.join(30)
    assert not failed
    _check_everyone(org, today)


def test_top_customers_from_the_kept_summaries_equal_the_orders(org):
    """Customers whose revenue of all time is large but mostly outside the twelve
    months: the candidates' bound must not stop the search too early."""
    today = dt.date.today()
    old = today - dt.timedelta(days=500)
    for i in range(25):
        c = CustomerFactory(owner=org.users.sales_n1 if i % 2 else org.users.sales_e1, name=f"T{i}")
        OrderFactory(customer=c, order_date=today - dt.timedelta(days=i),
                     lines=[{"quantity": 1, "unit_price": str(10 + (i * 7) % 13)}])
        if i % 3 == 0:
            OrderFactory(customer=c, order_date=old, lines=[{"quantity": 1, "unit_price": str(1000 + i)}])
        if i % 5 == 0:
            OrderFactory(customer=c, order_date=today + dt.timedelta(days=3),
                         lines=[{"quantity": 1, "unit_price": "500"}])
    cache.clear()
    for user in (org.users.sales_n1, org.users.sales_e1, org.users.admin):
        assert figs.compute_sales_figures(policy_for(user), today) == _from_orders(user, today), user.username
