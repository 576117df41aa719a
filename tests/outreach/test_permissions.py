"""The permission matrix of sending to customers: every role × the pages, the API and
the export. Marketing and administrators manage templates, suppressions and settings;
everyone reads the messages of the customers the one policy lets them see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.marketing.outreach import services as outreach
from kehu.marketing.outreach.models import Suppression

from tests.api.conftest import api_as  # noqa: F401

from .conftest import DAYTIME

pytestmark = pytest.mark.django_db

MANAGERS = {"admin", "north_marketing"}
# the customers whose messages each role sees (as tests/api/test_permissions.py VISIBLE)
VISIBLE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"},
    "north_manager": {"n1"}, "north_service": {"n1"}, "north_marketing": {"n1"}, "east_manager": {"e1"},
    "sales_n1": {"n1"}, "sales_n1b": set(), "sales_e1": {"e1"},
}
ROLES = sorted(VISIBLE)


@pytest.fixture
def sent(consenting, templates):
    out = {}
    for name in ("n1", "e1"):
        out[name] = outreach.send(customer=getattr(consenting, name), channel="email", purpose="marketing",
                                  template=templates.email, now=DAYTIME)
    Suppression.objects.create(channel="email", address="gone@example.com", reason="bounced")
    return out


@pytest.mark.parametrize("role", ROLES)
def test_pages(client_for, org, sent, templates, role):
    client = client_for(getattr(org.users, role))
    html = client.get(reverse("outreach_messages")).content.decode()
    for name, msg in sent.items():
        assert (f'href="/outreach/messages/{msg.pk}/"' in html) == (name in VISIBLE[role]), (role, name)
        detail = client.get(reverse("outreach_message", args=[msg.pk]))
        assert detail.status_code == (200 if name in VISIBLE[role] else 404), (role, name)
    manage = 200 if role in MANAGERS else 403
    supp = Suppression.objects.get()
    for url in (reverse("outreach_templates"), reverse("outreach_template_create"),
                reverse("outreach_template_edit", args=[templates.email.pk]),
                reverse("outreach_template_preview", args=[templates.email.pk]),
                reverse("outreach_template_delete", args=[templates.email.pk]),
                reverse("outreach_suppressions"), reverse("outreach_suppression_remove", args=[supp.pk]),
                reverse("outreach_settings"), reverse("outreach_mark_sent", args=["wechat"])):
        assert client.get(url).status_code == manage, (role, url)
    export = client.get(reverse("outreach_message_export"), {"format": "csv"})
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert ("华东机械集团" in body) == ("e1" in VISIBLE[role])


@pytest.mark.parametrize("role", ROLES)
def test_api(api_as, org, consenting, sent, templates, role):
    api = api_as(getattr(org.users, role))
    r = api.get("/outreach/messages")
    assert r.status_code == 200
    seen = {m["id"] for m in r.json()["items"]}
    for name, msg in sent.items():
        assert (msg.pk in seen) == (name in VISIBLE[role]), (role, name)
        assert api.get(f"/outreach/messages/{msg.pk}").status_code == (200 if name in VISIBLE[role] else 404)
    manage = role in MANAGERS
    assert api.get("/outreach/templates").status_code == (200 if manage else 403)
    assert api.get("/outreach/suppressions").status_code == (200 if manage else 403)
    assert api.get("/outreach/settings").status_code == (200 if manage else 403)
    r = api.post("/outreach/templates", {"code": f"t-{role}".replace("_", "-"), "name": "T", "channel": "sms",
                                         "body_zh": "{{ customer.name }}"})
    assert r.status_code == (201 if manage else 403), r.content
    r = api.post("/outreach/suppressions", {"channel": "sms", "address": "13900000000"})
    assert r.status_code == (201 if manage else 403), r.content
    r = api.post(f"/outreach/templates/{templates.email.pk}/preview", {"customer_id": consenting.n1.pk})
    assert r.status_code == (200 if manage else 403)
    # sending by hand: to a customer one may change (or, managing outreach, see)
    r = api.post("/outreach/messages", {"customer_id": consenting.n1.pk, "template": "offer"})
    may_send = role in {"admin", "north_marketing", "hq_manager", "north_manager", "north_service", "sales_n1"}
    expected = 201 if may_send else (422 if "n1" not in VISIBLE[role] else 403)   # 422: customer_id not found
    assert r.status_code == expected, (role, r.content)
