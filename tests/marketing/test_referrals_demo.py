"""The demo's referrals: some rewarded with points or a coupon, one pending."""

import datetime as dt
import pytest

pytestmark = pytest.mark.django_db


def test_demo_referrals(settings):
    from kehu.demo import generator
    from kehu.marketing.referrals.models import Referral

    generator.demo_create(seed=5, customers=120, today=dt.date(2026, 12, 5))
    statuses = list(Referral.objects.values_list("status", "reward_kind"))
    assert ("rewarded", "points") in statuses and ("rewarded", "coupon") in statuses
    assert ("pending", "") in statuses
