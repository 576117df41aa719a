"""The customer's owner and team copied onto its opportunities (kehu/sales/customer_keys.py)
under two connections at once (PostgreSQL): a customer handed over while one of its
opportunities is being edited neither deadlocks nor leaves the old owner on the opportunity."""

import threading

import pytest
from django.db import connection, connections, transaction

from kehu.customers.models import Customer
from kehu.sales.models import Opportunity
from kehu.sales.opportunities import opportunity_create
from tests.sales.test_pool_concurrency import _skip_memory_sqlite

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_handover_while_an_opportunity_is_edited(org, customers, pipeline, line):
    _skip_memory_sqlite()
    opp = opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "Coil 2027"},
                             lines=[{"product_line": line, "amount": "1000"}])
    edited, handed = threading.Event(), threading.Event()
    errors = []

    def edit():     # locks the opportunity as the services do, writes it after the handover began
        try:
            with transaction.atomic():
                Opportunity.objects.select_for_update().get(pk=opp.pk)
                edited.set()
                handed.wait(5)
                Opportunity.objects.filter(pk=opp.pk).update(next_step="Visit the mill, bring samples")
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    def hand_over():    # waits for the opportunity's row inside the customer's trigger
        try:
            edited.wait(5)
            with transaction.atomic():
                threading.Timer(0.5, handed.set).start()
                Customer.objects.filter(pk=customers.n1.pk).update(owner=org.users.sales_e1, team=org.teams.e1)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=edit), threading.Thread(target=hand_over)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not errors, errors
    opp.refresh_from_db()
    assert (opp.customer_owner_id, opp.customer_team_id) == (org.users.sales_e1.pk, org.teams.e1.pk)
    assert opp.next_step == "Visit the mill, bring samples"
    assert connection.vendor == "postgresql"
