import logging

import pytest
import schemathesis

from kehu.org.services import token_create
from tests.api.records import records  # noqa: F401
from tests.api.test_schemathesis import _operations, _run_operation, wsgi_app  # noqa: F401
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = [pytest.mark.django_db]


@pytest.mark.parametrize("role", ["sales_n1", "admin", "north_marketing"])
def test_mine(role, org, records, wsgi_app, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    _token, raw = token_create(user=getattr(org.users, role), name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    failures = []
    ops = [op for op in _operations(schema) if op.path.startswith(("/api/v1/members", "/api/v1/points"))]
    assert len(ops) >= 8, [op.path for op in ops]
    for operation in ops:
        _run_operation(operation, headers=headers, records=records, failures=failures, role=role)
    assert not failures, "\n\n".join(failures)
