"""Fixtures for the browser UI tests: a customer with a bit of everything."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from kehu.customers.models import Anniversary
from kehu.customers.services import customer_share
from tests.factories import ContactFactory, InteractionFactory, OrderFactory, ProductFactory


@pytest.fixture
def full(org, customers):
    """``customers.n1`` with contacts, interactions, orders, a payment, a share and a product."""
    from kehu.sales.services import payment_record

    c = customers.n1
    boss = ContactFactory(customer=c, name="王总", title="General manager", decision_role="decision_maker")
    buyer = ContactFactory(customer=c, name="李采购", title="Buyer", decision_role="influencer", reports_to=boss)
    Anniversary.objects.create(customer=c, label="Founded", date=dt.date(2005, 6, 1))
    it = InteractionFactory(customer=c, contact=buyer, user=org.users.sales_n1, subject="Quarterly call",
                            next_step="Send the price list", next_step_on=dt.date.today() + dt.timedelta(days=2))
    product = ProductFactory(name="Steel coil")
    order = OrderFactory(customer=c, lines=[{"product": product, "quantity": 3}], salesperson=org.users.sales_n1)
    payment_record(actor=org.users.sales_n1, order=order, amount="100.00", received_on=dt.date.today())
    share = customer_share(actor=org.users.sales_n1, customer=c, user=org.users.sales_n1b, can_edit=False)
    return SimpleNamespace(customer=c, boss=boss, buyer=buyer, interaction=it, order=order, product=product,
                           share=share)
