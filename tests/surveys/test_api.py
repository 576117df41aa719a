"""The survey definitions API: creating, weights, questions, the whole
definition in and out, errors in the envelope and the user's language."""

import pytest

from kehu.surveys.models import Survey
from tests.api.conftest import api_as, assert_error, walk  # noqa: F401  (api_as is a fixture)
from tests.surveys.test_weights import DRINKS, DRINKS_MATRIX, SAATY_PRIORITIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(org, api_as):
    return api_as(org.users.north_marketing)


def test_create_from_template_and_read_it_back(api):
    r = api.post("/surveys", {"code": "gas", "template": "natural-gas"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["status"] == "draft" and body["title"]["zh-hans"] == "天然气供气服务顾客满意度调查"
    indicators = walk(api, f"/surveys/{body['id']}/indicators")
    assert [i["code"] for i in indicators[:4]] == ["csi", "supply", "repair", "reading"]
    assert {i["code"]: i["weight"] for i in indicators}["pressure"] == 0.6
    questions = walk(api, f"/surveys/{body['id']}/questions")
    assert questions[0]["indicator_code"] == "pressure" and questions[3]["condition"]["question"] == "Q3"
    templates = api.get("/survey-templates").json()
    assert [t["name"] for t in templates][:2] == ["natural-gas", "acsi"]


def test_ahp_weights_through_the_api(api):
    survey = api.post("/surveys", {"code": "drinks", "title": {"en": "Drinks"}}).json()
    root = api.post(f"/surveys/{survey['id']}/indicators", {"code": "all", "name": {"en": "All"}}).json()
    for code, en, zh in DRINKS:
        api.post(f"/surveys/{survey['id']}/indicators", {"parent_id": root["id"], "code": code,
                                                         "name": {"en": en, "zh-hans": zh}})
    path = f"/surveys/{survey['id']}/indicators/{root['id']}"
    check = api.post(f"{path}/ahp-check", {"matrix": DRINKS_MATRIX}).json()
    assert check["ok"] and check["cr"] == pytest.approx(0.022, abs=5e-4)
    r = api.put(f"{path}/weights", {"method": "ahp", "matrix": DRINKS_MATRIX})
    assert r.status_code == 200, r.content
    weights = r.json()["weights"]
    assert [round(weights[c], 3) for c, _en, _zh in DRINKS] == pytest.approx(SAATY_PRIORITIES, abs=1e-3)
    assert r.json()["basis"]["cr"] == pytest.approx(0.022, abs=5e-4)
    bad = [row[:] for row in DRINKS_MATRIX]
    bad[0][6], bad[6][0] = 9, "1/9"
    error = assert_error(api.put(f"{path}/weights", {"method": "ahp", "matrix": bad}), 422, "validation_error")
    assert "Coffee compared with Water" in error["fields"]["matrix"][0]
    error = assert_error(api.put(f"{path}/weights", {"method": "ahp", "matrix": bad},
                                 HTTP_ACCEPT_LANGUAGE="zh-hans"), 422)
    assert "“咖啡”与“水”的比较" in error["fields"]["matrix"][0]


def test_definition_round_trip_and_import_errors(api):
    gas = api.post("/surveys", {"code": "gas", "template": "natural-gas"}).json()
    definition = api.get(f"/surveys/{gas['id']}/definition").json()
    r = api.post("/surveys/import", {"definition": definition, "code": "gas-2"})
    assert r.status_code == 201, r.content
    again = api.get(f"/surveys/{r.json()['id']}/definition").json()
    assert again == dict(definition, code="gas-2")
    definition["questions"][0]["kind"] = "stars"
    error = assert_error(api.post("/surveys/import", {"definition": definition, "code": "gas-3"}), 422)
    assert "questions[0].kind" in error["fields"]
    assert not Survey.objects.filter(code="gas-3").exists()


def test_questions_and_model_through_the_api(api):
    acsi = api.post("/surveys", {"code": "acsi", "template": "acsi"}).json()
    base = f"/surveys/{acsi['id']}"
    r = api.post(f"{base}/questions", {"code": "X1", "kind": "scale10", "text": {"en": "More?"},
                                       "construct_code": "SAT"})
    assert r.status_code == 201 and r.json()["construct_code"] == "SAT"
    error = assert_error(api.post(f"{base}/questions", {"code": "X2", "kind": "text", "text": {"en": "Why?"},
                                                        "construct_code": "SAT"}), 422)
    assert "construct" in error["fields"]
    error = assert_error(api.post(f"{base}/paths", {"source": "CL", "target": "CE"}), 422)
    assert "loop" in error["fields"]["target"][0]
    r = api.patch(base, {"status": "active"})
    assert r.status_code == 200 and r.json()["status"] == "active"
