"""The published OpenAPI document and the interactive docs page."""

import re

import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db

EXPECTED = {
    "/api/v1/customers": {"get", "post"},
    "/api/v1/customers/{customer_id}": {"get", "patch", "delete"},
    "/api/v1/customers/{customer_id}/anniversaries": {"get", "post"},
    "/api/v1/customers/{customer_id}/anniversaries/{anniversary_id}": {"get", "patch", "delete"},
    "/api/v1/contacts": {"get", "post"},
    "/api/v1/contacts/{contact_id}": {"get", "patch", "delete"},
    "/api/v1/interactions": {"get", "post"},
    "/api/v1/interactions/{interaction_id}": {"get", "patch", "delete"},
    "/api/v1/products": {"get", "post"},
    "/api/v1/products/{product_id}": {"get", "patch", "delete"},
    "/api/v1/product-lines": {"get", "post"},
    "/api/v1/product-lines/{line_id}": {"get", "patch"},
    "/api/v1/orders": {"get", "post"},
    "/api/v1/orders/{order_id}": {"get", "patch", "delete"},
    "/api/v1/orders/{order_id}/payments": {"get", "post"},
    "/api/v1/me": {"get"},
    "/api/v1/surveys": {"get", "post"},
    "/api/v1/surveys/import": {"post"},
    "/api/v1/surveys/{survey_id}": {"get", "patch", "delete"},
    "/api/v1/surveys/{survey_id}/copy": {"post"},
    "/api/v1/surveys/{survey_id}/definition": {"get", "put"},
    "/api/v1/surveys/{survey_id}/indicators": {"get", "post"},
    "/api/v1/surveys/{survey_id}/indicators/{indicator_id}": {"patch", "delete"},
    "/api/v1/surveys/{survey_id}/indicators/{indicator_id}/weights": {"put"},
    "/api/v1/surveys/{survey_id}/indicators/{indicator_id}/ahp-check": {"post"},
    "/api/v1/surveys/{survey_id}/questions": {"get", "post"},
    "/api/v1/surveys/{survey_id}/questions/{question_id}": {"get", "patch", "delete"},
    "/api/v1/surveys/{survey_id}/questions/{question_id}/move": {"post"},
    "/api/v1/surveys/{survey_id}/constructs": {"get", "post"},
    "/api/v1/surveys/{survey_id}/constructs/{construct_id}": {"patch", "delete"},
    "/api/v1/surveys/{survey_id}/paths": {"get", "post"},
    "/api/v1/surveys/{survey_id}/paths/{path_id}": {"delete"},
    "/api/v1/survey-templates": {"get"},
    "/api/v1/value/runs": {"get", "post"},
    "/api/v1/value/runs/{run_id}": {"get"},
    "/api/v1/value/runs/{run_id}/progress": {"get"},
    "/api/v1/value/scores": {"get"},
    "/api/v1/value/scores/customers/{customer_id}": {"get"},
    "/api/v1/value/segments": {"get", "post"},
    "/api/v1/value/segments/{segment_id}": {"get", "patch", "delete"},
    "/api/v1/value/segments/{segment_id}/members": {"get"},
}


@pytest.fixture
def schema():
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    return r.json()


def test_openapi_document_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_every_path_and_method_is_published(schema):
    for path, methods in EXPECTED.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), (path, set(schema["paths"][path]))


def test_security_schemes_are_bearer_and_session(schema):
    schemes = schema["components"]["securitySchemes"]
    kinds = {(s["type"], s.get("scheme") or s.get("in")) for s in schemes.values()}
    assert ("http", "bearer") in kinds and ("apiKey", "cookie") in kinds


def test_lists_are_cursor_paged_and_errors_documented(schema):
    for path in ("/api/v1/customers", "/api/v1/contacts", "/api/v1/interactions", "/api/v1/products",
                 "/api/v1/product-lines", "/api/v1/orders", "/api/v1/orders/{order_id}/payments",
                 "/api/v1/customers/{customer_id}/anniversaries",
                 "/api/v1/surveys", "/api/v1/surveys/{survey_id}/indicators", "/api/v1/surveys/{survey_id}/questions",
                 "/api/v1/surveys/{survey_id}/constructs", "/api/v1/surveys/{survey_id}/paths",
                 "/api/v1/value/runs", "/api/v1/value/scores", "/api/v1/value/segments",
                 "/api/v1/value/segments/{segment_id}/members"):
        op = schema["paths"][path]["get"]
        params = {p["name"] for p in op["parameters"]}
        assert {"limit", "cursor"} <= params, path
        ref = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        paged = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert {"items", "next_cursor", "prev_cursor"} <= set(paged["properties"])
        assert "422" in op["responses"] and "401" in op["responses"]
    customer_params = {p["name"] for p in schema["paths"]["/api/v1/customers"]["get"]["parameters"]}
    assert {"q", "kind", "stage", "region", "owner_id", "team_id", "tag", "city", "sort"} <= customer_params
    score_params = {p["name"] for p in schema["paths"]["/api/v1/value/scores"]["get"]["parameters"]}
    assert {"run_id", "team_id", "region", "product_line_id", "tier", "churn_warning", "sort"} <= score_params
    assert "202" in schema["paths"]["/api/v1/value/runs"]["post"]["responses"]


def test_money_is_a_decimal_string_and_enums_are_listed(schema):
    comps = schema["components"]["schemas"]
    order = comps["OrderOut"]["properties"]
    assert order["amount"]["type"] == "string"
    stage = comps["CustomerOut"]["properties"]["lifecycle_stage"]
    text = str(stage) + str(comps.get("LifecycleStage", ""))
    assert "after_sales" in text and "won_back" in text


def test_docs_page_uses_local_assets_only():
    r = Client().get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert Client().get(asset).status_code == 200, asset
    # no address of another host anywhere in the page (a bare "cdn" could be inside a random CSRF token)
    assert not re.search(r"(?:https?:)?//[a-z0-9.-]+", html.lower().replace("//www.w3.org", "")), html


def test_customer_detail_lists_its_anniversaries(schema):
    comps = schema["components"]["schemas"]
    detail = schema["paths"]["/api/v1/customers/{customer_id}"]["get"]["responses"]["200"]
    ref = detail["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert "anniversaries" in comps[ref]["properties"]
    assert "anniversaries" not in comps["CustomerOut"]["properties"]


def test_no_two_schemas_share_a_name():
    """Django Ninja names each schema of the OpenAPI after its class and keeps the last one
    of a name: two classes called ``MoveIn`` in two routers leave one of them documented
    with the other's fields (schemathesis then sends bodies the operation never takes).
    Every class that reaches the document needs a name of its own."""
    import collections
    import json

    from kehu.api.endpoints import api

    seen = collections.defaultdict(dict)
    for prefix, router in api._routers:
        for path, view in router.path_operations.items():
            for operation in view.operations:
                models = [m for m in (operation.response_models or {}).values() if m is not None]
                models += list(getattr(operation, "models", None) or [])
                for model in models:
                    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
                    for name, definition in schema.get("$defs", {}).items():
                        seen[name][json.dumps(definition, sort_keys=True)] = f"{prefix}{path}"
    clashes = {name: sorted(set(found.values())) for name, found in seen.items() if len(found) > 1}
    assert not clashes, f"schemas of one name, different fields: {clashes}"
