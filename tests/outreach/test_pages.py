"""The pages of sending to customers, in both languages: templates with validation and
preview, the suppression list with confirmation, the settings, the log's filters and
export, the customer 360 card."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.marketing.outreach import services as outreach
from kehu.marketing.outreach.models import CustomerLanguage, GateSettings, MessageTemplate, OutboundMessage, Suppression

from .conftest import DAYTIME
from tests.marketing.cards import page_with_cards

pytestmark = pytest.mark.django_db


def test_template_create_with_unknown_placeholder_then_preview(client_for, org, consenting, templates):
    GateSettings.objects.filter(pk=1).update(quiet_enabled=False)   # the preview asks the gate now
    client = client_for(org.users.north_marketing)
    data = {"code": "welcome", "name": "Welcome", "channel": "email", "purpose": "marketing",
            "subject_zh": "欢迎 {{ customer.name }}", "body_zh": "{{ customer.secret }}", "subject_en": "", "body_en": ""}
    r = client.post(reverse("outreach_template_create"), data)
    assert r.status_code == 200 and "Unknown placeholder: customer.secret" in r.content.decode()
    data["body_zh"] = "您好 {{ contact.name }}，负责人 {{ owner.name }}"
    r = client.post(reverse("outreach_template_create"), data)
    tpl = MessageTemplate.objects.get(code="welcome")
    assert r.status_code == 302 and r["Location"] == reverse("outreach_template_preview", args=[tpl.pk])
    html = client.get(reverse("outreach_template_preview", args=[tpl.pk]), {"customer": consenting.n1.pk}
                      ).content.decode()
    assert "欢迎 北方钢铁贸易有限公司" in html and "您好 北方钢铁贸易有限公司" in html
    assert "would be sent now" in html
    # a customer the marketer may not see (east) is refused like one that does not exist
    html = client.get(reverse("outreach_template_preview", args=[tpl.pk]), {"customer": consenting.e1.pk}
                      ).content.decode()
    assert 'data-testid="preview-error"' in html
    # by customer code too
    html = client.get(reverse("outreach_template_preview", args=[tpl.pk]), {"customer": consenting.n1.ref}
                      ).content.decode()
    assert "欢迎 北方钢铁贸易有限公司" in html
    html = client.get(reverse("outreach_template_preview", args=[tpl.pk])).content.decode()
    assert "Sample customer" in html


def test_pages_in_chinese(client_for, org, consenting, templates):
    org.users.north_marketing.language = "zh-hans"
    org.users.north_marketing.save()
    client = client_for(org.users.north_marketing)
    for url in (reverse("outreach_messages"), reverse("outreach_templates"), reverse("outreach_suppressions"),
                reverse("outreach_settings")):
        html = client.get(url).content.decode()
        assert "客户消息" in html or "模板" in html, url
    assert "退订名单" in client.get(reverse("outreach_suppressions")).content.decode()


def test_suppression_add_and_remove_with_confirmation(client_for, org, templates):
    client = client_for(org.users.north_marketing)
    r = client.post(reverse("outreach_suppressions"), {"channel": "email", "address": "not-an-address",
                                                        "reason": "manual", "note": ""})
    assert r.status_code == 200 and "valid e-mail" in r.content.decode()
    r = client.post(reverse("outreach_suppressions"), {"channel": "email", "address": "Gone@Example.com",
                                                        "reason": "bounced", "note": "hard bounce"})
    assert r.status_code == 302
    row = Suppression.objects.get()
    assert row.address == "gone@example.com" and row.added_by == org.users.north_marketing
    page = client.get(reverse("outreach_suppression_remove", args=[row.pk]))
    assert 'data-testid="confirm"' in page.content.decode()
    assert Suppression.objects.exists()     # a GET removes nothing
    client.post(reverse("outreach_suppression_remove", args=[row.pk]))
    assert not Suppression.objects.exists()


def test_settings_page_validates(client_for, org, templates):
    client = client_for(org.users.admin)
    data = {f"{c}_{k}": v for c in ("email", "sms", "wechat", "mail", "phone") for k, v in (("cap", 3), ("days", 7))}
    data.update(quiet_start="22:00", quiet_end="07:30", quiet_enabled="on", default_language="en")
    bad = {**data, "email_days": 0}
    assert client.post(reverse("outreach_settings"), bad).status_code == 200
    assert client.post(reverse("outreach_settings"), data).status_code == 302
    row = GateSettings.current()
    assert row.cap("email") == (3, 7) and row.default_language == "en" and str(row.quiet_end) == "07:30:00"


def test_message_log_filters_export_and_empty_state(client_for, org, consenting, templates):
    client = client_for(org.users.admin)
    assert 'class="empty card' in client.get(reverse("outreach_messages")).content.decode()
    outreach.send(customer=consenting.n1, channel="email", purpose="marketing", template=templates.email, now=DAYTIME)
    outreach.send(customer=consenting.e1, channel="wechat", purpose="marketing", template=templates.wechat,
                  now=DAYTIME)
    outreach.suppression_add(actor=None, channel="email", customer=consenting.n1b)
    outreach.send(customer=consenting.n1b, channel="email", purpose="marketing", template=templates.email,
                  now=DAYTIME)
    html = client.get(reverse("outreach_messages"), {"status": "held", "reason": "suppressed"}).content.decode()
    assert "张三" in html and "华东机械集团" not in html
    r = client.get(reverse("outreach_message_export"), {"channel": "wechat", "status": "queued", "format": "xlsx"})
    assert r.status_code == 200
    # the WeChat list went out: mark it sent (confirmation first)
    assert client.get(reverse("outreach_mark_sent", args=["wechat"])).status_code == 200
    client.post(reverse("outreach_mark_sent", args=["wechat"]))
    assert OutboundMessage.objects.get(channel="wechat").status == "sent"


def test_customer_card_shows_messages_and_sets_language(client_for, org, consenting, templates):
    outreach.send(customer=consenting.n1, channel="email", purpose="marketing", template=templates.email, now=DAYTIME)
    client = client_for(org.users.sales_n1)
    html = page_with_cards(client, consenting.n1.pk)
    assert 'data-testid="customer-messages"' in html and "北方钢铁贸易有限公司，春季优惠" in html
    r = client.post(reverse("outreach_customer_language", args=[consenting.n1.pk]), {"language": "en"})
    assert r.status_code == 302
    assert CustomerLanguage.objects.get(customer=consenting.n1).language == "en"
    # a salesperson of another team: 404
    other = client_for(org.users.sales_e1)
    assert other.post(reverse("outreach_customer_language", args=[consenting.n1.pk]),
                      {"language": "en"}).status_code == 404


def test_message_log_reads_a_page_in_a_fixed_number_of_queries(client_for, org, consenting, templates):
    from tests.factories import CustomerFactory

    client = client_for(org.users.north_marketing)

    def count():
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("outreach_messages")).status_code == 200
        return len(ctx)

    outreach.send_many(customers=[consenting.n1.pk], channel="wechat", purpose="service", template=templates.wechat,
                       now=DAYTIME)
    few = count()
    more = [CustomerFactory(owner=org.users.sales_n1, consent_data_processing=True) for _ in range(15)]
    outreach.send_many(customers=[c.pk for c in more], channel="wechat", purpose="service",
                       template=templates.wechat, now=DAYTIME)
    assert count() == few
