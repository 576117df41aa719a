"""Campaigns end to end in the services: audience, control group, variants, coupons, the gate,
batches, resume, clicks, attribution, results against campaign_lift, retention outcomes and the
win-back hook."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.analytics.lift import campaign_lift
from kehu.customers.models import Customer
from kehu.marketing.campaigns import selectors, services
from kehu.marketing.campaigns.models import Campaign, Member
from kehu.marketing.outreach.models import OutboundMessage
from tests.factories import OrderFactory

from .conftest import SENT, run

pytestmark = pytest.mark.django_db


def test_create_needs_marketing_and_a_template_of_the_channel(org, audience, templates):
    with pytest.raises(PermissionDenied):
        services.campaign_create(actor=org.users.sales_n1, data={"name": "x", "audience_kind": "rule"},
                                 variants=[{"template": templates.a}])
    sms = templates.a.__class__.objects.create(code="sms1", name="s", channel="sms", body_zh="hi")
    with pytest.raises(ValidationError) as exc:
        services.campaign_create(actor=org.users.north_marketing, data={"name": "x", "audience_kind": "rule"},
                                 variants=[{"template": sms}])
    assert "variants" in exc.value.message_dict
    c = services.campaign_create(actor=org.users.north_marketing, data={"name": "x", "audience_kind": "rule"},
                                 variants=[{"template": templates.a}])
    assert c.code.startswith("C20") and c.status == "draft" and c.attribution_days == 30
    assert c.control_share == Decimal("0.100")


def test_dry_run_writes_nothing(campaign):
    counts = services.campaign_send(actor=None, campaign=campaign, dry_run=True)
    assert counts["audience"] == 13 and counts["control"] + counts["treated"] == 13
    assert not Member.objects.exists() and not OutboundMessage.objects.exists()
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_send_splits_control_and_sends_only_the_treated(campaign, org, settings, mailoutbox):
    c = run(campaign)
    assert c.status == "sent" and c.progress == 100
    members = Member.objects.filter(campaign=c)
    assert members.count() == 13
    control = set(members.filter(control=True).values_list("customer_id", flat=True))
    assert len(control) == round(0.2 * 13)   # one stratum ("none"): ⌊0.2·13 + ½⌋ = 3
    sent_to = set(OutboundMessage.objects.filter(source_kind="campaign", source_id=c.pk)
                  .values_list("customer_id", flat=True))
    assert sent_to and not (sent_to & control)   # the control group receives nothing
    assert len(mailoutbox) == 10
    # A and B share the treated half and half
    assert sorted(members.filter(control=False).values_list("variant__label", flat=True)).count("A") == 5
    # each message carries the member's own tracked link
    m = members.filter(control=False).first()
    msg = OutboundMessage.objects.get(pk=m.message_id)
    assert f"/c/{m.token}/" in msg.body


def test_no_email_consent_no_email(campaign, audience, mailoutbox):
    n1 = audience.n1
    Customer.objects.filter(pk=n1.pk).update(opt_out_email=True)
    c = run(campaign)
    member = Member.objects.get(campaign=c, customer=n1)
    assert all(n1.email not in m.to for m in mailoutbox)
    if not member.control:
        msg = OutboundMessage.objects.get(pk=member.message_id)
        assert msg.status == "held" and msg.reason == "opted_out"
        assert selectors.message_counts(c)["held"] == {"opted_out": 1}


def test_unsubscribe_between_batches_holds_the_next_batch(campaign, monkeypatch, mailoutbox):
    from kehu.marketing.outreach.services import unsubscribe

    monkeypatch.setattr(services, "BATCH", 4)
    c = run(campaign, max_batches=1)
    assert c.status == "scheduled" and len(mailoutbox) == 4   # paused after one batch
    later = (Member.objects.filter(campaign=c, control=False, message_id__isnull=True).order_by("id")
             .values_list("customer_id", flat=True).first())
    # the customer unsubscribes through a link of an earlier message of another sender
    from kehu.marketing.outreach.services import send
    msg = send(customer=Customer.objects.get(pk=later), channel="email", purpose="service", template="spring-a",
               now=SENT)
    unsubscribe(message=msg)
    c = run(c)
    assert c.status == "sent"
    held = OutboundMessage.objects.get(source_kind="campaign", source_id=c.pk, customer_id=later)
    assert held.status == "held"
    # resumed: nobody got two messages
    assert OutboundMessage.objects.filter(source_kind="campaign", source_id=c.pk).count() == 10


def test_resume_never_sends_twice(campaign, mailoutbox):
    c = run(campaign)
    Member.objects.filter(campaign=c).update(message_id=None)   # as if the worker died before recording them
    Campaign.objects.filter(pk=c.pk).update(status="scheduled")
    services.campaign_run(c.pk, now=SENT)
    assert OutboundMessage.objects.filter(source_kind="campaign", source_id=c.pk).count() == 10
    assert not Member.objects.filter(campaign=c, control=False, message_id__isnull=True).exists()


def test_offer_issues_one_coupon_per_treated_member(org, audience, templates, mailoutbox):
    from kehu.marketing.coupons.models import Coupon
    from kehu.marketing.coupons.services import definition_create

    offer = definition_create(actor=org.users.admin, data={"ref": "REBAR-50", "name_zh": "螺纹钢立减", "value": 50})
    c = services.campaign_create(actor=org.users.admin, data={"name": "券", "audience_kind": "rule", "offer": offer,
                                                              "control_share": Decimal("0.3")},
                                 variants=[{"template": templates.a}])
    c = run(c)
    treated = Member.objects.filter(campaign=c, control=False)
    assert Coupon.objects.filter(source="campaign", source_id=c.pk).count() == treated.count()
    assert not Member.objects.filter(campaign=c, control=True, coupon__isnull=False).exists()
    m = treated.first()
    assert m.coupon.display_code in OutboundMessage.objects.get(pk=m.message_id).body


def test_click_once_and_only_to_the_target(campaign, client):
    c = run(campaign)
    m = Member.objects.filter(campaign=c, control=False).first()
    for _i in range(2):
        r = client.get(f"/c/{m.token}/")
        assert r.status_code == 302 and r["Location"] == "https://shop.example.com/spring"
    from kehu.marketing.campaigns.models import Click
    assert Click.objects.filter(member=m).count() == 1
    ctrl = Member.objects.filter(campaign=c, control=True).first()
    assert client.get(f"/c/{ctrl.token}/").status_code == 404
    assert client.get("/c/not-a-token/").status_code == 404


def _respond(c):
    """Orders after the send: most treated members buy, few of the control group."""
    treated = list(Member.objects.filter(campaign=c, control=False).order_by("id"))
    control = list(Member.objects.filter(campaign=c, control=True).order_by("id"))
    day = dt.date(2026, 12, 10)
    for m in treated[:7]:
        OrderFactory(customer=m.customer, order_date=day, lines=[{"quantity": 1, "unit_price": "1000.00"}])
    OrderFactory(customer=control[0].customer, order_date=day, lines=[{"quantity": 1, "unit_price": "500.00"}])
    # outside the window, and cancelled: not counted
    OrderFactory(customer=control[1].customer, order_date=dt.date(2027, 3, 1),
                 lines=[{"quantity": 1, "unit_price": "9.00"}])
    OrderFactory(customer=control[2].customer, order_date=day, status="cancelled",
                 lines=[{"quantity": 1, "unit_price": "9.00"}])
    return treated, control


def test_results_lift_equals_campaign_lift_on_the_same_numbers(campaign):
    c = run(campaign)
    _respond(c)
    res = selectors.results(campaign=c)
    rows = list(Member.objects.filter(campaign=c).order_by("id").values_list("customer_id", "control", "stratum"))
    out = selectors.outcomes(c)
    ctrl = np.array([r[1] for r in rows])
    resp = np.array([r[0] in out for r in rows])
    rev = np.array([float(out[r[0]].revenue) if r[0] in out else 0.0 for r in rows])
    expected = campaign_lift(ctrl, resp, rev, strata=np.array([r[2] or "none" for r in rows], dtype=object))
    assert res["lift"].pooled.response == expected.pooled.response
    assert res["lift"].pooled.revenue == expected.pooled.revenue
    assert res["responders_treated"] == 7 and res["responders_control"] == 1
    assert res["revenue"] == Decimal("7000.00") and res["revenue_control"] == Decimal("500.00")
    assert res["reach"] == 10
    assert res["cost"] == Decimal("1.00")   # 10 messages × 0.10
    inc = res["incremental_revenue"]
    assert inc == pytest.approx((7000 / 10 - 500 / 3) * 10)
    assert res["roi"] == pytest.approx((inc - 1.0) / 1.0)
    assert "points" in selectors.in_words(res)["response"]
    # A/B: Wilson intervals per variant and their difference
    assert [v["label"] for v in res["variants"]] == ["A", "B"]
    assert all(v["low"] <= v["rate"] <= v["high"] for v in res["variants"])
    assert res["variant_difference"]["low"] <= res["variant_difference"]["difference"]


def test_finish_stores_responses_and_retention_outcomes(campaign, org):
    Campaign.objects.filter(pk=campaign.pk).update(kind="retention")
    campaign.refresh_from_db()
    c = run(campaign)
    _respond(c)
    services.campaign_finish(actor=org.users.admin, campaign=c)
    assert Member.objects.filter(campaign=c, responded=True).count() == 8
    assert Member.objects.get(campaign=c, control=False, responded=True, customer__orders__isnull=False,
                              pk=Member.objects.filter(campaign=c, control=False).order_by("id").first().pk
                              ).revenue == Decimal("1000.00")
    assert selectors.retention_outcomes() == [(10 - 7, 10, 3 - 1, 3)]
    from kehu.analytics.targeting import measured_uplift
    measured_uplift(*zip(*selectors.retention_outcomes()))   # the targeting takes them as they are


def test_cancel_stops_and_sent_cannot_change(campaign, org):
    c = run(campaign)
    with pytest.raises(ValidationError):
        services.campaign_update(actor=org.users.admin, campaign=c, data={"name": "new"})
    with pytest.raises(ValidationError):
        services.campaign_cancel(actor=org.users.admin, campaign=c)
    other = services.campaign_create(actor=org.users.admin, data={"name": "later", "audience_kind": "rule"},
                                     variants=[{"template": "spring-a"}])
    services.campaign_cancel(actor=org.users.admin, campaign=other)
    assert services.campaign_run(other.pk) == {}   # a cancelled campaign is not sent


def test_winback_campaign_is_credited_with_the_won_back_customer(org, audience, templates):
    from kehu.marketing.winback.models import LossRecord
    from kehu.marketing.winback.services import loss_create

    Customer.objects.filter(pk=audience.n1.pk).update(lifecycle_stage="customer")
    OrderFactory(customer=audience.n1, order_date=dt.date(2026, 1, 5), lines=[{"quantity": 1, "unit_price": "800"}])
    loss = loss_create(actor=org.users.admin, customer=audience.n1, reason="competitor", lost_on=dt.date(2026, 6, 1))
    c = services.campaign_create(actor=org.users.admin, data={"name": "挽回", "kind": "winback",
                                                              "audience_kind": "winback", "control_share": 0},
                                 variants=[{"template": templates.a}])
    assert services.campaign_send(actor=None, campaign=c, dry_run=True)["audience"] == 1
    c = run(c)
    assert Member.objects.get(campaign=c).customer_id == audience.n1.pk
    OrderFactory(customer=audience.n1, order_date=dt.date(2026, 12, 12), lines=[{"quantity": 1, "unit_price": "10"}])
    loss.refresh_from_db()
    assert loss.won_back_on is not None and loss.won_back_campaign_id == c.pk and loss.won_back_how == "campaign"
