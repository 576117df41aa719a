"""Order histories for the value analyses, written in bulk (the summary reads orders only)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np

from kehu.customers.models import Customer
from kehu.sales.models import Order
from tests.factories import CustomerFactory


def order_history(owner, *, customers: int = 60, seed: int = 1, start=dt.date(2023, 1, 1), days: int = 700):
    """Seeded customers with realistic purchase histories, plus the awkward cases:
    same-day orders, cancelled orders, unpaid and not-yet-due orders."""
    rng = np.random.default_rng(seed)
    made = [CustomerFactory(owner=owner, name=f"Value customer {seed}-{i}") for i in range(customers)]
    orders, n = [], 0
    for c in made:
        first = start + dt.timedelta(days=int(rng.integers(0, days // 2)))
        rate = rng.gamma(0.8, 1 / 40)  # purchases per day
        life = rng.exponential(days)
        t = 0.0
        while True:
            amount = Decimal(f"{rng.gamma(2.0, 400.0):.2f}")
            cost = (amount * Decimal(str(round(rng.uniform(0.55, 1.05), 2)))).quantize(Decimal("0.01"))
            date = first + dt.timedelta(days=int(t))
            status = "cancelled" if rng.random() < 0.05 else "delivered"
            paid = amount if rng.random() < 0.8 else (amount / 2).quantize(Decimal("0.01"))
            due = date + dt.timedelta(days=int(rng.choice([0, 30, 60])))
            n += 1
            orders.append(Order(customer=c, ref=f"VH{seed}-{n:06d}", order_date=date, status=status,
                                amount=amount, cost=cost, paid_amount=paid, payment_due_on=due))
            if rng.random() < 0.15:  # a second order the same day
                n += 1
                orders.append(Order(customer=c, ref=f"VH{seed}-{n:06d}", order_date=date, status="confirmed",
                                    amount=Decimal("10.05"), cost=Decimal("5.00"), paid_amount=Decimal("0"),
                                    payment_due_on=None))
            t += rng.exponential(1 / max(rate, 1e-3))
            if t > min(life, days):
                break
    Order.objects.bulk_create(orders, batch_size=2000)
    return made


def orders_as_arrays():
    """(customer ids, dates, amounts, costs, paid, due, status) of every order, for reference computations."""
    rows = list(Order.objects.values_list("customer_id", "order_date", "amount", "cost", "paid_amount",
                                          "payment_due_on", "status"))
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    dates = np.array([r[1] for r in rows], dtype="datetime64[D]")
    money = [np.array([float(r[k]) for r in rows]) for k in (2, 3, 4)]
    due = np.array([r[5] or r[1] for r in rows], dtype="datetime64[D]")
    status = np.array([r[6] for r in rows])
    return ids, dates, money[0], money[1], money[2], due, status


def customers_without_orders():
    return Customer.objects.filter(orders__isnull=True)
