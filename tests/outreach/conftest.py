"""Fixtures of the outreach tests: consenting customers, templates, a real SMTP server."""

from __future__ import annotations

import datetime as dt
import socket

import pytest

from kehu.marketing.outreach.models import GateSettings, MessageTemplate

# 10:00 in Shanghai: outside the default quiet hours (21:00–08:00)
DAYTIME = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.timezone.utc)
NIGHT = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.timezone.utc)   # 22:00 in Shanghai


@pytest.fixture
def consenting(customers):
    """``customers`` with both consents, e-mail addresses and phones."""
    from kehu.customers.models import Customer

    Customer.objects.filter(pk__in=[customers.n1.pk, customers.n1b.pk, customers.e1.pk]).update(
        consent_marketing=True, consent_data_processing=True)
    Customer.objects.filter(pk=customers.n1.pk).update(email="buyer@beifang.example")
    Customer.objects.filter(pk=customers.n1b.pk).update(email="zhangsan@example.com")
    for c in (customers.n1, customers.n1b, customers.e1):
        c.refresh_from_db()
    return customers


@pytest.fixture
def templates(db):
    GateSettings.objects.create(pk=1)
    email = MessageTemplate.objects.create(
        code="offer", name="Offer", channel="email", purpose="marketing",
        subject_zh="{{ customer.name }}，春季优惠", body_zh="尊敬的{{ contact.name }}：您的优惠码 {{ coupon.code }}。",
        subject_en="Spring offer for {{ customer.name }}", body_en="Dear {{ contact.name }}, your code is {{ coupon.code }}.")
    sms = MessageTemplate.objects.create(code="sms-offer", name="SMS", channel="sms", purpose="marketing",
                                         body_zh="{{ customer.name }}：优惠码{{ coupon.code }}", body_en="Code {{ coupon.code }}")
    phone = MessageTemplate.objects.create(code="call", name="Call", channel="phone", purpose="service",
                                           subject_zh="回访 {{ customer.name }}", body_zh="询问使用情况")
    wechat = MessageTemplate.objects.create(code="wx", name="WeChat", channel="wechat", purpose="marketing",
                                            body_zh="{{ customer.name }} 新年快乐")
    return type("T", (), {"email": email, "sms": sms, "phone": phone, "wechat": wechat})


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on a free local port; Django's SMTP backend points at it.
    Yields the list of received messages (``email.message.EmailMessage``)."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            msg = message_from_bytes(envelope.original_content, policy=policy.default)
            received.append({"to": envelope.rcpt_tos, "message": msg})
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield received
    finally:
        controller.stop()
