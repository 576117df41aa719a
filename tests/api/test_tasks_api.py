"""/api/v1/tasks and /api/v1/surveys/{id}/actions: list, get, create,
change, complete, cancel; visibility and permissions."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.engagement.models import Interaction, Task
from kehu.engagement.services import task_create
from kehu.surveys.services.definitions import survey_create_from_template
from tests.api.conftest import assert_error, walk
from tests.surveys.conftest import add_responses, gas  # noqa: F401 (the fixture)
from tests.surveys.loop_factories import ResponseFactory, WaveFactory, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up(org, customers):
    survey = survey_create_from_template(actor=org.users.admin, template="nps", code="nps-api")
    response = ResponseFactory(wave=WaveFactory(survey=survey), customer=customers.n1, nps=4, index=None,
                               answers={"NPS": 4, "FIX": "价格太高"})
    submit(response)
    return Task.objects.get()


def test_list_get_complete_a_follow_up(org, customers, follow_up, api_as):
    api = api_as(org.users.sales_n1)
    items = walk(api, "/tasks")
    assert [t["id"] for t in items] == [follow_up.pk]
    assert items[0]["source"] == "survey" and items[0]["source_ref"]["response"]
    body = api.get(f"/tasks/{follow_up.pk}").json()
    assert {"question": "FIX", "text": "What should we improve first to make you more willing to recommend us?",
            "answer": "价格太高", "score": None} in body["answers"]
    assert {"question": "NPS", "answer": "4 / 10", "score": 40.0}.items() <= next(
        a for a in body["answers"] if a["question"] == "NPS").items()
    r = api.post(f"/tasks/{follow_up.pk}/complete", {"outcome": "", "log_interaction": True})
    assert_error(r, 422, "validation_error")
    r = api.post(f"/tasks/{follow_up.pk}/complete", {"outcome": "已回电，答应下季度给折扣", "log_interaction": True,
                                                      "channel": "phone"})
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["completed_at"]
    assert Interaction.objects.filter(customer=customers.n1, summary="已回电，答应下季度给折扣").exists()
    assert_error(api.post(f"/tasks/{follow_up.pk}/cancel", {}), 422, "validation_error")  # already closed
    assert walk(api, "/tasks", {"status": "done"})[0]["id"] == follow_up.pk


def test_create_change_cancel(org, customers, api_as):
    api = api_as(org.users.north_manager)
    r = api.post("/tasks", {"customer_id": customers.n1.pk, "title": "回访", "due_on": "2026-12-01",
                            "assigned_to_id": org.users.sales_n1.pk})
    assert r.status_code == 201, r.content
    task = r.json()
    assert task["assigned_to_id"] == org.users.sales_n1.pk and task["created_by_id"] == org.users.north_manager.pk
    r = api.post("/tasks", {"customer_id": customers.n1.pk, "title": "x", "assigned_to_id": org.users.sales_n1b.pk})
    err = assert_error(r, 422, "validation_error")
    assert "assigned_to_id" in err["fields"]
    r = api.patch(f"/tasks/{task['id']}", {"due_on": "2026-12-05"})
    assert r.status_code == 200 and r.json()["due_on"] == "2026-12-05"
    r = api.post(f"/tasks/{task['id']}/cancel", {"reason": "客户已下单"})
    assert r.json()["status"] == "cancelled" and r.json()["outcome"] == "客户已下单"
    # a personal task without a customer
    r = api_as(org.users.sales_e1).post("/tasks", {"title": "整理名片"})
    assert r.status_code == 201 and r.json()["customer_id"] is None


# who sees a task about n1 (sales_n1's customer) and about e1; who may change it
VISIBLE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"},
    "north_manager": {"n1"}, "north_service": {"n1"}, "north_marketing": {"n1"},
    "east_manager": {"e1"}, "sales_n1": {"n1"}, "sales_n1b": set(), "sales_e1": {"e1"},
}
READ_ONLY = {"analyst", "north_marketing"}


@pytest.fixture
def two_tasks(org, customers):
    return {
        "n1": task_create(actor=org.users.sales_n1, customer=customers.n1, data={"title": "n1 task"}),
        "e1": task_create(actor=org.users.sales_e1, customer=customers.e1, data={"title": "e1 task"}),
    }


OPS = [
    ("GET", lambda api, t: api.get(f"/tasks/{t.pk}"), 200),
    ("PATCH", lambda api, t: api.patch(f"/tasks/{t.pk}", {"title": "changed"}), 200),
    ("complete", lambda api, t: api.post(f"/tasks/{t.pk}/complete", {"outcome": "done"}), 200),
    ("cancel", lambda api, t: api.post(f"/tasks/{t.pk}/cancel", {}), 200),
    ("POST", lambda api, t: api.post("/tasks", {"customer_id": t.customer_id, "title": "new"}), 201),
]


@pytest.mark.parametrize("role", sorted(VISIBLE))
@pytest.mark.parametrize("target", ["n1", "e1"])
@pytest.mark.parametrize("op", OPS, ids=[o[0] for o in OPS])
def test_permission_matrix(org, two_tasks, api_as, role, target, op):
    name, call, ok = op
    r = call(api_as(getattr(org.users, role)), two_tasks[target])
    if target not in VISIBLE[role]:
        assert_error(r, 404, "not_found")
    elif name != "GET" and role in READ_ONLY:
        assert_error(r, 403, "forbidden")
    else:
        assert r.status_code == ok, r.content


@pytest.mark.parametrize("role", sorted(VISIBLE))
def test_the_list_shows_exactly_what_is_visible(org, two_tasks, api_as, role):
    got = {t["id"] for t in walk(api_as(getattr(org.users, role)), "/tasks", {"scope": "all"}, limit=50)}
    for target in ("n1", "e1"):
        assert (two_tasks[target].pk in got) == (target in VISIBLE[role]), (role, target)


def test_team_scope(org, two_tasks, api_as):
    assert walk(api_as(org.users.north_manager), "/tasks") == []
    assert [t["id"] for t in walk(api_as(org.users.north_manager), "/tasks", {"scope": "team"})] == [
        two_tasks["n1"].pk]


def test_improvement_actions_api(org, gas, api_as):
    w1 = add_responses(gas, [{"Q5": 2}, {"Q5": 3}, {"Q5": 2}])
    add_responses(gas, [{"Q5": 4}, {"Q5": 5}, {"Q5": 4}])
    timeliness = gas.indicators.get(code="repair_timeliness")
    body = {"indicator_id": timeliness.pk, "title": "抢修提速", "owner_id": org.users.north_service.pk,
            "due_on": "2026-12-31", "baseline_wave_id": w1.pk, "target": 70}
    assert_error(api_as(org.users.sales_n1).post(f"/surveys/{gas.pk}/actions", body), 403, "forbidden")
    api = api_as(org.users.north_marketing)
    r = api.post(f"/surveys/{gas.pk}/actions", body)
    assert r.status_code == 201, r.content
    action = r.json()
    assert action["baseline"] == pytest.approx(46.67, abs=0.01) and action["indicator_code"] == "repair_timeliness"
    assert action["movement"]["verdict"] == "up" and action["movement"]["later"][0]["score"] == pytest.approx(86.67,
                                                                                                             abs=0.01)
    assert [a["id"] for a in walk(api_as(org.users.sales_n1), f"/surveys/{gas.pk}/actions")] == [action["id"]]
    url = f"/surveys/{gas.pk}/actions/{action['id']}"
    assert api_as(org.users.sales_e1).get(url).json()["movement"]["later"][0]["significant"] is True
    # the owner reports progress only
    owner = api_as(org.users.north_service)
    assert owner.patch(url, {"status": "in_progress"}).json()["status"] == "in_progress"
    assert_error(owner.patch(url, {"target": 90}), 403, "forbidden")
    err = assert_error(api.patch(url, {"baseline_wave_id": 999999}), 422, "validation_error")
    assert "baseline_wave_id" in err["fields"]
    assert_error(api.post(f"/surveys/{gas.pk}/actions", {**body, "target": 120}), 422, "validation_error")
    assert_error(owner.delete(url), 403, "forbidden")
    assert api.delete(url).status_code == 204
    assert_error(api.get(url), 404, "not_found")
