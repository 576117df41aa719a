"""The demo company's campaigns (kehu/demo/campaigns.py): a finished one whose treated customers
responded more than its control group, with its control group, coupons, clicks and costs; and a
running one, part sent — all without mail leaving the machine."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from kehu.demo import generator
from kehu.marketing.campaigns import selectors
from kehu.marketing.campaigns.models import Campaign, Member

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


def test_demo_has_a_finished_campaign_with_a_lift_and_a_running_one(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    generator.demo_create(seed=5, customers=400, today=TODAY)
    assert not mail.outbox
    done = Campaign.objects.get(status="finished")
    res = selectors.results(campaign=done)
    assert res["control"] > 0 and res["reach"] > 0 and res["clicks"] > 0
    assert res["rate_treated"] > res["rate_control"]
    assert res["lift"].pooled.response.difference > 0
    assert done.costs.exists() and res["cost"] > 0
    running = Campaign.objects.get(name="冬季老客户回馈")
    sent = Member.objects.filter(campaign=running, control=False, message_id__isnull=False).count()
    assert 0 < sent < Member.objects.filter(campaign=running, control=False).count()
    assert running.status == "scheduled"

