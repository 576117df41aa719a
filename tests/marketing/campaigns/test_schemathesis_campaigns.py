"""Schemathesis over the /campaigns operations of the published OpenAPI, as the whole run does
(tests/api/test_schemathesis.py: same checks, same records), but only for /campaigns."""

from __future__ import annotations

import logging

import pytest
import schemathesis

from kehu.org.services import token_create
from tests.api.records import records  # noqa: F401
from tests.api.test_schemathesis import _operations, _run_operation, wsgi_app  # noqa: F401
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.parametrize("role", ["sales_n1", "admin", "north_marketing"])
def test_campaign_operations_answer_within_their_schema(role, org, records, wsgi_app, caplog):  # noqa: F811
    caplog.set_level(logging.CRITICAL, logger="django.request")
    assert "campaign_id" in records
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    _token, raw = token_create(user=getattr(org.users, role), name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    failures: list[str] = []
    operations = [op for op in _operations(schema) if op.path.startswith("/api/v1/campaigns")]
    assert len(operations) == 10
    for operation in operations:
        _run_operation(operation, headers=headers, records=records, failures=failures, role=role)
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
