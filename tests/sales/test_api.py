"""/api/v1/opportunities, /pipelines, /lost-reasons: 201/200, 422 naming the field, 404
outside the caller's scope, 403 for read-only roles, 409 for a stale version or an
impossible move."""

import pytest

from kehu.sales.models import LostReason
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401
from tests.sales.conftest import stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def n1_api(org, api_as):
    return api_as(org.users.sales_n1)


def _create(api, customer, line=None, **extra):
    body = {"customer_id": customer.pk, "name": "Coil supply 2027"}
    if line is not None:
        body["lines"] = [{"product_line_id": line.pk, "amount": "1000.00"}]
    body.update(extra)
    return api.post("/opportunities", body)


def test_create_read_list_and_filters(n1_api, customers, pipeline, line):
    r = _create(n1_api, customers.n1, line)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["stage_id"] == stage(pipeline, "reserve").pk and body["probability"] == 5
    assert body["amount"] == "1000.00" and body["weighted_amount"] == "50.00" and body["version"] == 1
    assert body["outcome"] == "open" and len(body["stage_changes"]) == 1
    assert n1_api.get(f"/opportunities/{body['id']}").json()["lines"][0]["product_line_id"] == line.pk
    listed = n1_api.get("/opportunities", {"product_line_id": line.pk, "outcome": "open"}).json()["items"]
    assert [o["id"] for o in listed] == [body["id"]]
    assert n1_api.get("/opportunities", {"close_from": "2030-01-01"}).json()["items"] == []


def test_validation_errors_name_the_field(n1_api, customers, line):
    err = assert_error(_create(n1_api, customers.n1, name=""), 422)
    assert "name" in err["fields"]
    err = assert_error(_create(n1_api, customers.n1, probability=150), 422)
    assert "probability" in err["fields"]
    err = assert_error(_create(n1_api, customers.n1, lines=[{"product_line_id": 99999, "amount": "1"}]), 422)
    assert "lines.0.product_line_id" in err["fields"]
    other = customers.e1.contacts.create(name="Li")
    err = assert_error(_create(n1_api, customers.n1, contacts=[{"contact_id": other.pk}]), 422)
    assert "contacts.0.contact_id" in err["fields"]


def test_scope_404_and_read_only_403(org, api_as, n1_api, customers):
    opp = _create(n1_api, customers.n1).json()
    assert_error(api_as(org.users.sales_e1).get(f"/opportunities/{opp['id']}"), 404)
    assert_error(_create(api_as(org.users.sales_e1), customers.n1), 404)
    assert api_as(org.users.sales_e1).get("/opportunities").json()["items"] == []
    analyst = api_as(org.users.analyst)
    assert analyst.get(f"/opportunities/{opp['id']}").status_code == 200
    assert_error(analyst.post(f"/opportunities/{opp['id']}/win", {}), 403)


def test_moves_conflicts_and_outcomes(n1_api, customers, pipeline):
    opp = _create(n1_api, customers.n1).json()
    oid = opp["id"]
    r = n1_api.post(f"/opportunities/{oid}/move", {"stage_id": stage(pipeline, "potential").pk, "version": 1})
    assert r.status_code == 200 and r.json()["probability"] == 25 and r.json()["version"] == 2
    assert_error(n1_api.post(f"/opportunities/{oid}/move", {"stage_id": stage(pipeline, "target").pk,
                                                            "version": 1}), 409, "conflict")
    assert_error(n1_api.post(f"/opportunities/{oid}/move", {"stage_id": stage(pipeline, "potential").pk}), 409,
                 "move_not_allowed")
    err = assert_error(n1_api.post(f"/opportunities/{oid}/move", {"stage_id": stage(pipeline, "lost").pk}), 422)
    assert "lost_reason_id" in err["fields"]
    reason = LostReason.objects.get(code="price")
    r = n1_api.post(f"/opportunities/{oid}/lose", {"lost_reason_id": reason.pk, "lost_note": "Too dear"})
    assert r.status_code == 200 and r.json()["outcome"] == "lost" and r.json()["lost_at"]
    assert_error(n1_api.post(f"/opportunities/{oid}/win", {}), 409, "move_not_allowed")
    r = n1_api.post(f"/opportunities/{oid}/reopen", {})
    assert r.status_code == 200 and r.json()["outcome"] == "open" and r.json()["lost_reason_id"] is None
    r = n1_api.post(f"/opportunities/{oid}/win", {"version": r.json()["version"]})
    assert r.json()["outcome"] == "won" and r.json()["probability"] == 100 and r.json()["won_at"]
    customers.n1.refresh_from_db()
    assert customers.n1.lifecycle_stage == "customer"


def test_patch_needs_the_version(n1_api, customers, line):
    oid = _create(n1_api, customers.n1).json()["id"]
    err = assert_error(n1_api.patch(f"/opportunities/{oid}", {"competitor": "宝钢"}), 422)
    assert "version" in err["fields"]
    r = n1_api.patch(f"/opportunities/{oid}", {"competitor": "宝钢", "version": 1,
                                               "lines": [{"product_line_id": line.pk, "amount": "10"}]})
    assert r.status_code == 200 and r.json()["amount"] == "10.00" and r.json()["competitor"] == "宝钢"
    assert_error(n1_api.patch(f"/opportunities/{oid}", {"competitor": "x", "version": 1}), 409, "conflict")


def test_pipelines_and_reasons(n1_api, pipeline):
    listed = n1_api.get("/pipelines").json()
    assert listed[0]["id"] == pipeline.pk and listed[0]["is_default"]
    detail = n1_api.get(f"/pipelines/{pipeline.pk}").json()
    assert [s["code"] for s in detail["stages"]] == ["reserve", "target", "potential", "opportunity", "won", "lost"]
    assert_error(n1_api.get("/pipelines/99999"), 404)
    assert any(r["code"] == "price" for r in n1_api.get("/lost-reasons").json())
