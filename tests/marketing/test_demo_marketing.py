"""The demo company's store, membership, coupons, care and win-back (kehu/demo/marketing.py):
members in every tier with ledgers that add up, coupons redeemed, expired and voided, a week of
care moments for the salespeople, lost customers with the documents' reasons — made through the
services, sending nothing, and removed with the demo."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.db.models import Count, Sum

from kehu.demo import generator
from kehu.demo import marketing as demo_marketing

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def demo(settings, capsys):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.KEHU_SMS_PROVIDER = "console"
    summary = generator.demo_create(seed=5, customers=150, today=TODAY)
    summary.printed = capsys.readouterr().out
    return summary


def check_a_store_beside_the_steel_trade(demo):
    from kehu.customers.models import Customer
    from kehu.sales.models import Order

    store = Customer.objects.filter(team__name=demo_marketing.STORE_TEAM)
    assert store.count() == demo_marketing.retail_count(150)
    assert not store.exclude(kind="individual").exists() and not store.filter(birthday__isnull=True).exists()
    assert store.filter(opt_out_email=True).exists() and store.filter(consent_marketing=False).exists()
    assert Order.objects.filter(customer__in=store, lines__product__line__code="RETAIL").exists()
    from kehu.marketing.outreach.models import CustomerLanguage

    assert CustomerLanguage.objects.filter(customer__in=store, language="en").exists()


def check_members_in_every_tier_with_ledgers_that_add_up(demo):
    from kehu.marketing.membership.models import MemberEvent, Membership, PointsEntry
    from kehu.marketing.membership.services import points_balance

    tiers = set(Membership.objects.values_list("tier__code", flat=True))
    assert tiers == {"standard", "silver", "gold", "diamond"}
    for m in Membership.objects.all():
        entries = PointsEntry.objects.filter(membership=m)
        total = entries.aggregate(s=Sum("points"))["s"] or 0
        assert points_balance(m) == total >= 0
        assert (entries.filter(points__gt=0).aggregate(s=Sum("remaining"))["s"] or 0) == total
    kinds = set(PointsEntry.objects.values_list("kind", flat=True))
    assert kinds == {"earn", "bonus", "redeem", "expire", "correct"}
    moves = set(MemberEvent.objects.values_list("kind", flat=True))
    assert {"joined", "tier_up", "tier_down"} <= moves
    # the last review's upgrades were told through the gate
    from kehu.marketing.outreach.models import OutboundMessage

    assert OutboundMessage.objects.filter(template__code="hx-tier-upgrade").exists()
    assert not MemberEvent.objects.filter(kind="tier_up", notice_pending=True).exists()


def check_coupons_issued_redeemed_expired_and_voided(demo):
    from kehu.marketing.coupons.models import Coupon, Redemption

    statuses = set(Coupon.objects.values_list("status", flat=True))
    assert {"redeemed", "expired", "void"} <= statuses
    assert Redemption.objects.filter(order__isnull=False).exists()
    for r in Redemption.objects.select_related("coupon", "order"):
        assert r.coupon.customer_id == r.order.customer_id and r.amount > 0
    sources = set(Coupon.objects.values_list("source", flat=True))
    assert {"manual", "set", "points"} <= sources
    assert Coupon.objects.filter(shared=True).exists()
    assert Coupon.objects.filter(definition__kind="percentage", definition__product_lines__code="PROCESS").exists()
    assert Coupon.objects.filter(issued_at__date__lt=TODAY).exists()


def check_a_week_of_care_moments_for_the_owners(demo):
    from kehu.marketing.care.models import CareMoment, CareRule
    from kehu.marketing.care.selectors import upcoming
    from kehu.org.models import User

    rules = CareRule.objects.all()
    assert {"birthday", "anniversary", "thanks_after_purchase", "monthly", "holiday", "next_order"} == set(
        rules.values_list("kind", flat=True))
    assert not rules.filter(template__isnull=True).exists()
    assert set(rules.filter(kind="holiday").values_list("holiday", flat=True)) == {"spring_festival", "mid_autumn"}
    past = CareMoment.objects.filter(due_on__lt=TODAY, due_on__gte=TODAY - dt.timedelta(days=4))
    assert past.exists() and past.filter(status__in=["sent", "held", "task"]).exists()
    week = []
    for user in User.objects.filter(role__in=["salesperson", "sales_manager"]):
        items, _truncated = upcoming(viewer=user, start=TODAY + dt.timedelta(days=1),
                                     end=TODAY + dt.timedelta(days=7))
        week += [(user.username, i.status) for i in items]
    assert any(name == "lina" for name, _s in week)                 # the store manager
    assert any(name not in ("lina", "director") for name, _s in week)   # and the steel salespeople
    assert all(status == "upcoming" for _n, status in week)


def check_lost_customers_with_the_documents_reasons(demo):
    from kehu.marketing.winback.models import LossRecord

    losses = LossRecord.objects.all()
    assert set(losses.values_list("reason", flat=True)) == {"died", "moved", "friends", "competitor", "product",
                                                           "staff"}
    by_reason = dict(losses.values_list("reason").annotate(n=Count("id")))
    assert max(by_reason, key=by_reason.get) == "staff"
    assert not losses.filter(owner__isnull=True).exists() and not losses.filter(lost_on__gt=TODAY).exists()
    back = losses.filter(won_back_on__isnull=False)
    assert back.count() == 1 and back.get().won_back_how == "order"
    assert back.get().customer.lifecycle_stage == "won_back"


def check_templates_in_both_languages_and_the_gate_at_work(demo):
    from kehu.marketing.outreach.models import MessageTemplate, OutboundMessage, Suppression

    for code in demo_marketing.TEMPLATE_CODES:
        tpl = MessageTemplate.objects.get(code=code)
        assert tpl.body_zh.strip() and tpl.body_en.strip()
    held = OutboundMessage.objects.filter(status="held")
    assert held.exists() and not held.filter(reason="").exists()
    assert OutboundMessage.objects.filter(status="sent").exists()
    assert {"bounced", "unsubscribed"} <= set(Suppression.objects.values_list("reason", flat=True))


def check_the_demo_sends_nothing_and_counts_its_marketing(demo):
    assert mail.outbox == []
    assert "SMS to" not in demo.printed
    assert demo.marketing["members"] > 0 and demo.marketing["coupons"] > 0 and demo.marketing["care_moments"] > 0


def test_the_demo_company_s_marketing(demo):
    """One demo, every check (making it takes a minute)."""
    check_a_store_beside_the_steel_trade(demo)
    check_members_in_every_tier_with_ledgers_that_add_up(demo)
    check_coupons_issued_redeemed_expired_and_voided(demo)
    check_a_week_of_care_moments_for_the_owners(demo)
    check_lost_customers_with_the_documents_reasons(demo)
    check_templates_in_both_languages_and_the_gate_at_work(demo)
    check_the_demo_sends_nothing_and_counts_its_marketing(demo)


def test_deleting_the_demo_removes_its_marketing(demo):
    from kehu.customers.models import Customer
    from kehu.insights.models import Segment
    from kehu.marketing.care.models import CareRule
    from kehu.marketing.coupons.models import Coupon, CouponDefinition
    from kehu.marketing.outreach.models import MessageTemplate, Suppression
    from kehu.org.models import Team, User
    from kehu.sales.models import Product

    assert generator.demo_delete()
    assert not Customer.objects.exists() and not User.objects.exists() and not Team.objects.exists()
    for model in (CareRule, Coupon, CouponDefinition, MessageTemplate, Suppression, Segment):
        assert not model.objects.exists(), model
    assert not Product.objects.filter(ref__startswith="HX-RT").exists()
    # and the same company comes back
    generator.demo_create(seed=5, customers=150, today=TODAY)
    assert Customer.objects.filter(team__name=demo_marketing.STORE_TEAM).exists()
