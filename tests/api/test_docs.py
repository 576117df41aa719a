"""docs/api.md documents every endpoint of the published OpenAPI document.

An endpoint counts as documented when docs/api.md names its method and path
template together, as in the section heading ``#### GET /api/v1/customers/{customer_id}``.
Headings that name an endpoint the API no longer has fail too, so the
reference cannot keep describing what was removed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

API_DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
HTTP_METHODS = ("get", "post", "put", "patch", "delete", "head", "options", "trace")

# "GET /api/v1/customers/{customer_id}" anywhere in a line; the path ends at
# whitespace, a backtick, a query string or punctuation, so that
# "GET /api/v1/customers?limit=2" names GET /api/v1/customers.
_ENDPOINT = re.compile(
    r"\b(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|TRACE)\s+(/api/v1[^\s`?#)\]|,;:]*)"
)
_HEADING = re.compile(r"^#{1,6}\s")


def _published() -> set[tuple[str, str]]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200, response.content
    paths = response.json()["paths"]
    return {(method.upper(), path) for path, ops in paths.items() for method in ops if method in HTTP_METHODS}


def _named(lines) -> set[tuple[str, str]]:
    found = set()
    for line in lines:
        for method, path in _ENDPOINT.findall(line):
            found.add((method, path.rstrip(".")))
    return found


def _doc_lines() -> list[str]:
    assert API_DOC.exists(), f"{API_DOC} is missing: it is the API reference that README.md links to."
    return API_DOC.read_text(encoding="utf-8").splitlines()


def _listing(endpoints) -> str:
    return "\n".join(f"  {method} {path}" for path, method in sorted((p, m) for m, p in endpoints))


def test_every_published_endpoint_is_documented():
    missing = _published() - _named(_doc_lines())
    assert not missing, (
        f"docs/api.md does not document {len(missing)} endpoint(s) of the OpenAPI document "
        "(GET /api/v1/openapi.json):\n"
        f"{_listing(missing)}\n"
        "Add a section for each to docs/api.md under its resource, headed with the method and the path "
        "template exactly as the OpenAPI document writes it (for example `#### GET /api/v1/customers/{customer_id}`), "
        "with its purpose, filters or body, a curl example and a trimmed real response."
    )


def test_no_heading_names_an_endpoint_that_does_not_exist():
    headings = [line for line in _doc_lines() if _HEADING.match(line)]
    stale = _named(headings) - _published()
    assert not stale, (
        "docs/api.md has section headings for endpoints the API does not publish:\n"
        f"{_listing(stale)}\n"
        "Remove those sections, or fix the method or path template to match GET /api/v1/openapi.json."
    )


def test_the_check_reads_method_and_path_together():
    # Guards the pattern itself: a path template is one endpoint, a query
    # string or a trailing backtick is not part of the path, and a longer path
    # does not count for its prefix.
    lines = [
        "### GET /api/v1/customers/{customer_id}",
        "curl: `GET /api/v1/customers?limit=2`.",
        "PATCH /api/v1/orders/{order_id}/payments, then",
    ]
    assert _named(lines) == {
        ("GET", "/api/v1/customers/{customer_id}"),
        ("GET", "/api/v1/customers"),
        ("PATCH", "/api/v1/orders/{order_id}/payments"),
    }
