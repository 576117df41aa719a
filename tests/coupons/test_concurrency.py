"""Two redemptions of one single-use code at the same moment, each on its own
PostgreSQL connection: exactly one succeeds (issue 16, "Correctness")."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from kehu.marketing.coupons.models import Coupon, Redemption
from kehu.marketing.coupons.services import coupon_redeem
from kehu.sales.models import Order
from tests.coupons.conftest import issue_one, make_definition, order_for

pytestmark = pytest.mark.django_db(transaction=True)


def _skip_memory_sqlite():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite database is not shared between connections; run on PostgreSQL")


def _at_once(*calls):
    """Run ``calls`` in threads released together; each outcome or exception, in order."""
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
        t.join(30)
    return out


@pytest.mark.parametrize("same_order", [False, True])
def test_two_concurrent_redemptions_of_one_code_exactly_one_succeeds(org, customers, same_order):
    _skip_memory_sqlite()
    d = make_definition(org.users.admin, min_spend=Decimal(0))
    coupon = issue_one(org.users.admin, d, customers.n1)
    first = order_for(customers.n1)
    second = first if same_order else order_for(customers.n1)
    a, b = org.users.sales_n1, org.users.admin
    for _round in range(3):
        Redemption.objects.all().delete()
        Coupon.objects.filter(pk=coupon.pk).update(status="available")
        out = _at_once(
            lambda: coupon_redeem(actor=a, order=Order.objects.get(pk=first.pk), code=coupon.code),
            lambda: coupon_redeem(actor=b, order=Order.objects.get(pk=second.pk), code=coupon.code),
        )
        won = [o for o in out if isinstance(o, Redemption)]
        lost = [o for o in out if isinstance(o, ValidationError)]
        assert len(won) == 1 and len(lost) == 1, out
        assert Redemption.objects.filter(coupon=coupon).count() == 1
        assert Coupon.objects.get(pk=coupon.pk).status == "redeemed"


def test_two_coupons_of_one_kind_at_once_respect_the_per_customer_limit(org, customers):
    """The kind's row lock makes the per-customer count exact under concurrency."""
    _skip_memory_sqlite()
    from kehu.marketing.coupons.services import definition_update

    admin = org.users.admin
    d = make_definition(admin, min_spend=Decimal(0), per_customer_limit=2)
    x, y = issue_one(admin, d, customers.n1), issue_one(admin, d, customers.n1)
    definition_update(actor=admin, definition=d, data={"per_customer_limit": 1})
    o1, o2 = order_for(customers.n1), order_for(customers.n1)
    out = _at_once(lambda: coupon_redeem(actor=admin, order=Order.objects.get(pk=o1.pk), code=x.code),
                   lambda: coupon_redeem(actor=admin, order=Order.objects.get(pk=o2.pk), code=y.code))
    assert sum(isinstance(o, Redemption) for o in out) == 1, out
    assert Redemption.objects.count() == 1
