from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from tests.factories import OrderFactory

LOST_ON = dt.date(2026, 6, 15)


def _order(customer, day, price="100.00", status="confirmed"):
    return OrderFactory(customer=customer, order_date=day, status=status,
                        lines=[{"quantity": 1, "unit_price": price, "unit_cost": "50.00"}])


@pytest.fixture
def history(org, customers):
    """Orders of n1 and e1 around the loss date 2026-06-15: inside the 12 months before
    it, on the window's edges, before it and cancelled."""
    n1, e1 = customers.n1, customers.e1
    _order(n1, dt.date(2025, 6, 14), "1.00")        # a day before the window: not counted
    _order(n1, dt.date(2025, 6, 15), "1000.00")     # the window's first day: counted
    _order(n1, dt.date(2026, 1, 10), "2000.00")
    _order(n1, dt.date(2026, 3, 1), "999.00", status="cancelled")   # cancelled: not counted
    _order(n1, dt.date(2026, 6, 14), "500.00")      # the day before the loss: counted
    _order(e1, dt.date(2026, 2, 1), "4000.00")
    return SimpleNamespace(n1=n1, e1=e1, n1b=customers.n1b)
