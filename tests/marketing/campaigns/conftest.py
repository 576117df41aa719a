"""Fixtures of the campaign tests: consenting customers, e-mail templates, a campaign, the
outreach tests' real SMTP server, and a fixed daytime clock (the gate's quiet hours)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest

from kehu.customers.models import Customer
from kehu.marketing.campaigns.services import campaign_create
from kehu.marketing.outreach.models import GateSettings, MessageTemplate
from tests.outreach.conftest import DAYTIME, smtp_server  # noqa: F401

SENT = DAYTIME   # 10:00 in Shanghai on 2026-12-07


@pytest.fixture
def audience(org, customers):
    """The three customers of ``customers`` and ten more of sales_n1, all consenting with e-mail."""
    from tests.factories import CustomerFactory

    extra = [CustomerFactory(name=f"客户{i:02d}", owner=org.users.sales_n1, region="north", city="北京")
             for i in range(10)]
    everyone = [customers.n1, customers.n1b, customers.e1, *extra]
    for i, c in enumerate(everyone):
        Customer.objects.filter(pk=c.pk).update(consent_marketing=True, consent_data_processing=True,
                                                email=f"c{i}@example.com")
    return SimpleNamespace(customers=everyone, ids=[c.pk for c in everyone], **vars(customers))


@pytest.fixture
def templates(db):
    GateSettings.objects.create(pk=1, email_cap=0)
    a = MessageTemplate.objects.create(
        code="spring-a", name="Spring A", channel="email", purpose="marketing",
        subject_zh="{{ customer.name }}，春季补货", body_zh="螺纹钢春季补货：{{ link }} 优惠码 {{ coupon.code }}",
        subject_en="Spring restocking", body_en="Rebar restocking: {{ link }} code {{ coupon.code }}")
    b = MessageTemplate.objects.create(
        code="spring-b", name="Spring B", channel="email", purpose="marketing",
        subject_zh="春季特惠", body_zh="{{ customer.name }}：{{ link }}", subject_en="Spring deal",
        body_en="{{ customer.name }}: {{ link }}")
    return SimpleNamespace(a=a, b=b)


@pytest.fixture
def campaign(org, audience, templates):
    return campaign_create(actor=org.users.admin, data={
        "name": "螺纹钢春季补货", "kind": "marketing", "channel": "email", "audience_kind": "rule", "rule": {},
        "control_share": Decimal("0.2"), "target_url": "https://shop.example.com/spring",
        "cost_per_message": Decimal("0.10")}, variants=[{"label": "A", "template": templates.a, "share": 1},
                                                        {"label": "B", "template": templates.b, "share": 1}])


def run(campaign, **kw):
    """Send ``campaign`` as the worker does, at ``SENT``."""
    from kehu.marketing.campaigns.services import campaign_run, campaign_send

    campaign_send(actor=None, campaign=campaign, now=SENT)
    campaign.refresh_from_db()
    if campaign.status == "scheduled":   # the immediate Huey ran it already otherwise
        campaign_run(campaign.pk, now=SENT, **kw)
    campaign.refresh_from_db()
    return campaign
