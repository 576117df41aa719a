"""The one sending gate, rule by rule (kehu.marketing.outreach.gate), on the log it leaves."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.models import Customer
from kehu.marketing.outreach import services as outreach
from kehu.marketing.outreach.models import CustomerLanguage, GateSettings, OutboundMessage, Suppression

from .conftest import DAYTIME, NIGHT

pytestmark = pytest.mark.django_db


def _send(customer, tpl, **kw):
    kw.setdefault("now", DAYTIME)
    kw.setdefault("source", ("campaign", 7))
    return outreach.send(customer=customer, channel=tpl.channel, purpose=tpl.purpose, template=tpl,
                         context={"coupon": {"code": "AB12"}}, **kw)


def test_no_consent_is_held(customers, templates, mailoutbox):
    msg = _send(customers.e1, templates.email)
    assert (msg.status, msg.reason) == ("held", "no_consent")
    assert mailoutbox == []
    assert OutboundMessage.objects.filter(customer=customers.e1, status="held").count() == 1


def test_service_message_needs_only_processing_consent(customers, templates, mailoutbox):
    Customer.objects.filter(pk=customers.e1.pk).update(consent_data_processing=True)
    assert _send(customers.e1, templates.email).reason == "no_consent"   # marketing needs both
    msg = outreach.send(customer=customers.e1, channel="email", purpose="service", template=templates.email,
                        now=DAYTIME)
    assert msg.status == "sent" and len(mailoutbox) == 1


def test_withdrawn_and_opted_out(consenting, templates, mailoutbox):
    Customer.objects.filter(pk=consenting.e1.pk).update(consent_marketing=False, consent_updated_at=DAYTIME)
    assert _send(consenting.e1, templates.email).reason == "withdrawn"
    Customer.objects.filter(pk=consenting.n1.pk).update(opt_out_email=True)
    assert _send(consenting.n1, templates.email).reason == "opted_out"
    # opted out of e-mail, not of SMS
    assert _send(consenting.n1, templates.sms).status == "sent"
    assert mailoutbox == []


def test_suppressed_by_address_or_customer(consenting, templates, mailoutbox):
    outreach.suppression_add(actor=None, channel="email", address="Buyer@Huadong.example", reason="bounced")
    msg = _send(consenting.e1, templates.email)
    assert (msg.status, msg.reason) == ("held", "suppressed")
    outreach.suppression_add(actor=None, channel="sms", customer=consenting.n1, reason="complained")
    assert _send(consenting.n1, templates.sms).reason == "suppressed"
    assert _send(consenting.n1, templates.email).status == "sent"   # only SMS is suppressed for n1
    assert len(mailoutbox) == 1


def test_no_address(consenting, templates):
    Customer.objects.filter(pk=consenting.e1.pk).update(email="")
    assert _send(consenting.e1, templates.email).reason == "no_address"


def test_frequency_cap_per_channel_and_window(consenting, templates, mailoutbox):
    GateSettings.objects.filter(pk=1).update(email_cap=2, email_days=7)
    c = consenting.e1
    assert _send(c, templates.email, now=DAYTIME - dt.timedelta(days=9)).status == "sent"   # outside the window
    assert _send(c, templates.email, now=DAYTIME - dt.timedelta(days=2)).status == "sent"
    assert _send(c, templates.email, now=DAYTIME - dt.timedelta(days=1)).status == "sent"
    msg = _send(c, templates.email)
    assert (msg.status, msg.reason) == ("held", "capped")
    # service messages are not capped, nor other channels
    assert outreach.send(customer=c, channel="email", purpose="service", template=templates.email,
                         now=DAYTIME).status == "sent"
    assert _send(c, templates.sms).status == "sent"
    GateSettings.objects.filter(pk=1).update(email_cap=0)    # 0: no cap
    assert _send(c, templates.email).status == "sent"


def test_quiet_hours_defer_not_drop(consenting, templates, mailoutbox):
    msg = _send(consenting.e1, templates.email, now=NIGHT)
    assert msg.status == "deferred"
    assert msg.due_at == dt.datetime(2026, 12, 8, 0, 0, tzinfo=dt.timezone.utc)   # 08:00 in Shanghai
    assert mailoutbox == []
    assert outreach.release_deferred(now=NIGHT + dt.timedelta(hours=1)) == {}
    assert outreach.release_deferred(now=msg.due_at) == {"sent": 1}
    msg.refresh_from_db()
    assert msg.status == "sent" and len(mailoutbox) == 1
    # a deferred message meets the gate again: an opt-out in between holds it
    later = _send(consenting.n1, templates.email, now=NIGHT)
    Customer.objects.filter(pk=consenting.n1.pk).update(opt_out_email=True)
    assert outreach.release_deferred(now=later.due_at) == {"held": 1}
    # quiet hours off
    GateSettings.objects.filter(pk=1).update(quiet_enabled=False)
    assert _send(consenting.n1b, templates.email, now=NIGHT).status == "sent"


def test_language_picked_per_customer(consenting, templates, mailoutbox):
    msg = _send(consenting.e1, templates.email)
    assert msg.language == "zh-hans" and msg.subject == "华东机械集团，春季优惠" and "AB12" in msg.body
    CustomerLanguage.objects.create(customer=consenting.n1, language="en")
    msg = _send(consenting.n1, templates.email)
    assert msg.language == "en" and msg.subject == "Spring offer for 北方钢铁贸易有限公司"
    assert msg.body == "Dear 北方钢铁贸易有限公司, your code is AB12."
    # a template without the English version falls back to Chinese
    msg = _send(consenting.n1, templates.wechat)
    assert msg.language == "zh-hans" and msg.status == "queued"


def test_send_many_counts_and_few_queries(consenting, templates, mailoutbox, django_assert_max_num_queries):
    from tests.factories import CustomerFactory

    more = [CustomerFactory(consent_marketing=True, consent_data_processing=True, email=f"c{i}@example.com")
            for i in range(30)]
    Suppression.objects.create(channel="email", address="c0@example.com")
    ids = [c.pk for c in more] + [consenting.e1.pk, consenting.n1.pk]
    Customer.objects.filter(pk=consenting.n1.pk).update(consent_marketing=False, consent_updated_at=None)
    with django_assert_max_num_queries(20):
        counts = outreach.send_many(customers=ids, channel="email", purpose="marketing", template="offer",
                                    per_customer={more[1].pk: {"coupon": {"code": "ONLY-FOR-1"}}},
                                    source=("campaign", 3), now=DAYTIME)
    assert counts == {"queued": 0, "sent": 30, "held": 2, "deferred": 0, "failed": 0}
    assert OutboundMessage.objects.filter(source_kind="campaign", source_id=3).count() == 32
    assert "ONLY-FOR-1" in OutboundMessage.objects.get(customer=more[1]).body
    assert len(mailoutbox) == 30


def test_phone_becomes_a_task_for_the_owner(consenting, templates):
    from kehu.engagement.models import Task

    msg = _send(consenting.n1, templates.phone)
    assert msg.status == "queued"
    task = Task.objects.get(pk=msg.task_id)
    assert task.assigned_to == consenting.n1.owner and task.source == "care"
    assert task.title == "回访 北方钢铁贸易有限公司"


def test_actor_must_be_allowed(org, consenting, templates, mailoutbox):
    with pytest.raises(PermissionDenied):
        _send(consenting.e1, templates.email, actor=org.users.sales_n1)
    assert _send(consenting.n1, templates.email, actor=org.users.sales_n1).status == "sent"
    with pytest.raises(PermissionDenied):   # marketing sees its team subtree only
        _send(consenting.e1, templates.email, actor=org.users.north_marketing)
    assert _send(consenting.n1b, templates.email, actor=org.users.north_marketing).status == "sent"


def test_wrong_channel_or_source(consenting, templates):
    with pytest.raises(ValidationError):
        outreach.send(customer=consenting.e1, channel="sms", purpose="marketing", template=templates.email)
    with pytest.raises(ValidationError):
        _send(consenting.e1, templates.email, source=("lottery", 1))


def test_template_placeholders_checked(org, templates):
    with pytest.raises(ValidationError) as err:
        outreach.template_create(actor=org.users.north_marketing, data={
            "code": "bad", "name": "Bad", "channel": "sms", "body_zh": "{{ customer.owner.password }}{% load static %}"})
    assert "body_zh" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        outreach.template_create(actor=org.users.north_marketing, data={
            "code": "bad", "name": "Bad", "channel": "sms", "body_en": "{{ customer.phone }} {{ x|safe }}"})
    text = " ".join(err.value.message_dict["body_en"])
    assert "customer.phone" in text and "safe" in text
    with pytest.raises(PermissionDenied):
        outreach.template_create(actor=org.users.sales_n1, data={"code": "x", "name": "x", "channel": "sms",
                                                                  "body_zh": "hi"})
    tpl = outreach.template_create(actor=org.users.north_marketing, data={
        "code": "ok", "name": "OK", "channel": "sms", "body_zh": "{% if coupon.code %}{{ coupon.code|upper }}{% endif %}"})
    assert tpl.pk


def test_erasure_clears_the_messages_texts_and_addresses(org, consenting, templates, mailoutbox):
    from kehu.privacy.services import customer_erase

    msg = _send(consenting.e1, templates.email)
    customer_erase(actor=org.users.admin, customer_id=consenting.e1.pk, reason="the person asked")
    msg.refresh_from_db()
    assert (msg.address, msg.subject) == ("", "") and "AB12" not in msg.body and msg.status == "sent"


def test_personal_data_export_holds_the_messages(org, consenting, templates, mailoutbox):
    from kehu.privacy.selectors import personal_data, section_labels

    _send(consenting.e1, templates.email)
    data = personal_data(consenting.e1)
    assert [m["address"] for m in data["messages"]] == ["buyer@huadong.example"]
    assert "messages" in dict(section_labels())


@pytest.mark.parametrize("text", [
    "尊敬的{{ contact.name }}：优惠码 {{ coupon.code }}，{{ owner.name }} {{ customer.city }}{{ unknown.thing }}",
    "{{customer.name}}{{ link }}\\n{{ coupon.value }} {{ referral.link }}",
    "{% if coupon.code %}{{ coupon.code|upper }}{% else %}—{% endif %} {{ customer.name|default:'x' }}",
    "",
])
def test_the_quick_rendering_equals_djangos(text):
    from django.template import Context

    from kehu.marketing.outreach import rendering

    ctx = rendering.build_context(customer={"name": "张三", "ref": "C1", "city": "上海"},
                                  contact=None, owner={"name": "李四"},
                                  sender={"coupon": {"code": "ab12", "value": "¥50"}, "link": "https://x.example/l"},
                                  unsubscribe_url="https://x.example/u/1/")
    compiled = rendering.Compiled(text)
    assert compiled.render(ctx) == compiled.template.render(Context(ctx, autoescape=False))
