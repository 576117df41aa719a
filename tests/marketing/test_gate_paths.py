"""The one gate on the membership and coupon paths (issue 16, item 1): a customer without e-mail consent
receives no e-mail from a tier review notice or a coupon issued with "tell the customer" — the gate holds it
and logs why."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.marketing.coupons.models import Coupon
from kehu.marketing.coupons.services import coupon_issue, coupons_notify, definition_create
from kehu.marketing.membership.models import MemberEvent
from kehu.marketing.membership.services import member_enrol, membership_review, notices_send
from kehu.marketing.outreach.models import MessageTemplate, OutboundMessage
from kehu.org.services import token_create
from tests.api.conftest import ApiClient
from tests.factories import OrderFactory
from tests.outreach.conftest import DAYTIME, consenting, templates  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def kind(org):
    return definition_create(actor=org.users.admin, data={
        "ref": "GIFT-20", "name_zh": "20元券", "name_en": "20 off", "kind": "amount", "value": Decimal("20"),
        "valid_until": dt.date(2027, 12, 31)})


def test_tier_review_notices_pass_the_gate(org, consenting, templates):
    """n1 consents and gets the e-mail in its language; e1 opted out of e-mail and gets none (held, logged)."""
    Customer.objects.filter(pk=consenting.e1.pk).update(email="e1@example.com", opt_out_email=True)
    members = [member_enrol(actor=None, customer=c, joined_on=dt.date(2026, 1, 1))
               for c in (consenting.n1, consenting.e1)]
    MemberEvent.objects.update(notice_pending=False)   # the joining notices are not this test's
    for c in (consenting.n1, consenting.e1):
        OrderFactory(customer=c, order_date=dt.date(2026, 6, 1),
                     lines=[{"quantity": 1, "unit_price": "25000.00", "unit_cost": "1"}])
    assert membership_review(on=dt.date(2026, 7, 1)).up == 2
    mail.outbox.clear()
    counts = notices_send(now=DAYTIME)
    assert counts.get("sent") == 1 and counts.get("held") == 1
    assert [m.to for m in mail.outbox] == [["buyer@beifang.example"]]
    assert "金卡" in mail.outbox[0].subject or "Gold" in mail.outbox[0].subject
    held = OutboundMessage.objects.get(customer=consenting.e1, source_kind="membership")
    assert held.status == "held" and held.reason == "opted_out"
    assert not MemberEvent.objects.filter(notice_pending=True).exists()
    assert MessageTemplate.objects.filter(code="membership-tier-up").exists()
    assert notices_send(now=DAYTIME) == {}    # once per event
    assert len(members) == 2


def test_joining_notice_without_consent_is_held(org, consenting, templates):
    Customer.objects.filter(pk=consenting.e1.pk).update(email="e1@example.com", consent_data_processing=False)
    member_enrol(actor=None, customer=consenting.e1, joined_on=dt.date(2026, 1, 1))
    member_enrol(actor=None, customer=consenting.n1, joined_on=dt.date(2026, 1, 1))
    mail.outbox.clear()
    counts = notices_send(now=DAYTIME)
    assert counts.get("sent") == 1 and counts.get("held") == 1
    assert [m.to for m in mail.outbox] == [["buyer@beifang.example"]]
    assert OutboundMessage.objects.get(customer=consenting.e1).status == "held"


def test_the_review_command_sends_the_notices(org, consenting, templates, capsys):
    from kehu.cli import main

    member_enrol(actor=None, customer=consenting.n1, joined_on=dt.date(2026, 1, 1))
    assert main(["membership", "review", "--date", "2026-07-01"]) == 0
    assert not MemberEvent.objects.filter(notice_pending=True).exists()
    assert OutboundMessage.objects.filter(customer=consenting.n1, source_kind="membership").exists()


def test_coupon_notice_without_email_consent_no_email(org, consenting, templates, kind):
    Customer.objects.filter(pk=consenting.e1.pk).update(email="e1@example.com", consent_marketing=False)
    result = coupon_issue(actor=org.users.admin, definition=kind, customers=[consenting.n1, consenting.e1])
    mail.outbox.clear()
    counts = coupons_notify(coupons=result.coupons, actor=org.users.admin, now=DAYTIME)
    assert counts["sent"] == 1 and counts["held"] == 1
    assert [m.to for m in mail.outbox] == [["buyer@beifang.example"]]
    code = Coupon.objects.get(customer=consenting.n1).display_code
    assert code in mail.outbox[0].body and "2027-12-31" in mail.outbox[0].body
    held = OutboundMessage.objects.get(customer=consenting.e1, source_kind="coupon")
    assert held.status == "held" and held.reason == "no_consent" and held.source_id == kind.pk


def test_issue_by_hand_with_notify_goes_through_the_gate(client_for, org, consenting, templates, kind):
    Customer.objects.filter(pk=consenting.e1.pk).update(email="e1@example.com", consent_marketing=False)
    client = client_for(org.users.admin)
    r = client.post(reverse("coupon_definition_issue", args=[kind.pk]),
                    {"target": "customer", "customer": consenting.e1.ref, "notify": "on"})
    assert r.status_code == 302
    assert Coupon.objects.filter(customer=consenting.e1).count() == 1
    assert not any(m.to == ["e1@example.com"] for m in mail.outbox)
    assert OutboundMessage.objects.get(customer=consenting.e1, source_kind="coupon").status == "held"


def test_api_issue_with_notify(org, consenting, templates, kind):
    Customer.objects.filter(pk=consenting.e1.pk).update(email="e1@example.com", consent_marketing=False)
    api = ApiClient(token_create(user=org.users.admin, name="t")[1])
    r = api.post("/coupons/issue", {"definition_id": kind.pk, "customer_ids": [consenting.e1.pk], "notify": True})
    assert r.status_code == 201, r.content
    assert not any(m.to == ["e1@example.com"] for m in mail.outbox)
    assert OutboundMessage.objects.get(customer=consenting.e1, source_kind="coupon").status == "held"
