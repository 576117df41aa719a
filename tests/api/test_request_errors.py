"""Requests that used to reach the user as a 500 (or as gunicorn's HTML), over
every operation of the OpenAPI: a NUL character anywhere, a body too large, a
URL too long, a JSON body that is not an object, null in a PATCH, empty
references; and an empty PATCH by someone who may not change the record.

Run on PostgreSQL too: it is the database that cannot store a NUL character.
"""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.api.conftest import assert_error
from tests.api.records import records  # noqa: F401
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = pytest.mark.django_db

NUL = "\x00"


@pytest.fixture
def operations():
    schema = Client().get("/api/v1/openapi.json").json()
    return [(method.upper(), path, op) for path, item in schema["paths"].items() for method, op in item.items()]


def _url(path: str, records) -> str:  # noqa: F811
    """``path`` with the ids of existing records (the constructs and paths are the second survey's)."""
    second_survey = "{construct_id}" in path or "{path_id}" in path
    return re.sub(r"\{(\w+)\}", lambda m: str(records[m.group(1)][1 if second_survey and m.group(1) == "survey_id"
                                                                    else 0]), path)


def test_nul_in_a_query_parameter_is_400_on_every_get(org, records, operations, api_as):  # noqa: F811
    api = api_as(org.users.admin)
    gets = [(m, p) for m, p, _op in operations if m == "GET" and not p.endswith(("/openapi.json", "/docs"))]
    assert len(gets) > 25
    for _method, path in gets:
        for params in ({"q": f"北{NUL}京"}, {f"x{NUL}": "1"}, {"cursor": NUL}):
            r = api.get(_url(path, records), params)
            err = assert_error(r, 400, "invalid_character")
            assert "NUL" in next(iter(err["fields"].values()))[0], (path, err)
        assert api.get(_url(path, records), {"q": f"北{NUL}京"}).json()["error"]["fields"] == {"q": [
            "Contains a NUL character (\\x00), which cannot be stored; remove it."]}


def test_nul_in_a_json_body_is_400_on_every_write_naming_the_field(org, records, operations, api_as):  # noqa: F811
    api = api_as(org.users.admin)
    writes = [(m, p) for m, p, op in operations if m in ("POST", "PUT", "PATCH")]
    assert len(writes) > 30
    bodies = [
        ({"name": f"a{NUL}b", "title": "ok"}, {"name"}),
        ({"lines": [{"description": "ok"}, {"description": f"\\{NUL}"}]}, {"lines.1.description"}),
        ({f"bad{NUL}key": 1}, {"__all__"}),
    ]
    for method, path in writes:
        for body, fields in bodies:
            r = getattr(api, method.lower())(_url(path, records), body)
            err = assert_error(r, 400, "invalid_character")
            assert set(err["fields"]) == fields, (method, path, err)
        # A raw NUL byte (not valid JSON text) is refused the same way.
        r = getattr(api, method.lower())(_url(path, records), raw='{"name": "a\x00"}')
        assert_error(r, 400, "invalid_character")


def test_an_escaped_backslash_before_u0000_is_not_a_nul(org, api_as):
    # "\\u0000" in JSON is the six characters \u0000, which PostgreSQL stores happily.
    api = api_as(org.users.admin)
    r = api.post("/tasks", raw=json.dumps({"title": "C:\\u0000 folder"}))
    assert r.status_code == 201, r.content
    assert r.json()["title"] == "C:\\u0000 folder"


def test_nul_in_the_path_is_400(org, api_as):
    api = api_as(org.users.admin)
    for url in ("/api/v1/customers/%00", "/api/v1/surveys/1%00/waves", "/api/v1/no%00such"):
        assert_error(api.get(url), 400, "invalid_character")


def test_nul_messages_are_translated(org, api_as):
    api = api_as(org.users.admin)
    r = api.get("/customers", {"q": NUL}, HTTP_ACCEPT_LANGUAGE="zh-Hans")
    err = assert_error(r, 400, "invalid_character")
    assert "NUL" in err["message"] and not err["message"].isascii()


def test_a_60_mb_body_is_413_in_the_envelope(org, api_as):
    api = api_as(org.users.admin)
    body = '{"title": "' + "x" * (60 * 1024 * 1024) + '"}'
    for method, url in (("post", "/tasks"), ("patch", f"/tasks/{1}"), ("post", "/customers")):
        err = assert_error(getattr(api, method)(url, raw=body), 413, "payload_too_large")
        assert "50 MB" in err["message"]


def test_a_too_long_url_is_414_in_the_envelope(org, api_as, settings):
    api = api_as(org.users.admin)
    assert api.get("/customers", {"q": "x" * 7900}).status_code != 414
    err = assert_error(api.get("/customers", {"q": "x" * 9000}), 414, "uri_too_long")
    assert "8000" in err["message"]
    settings.KEHU_MAX_URL_LENGTH = 100
    assert_error(api.get("/customers", {"q": "x" * 100}), 414, "uri_too_long")


@pytest.mark.parametrize("raw", ['"hello"', "[1, 2]", "123", "null", "true", '[{"title": "x"}]'])
def test_a_body_that_is_not_an_object_is_422_on_every_write(org, records, operations, api_as, raw):  # noqa: F811
    """Even where the endpoint reads no body (``POST /waves/{id}/open``)."""
    from kehu.engagement.models import Task

    api = api_as(org.users.admin)
    tasks = Task.objects.count()
    writes = [(m, p) for m, p, op in operations if m in ("POST", "PUT", "PATCH")]
    assert len(writes) > len([1 for m, _p, op in operations if m in ("POST", "PUT", "PATCH") and "requestBody" in op])
    for method, path in writes:
        r = getattr(api, method.lower())(_url(path, records), raw=raw)
        err = assert_error(r, 422, "validation_error")
        assert err["fields"] == {"__all__": ["Send a JSON object."]}, (method, path, err)
    assert Task.objects.count() == tasks  # "hello" once created a task titled "Hello"


def test_null_in_a_patch_is_422_where_the_field_may_not_be_empty(org, records, api_as):  # noqa: F811
    api = api_as(org.users.admin)
    wave = records["wave_id"][0]
    for field in ("max_reminders", "reminder_after_days", "name", "population"):
        err = assert_error(api.patch(f"/waves/{wave}", {field: None}), 422, "validation_error")
        assert err["fields"] == {field: ["This field cannot be null."]}
    assert api.patch(f"/waves/{wave}", {"opens_on": None, "max_reminders": 3}).status_code == 200
    # The constraints of the full schema hold in its PATCH form too.
    err = assert_error(api.patch(f"/waves/{wave}", {"max_reminders": 11}), 422, "validation_error")
    assert set(err["fields"]) == {"max_reminders"}
    survey = records["survey_id"][0]
    err = assert_error(api.patch(f"/surveys/{survey}", {"satisfied_from": 101}), 422, "validation_error")
    assert set(err["fields"]) == {"satisfied_from"}


def test_patch_schemas_publish_only_the_nulls_they_accept():
    schema = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]
    wave = schema["WavePatchIn"]["properties"]
    assert "anyOf" not in wave["max_reminders"] and wave["max_reminders"]["maximum"] == 10
    assert "default" not in wave["max_reminders"]
    assert {"type": "null"} in wave["opens_on"]["anyOf"]


def test_empty_references_are_422_not_500(org, records, api_as):  # noqa: F811
    api = api_as(org.users.admin)
    survey = records["survey_id"][1]  # the ACSI template: constructs and paths
    err = assert_error(api.post(f"/surveys/{survey}/paths", {"source": "", "target": ""}), 422, "validation_error")
    assert set(err["fields"]) == {"source", "target"}
    err = assert_error(api.post(f"/surveys/{survey}/paths", {"source": "   ", "target": "XX"}), 422,
                       "validation_error")
    assert set(err["fields"]) == {"source", "target"}


def test_an_empty_patch_still_checks_permission(org, records, operations, api_as):  # noqa: F811
    """An analyst sees every record and may change none: ``PATCH {}`` is a 403
    on every PATCH endpoint, as a patch with fields is (it was a 200)."""
    analyst = api_as(org.users.analyst)
    patches = [p for m, p, _op in operations if m == "PATCH"]
    assert len(patches) >= 15
    # a saved view is its owner's own, whatever the role: someone else's is a 404 (below);
    # /me is the caller's own account, which everyone changes (its language)
    personal = {"/api/v1/saved-views/{view_id}", "/api/v1/me"}
    # staff without a login are read by administrators and survey designers only: to an
    # analyst they do not exist (404), as any record outside one's view
    unseen = {"/api/v1/employees/{employee_id}"}
    for path in patches:
        if path in personal:
            continue
        if path in unseen:
            assert_error(analyst.patch(_url(path, records), {}), 404, "not_found")
            continue
        r = analyst.patch(_url(path, records), {})
        assert r.status_code == 403, (path, r.content)
        assert_error(r, 403, "forbidden")
    sales = api_as(org.users.sales_n1)
    assert_error(sales.patch(f"/surveys/{records['survey_id'][0]}", {}), 403, "forbidden")
    assert_error(analyst.patch(f"/saved-views/{records['view_id'][0]}", {}), 404, "not_found")


@pytest.mark.parametrize("content_type", ["text/plain", "multipart/mixed", "application/octet-stream", ""])
def test_a_json_body_sent_as_another_type_is_checked_too(org, api_as, content_type):
    # django-ninja reads a body as JSON whatever its declared type.
    api = api_as(org.users.admin)
    r = api.client.post("/api/v1/tasks", data='{"title": "a\\u0000"}', content_type=content_type, **api.headers)
    err = assert_error(r, 400, "invalid_character")
    assert set(err["fields"]) == {"title"}
