"""/api/v1/forecast, /forecast/backtest and /quotas: the forecast as the caller sees it, 422 for
a bad period, quotas set through the policy (403), 404 outside the caller's scope."""

import pytest

from kehu.sales.forecast import period_containing, today
from kehu.sales.opportunities import opportunity_create
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401

pytestmark = pytest.mark.django_db


def test_forecast_and_backtest(org, customers, pipeline, line, api_as):
    period = period_containing(today())
    opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "Plate", "probability": 80,
                                                       "expected_close": period.end},
                       lines=[{"product_line": line, "amount": "1000"}])
    admin = api_as(org.users.admin)
    r = admin.get("/forecast", {"period": period.code, "by": "owner"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["period"] == period.code and body["thresholds"] == {"commit": 70, "best_case": 30}
    row = next(x for x in body["rows"] if x["key"] == org.users.sales_n1.pk)
    assert row["commit"] == 800 and row["total"] == 800 and body["run"] is None
    assert admin.get("/forecast", {"by": "line"}).status_code == 200
    assert_error(admin.get("/forecast", {"period": "2026-Q5"}), 422)
    assert_error(admin.get("/forecast", {"by": "planet"}), 422)
    e1 = api_as(org.users.sales_e1).get("/forecast").json()
    assert e1["rows"] == [] and e1["totals"]["total"] == 0
    bt = admin.get("/forecast/backtest", {"periods": 2})
    assert bt.status_code == 200 and len(bt.json()["rows"]) == 2
    assert_error(admin.get("/forecast/backtest", {"periods": 50}), 422)


def test_quotas_crud_through_the_policy(org, line, api_as):
    u = org.users
    manager = api_as(u.north_manager)
    r = manager.post("/quotas", {"period": "2027-Q1", "user_id": u.sales_n1.pk, "amount": "50000.00"})
    assert r.status_code == 201, r.content
    qid = r.json()["id"]
    assert r.json()["amount"] == "50000.00"
    assert_error(manager.post("/quotas", {"period": "2027-Q1", "user_id": u.sales_n1.pk, "amount": "1"}), 422)
    assert_error(manager.post("/quotas", {"period": "2027-Q1", "user_id": u.sales_e1.pk, "amount": "1"}), 403)
    assert_error(manager.post("/quotas", {"period": "2027-Q1", "amount": "1"}), 422)
    assert_error(manager.post("/quotas", {"period": "2027-Q1", "user_id": 999999, "amount": "1"}), 422)
    assert_error(manager.post("/quotas", {"period": "Q1", "user_id": u.sales_n1.pk, "amount": "1"}), 422)
    assert manager.patch(f"/quotas/{qid}", {"amount": "60000.00"}).json()["amount"] == "60000.00"
    n1 = api_as(u.sales_n1)
    assert n1.get(f"/quotas/{qid}").status_code == 200
    assert [q["id"] for q in n1.get("/quotas", {"period": "2027-q1"}).json()["items"]] == [qid]
    assert_error(n1.patch(f"/quotas/{qid}", {"amount": "1"}), 403)
    assert_error(api_as(u.sales_e1).get(f"/quotas/{qid}"), 404)
    assert_error(api_as(u.east_manager).delete(f"/quotas/{qid}"), 404)
    assert manager.delete(f"/quotas/{qid}").status_code == 204
    assert_error(manager.get(f"/quotas/{qid}"), 404)
