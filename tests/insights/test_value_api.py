"""API v1 /value: analyses, scores and segments with the pages' visibility."""

from __future__ import annotations

import pytest

from kehu.insights.models import AnalysisRun, Segment
from tests.api.conftest import api_as, assert_error, walk  # noqa: F401
from tests.insights.score_factories import SegmentFactory
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = pytest.mark.django_db


def test_runs_list_detail_and_progress(org, value, api_as):
    api = api_as(org.users.analyst)
    items = walk(api, "/value/runs")
    assert [r["id"] for r in items] == [value.run.pk, value.before.pk]
    body = api.get(f"/value/runs/{value.run.pk}").json()
    assert body["status"] == "succeeded" and body["results"]["model"]["params"]["alpha"] == 4.414
    assert body["parameters"]["churn"]["threshold"] == 0.5
    hidden = api_as(org.users.sales_n1).get(f"/value/runs/{value.run.pk}").json()
    assert hidden["results"] is None and hidden["as_of"] == body["as_of"]
    progress = api.get(f"/value/runs/{value.run.pk}/progress").json()
    assert progress == {"id": value.run.pk, "status": "succeeded", "progress": 100, "stage": "", "error": "",
                        "finished": True}
    assert_error(api.get("/value/runs/999999"), 404, "not_found")


def test_create_run_answers_202_with_the_queued_run(org, api_as):
    r = api_as(org.users.analyst).post("/value/runs", {"time_unit": "day"})
    assert r.status_code == 202, r.content
    body = r.json()
    run = AnalysisRun.objects.get(pk=body["id"])
    assert body["status"] == "queued" and body["trigger"] == "api" and body["time_unit"] == "day"
    assert run.requested_by == org.users.analyst
    assert body["stage"] == "Waiting for a worker"
    err = assert_error(api_as(org.users.admin).post("/value/runs", {"as_of": "2999-01-01"}), 422,
                       "validation_error")
    assert err["fields"]["as_of"] == ["The as-of date cannot be in the future."]
    assert_error(api_as(org.users.sales_n1).post("/value/runs", {}), 403, "forbidden")


def test_scores_are_filtered_sorted_paged_and_scoped(org, value, api_as):
    api = api_as(org.users.sales_n1)
    items = walk(api, "/value/scores", {"sort": "churn"})
    assert [s["customer"]["name"] for s in items] == ["风险客户", "Due Trading Ltd", "北方钢铁贸易有限公司"]
    risky = items[0]
    assert risky["churn_warning"] is True and risky["revenue"] == "12000.00"
    assert risky["churn_reasons"][0]["signal"] == "p_alive"
    assert risky["churn_reasons_text"][0] == "only 25% likely still active"
    assert [s["customer"]["name"] for s in walk(api, "/value/scores", {"churn_warning": True})] == ["风险客户"]
    admin = api_as(org.users.admin)
    assert len(walk(admin, "/value/scores", {"sort": "next_order"})) == 5
    assert len(walk(admin, "/value/scores", {"team_id": org.teams.e1.pk})) == 1
    assert len(walk(admin, "/value/scores", {"tier": "silver", "region": "north"})) == 2
    assert len(walk(admin, "/value/scores", {"run_id": value.before.pk})) == 4
    assert_error(admin.get("/value/scores", {"run_id": 999999}), 422, "validation_error")
    assert_error(admin.get("/value/scores", {"sort": "name"}), 422, "validation_error")
    assert_error(admin.get("/value/scores", {"cursor": "garbage"}), 422, "validation_error")


def test_one_customers_history_across_runs(org, value, api_as):
    n1 = value.scores.n1.customer_id
    body = api_as(org.users.sales_n1).get(f"/value/scores/customers/{n1}").json()
    assert [s["run_id"] for s in body] == [value.run.pk, value.before.pk]
    assert body[0]["tier"] == "gold" and body[1]["tier"] == "silver"
    assert "Bought 12 times." in body[0]["explanation"]
    zh = api_as(org.users.sales_n1).get(f"/value/scores/customers/{n1}", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert zh[0]["explanation"][0] == "共购买 12 次。"
    hidden = api_as(org.users.sales_e1).get(f"/value/scores/customers/{n1}")
    missing = api_as(org.users.sales_e1).get("/value/scores/customers/999999")
    assert_error(hidden, 404, "not_found")
    assert hidden.json() == missing.json()


def test_segment_crud_and_members(org, value, api_as):
    api = api_as(org.users.north_marketing)
    r = api.post("/value/segments", {"name": "Risky", "rule": {"score": {"churn_risk_min": 0.6}}})
    assert r.status_code == 201, r.content
    seg = r.json()
    assert seg["kind"] == "rule" and seg["run_id"] is None and seg["created_by"]["username"] == "north_marketing"
    members = walk(api, f"/value/segments/{seg['id']}/members")
    assert [m["name"] for m in members] == ["风险客户"]  # e1 (0.65) is outside the north
    assert len(walk(api_as(org.users.admin), f"/value/segments/{seg['id']}/members")) == 2
    r = api.patch(f"/value/segments/{seg['id']}", {"run_id": value.before.pk, "description": "earlier"})
    assert r.status_code == 200 and r.json()["run_id"] == value.before.pk
    err = assert_error(api.patch(f"/value/segments/{seg['id']}", {"rule": {"score": {"tier": ["platinum"]}}}),
                       422, "validation_error")
    assert "score.tier" in err["fields"]
    assert_error(api.patch(f"/value/segments/{seg['id']}", {"name": None}), 422, "validation_error")
    assert_error(api_as(org.users.sales_n1).delete(f"/value/segments/{seg['id']}"), 403, "forbidden")
    assert api.delete(f"/value/segments/{seg['id']}").status_code == 204
    assert not Segment.objects.exists()
    assert_error(api.get(f"/value/segments/{seg['id']}"), 404, "not_found")


def test_group_segments_and_their_errors(org, value, api_as):
    api = api_as(org.users.admin)
    r = api.post("/value/segments", {"name": "Gold", "kind": "run_group", "rule": {"field": "tier", "value": "gold"}})
    assert r.status_code == 201
    assert [m["name"] for m in walk(api, f"/value/segments/{r.json()['id']}/members")] == ["北方钢铁贸易有限公司"]
    err = assert_error(api.post("/value/segments", {"name": "Gold", "rule": {}}), 422, "validation_error")
    assert err["fields"]["name"] == ["A segment with this name already exists."]
    err = assert_error(api.post("/value/segments", {"name": "X", "run_id": 999999}), 422, "validation_error")
    assert "run_id" in err["fields"]
    assert_error(api_as(org.users.analyst).post("/value/segments", {"name": "A"}), 403, "forbidden")
    SegmentFactory(name="Another", created_by=org.users.admin)
    assert [s["name"] for s in walk(api_as(org.users.sales_e1), "/value/segments")] == ["Another", "Gold"]
