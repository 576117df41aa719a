"""Referrals' pages, API and public form: the permission matrix (every role), zh and en, the 360 card."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.marketing.referrals import services
from kehu.marketing.referrals.models import Referral
from tests.api.conftest import api_as  # noqa: F401
from tests.marketing.referrals_fixtures import notice_template, reward_rule  # noqa: F401

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_n1b", "sales_e1"]
MANAGERS = {"admin", "north_marketing"}
# the customers each role sees (as tests/api/test_permissions.py VISIBLE)
VISIBLE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"},
    "north_manager": {"n1"}, "north_service": {"n1"}, "north_marketing": {"n1"}, "east_manager": {"e1"},
    "sales_n1": {"n1"}, "sales_n1b": set(), "sales_e1": {"e1"},
}
# may record a referral of n1 / make its code: may change n1, or marketing seeing it
RECORD_N1 = {"admin", "hq_manager", "north_manager", "north_service", "sales_n1", "north_marketing"}
# may record that n1 referred n1b (sales_n1b's): sees both and may change n1b, or marketing
RECORD_N1B = {"admin", "hq_manager", "north_manager", "north_service", "north_marketing"}


@pytest.fixture
def world(org, customers):
    referral = services.referral_create(actor=org.users.admin, referrer=customers.n1, referred=customers.e1)
    return referral


@pytest.mark.parametrize("role", ROLES)
def test_pages(client_for, org, customers, world, role):
    client = client_for(getattr(org.users, role))
    seen = VISIBLE[role]
    r = client.get(reverse("referral_list"))
    assert r.status_code == 200
    html = r.content.decode()
    shown = bool(seen)   # n1 → e1: listed when the viewer sees either
    assert ('data-testid="referral-row"' in html) == shown, role
    assert (customers.n1.name in html) == ("n1" in seen), role
    assert (customers.e1.name in html) == ("e1" in seen), role
    assert client.get(reverse("referral_leaderboard")).status_code == 200
    lb = client.get(reverse("referral_leaderboard")).content.decode()
    assert (customers.n1.name in lb) == ("n1" in seen), role
    assert client.get(reverse("referral_rule")).status_code == (200 if role in MANAGERS else 403)
    assert client.get(reverse("referral_create")).status_code == 200
    code = client.post(reverse("referral_customer_code", args=[customers.n1.pk]))
    assert code.status_code == (200 if role in RECORD_N1 else 403 if "n1" in seen else 404), role
    assert client.get(reverse("referral_customer_code", args=[customers.e1.pk])).status_code == \
        (200 if "e1" in seen else 404)
    for key in ("n1", "e1"):
        c = getattr(customers, key)
        if key in seen:
            page = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
            assert 'data-testid="customer-referrals"' in page
            other = customers.e1 if key == "n1" else customers.n1
            other_key = "e1" if key == "n1" else "n1"
            assert (other.name in page) == (other_key in seen) or other_key in seen, role


@pytest.mark.parametrize("role", ROLES)
def test_record_by_hand_page(client_for, org, customers, role):
    client = client_for(getattr(org.users, role))
    r = client.post(reverse("referral_create"), {"referrer": customers.n1.pk, "referred": customers.n1b.pk})
    # n1b is sales_n1b's: whoever may change it (or marketing seeing it and n1)
    may = role in RECORD_N1B
    assert (r.status_code == 302) == may, (role, r.status_code)
    assert Referral.objects.filter(referred=customers.n1b).exists() == may


@pytest.mark.parametrize("role", ROLES)
def test_api(api_as, org, customers, world, role):
    api = api_as(getattr(org.users, role))
    seen = VISIBLE[role]
    items = api.get("/referrals").json()["items"]
    assert len(items) == (1 if seen else 0), role
    if items:
        assert (items[0]["referrer_name"] is not None) == ("n1" in seen)
        assert (items[0]["referred_name"] is not None) == ("e1" in seen)
    assert api.get(f"/referrals/{world.pk}").status_code == (200 if seen else 404)
    assert api.get("/referrals/rule").status_code == 200
    status = api.patch("/referrals/rule", {"active": False}).status_code
    assert status == (200 if role in MANAGERS else 403), role
    r = api.post("/referrals/codes", {"customer_id": customers.n1.pk})
    assert r.status_code == (200 if role in RECORD_N1 else 403 if "n1" in seen else 422), (role, r.status_code)
    v = api.get(f"/referrals/value/{customers.n1.pk}")
    assert v.status_code == (200 if "n1" in seen else 404)
    if v.status_code == 200:
        assert v.json()["referred"] == 1
    assert api.get("/referrals/leaderboard").status_code == 200
    r = api.post("/referrals", {"referrer_id": customers.n1.pk, "referred_id": customers.n1b.pk})
    may = role in RECORD_N1B
    sees_both = "n1" in seen and role not in ("sales_n1",)   # n1b is seen with n1 but by sales_n1
    assert r.status_code == (201 if may else 403 if sees_both else 422), (role, r.status_code)


def test_public_form_makes_a_lead_and_shows_no_referrer(client, customers, settings):
    code = services.code_for(customers.n1)
    url = reverse("referral_public_form", args=[code.code])
    page = client.get(url)
    assert page.status_code == 200 and customers.n1.name not in page.content.decode()
    assert page["Cache-Control"] == "no-store"
    bad = client.post(url, {"name": "王小明", "phone": "13700137000"})
    assert bad.status_code == 422                       # consent not ticked
    r = client.post(url, {"name": "王小明", "phone": "13700137000", "consent": "on"})
    assert r.status_code == 302 and "sent=1" in r["Location"]
    friend = Customer.objects.get(phone="13700137000")
    assert friend.referral.referrer_id == customers.n1.pk and friend.source == "referral"
    # a robot filling the honeypot is thanked, nothing written
    client.post(url, {"name": "bot", "phone": "13700137001", "consent": "on", "website": "x"})
    assert not Customer.objects.filter(phone="13700137001").exists()
    assert client.get(reverse("referral_public_form", args=["NOSUCHCODE"])).status_code == 404


def test_public_form_is_rate_limited(client, customers, settings):
    settings.KEHU_INTAKE_RATE_PER_IP = 1
    code = services.code_for(customers.n1)
    url = reverse("referral_public_form", args=[code.code])
    client.post(url, {"name": "a", "phone": "13700137010", "consent": "on"})
    assert client.post(url, {"name": "b", "phone": "13700137011", "consent": "on"}).status_code == 429


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_pages_in_both_languages(client_for, org, customers, world, reward_rule, language):
    client = client_for(org.users.admin)
    words = {"zh-hans": ["转介绍", "推荐人", "推荐奖励规则"], "en": ["Referrals", "Referred by", "Referral reward rule"]}
    with override_settings(LANGUAGE_CODE=language):
        client.cookies["django_language"] = language
        html = client.get(reverse("referral_list"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        html += client.get(reverse("referral_rule"), HTTP_ACCEPT_LANGUAGE=language).content.decode()
        for w in words[language]:
            assert w in html, (language, w)
        detail = client.get(reverse("customer_detail", args=[customers.n1.pk]),
                            HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert ("推荐了 1 位客户" if language == "zh-hans" else "Referred 1 customer") in detail


def test_empty_list(client_for, org):
    html = client_for(org.users.sales_n1).get(reverse("referral_list")).content.decode()
    assert 'data-testid="referrals-empty"' in html
