"""Schemathesis over the /care operations only (the full run, tests/api/test_schemathesis.py,
covers them too with the records of tests/api/records.py): quicker feedback for the care calendar."""

from __future__ import annotations

import logging

import pytest
import schemathesis

from kehu.org.services import token_create
from tests.api.records import records  # noqa: F401
from tests.api.test_schemathesis import _operations, _run_operation, wsgi_app  # noqa: F401
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


@pytest.mark.parametrize("role", ["sales_n1", "north_marketing", "admin"])
def test_care_operations_answer_within_their_schema(role, org, records, wsgi_app, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    _token, raw = token_create(user=getattr(org.users, role), name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    failures: list[str] = []
    operations = [op for op in _operations(schema) if op.path.startswith("/api/v1/care")]
    assert len(operations) == 9
    for operation in operations:
        _run_operation(operation, headers=headers, records=records, failures=failures, role=role)
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
