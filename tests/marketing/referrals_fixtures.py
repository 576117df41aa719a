"""Fixtures of the referral tests: a reward rule (coupon, or points with the coupon as fallback), an
e-mail notice template, and a helper to pay an order in full."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from kehu.marketing.coupons.services import definition_create
from kehu.marketing.outreach.models import GateSettings, MessageTemplate
from kehu.marketing.referrals.services import rule_update
from tests.factories import OrderFactory


@pytest.fixture
def notice_template(db):
    GateSettings.objects.get_or_create(pk=1)
    return MessageTemplate.objects.create(
        code="referral-thanks", name="Referral thanks", channel="email", purpose="marketing",
        subject_zh="感谢您的推荐", body_zh="{{ customer.name }}，感谢推荐！您的链接 {{ referral.link }}",
        subject_en="Thank you for your referral", body_en="Thank you! Your link: {{ referral.link }}")


@pytest.fixture
def reward_rule(org, notice_template):
    coupon_kind = definition_create(actor=org.users.admin, data={
        "ref": "REFER", "name_zh": "推荐有礼", "name_en": "Referral thanks", "kind": "amount",
        "value": Decimal("50"), "min_spend": Decimal("0"), "per_customer_limit": 100})
    return rule_update(actor=org.users.admin, data={"active": True, "reward_kind": "points", "points": 300,
                                                    "coupon_definition": coupon_kind,
                                                    "notice_template": notice_template})


def pay_in_full(order, actor, on=dt.date(2026, 12, 7)):
    from kehu.sales.services import payment_record

    order.refresh_from_db()
    return payment_record(actor=actor, order=order, amount=order.amount - order.paid_amount, received_on=on)


def order_of(customer, amount="1000.00"):
    return OrderFactory(customer=customer, lines=[{"product": None, "quantity": 1, "unit_price": amount}])
