"""Referrals (转介绍): codes, the public link, recording by hand, the reward once, the gate, merging."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.customers.models import Customer
from kehu.marketing.coupons.models import Coupon
from kehu.marketing.membership.models import PointsEntry
from kehu.marketing.membership.services import member_enrol, points_balance, tiers_init
from kehu.marketing.outreach.models import OutboundMessage
from kehu.marketing.referrals import services
from kehu.marketing.referrals.models import Referral, ReferralStatus
from kehu.marketing.referrals.selectors import customer_summary
from tests.marketing.referrals_fixtures import notice_template, order_of, pay_in_full, reward_rule  # noqa: F401

pytestmark = pytest.mark.django_db


def _consent(customer, *, email="friend@example.com", marketing=True):
    Customer.objects.filter(pk=customer.pk).update(email=email, consent_marketing=marketing,
                                                   consent_data_processing=True)
    customer.refresh_from_db()


def test_code_is_made_once_unguessable_and_found_forgivingly(customers):
    code = services.code_for(customers.n1)
    assert len(code.code) == 13 and code.code.isalnum()
    assert services.code_for(customers.n1).pk == code.pk
    assert services.code_for(customers.e1).code != code.code
    assert services.code_lookup(code.code.lower()).customer == customers.n1
    assert services.code_lookup("NOPE") is None
    assert services.referral_link(code).endswith(f"/r/{code.code}/")


def test_public_link_makes_a_referral_lead_with_consent(customers):
    code = services.code_for(customers.n1)
    referral = services.referral_from_link(code=code, name="王小明", phone="13700137000", email="wang@example.com")
    friend = referral.referred
    assert friend.source == "referral" and friend.lifecycle_stage == "reserve" and friend.owner_id is None
    assert friend.team_id == customers.n1.team_id
    assert friend.consent_data_processing and not friend.consent_marketing
    assert referral.referrer == customers.n1 and referral.code == code.code and referral.status == "pending"
    # an existing customer (same phone) is not claimed through a link
    assert services.referral_from_link(code=code, name="x", phone=customers.e1.phone) is None
    assert Referral.objects.count() == 1


def test_by_hand_once_and_never_oneself(org, customers):
    admin = org.users.admin
    services.referral_create(actor=admin, referrer=customers.n1, referred=customers.e1)
    with pytest.raises(ValidationError):
        services.referral_create(actor=admin, referrer=customers.n1b, referred=customers.e1)
    with pytest.raises(ValidationError):
        services.referral_create(actor=admin, referrer=customers.n1, referred=customers.n1)


def test_a_salesperson_records_only_within_visibility(org, customers):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(Customer.DoesNotExist):   # e1 is another team's
        services.referral_create(actor=org.users.sales_n1, referrer=customers.e1, referred=customers.n1)
    with pytest.raises((PermissionDenied, Customer.DoesNotExist)):
        services.referral_create(actor=org.users.sales_n1b, referrer=customers.n1b, referred=customers.n1)


def test_first_paid_order_rewards_the_member_with_points_once(org, customers, reward_rule):
    admin = org.users.admin
    tiers_init(actor=None)      # (a live-server test before this one flushes the migrations' tiers)
    membership = member_enrol(actor=None, customer=customers.n1)
    referral = services.referral_create(actor=admin, referrer=customers.n1, referred=customers.e1)
    order = order_of(customers.e1)
    from kehu.sales.services import payment_record

    payment_record(actor=admin, order=order, amount=Decimal("400"), received_on=dt.date(2026, 12, 7))
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.PENDING        # not yet paid in full
    pay_in_full(order, admin)
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.REWARDED and referral.reward_kind == "points"
    assert referral.reward_points == 300 and referral.order_id == order.pk
    assert points_balance(membership) == 300
    # the hook again (another order paid, the same order again): nothing more
    services.on_order_paid(order)
    pay_in_full(order_of(customers.e1), admin)
    assert services.referrals_reward() == {"qualified": 0, "rewarded": 0, "failed": 0}
    assert PointsEntry.objects.filter(membership=membership, kind="bonus").count() == 1
    assert points_balance(membership) == 300


def test_a_referrer_who_is_not_a_member_gets_the_coupon(org, customers, reward_rule):
    referral = services.referral_create(actor=org.users.admin, referrer=customers.n1, referred=customers.e1)
    pay_in_full(order_of(customers.e1), org.users.admin)
    referral.refresh_from_db()
    assert referral.status == "rewarded" and referral.reward_kind == "coupon"
    coupon = Coupon.objects.get(customer=customers.n1)
    assert coupon.source == "referral" and coupon.source_id == referral.pk and referral.coupon_id == coupon.pk


def test_reward_notice_goes_through_the_gate(org, customers, reward_rule, settings, mailoutbox):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _consent(customers.n1, email="referrer@example.com")
    referral = services.referral_create(actor=org.users.admin, referrer=customers.n1, referred=customers.e1)
    pay_in_full(order_of(customers.e1), org.users.admin, on=dt.date(2026, 12, 7))
    referral.refresh_from_db()
    msg = OutboundMessage.objects.get(pk=referral.notice_id)
    assert msg.source_kind == "referral" and msg.source_id == referral.pk and msg.purpose == "marketing"
    assert msg.status in ("sent", "deferred", "queued")


def test_no_email_without_consent(org, customers, reward_rule, settings, mailoutbox):
    """The referral path of "a customer without e-mail consent receives no e-mail"."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _consent(customers.n1, email="referrer@example.com", marketing=False)
    referral = services.referral_create(actor=org.users.admin, referrer=customers.n1, referred=customers.e1)
    pay_in_full(order_of(customers.e1), org.users.admin)
    referral.refresh_from_db()
    assert referral.status == "rewarded"                      # rewarded all the same
    msg = OutboundMessage.objects.get(pk=referral.notice_id)
    assert msg.status == "held" and msg.reason
    assert mailoutbox == []


def test_catch_up_rewards_orders_paid_before_the_rule(org, customers, notice_template):
    referral = services.referral_create(actor=org.users.admin, referrer=customers.n1, referred=customers.e1)
    pay_in_full(order_of(customers.e1), org.users.admin)      # no active rule yet
    referral.refresh_from_db()
    assert referral.status == "qualified"
    from kehu.marketing.coupons.services import definition_create

    kind = definition_create(actor=org.users.admin, data={"ref": "R2", "name_zh": "券", "kind": "amount",
                                                          "value": Decimal("10"), "min_spend": Decimal(0)})
    services.rule_update(actor=org.users.admin, data={"active": True, "reward_kind": "coupon",
                                                      "coupon_definition": kind})
    assert services.referrals_reward(date=dt.date(2026, 12, 8))["rewarded"] == 1
    assert services.referrals_reward()["rewarded"] == 0
    assert Coupon.objects.filter(customer=customers.n1).count() == 1


def test_points_rule_without_coupon_leaves_a_note_for_non_members(org, customers):
    services.rule_update(actor=org.users.admin, data={"active": True, "reward_kind": "points", "points": 10})
    referral = services.referral_create(actor=org.users.admin, referrer=customers.n1, referred=customers.e1)
    pay_in_full(order_of(customers.e1), org.users.admin)
    referral.refresh_from_db()
    assert referral.status == "qualified" and referral.note


def test_rule_is_for_marketing_and_validated(org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.rule_update(actor=org.users.sales_n1, data={"active": True})
    with pytest.raises(ValidationError):
        services.rule_update(actor=org.users.north_marketing, data={"active": True, "reward_kind": "coupon"})


def test_summary_and_referral_value_in_one_query(org, customers, django_assert_num_queries):
    admin = org.users.admin
    services.referral_create(actor=admin, referrer=customers.n1, referred=customers.e1)
    services.referral_create(actor=admin, referrer=customers.n1, referred=customers.n1b)
    order_of(customers.e1, "1000.00")
    order_of(customers.n1b, "250.00")
    n1 = Customer.objects.get(pk=customers.n1.pk)
    with django_assert_num_queries(1):
        s = customer_summary(viewer=admin, customer=n1)
        customer_summary(viewer=admin, customer=n1)
    assert s.count == 2 and s.revenue == Decimal("1250.00") and s.value == Decimal("1250.00")
    # sales_n1 sees n1 but not e1: the count stays, e1's name is hidden
    n1 = Customer.objects.get(pk=customers.n1.pk)
    s = customer_summary(viewer=org.users.sales_n1, customer=n1)
    assert {r.referred_id: r.referred_visible for r in s.made} == {customers.e1.pk: False, customers.n1b.pk: False}
    e1 = Customer.objects.get(pk=customers.e1.pk)
    assert customer_summary(viewer=org.users.sales_e1, customer=e1).referred_by.referrer_visible is False


def test_merge_keeps_one_referral_and_no_self_referral(org, customers):
    from kehu.customers.services import customer_merge

    admin = org.users.admin
    services.referral_create(actor=admin, referrer=customers.n1, referred=customers.n1b)
    services.referral_create(actor=admin, referrer=customers.n1b, referred=customers.e1)
    code = services.code_for(customers.n1b)
    customer_merge(actor=admin, keep=customers.n1, drop=customers.n1b)
    # n1 referred n1b (now n1 itself): dropped; n1b's referral of e1 moves to n1; its code too
    assert list(Referral.objects.values_list("referrer_id", "referred_id")) == [(customers.n1.pk, customers.e1.pk)]
    code.refresh_from_db()
    assert code.customer_id == customers.n1.pk


def test_cli(org, customers, capsys):
    from kehu.cli import main

    assert main(["referrals", "code", customers.n1.ref]) == 0
    assert "/r/" in capsys.readouterr().out
    services.referral_create(actor=org.users.admin, referrer=customers.n1, referred=customers.e1)
    assert main(["referrals", "list"]) == 0
    assert customers.e1.name in capsys.readouterr().out
    assert main(["referrals", "reward", "--date", "2026-12-07"]) == 0
    assert main(["referrals", "reward", "--date", "bad"]) == 2
    assert main(["referrals", "code", "NOSUCH"]) == 1
