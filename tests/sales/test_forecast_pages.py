"""The forecast page and the quota pages: every role sees its own scope, in English and
Chinese, with empty states; quotas set through the policy (403), invisible ones 404,
deleting asks first."""

import pytest
from django.utils import translation

from kehu.sales.forecast import period_containing, today
from kehu.sales.models import Quota
from kehu.sales.opportunities import opportunity_create
from kehu.sales.quotas import quota_create

pytestmark = pytest.mark.django_db

ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_n1b", "sales_e1"]


@pytest.fixture
def book(org, customers, pipeline, line):
    period = period_containing(today())
    opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "Plate", "probability": 80,
                                                       "expected_close": period.end},
                       lines=[{"product_line": line, "amount": "123456"}])
    quota_create(actor=org.users.admin, period=period.code, amount=200000, user=org.users.sales_n1)
    return period


@pytest.mark.parametrize("role", ROLES)
def test_forecast_page_for_every_role(org, book, client_for, role):
    c = client_for(getattr(org.users, role))
    r = c.get("/forecast/", {"period": book.code, "by": "owner"})
    assert r.status_code == 200
    body = r.content.decode()
    sees_n1 = role in {"admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing",
                       "sales_n1"}
    assert ("98,765" in body or "98765" in body) == sees_n1   # 123 456 × 80 %
    for by in ("team", "line"):
        assert c.get("/forecast/", {"period": book.code, "by": by}).status_code == 200


def test_forecast_page_backtest_empty_state_and_chinese(org, book, client_for):
    c = client_for(org.users.admin)
    r = c.get("/forecast/", {"period": book.code, "backtest": "1", "periods": "2"})
    assert r.status_code == 200 and b'data-testid="backtest-table"' in r.content
    assert b'data-testid="forecast-empty"' in c.get("/forecast/", {"period": "2019-Q1"}).content
    assert b"errorlist" in c.get("/forecast/", {"period": "2019-Q9"}).content
    with translation.override("zh-hans"):
        r = c.get("/forecast/", {"period": book.code}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200


def test_quota_pages(org, book, client_for, line):
    u = org.users
    manager = client_for(u.north_manager)
    assert b'data-testid="quota-table"' in manager.get("/forecast/quotas/").content
    r = manager.post("/forecast/quotas/new/", {"period": "2027-Q1", "user": u.sales_n1b.pk, "amount": "5000"})
    assert r.status_code == 302 and Quota.objects.filter(period="2027-Q1", user=u.sales_n1b).exists()
    r = manager.post("/forecast/quotas/new/", {"period": "2027-Q1", "user": u.sales_n1b.pk, "team": u.sales_n1b.team_id,
                                               "amount": "5000"})
    assert r.status_code == 200 and b"one salesperson or one team" in r.content
    r = manager.post("/forecast/quotas/new/", {"period": "2027-Q7", "user": u.sales_n1b.pk, "amount": "5000"})
    assert r.status_code == 200 and Quota.objects.count() == 2
    q = Quota.objects.get(period="2027-Q1")
    assert manager.get(f"/forecast/quotas/{q.pk}/delete/").status_code == 200     # asks first
    assert Quota.objects.filter(pk=q.pk).exists()
    east = client_for(u.east_manager)
    assert east.get(f"/forecast/quotas/{q.pk}/edit/").status_code == 404
    n1 = client_for(u.sales_n1)
    assert n1.get("/forecast/quotas/new/").status_code == 403
    mine = Quota.objects.get(user=u.sales_n1)
    assert n1.get(f"/forecast/quotas/{mine.pk}/edit/").status_code == 403
    manager = client_for(u.north_manager)
    assert manager.post(f"/forecast/quotas/{q.pk}/delete/").status_code == 302
    assert not Quota.objects.filter(pk=q.pk).exists()
    empty = client_for(u.sales_n1b).get("/forecast/quotas/")
    assert b'data-testid="quota-empty"' in empty.content


def test_quota_bulk_delete_asks_and_goes_row_by_row(org, book, client_for):
    u = org.users
    mine = Quota.objects.get(user=u.sales_n1)
    other = quota_create(actor=u.admin, period="2027-Q1", amount=1, team=org.teams.north)
    manager = client_for(u.north_manager)
    ids = [mine.pk, other.pk]
    r = manager.post("/lists/quotas/bulk/", {"action": "delete", "ids": ids})
    assert r.status_code == 200 and Quota.objects.count() == 2           # the confirmation page
    r = manager.post("/lists/quotas/bulk/", {"action": "delete", "ids": ids, "confirmed": "yes"})
    assert r.status_code in (200, 302)
    # the manager may delete the salesperson's quota, not their own team's
    assert not Quota.objects.filter(pk=mine.pk).exists() and Quota.objects.filter(pk=other.pk).exists()
    assert client_for(u.sales_n1).post("/lists/quotas/bulk/", {"action": "delete", "ids": [other.pk],
                                                               "confirmed": "yes"}).status_code in (302, 200)
    assert Quota.objects.filter(pk=other.pk).exists()
