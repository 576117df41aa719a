"""``kehu generate``: exactly the requested numbers of customers and order lines."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count, Sum

from kehu.bench.generate import generate
from kehu.cli import main
from kehu.customers.models import Customer
from kehu.customers.search import name_keys
from kehu.org.models import User
from kehu.sales.models import Order, OrderLine


def check_data(customers: int, lines: int, hub: int) -> None:
    assert Customer.objects.count() == customers
    assert OrderLine.objects.count() == lines
    top = Order.objects.values("customer_id").annotate(n=Count("id")).order_by("-n").first()
    assert top["n"] == hub
    for c in Customer.objects.select_related("owner")[:200]:
        assert (c.name_key, c.name_pinyin, c.name_initials) == name_keys(c.name)
        assert c.team_id == c.owner.team_id
        assert c.ref.startswith("C")
    # Order totals are the sums of their lines.
    sums = dict(OrderLine.objects.values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s"))
    for order in Order.objects.all()[:300]:
        assert order.amount == sums[order.pk]
        assert order.salesperson_id == order.customer.owner_id
    # The kept purchase summary was filled in one statement and equals the orders.
    from kehu.sales.purchase_summary import summary_check

    assert summary_check().differences == 0
    # New rows get ids after the generated ones (sequences were reset).
    from tests.factories import CustomerFactory

    c = CustomerFactory(owner=User.objects.filter(role="salesperson").first())
    assert c.pk > Customer.objects.exclude(pk=c.pk).order_by("-pk").first().pk


@pytest.mark.django_db
def test_generate_small_in_this_connection():
    rep = generate(customers=200, order_lines=2500, seed=1, hub_orders=50, progress=False, workers=0)
    assert (rep.customers, rep.order_lines) == (200, 2500)
    assert rep.orders == Order.objects.count()
    assert rep.hub_orders == 50 and rep.hub_customer_id == Customer.objects.order_by("id").first().pk
    check_data(200, 2500, 50)
    assert User.objects.filter(role="salesperson").count() == 100
    assert User.objects.filter(username="bench_director", role="sales_manager").exists()


@pytest.mark.django_db(transaction=True)
def test_generate_cli_counts_exactly(capsys):
    # On PostgreSQL this goes through COPY on two worker connections.
    assert main(["generate", "--customers", "300", "--orders", "1001", "--seed", "2",
                 "--owners", "5", "--hub-orders", "40", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "created 300 customers" in out and "1,001 order lines" in out
    assert "customer with 40 orders" in out
    check_data(300, 1001, 40)
    # A second run adds to what is there, with fresh codes.
    assert main(["generate", "--customers", "10", "--orders", "10", "--seed", "3", "--quiet"]) == 0
    assert Customer.objects.count() == 311  # 300 + 10 + the one check_data made
    assert Customer.objects.values("ref").distinct().count() == 311
    assert OrderLine.objects.count() == 1011


@pytest.mark.django_db
def test_same_seed_same_data():
    generate(customers=50, order_lines=300, seed=9, hub_orders=10, progress=False, workers=0)
    first = (list(Customer.objects.order_by("id").values_list("name", "phone")),
             Order.objects.aggregate(s=Sum("amount"))["s"])
    OrderLine.objects.all().delete()
    Order.objects.all().delete()
    Customer.objects.all().delete()
    generate(customers=50, order_lines=300, seed=9, hub_orders=10, progress=False, workers=0)
    again = (list(Customer.objects.order_by("id").values_list("name", "phone")),
             Order.objects.aggregate(s=Sum("amount"))["s"])
    assert again == first
    assert isinstance(first[1], Decimal) or connection.vendor == "sqlite"


def test_purchase_events_follow_a_buying_process_with_dropout():
    """The generator's buyers follow BG/NBD (kehu.bench.generate.BEHAVIOUR):
    about the number of orders asked for, customers who differ in how often
    they buy, and many who bought once and never again."""
    import numpy as np

    from kehu.bench.generate import purchase_events

    ev = purchase_events(np.random.default_rng(3), buyers=5000, n_days=1095, orders=20000)
    assert 20000 <= len(ev.customer) <= 21000
    counts = np.bincount(ev.customer, minlength=5000)
    assert counts.min() >= 1                      # every buyer made the first purchase
    assert 0.2 < (counts == 1).mean() < 0.6       # many never came back
    assert counts.max() > 5 * counts.mean()       # and a few buy very often
    assert ((ev.day >= 0) & (ev.day < 1095)).all()
