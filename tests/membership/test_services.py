"""Earning on a paid order (once), the tier review up and down, renewal and
the statement's running balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.marketing.membership.models import (
    EarnRule, EntryKind, EventKind, MemberEvent, Membership, MembershipStatus, PointsEntry, Programme, Tier,
)
from kehu.marketing.membership.selectors import statement_entries, with_running_balance
from kehu.marketing.membership.services import (
    member_enrol, membership_renew, membership_review, points_balance, points_bonus, points_correct,
    points_earn_for_order, points_earn_paid_orders, points_expire, points_redeem, rule_create,
)
from kehu.sales.services import payment_record
from tests.factories import OrderFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


def test_default_tiers_are_there():
    assert list(Tier.objects.values_list("code", "name_zh", "rank")) == [
        ("standard", "普通", 0), ("silver", "银卡", 1), ("gold", "金卡", 2), ("diamond", "钻石", 3)]


def test_enrol_numbers_and_refuses_twice(org, customers, members):
    assert members.n1.number == f"M{customers.n1.pk:08d}"
    assert members.n1.tier.code == "standard" and members.n1.expires_on == dt.date(2027, 1, 1)
    with pytest.raises(ValidationError) as caught:
        member_enrol(actor=org.users.admin, customer=customers.n1)
    assert "customer" in caught.value.message_dict
    with pytest.raises(PermissionDenied):  # another team's salesperson
        member_enrol(actor=org.users.sales_e1, customer=customers.n1b)
    m = member_enrol(actor=org.users.sales_n1b, customer=customers.n1b)  # the owner may
    assert MemberEvent.objects.filter(membership=m, kind=EventKind.JOINED, notice_pending=True).exists()


def test_a_paid_order_earns_once_by_line_and_tier_rules(org, customers, members):
    steel = ProductLineFactory(code="STEEL", name="Steel")
    hotel = ProductLineFactory(code="HOTEL", name="Hotel")
    silver = Tier.objects.get(code="silver")
    Membership.objects.filter(pk=members.n1.pk).update(tier=silver)  # earn multiplier 1.2
    rule_create(actor=org.users.admin, data={"product_line": hotel, "points_per_yuan": Decimal("2")})
    rule_create(actor=org.users.admin, data={"product_line": hotel, "tier": silver, "points_per_yuan": Decimal("3"),
                                             "multiplier": Decimal("1.5")})
    order = OrderFactory(customer=customers.n1, order_date=dt.date(2026, 3, 1), lines=[
        {"product": ProductFactory(line=steel), "quantity": 1, "unit_price": "100.00", "unit_cost": "50"},
        {"product": ProductFactory(line=hotel), "quantity": 1, "unit_price": "10.00", "unit_cost": "5"}])
    payment_record(actor=org.users.sales_n1, order=order, amount="50.00", received_on=dt.date(2026, 3, 2))
    assert not PointsEntry.objects.exists()  # not paid in full yet
    payment_record(actor=org.users.sales_n1, order=order, amount="60.00", received_on=dt.date(2026, 3, 5))
    entry = PointsEntry.objects.get()
    # steel: 100 × 1 (programme default) × 1.2; hotel: 10 × 3 × 1.5 × 1.2 = 54
    assert entry.kind == EntryKind.EARN and entry.points == 120 + 54 and entry.entry_date == dt.date(2026, 3, 5)
    assert entry.source == f"order:{order.ref}" and entry.expires_on == dt.date(2028, 3, 5)
    order.refresh_from_db()
    assert points_earn_for_order(order=order).pk == entry.pk
    assert points_earn_paid_orders() == 0
    assert PointsEntry.objects.count() == 1 and points_balance(members.n1) == 174


def test_non_members_and_unpaid_orders_earn_nothing(org, customers, members):
    order = OrderFactory(customer=customers.n1b)
    payment_record(actor=org.users.sales_n1b, order=order, amount=order.amount, received_on=dt.date.today())
    assert not PointsEntry.objects.exists()
    assert points_earn_for_order(order=OrderFactory(customer=customers.n1)) is None


def test_redeem_refuses_more_than_the_balance(org, members):
    points_bonus(actor=org.users.north_marketing, membership=members.n1, points=100, reason="welcome")
    with pytest.raises(ValidationError) as caught:
        points_redeem(actor=org.users.sales_n1, membership=members.n1, points=101, reason="gift")
    assert "100" in caught.value.message_dict["points"][0]
    e = points_redeem(actor=org.users.sales_n1, membership=members.n1, points=40, reason="gift", source="coupon:X1")
    assert e.points == -40 and e.source == "coupon:X1" and points_balance(members.n1) == 60
    with pytest.raises(PermissionDenied):  # corrections are for marketing and administrators
        points_correct(actor=org.users.sales_n1, membership=members.n1, points=5, reason="typo")
    with pytest.raises(PermissionDenied):  # marketing of another region does not see e1... nor may sales_e1 redeem n1
        points_redeem(actor=org.users.sales_e1, membership=members.n1, points=1, reason="x")


def test_expiry_takes_oldest_lots_minus_what_was_used(org, members):
    m = members.n1
    points_bonus(actor=None, membership=m, points=100, reason="a", on=dt.date(2026, 1, 10))
    points_bonus(actor=None, membership=m, points=50, reason="b", on=dt.date(2026, 6, 1))
    points_redeem(actor=None, membership=m, points=30, reason="r", on=dt.date(2026, 7, 1))
    result = points_expire(on=dt.date(2028, 1, 10))  # the first lot's 24 months are up
    assert result == {"members": 1, "entries": 1, "points": 70}
    assert points_balance(m) == 50
    assert points_expire(on=dt.date(2028, 1, 10))["entries"] == 0  # nothing twice


def test_tier_review_moves_up_and_down_with_reasons(org, customers, members):
    o = OrderFactory(customer=customers.n1, order_date=dt.date(2026, 5, 1),
                     lines=[{"quantity": 1, "unit_price": "25000.00", "unit_cost": "1"}])
    assert o.amount == Decimal("25000.00")
    result = membership_review(on=dt.date(2026, 6, 30))
    assert (result.reviewed, result.up, result.down) == (2, 1, 0)
    m = Membership.objects.get(pk=members.n1.pk)
    assert m.tier.code == "gold" and m.tier_since == dt.date(2026, 6, 30)
    ev = MemberEvent.objects.get(membership=m, kind=EventKind.TIER_UP)
    assert ev.notice_pending and ev.measure == Decimal("25000") and "25,000" in ev.reason
    # a year later the spend has left the window: down to standard
    result = membership_review(on=dt.date(2027, 6, 30))
    assert result.down == 1 and Membership.objects.get(pk=m.pk).tier.code == "standard"
    assert MemberEvent.objects.filter(membership=m, kind=EventKind.TIER_DOWN).count() == 1


def test_tier_review_by_points(org, members):
    p = Programme.current()
    p.basis = "points"
    p.save()
    points_bonus(actor=None, membership=members.e1, points=6000, reason="x", on=dt.date(2026, 3, 1))
    membership_review(on=dt.date(2026, 4, 1))
    assert Membership.objects.get(pk=members.e1.pk).tier.code == "silver"


def test_renewal_renews_or_expires(org, members):
    Membership.objects.filter(pk=members.e1.pk).update(auto_renew=False)
    assert membership_renew(on=dt.date(2026, 12, 31)).renewed == 0  # not yet due
    result = membership_renew(on=dt.date(2027, 1, 2))
    assert (result.renewed, result.expired) == (1, 1)
    assert Membership.objects.get(pk=members.n1.pk).expires_on == dt.date(2028, 1, 1)
    e1 = Membership.objects.get(pk=members.e1.pk)
    assert e1.status == MembershipStatus.EXPIRED
    assert MemberEvent.objects.filter(kind=EventKind.RENEWED).count() == 1
    assert membership_renew(on=dt.date(2027, 1, 2)).renewed == 0  # once


def test_statement_running_balance_on_a_page(org, members):
    m = members.n1
    for i, p in enumerate([100, 20, 300, 5]):
        points_bonus(actor=None, membership=m, points=p, reason="x", on=dt.date(2026, 2, 1 + i))
    points_redeem(actor=None, membership=m, points=50, reason="r", on=dt.date(2026, 2, 10))
    rows = list(statement_entries(membership=m, date_from=dt.date(2026, 2, 3)))
    assert [e.points for e in rows] == [300, 5, -50]
    with_running_balance(m.pk, rows)
    assert [e.balance for e in rows] == [420, 425, 375]
    page2 = with_running_balance(m.pk, rows[1:])
    assert [e.balance for e in page2] == [425, 375]


def test_running_balance_within_one_day_and_from_the_start(org, members):
    """Several entries on one day: the balance before an entry counts the same day's earlier ids
    only (the row comparison ``(entry_date, id) < …``); a page that starts at the member's first
    entry opens at 0 without asking, and gives what asking gives."""
    from kehu.marketing.membership.selectors import balance_before

    m = members.n1
    for p in (10, 20, 30):
        points_bonus(actor=None, membership=m, points=p, reason="x", on=dt.date(2026, 3, 1))
    points_bonus(actor=None, membership=m, points=7, reason="x", on=dt.date(2026, 2, 27))
    rows = list(statement_entries(membership=m))
    assert [e.points for e in rows] == [7, 10, 20, 30]
    assert balance_before(m.pk, rows[2].entry_date, rows[2].pk) == 17
    assert balance_before(m.pk, dt.date(2026, 3, 1)) == 7 and balance_before(m.pk, dt.date(2026, 3, 2)) == 67
    asked = [e.balance for e in with_running_balance(m.pk, list(rows))]
    known = [e.balance for e in with_running_balance(m.pk, list(statement_entries(membership=m)), at_start=True)]
    assert asked == known == [7, 17, 37, 67]
    assert [e.balance for e in with_running_balance(m.pk, rows[2:])] == [37, 67]


def test_an_expired_membership_earns_and_redeems_nothing(org, customers, members):
    Membership.objects.filter(pk=members.n1.pk).update(status=MembershipStatus.EXPIRED)
    m = Membership.objects.get(pk=members.n1.pk)
    with pytest.raises(ValidationError):
        points_bonus(actor=None, membership=m, points=5, reason="x")
    assert EarnRule.objects.count() == 0


def test_merging_two_members_keeps_both_ledgers(org, customers, members):
    from kehu.customers.services import customer_merge

    points_bonus(actor=None, membership=members.n1, points=100, reason="a", on=dt.date(2026, 2, 1))
    points_bonus(actor=None, membership=members.e1, points=40, reason="b", on=dt.date(2026, 1, 15))
    Membership.objects.filter(pk=members.e1.pk).update(tier=Tier.objects.get(code="gold"))
    customer_merge(actor=org.users.admin, keep=customers.n1, drop=customers.e1)
    kept = Membership.objects.get(customer=customers.n1)
    assert points_balance(kept) == 140 and kept.tier.code == "gold"
    assert not Membership.objects.filter(pk=members.e1.pk).exists()
    # the lots keep their order: the duplicate's older points are used first
    points_redeem(actor=None, membership=kept, points=50, reason="r")
    assert dict(PointsEntry.objects.filter(points__gt=0).values_list("reason", "remaining")) == {"a": 90, "b": 0}


def test_a_non_members_duplicate_brings_its_membership(org, customers, members):
    from kehu.customers.services import customer_merge

    customer_merge(actor=org.users.admin, keep=customers.n1b, drop=customers.n1)
    assert Membership.objects.get(pk=members.n1.pk).customer_id == customers.n1b.pk
