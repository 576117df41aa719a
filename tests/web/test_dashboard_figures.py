"""The dashboard's sales figures, cached per visibility scope (kehu/sales/dashboard_figures.py):
what a viewer sees equals what the orders they may see add up to, after every kind of write."""

import datetime as dt
from decimal import Decimal

import pytest
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


def test_bulk_writers_bump_the_version(org, customers):
    before = figs.cache.get(figs.VERSION_KEY)
    figs.bump_sales_version()
    assert figs.cache.get(figs.VERSION_KEY) != before


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
    figs.cache.clear()
    for user in (org.users.sales_n1, org.users.sales_e1, org.users.admin):
        assert figs.compute_sales_figures(policy_for(user), today) == _from_orders(user, today), user.username
