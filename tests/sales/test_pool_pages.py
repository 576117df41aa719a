"""The lead pool's pages: the pool list (list machinery: filters, claim, bulk claim and assign),
the return action on the customer page, the ownership card, the settings page, the public lead
form — and their permission matrix."""

import pytest
from django.test import Client

from kehu.customers.models import Customer
from kehu.sales.models import OwnershipChange, PoolSettings
from tests.api.test_permissions import ROLES
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _lead(name, team=None, **kw):
    c = CustomerFactory(name=name, lifecycle_stage="reserve", owner=None, **kw)
    if team is not None:
        Customer.objects.filter(pk=c.pk).update(team=team)
    return Customer.objects.get(pk=c.pk)


@pytest.fixture
def leads(org):
    return {"company": _lead("宝钢线材采购"), "n1": _lead("天津钢管采购", team=org.teams.n1),
            "e1": _lead("上海螺纹钢采购", team=org.teams.e1)}


SEES = {
    "admin": {"company", "n1", "e1"}, "hq_manager": {"company", "n1", "e1"}, "analyst": {"company", "n1", "e1"},
    "north_manager": {"company", "n1"}, "north_service": {"company", "n1"}, "north_marketing": {"company", "n1"},
    "east_manager": {"company", "e1"}, "sales_n1": {"company", "n1"}, "sales_n1b": {"company", "n1"},
    "sales_e1": {"company", "e1"},
}
READ_ONLY = {"analyst", "north_marketing"}


@pytest.mark.parametrize("role", ROLES)
def test_pool_page_lists_exactly_the_pools_seen(org, leads, client_for, role):
    r = client_for(getattr(org.users, role)).get("/pool/")
    assert r.status_code == 200
    html = r.content.decode()
    for key, c in leads.items():
        assert (c.name in html) == (key in SEES[role]), (role, key)
    assert ('data-testid="pool-claim"' in html) == (role not in READ_ONLY)
    assert ('value="assign"' in html) == (role in {"admin", "hq_manager", "north_manager", "east_manager"})


@pytest.mark.parametrize("role", ROLES)
def test_claim_page_per_role(org, leads, client_for, role):
    r = client_for(getattr(org.users, role)).post(f"/pool/{leads['n1'].pk}/claim/")
    if role in READ_ONLY:
        assert r.status_code == 403
    elif "n1" in SEES[role]:
        assert r.status_code == 302 and Customer.objects.get(pk=leads["n1"].pk).owner == getattr(org.users, role)
    else:
        assert r.status_code == 404


CHANGES_N1 = {"admin", "hq_manager", "north_manager", "north_service", "sales_n1"}


@pytest.mark.parametrize("role", ROLES)
def test_return_page_per_role(org, customers, client_for, role):
    client = client_for(getattr(org.users, role))
    url = f"/pool/customers/{customers.n1.pk}/return/"
    get = client.get(url)
    if role in CHANGES_N1:
        assert get.status_code == 200
        assert client.post(url, {"reason": ""}).status_code == 422
        assert client.post(url, {"reason": "改做板材，不再采购线材"}).status_code == 302
        assert Customer.objects.get(pk=customers.n1.pk).owner_id is None
    else:
        expected = 403 if role in READ_ONLY else 404
        assert get.status_code == expected
        assert client.post(url, {"reason": "x"}).status_code == expected


@pytest.mark.parametrize("role", ROLES)
def test_settings_page_admin_only(org, client_for, role):
    client = client_for(getattr(org.users, role))
    r = client.get("/pool/settings/")
    assert r.status_code == (200 if role == "admin" else 403)
    if role == "admin":
        assert client.get("/settings/").content.decode().count("/pool/settings/") >= 1
        data = {"claim_limit": 3, "recycle_days_gold": 0, "recycle_days_silver": 120, "recycle_days_bronze": 60,
                "recycle_days_do_not_serve": 30, "recycle_days_none": 20, "reminder_days": 5}
        assert client.post("/pool/settings/", data).status_code == 302
        assert PoolSettings.objects.get().claim_limit == 3
        assert client.post("/pool/settings/", {**data, "reminder_days": -1}).status_code == 422


def test_customer_page_shows_owners_and_the_return_action(org, leads, client_for):
    client = client_for(org.users.sales_n1)
    client.post(f"/pool/{leads['company'].pk}/claim/")
    html = client.get(f"/customers/{leads['company'].pk}/").content.decode()
    assert 'data-testid="ownership-change"' in html and 'data-testid="pool-return-link"' in html
    html = client_for(org.users.analyst).get(f"/customers/{leads['company'].pk}/").content.decode()
    assert 'data-testid="ownership-card"' in html and 'data-testid="pool-return-link"' not in html


def test_bulk_claim_and_assign(org, leads, client_for):
    client = client_for(org.users.north_manager)
    r = client.post("/lists/pool/bulk/", {"action": "assign", "ids": [leads["n1"].pk, leads["e1"].pk],
                                          "value_owner": org.users.sales_n1b.pk, "confirmed": "yes", "next": "/pool/"})
    assert r.status_code in (200, 302)
    assert Customer.objects.get(pk=leads["n1"].pk).owner == org.users.sales_n1b
    assert Customer.objects.get(pk=leads["e1"].pk).owner is None        # not in a pool they see: not found
    client = client_for(org.users.sales_n1)
    client.post("/lists/pool/bulk/", {"action": "claim", "ids": [leads["company"].pk], "next": "/pool/"})
    assert Customer.objects.get(pk=leads["company"].pk).owner == org.users.sales_n1
    assert OwnershipChange.objects.filter(reason="assign").count() == 1


def test_filters_and_empty_state(org, leads, client_for):
    client = client_for(org.users.admin)
    html = client.get("/pool/", {"pool": "company"}).content.decode()
    assert "宝钢线材采购" in html and "天津钢管采购" not in html
    assert 'data-testid="pool-empty"' in client.get("/pool/", {"q": "没有这个"}).content.decode()


@pytest.mark.parametrize("lang", ["en", "zh-hans"])
def test_public_lead_form(db, lang, settings):
    client = Client(enforce_csrf_checks=True)
    r = client.get(f"/leads/form/?lang={lang}")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    token = r.cookies["csrftoken"].value
    bad = client.post("/leads/form/", {"csrfmiddlewaretoken": token, "company": "", "name": "王经理"})
    assert bad.status_code == 422
    ok = client.post("/leads/form/", {"csrfmiddlewaretoken": token, "company": "唐山建龙钢构", "name": "王经理",
                                      "phone": "13912345678", "message": "HRB400 螺纹钢 200 吨"})
    assert ok.status_code == 302
    c = Customer.objects.get(name="唐山建龙钢构")
    assert (c.owner_id, c.team_id, c.lifecycle_stage, c.source) == (None, None, "reserve", "web")
    # the honeypot: thanked, nothing written
    robot = client.post("/leads/form/", {"csrfmiddlewaretoken": token, "company": "Spam Ltd", "name": "x",
                                         "phone": "13912345678", "website": "http://spam"})
    assert robot.status_code == 200 and not Customer.objects.filter(name="Spam Ltd").exists()
    # without the CSRF token: refused
    assert client.post("/leads/form/", {"company": "x", "name": "y", "phone": "13912345678"}).status_code == 403


def test_public_lead_form_rate_limit(db, settings):
    settings.KEHU_INTAKE_RATE_PER_IP = 2
    client = Client()
    codes = [client.post("/leads/form/", {"company": f"公司{i}", "name": "李", "phone": "13912345678"}).status_code
             for i in range(4)]
    assert codes[:2] == [302, 302] and codes[-1] == 429
