"""Delivery for real: e-mail to a local SMTP server (aiosmtpd), the unsubscribe link
without login, SMS through the console adapter and the HTTP JSON adapter against a
local HTTP server."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from django.test import Client

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.marketing.outreach import channels
from kehu.marketing.outreach import services as outreach
from kehu.marketing.outreach.models import CustomerLanguage, Suppression

from .conftest import DAYTIME

pytestmark = pytest.mark.django_db


def _mail(customer, tpl):
    return outreach.send(customer=customer, channel="email", purpose="marketing", template=tpl,
                         context={"coupon": {"code": "SPRING50"}}, source=("campaign", 1), now=DAYTIME)


def test_email_reaches_a_real_smtp_server(consenting, templates, smtp_server):
    msg = _mail(consenting.e1, templates.email)
    assert msg.status == "sent" and msg.sent_at is not None
    assert len(smtp_server) == 1
    got = smtp_server[0]
    assert got["to"] == ["buyer@huadong.example"]
    email = got["message"]
    assert email["Subject"] == "华东机械集团，春季优惠"
    url = outreach.unsubscribe_url(msg.tracking_token)
    assert str(email["List-Unsubscribe"]).strip() == f"<{url}>"
    assert email["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = email.get_body(("plain",)).get_content()
    markup = email.get_body(("html",)).get_content()
    assert "SPRING50" in text and url in text
    assert url.replace("&", "&amp;") in markup


def test_smtp_server_down_fails_the_message(consenting, templates, settings):
    from .conftest import free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    msg = _mail(consenting.e1, templates.email)
    assert msg.status == "failed" and msg.error


def test_unsubscribe_link_without_login_stops_the_next_send(consenting, templates, smtp_server):
    CustomerLanguage.objects.create(customer=consenting.e1, language="en")
    msg = _mail(consenting.e1, templates.email)
    url = outreach.unsubscribe_url(msg.tracking_token)
    path = url.split("://", 1)[1].split("/", 1)[1]
    anonymous = Client()
    page = anonymous.get("/" + path)
    assert page.status_code == 200
    assert "unsubscribed" in page.content.decode()        # in the customer's language: English
    customer = Customer.objects.get(pk=consenting.e1.pk)
    assert customer.opt_out_email
    assert Suppression.objects.filter(channel="email", address="buyer@huadong.example",
                                      reason="unsubscribed").exists()
    history = AuditEvent.objects.get(customer_id=customer.pk, action="unsubscribe")
    assert history.changes == {"opt_out_email": [False, True]}
    again = _mail(consenting.e1, templates.email)
    assert (again.status, again.reason) == ("held", "opted_out")
    assert len(smtp_server) == 1
    # one-click (RFC 8058) POST works too, and a forged link is a 404
    assert anonymous.post("/" + path, {"List-Unsubscribe": "One-Click"}).status_code == 200
    assert anonymous.get("/u/" + msg.tracking_token + ":forged/").status_code == 404


def test_unsubscribe_page_in_chinese(consenting, templates, mailoutbox):
    msg = _mail(consenting.n1, templates.email)
    path = outreach.unsubscribe_url(msg.tracking_token).split("://", 1)[1].split("/", 1)[1]
    page = Client().get("/" + path, HTTP_ACCEPT_LANGUAGE="en")
    assert "退订" in page.content.decode()


def test_sms_console_adapter(consenting, templates, settings, capsys):
    settings.KEHU_SMS_PROVIDER = "console"
    msg = outreach.send(customer=consenting.n1, channel="sms", purpose="marketing", template=templates.sms,
                        context={"coupon": {"code": "X1"}}, now=DAYTIME)
    assert msg.status == "sent"
    out = capsys.readouterr().out
    assert "SMS to 13800138001: 北方钢铁贸易有限公司：优惠码X1" in out and "/u/" in out
    stream = io.StringIO()
    assert channels.ConsoleSmsProvider(stream).send("13800138000", "hi").ok
    assert stream.getvalue() == "SMS to 13800138000: hi\n"


class _Gateway(BaseHTTPRequestHandler):
    received: list = []
    answer = (200, {"id": "msg-1"})

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Gateway.received.append({"body": body, "auth": self.headers.get("Authorization")})
        status, payload = _Gateway.answer
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def gateway(settings):
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Gateway.received = []
    _Gateway.answer = (200, {"id": "msg-1"})
    settings.KEHU_SMS_PROVIDER = "http"
    settings.KEHU_SMS_URL = f"http://127.0.0.1:{server.server_port}/sms"
    settings.KEHU_SMS_KEY = "secret-key"
    settings.KEHU_SMS_SENDER = "Kehu"
    try:
        yield _Gateway
    finally:
        server.shutdown()
        server.server_close()


def test_sms_http_adapter_against_a_local_gateway(consenting, templates, gateway):
    msg = outreach.send(customer=consenting.n1, channel="sms", purpose="marketing", template=templates.sms,
                        context={"coupon": {"code": "X2"}}, now=DAYTIME)
    assert (msg.status, msg.provider_ref) == ("sent", "msg-1")
    (call,) = gateway.received
    assert call["auth"] == "Bearer secret-key"
    assert call["body"]["to"] == "13800138001" and call["body"]["sender"] == "Kehu"
    assert call["body"]["text"].startswith("北方钢铁贸易有限公司：优惠码X2")
    gateway.answer = (503, {"error": "busy"})
    msg = outreach.send(customer=consenting.n1b, channel="sms", purpose="marketing", template=templates.sms,
                        now=DAYTIME)
    assert msg.status == "failed" and "503" in msg.error
