"""``kehu membership tiers|review|renew`` and ``kehu points expire|earn|balance``."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.cli import main
from kehu.marketing.membership.models import Membership, PointsEntry, Tier
from kehu.marketing.membership.services import points_balance, points_bonus
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_tiers_init_is_idempotent(org, capsys):
    Tier.objects.filter(code="diamond").delete()
    assert main(["membership", "tiers", "init"]) == 0
    out = capsys.readouterr().out
    assert "1 default tiers created" in out and "钻石" in out
    assert main(["membership", "tiers", "init"]) == 0
    assert "0 default tiers created" in capsys.readouterr().out and Tier.objects.count() == 4


def test_expire_review_renew_earn_balance(org, customers, members, capsys):
    points_bonus(actor=None, membership=members.n1, points=70, reason="x", on=dt.date(2026, 1, 5))
    assert main(["points", "expire", "--date", "2028-01-05"]) == 0
    assert "70 points of 1 members" in capsys.readouterr().out
    assert points_balance(members.n1) == 0
    assert main(["points", "expire", "--date", "2028-13-01"]) == 2
    OrderFactory(customer=customers.e1, order_date=dt.date(2026, 5, 1),
                 lines=[{"quantity": 1, "unit_price": "6000.00", "unit_cost": "1"}])
    assert main(["membership", "review", "--date", "2026-06-01"]) == 0
    out = capsys.readouterr().out
    assert f"{members.e1.number}\tstandard → silver" in out and "1 moved up" in out
    assert main(["membership", "renew", "--date", "2027-01-02"]) == 0
    assert "2 memberships renewed" in capsys.readouterr().out
    assert Membership.objects.get(pk=members.e1.pk).expires_on == dt.date(2028, 1, 1)
    # an order imported as paid (no payment recorded) is caught up once
    from kehu.sales.models import Order

    order = OrderFactory(customer=customers.n1, order_date=dt.date(2026, 7, 1))
    Order.objects.filter(pk=order.pk).update(paid_amount=order.amount)
    assert main(["points", "earn"]) == 0
    assert "1 paid orders" in capsys.readouterr().out
    assert main(["points", "earn"]) == 0
    assert PointsEntry.objects.filter(order=order).count() == 1
    assert main(["points", "balance", members.n1.number]) == 0
    assert capsys.readouterr().out.strip().endswith("\t200")
    assert main(["points", "balance", "M99999999"]) == 2
