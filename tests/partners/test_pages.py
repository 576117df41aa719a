"""The partner pages: who may open them, the list, a partner's page, create and edit with
their messages, targets, a partner user, and the channel overview."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.urls import reverse

from kehu.org.models import Partner, PartnerTarget, User
from kehu.sales.models import Order
from tests.factories import CustomerFactory, OrderFactory, PartnerFactory

pytestmark = pytest.mark.django_db

READERS = {"admin", "hq_manager", "analyst", "north_manager", "north_service", "east_manager"}
MANAGERS = {"admin", "hq_manager", "north_manager", "east_manager"}
ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_e1"]


@pytest.fixture
def channel(org, customers):
    top = PartnerFactory(code="L1", name="华北一级代理", manager=org.users.north_manager)
    sub = PartnerFactory(code="L2", name="天津二级代理", kind="agent_l2", parent=top)
    n = CustomerFactory(name="北方经销客户", owner=org.users.sales_n1, partner=sub)
    e = CustomerFactory(name="华东经销客户", owner=org.users.sales_e1, partner=top)
    for c in (n, e):
        o = OrderFactory(customer=c)
        Order.objects.filter(pk=o.pk).update(partner=c.partner, partner_margin_pct=10)
    return top, sub


@pytest.mark.parametrize("role", ROLES)
def test_who_opens_the_pages_and_the_menu(client_for, org, channel, role):
    top, _sub = channel
    client = client_for(getattr(org.users, role))
    pages = [reverse("partner_list"), reverse("partner_detail", args=[top.pk]), reverse("partner_overview")]
    for url in pages:
        assert client.get(url).status_code == (200 if role in READERS else 403), url
    writes = [reverse("partner_create"), reverse("partner_edit", args=[top.pk]), reverse("partner_target", args=[top.pk])]
    for url in writes:
        assert client.get(url).status_code == (200 if role in MANAGERS else 403), url
    assert client.get(reverse("partner_user_create", args=[top.pk])).status_code == (200 if role in MANAGERS else 403)
    home = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("partner_list")}"' in home) == (role in READERS)


def test_the_partner_page_shows_the_tree_and_only_the_visible_customers(client_for, org, channel):
    top, sub = channel
    html = client_for(org.users.north_manager).get(reverse("partner_detail", args=[top.pk])).content.decode()
    assert "天津二级代理" in html and "北方经销客户" in html and "华东经销客户" not in html
    assert 'data-testid="partner-scorecard"' in html
    html = client_for(org.users.admin).get(reverse("partner_detail", args=[sub.pk])).content.decode()
    assert "华北一级代理" in html  # its parent, above it
    html = client_for(org.users.admin).get(reverse("partner_detail", args=[top.pk]), {"lang": "zh-hans"})
    assert client_for(org.users.admin).get(reverse("partner_detail", args=[999999])).status_code == 404


def test_the_list_filters_and_the_export(client_for, org, channel):
    client = client_for(org.users.analyst)
    html = client.get(reverse("partner_list"), {"level": "2"}).content.decode()
    assert "天津二级代理" in html and "华北一级代理</td>" not in html
    html = client.get(reverse("partner_list"), {"q": "no-such"}).content.decode()
    assert "No partner matches these filters." in html
    r = client.get(reverse("partner_export"), {"format": "csv", "kind": "agent_l2"})
    body = b"".join(r.streaming_content) if r.streaming else r.content
    text = body.decode("utf-8")
    assert "L2" in text and "华北一级代理," not in text.split("\n", 1)[1].split(",")[1]


def test_create_edit_and_their_messages(client_for, org, channel):
    top, sub = channel
    client = client_for(org.users.north_manager)
    r = client.post(reverse("partner_create"), {"code": "", "name": "", "kind": "agent_l1", "margin_pct": "120"})
    html = r.content.decode()
    assert r.status_code == 200 and "This field is required." in html
    assert "Ensure this value is less than or equal to 100." in html
    r = client.post(reverse("partner_create"), {
        "code": "L3", "name": "唐山三级代理", "kind": "agent_l2", "parent": sub.pk, "margin_pct": "8",
        "regions": "华北，东北", "cities": "唐山", "contract_start": "2026-01-01", "contract_end": "2025-01-01"})
    assert "The contract cannot end before it starts." in r.content.decode()
    r = client.post(reverse("partner_create"), {
        "code": "L3", "name": "唐山三级代理", "kind": "agent_l2", "parent": sub.pk, "margin_pct": "8",
        "regions": "华北，东北", "cities": "唐山", "is_active": "on"})
    new = Partner.objects.get(code="L3")
    assert r.status_code == 302 and new.level == 3 and new.regions == ["华北", "东北"]
    r = client.post(reverse("partner_create"), {"code": "L4", "name": "太深", "kind": "agent_l2", "parent": new.pk,
                                                "margin_pct": "0"})
    assert r.status_code == 200  # a fourth level: not offered
    r = client.post(reverse("partner_create"), {"code": "L1", "name": "重复", "kind": "agent_l1", "margin_pct": "0"})
    assert "Partner with this Partner code already exists." in r.content.decode()
    r = client.post(reverse("partner_edit", args=[sub.pk]), {
        "code": "L2", "name": "天津二级代理（新）", "kind": "agent_l2", "parent": "", "margin_pct": "5",
        "is_active": "on"})
    assert r.status_code == 302
    sub.refresh_from_db()
    new.refresh_from_db()
    assert sub.parent is None and sub.level == 1 and new.level == 2  # moved with the partner below it


def test_targets_and_their_progress(client_for, org, channel):
    top, _sub = channel
    client = client_for(org.users.admin)
    today = dt.date.today()
    r = client.post(reverse("partner_target", args=[top.pk]), {
        "period_start": today.replace(day=1), "period_end": today, "revenue": "-1", "new_customers": "1"})
    assert "Ensure this value is greater than or equal to 0." in r.content.decode()
    r = client.post(reverse("partner_target", args=[top.pk]), {
        "period_start": today.replace(day=1), "period_end": today, "revenue": "400", "new_customers": "1"})
    assert r.status_code == 302 and PartnerTarget.objects.get(partner=top).revenue == 400
    html = client.get(reverse("partner_detail", args=[top.pk])).content.decode()
    assert "50.0%" in html  # 200 sold of 400


def test_a_partner_user_with_a_reset_link(client_for, org, channel):
    top, _sub = channel
    client = client_for(org.users.admin)
    r = client.post(reverse("partner_user_create", args=[top.pk]), {"username": "wang"})
    assert "Give a password, or an e-mail address for the reset link." in r.content.decode()
    r = client.post(reverse("partner_user_create", args=[top.pk]), {"username": "wang", "email": "wang@example.com",
                                                                   "display_name": "王经理"})
    assert r.status_code == 302
    user = User.objects.get(username="wang")
    assert user.role == "partner" and user.partner == top and not user.has_usable_password()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["wang@example.com"]


def test_the_overview_ranks_sorts_and_exports(client_for, org, channel):
    top, _sub = channel
    east = PartnerFactory(code="E1", name="华东一级代理", manager=org.users.east_manager)
    PartnerFactory(code="E2", name="上海二级代理", kind="agent_l2", parent=east)
    client = client_for(org.users.north_manager)
    html = client.get(reverse("partner_overview")).content.decode()
    # mine: the partners the north manager manages and every one below them (the sub-partner
    # has no manager of its own: its customers go to the manager above), not another's
    assert "华北一级代理" in html and "天津二级代理" in html
    assert "华东一级代理" not in html and "上海二级代理" not in html
    html = client.get(reverse("partner_overview"), {"mine": "all", "sort": "-sales"}).content.decode()
    assert "天津二级代理" in html and "上海二级代理" in html
    r = client.get(reverse("partner_ranking_export"), {"mine": "all", "format": "csv"})
    body = (b"".join(r.streaming_content) if r.streaming else r.content).decode("utf-8")
    assert "L1" in body and "L2" in body
    assert client_for(org.users.admin).get(reverse("partner_overview"), {"lang": "en"}).status_code == 200


def test_the_pages_in_chinese(client_for, org, channel, settings):
    top, _sub = channel
    client = client_for(org.users.admin)
    User.objects.filter(pk=org.users.admin.pk).update(language="zh-hans")
    for url in (reverse("partner_list"), reverse("partner_detail", args=[top.pk]), reverse("partner_overview")):
        html = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "伙伴" in html, url
