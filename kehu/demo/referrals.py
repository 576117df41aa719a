"""The demo company's referrals (转介绍, issue 16 item 6): the reward rule (200 points for a member,
else a ¥50 coupon), a handful of customers who referred others — rewarded with points or a coupon, since
the referred customers have paid orders — and one friend who came through a referral link and has not
bought yet (pending). Made through the services, so they are on the timelines as by hand."""

from __future__ import annotations

from decimal import Decimal

PAIRS = 6


KIND_REF = "REFERRAL"


def delete_referrals(customers) -> None:
    """Remove the referrals between the demo's customers, their codes, the reward coupons and the
    demo's reward kind (the rule stays, without it) — before ``demo_delete`` removes the customers."""
    import contextlib

    from django.db.models import ProtectedError, Q

    from kehu.marketing.coupons.models import Coupon, CouponDefinition, Redemption
    from kehu.marketing.referrals.models import Referral, ReferralCode, ReferralRule

    Referral.objects.filter(Q(referrer__in=customers) | Q(referred__in=customers)).delete()
    ReferralCode.objects.filter(customer__in=customers).delete()
    kind = CouponDefinition.objects.filter(ref=KIND_REF).first()
    if kind is not None:
        coupons = Coupon.objects.filter(definition=kind, customer__in=customers)
        Redemption.objects.filter(coupon__in=coupons).delete()
        coupons.delete()
        ReferralRule.objects.filter(coupon_definition=kind).update(coupon_definition=None, active=False)
        with contextlib.suppress(ProtectedError):
            CouponDefinition.objects.filter(pk=kind.pk, coupons__isnull=True).delete()


def build_referrals(b) -> int:
    from django.db.models import F

    from kehu.marketing.coupons.models import CouponDefinition
    from kehu.marketing.coupons.services import definition_create
    from kehu.marketing.membership.models import Membership
    from kehu.marketing.membership.services import member_enrol, tiers_init
    from kehu.marketing.referrals.models import Referral
    from kehu.marketing.referrals.services import code_for, referral_create, referral_from_link, rule_update
    from kehu.sales.models import Order

    kind = CouponDefinition.objects.filter(ref=KIND_REF).first() or definition_create(actor=b.admin, data={
        "ref": KIND_REF, "name_zh": "推荐有礼 50 元券", "name_en": "Referral thanks: ¥50 off", "kind": "amount",
        "value": Decimal("50"), "min_spend": Decimal("500"), "valid_days": 180, "per_customer_limit": 20})
    rule_update(actor=b.admin, data={"active": True, "reward_kind": "points", "points": 200,
                                     "coupon_definition": kind})
    paid = list(Order.objects.filter(amount__gt=0, paid_amount__gte=F("amount"), customer__merged_into__isnull=True)
                .exclude(status="cancelled").values_list("customer_id", flat=True).distinct().order_by("customer_id")
                [: PAIRS * 4])
    by_id = {c.pk: c for c in b.customers}
    pool = [by_id[i] for i in paid if i in by_id]
    b.rnd.shuffle(pool)
    referrers, referred = pool[:3], pool[3:3 + PAIRS]
    if not referrers or not referred:
        return 0
    taken = set(Referral.objects.values_list("referred_id", flat=True))
    member_ids = set(Membership.objects.filter(customer__in=referrers).values_list("customer_id", flat=True))
    if referrers[0].pk not in member_ids:
        tiers_init(actor=None)   # the first referrer is a member: points; the others get coupons
        member_enrol(actor=None, customer=referrers[0])
    made = 0
    for i, friend in enumerate(referred):
        if friend.pk in taken:
            continue
        referral_create(actor=b.admin, referrer=referrers[i % len(referrers)], referred=friend,
                        note="演示 / demo")
        made += 1
    code = code_for(referrers[0])
    if referral_from_link(code=code, name="赵新朋", phone="13912345678", email="zhao.xinpeng@example.com",
                          consent_marketing=True) is not None:
        made += 1
    return made
