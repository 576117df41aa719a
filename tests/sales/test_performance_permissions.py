"""The permission matrix of sales performance and receivables ageing: every role × the
pages, the endpoints, the exports and the drill-down (kehu.org.policies performance_people;
the receivables follow the visible customers)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from tests.api.conftest import ApiClient
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

SELLERS = {"sales_n1", "sales_n1b", "sales_e1"}
# the sellers each role sees in the leaderboard
PEOPLE = {
    "admin": SELLERS, "hq_manager": SELLERS, "analyst": SELLERS,
    "north_manager": {"sales_n1", "sales_n1b"}, "north_service": {"sales_n1", "sales_n1b"},
    "north_marketing": {"sales_n1", "sales_n1b"}, "east_manager": {"sales_e1"},
    "sales_n1": {"sales_n1"}, "sales_n1b": {"sales_n1b"}, "sales_e1": {"sales_e1"},
}
# the customers whose receivables each role sees (as tests/api/test_permissions.py VISIBLE)
CUSTOMERS = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"},
    "north_manager": {"n1"}, "north_service": {"n1"}, "north_marketing": {"n1"}, "east_manager": {"e1"},
    "sales_n1": {"n1"}, "sales_n1b": set(), "sales_e1": {"e1"},
}
LEADERBOARD = {"admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing",
               "east_manager"}
ROLES = sorted(PEOPLE)


@pytest.fixture
def debts(org, customers):
    for c in (customers.n1, customers.e1):
        OrderFactory(customer=c, salesperson=c.owner, order_date=dt.date(2026, 9, 1),
                     payment_due_on=dt.date(2026, 9, 30))
    return customers


def _api(user):
    from kehu.org.services import token_create

    return ApiClient(token_create(user=user, name="tests")[1])


@pytest.mark.parametrize("role", ROLES)
def test_endpoints(org, debts, role):
    user = getattr(org.users, role)
    api = _api(user)
    r = api.get("/sales/performance", {"from": "2026-09-01", "to": "2026-09-30"})
    assert r.status_code == 200, r.content
    seen = {p["id"] for p in r.json()["people"]}
    for name in SELLERS:
        assert (getattr(org.users, name).pk in seen) == (name in PEOPLE[role]), (role, name)
    assert bool(r.json()["teams"]) == (role in LEADERBOARD)
    r = api.get("/sales/receivables", {"as_of": "2026-11-30"})
    assert r.status_code == 200
    got = {c["customer_id"] for c in r.json()["customers"]}
    assert got == {getattr(debts, k).pk for k in CUSTOMERS[role]}, role


def test_endpoints_need_authentication(org):
    for path in ("/sales/performance", "/sales/receivables"):
        assert ApiClient().get(path).status_code == 401


@pytest.mark.parametrize("role", ROLES)
def test_pages_exports_and_drill_down(client_for, org, debts, role):
    user = getattr(org.users, role)
    client = client_for(user)
    html = client.get(reverse("sales_performance"), {"from": "2026-09-01", "to": "2026-09-30"}).content.decode()
    assert html.count('data-testid="performance-row"') >= len(PEOPLE[role])
    assert ('data-testid="performance-teams"' in html) == (role in LEADERBOARD)
    html = client.get(reverse("sales_receivables"), {"as_of": "2026-11-30"}).content.decode()
    assert html.count('data-testid="receivables-row"') == len(CUSTOMERS[role])
    for key in ("n1", "e1"):
        r = client.get(reverse("sales_receivables_customer", args=[getattr(debts, key).pk]))
        assert r.status_code == (200 if key in CUSTOMERS[role] else 404), (role, key)
    r = client.get(reverse("sales_receivables_export"), {"as_of": "2026-11-30", "format": "csv"})
    assert r.status_code == 200
    b"".join(r.streaming_content) if r.streaming else r.content    # the audit record closes at the end
    event = AuditEvent.objects.filter(action="export", entity="sales_receivables").latest("id")
    assert event.actor == user and event.changes["rows"] == len(CUSTOMERS[role])
    r = client.get(reverse("sales_performance_export"), {"from": "2026-09-01", "to": "2026-09-30",
                                                         "format": "xlsx"})
    assert r.status_code == 200
    b"".join(r.streaming_content) if r.streaming else r.content
    event = AuditEvent.objects.filter(action="export", entity="sales_performance").latest("id")
    assert event.actor == user and event.changes["rows"] >= len(PEOPLE[role])


def test_pages_need_login(client):
    for name in ("sales_performance", "sales_receivables", "sales_performance_export", "sales_receivables_export"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "login" in r["Location"]
