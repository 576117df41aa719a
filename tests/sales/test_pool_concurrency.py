"""Two claims at once, each on its own database connection (PostgreSQL): exactly one wins.
The same for one person's two claims against the claim limit."""

import threading

import pytest
from django.db import connection, connections

from kehu.customers.models import Customer
from kehu.sales import pool
from kehu.sales.models import OwnershipChange, PoolSettings
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _skip_memory_sqlite():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite database is not shared between connections; run on PostgreSQL")


def _at_once(*calls):
    """Run ``calls`` in threads that start together; their results or exceptions, in order."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(5)
            out[i] = call()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            out[i] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_claims_of_one_lead_exactly_one_wins(org):
    _skip_memory_sqlite()
    for attempt in range(5):
        c = CustomerFactory(name=f"沙钢采购线索 {attempt}", lifecycle_stage="reserve", owner=None)
        a, b = org.users.sales_n1, org.users.sales_n1b
        out = _at_once(lambda: pool.lead_claim(actor=a, customer=Customer.objects.get(pk=c.pk)),
                       lambda: pool.lead_claim(actor=b, customer=Customer.objects.get(pk=c.pk)))
        wins = [o for o in out if isinstance(o, Customer)]
        assert len(wins) == 1, out
        assert isinstance(next(o for o in out if not isinstance(o, Customer)), pool.AlreadyClaimed), out
        assert Customer.objects.get(pk=c.pk).owner_id == wins[0].owner_id
        assert OwnershipChange.objects.filter(customer=c).count() == 1


def test_one_persons_two_claims_do_not_pass_the_limit(org):
    _skip_memory_sqlite()
    PoolSettings.objects.create(claim_limit=1)
    x = CustomerFactory(name="线索甲", lifecycle_stage="reserve", owner=None)
    y = CustomerFactory(name="线索乙", lifecycle_stage="reserve", owner=None)
    a = org.users.sales_n1
    out = _at_once(lambda: pool.lead_claim(actor=a, customer=Customer.objects.get(pk=x.pk)),
                   lambda: pool.lead_claim(actor=a, customer=Customer.objects.get(pk=y.pk)))
    assert sum(isinstance(o, Customer) for o in out) == 1, out
    assert any(isinstance(o, pool.PoolLimitReached) for o in out), out
    assert pool.leads_held(a) == 1
