"""Schemathesis over the published OpenAPI: every operation, as an
administrator and as a salesperson, with a bounded number of generated
requests each (``KEHU_SCHEMATHESIS_EXAMPLES``, default below), derandomized
(the same requests every run) and without Hypothesis' example database.

Checks: no server error (5xx), every status code documented for the
operation, the documented content type, and the body conforming to the
documented schema. It must find nothing.

Path parameters are half the time the ids of records that exist (so that the
operation gets past its 404), half the time what Schemathesis makes up. Each
request runs in a savepoint that is rolled back, so every request meets the
same records and a failed one cannot spoil the next.
"""

from __future__ import annotations

import logging
import os

import pytest
from django.core import signals
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

from kehu.org.services import token_create
from tests.api.records import records  # noqa: F401
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

EXAMPLES = int(os.environ.get("KEHU_SCHEMATHESIS_EXAMPLES", "8"))
# Valid requests, and requests that break the schema (wrong types, missing fields, a body
# that is not an object): the first must not fail on the server, the second must be refused.
MODES = os.environ.get("KEHU_SCHEMATHESIS_MODES", "positive,negative").split(",")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
# Safe methods first, deletes last: the order only matters for what a reader of a failure sees,
# since every request is rolled back.
METHOD_ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


@pytest.fixture
def wsgi_app():
    """Kehu's WSGI application, without Django closing the test's connection
    after each request (the test client does the same)."""
    from kehu.wsgi import application

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield application
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def _operations(schema):
    operations = []
    for result in schema.get_all_operations():
        operations.append(result.ok())
    return sorted(operations, key=lambda op: (METHOD_ORDER.get(op.method.upper(), 9), op.path))


def _run_operation(operation, *, headers, records, failures, role):
    strategy = st.one_of([operation.as_strategy(GenerationMode(mode.strip())) for mode in MODES])

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
              print_blob=False)
    @given(case=strategy, data=st.data())
    def run(case, data):
        for name in list(case.path_parameters or {}):
            if name in records and data.draw(st.booleans(), label=f"known {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(records[name]), label=name)
        with transaction.atomic():
            try:
                response = case.call(headers=headers)
                if os.environ.get("KEHU_SCHEMATHESIS_TRACE"):
                    print(role, response.status_code, case.method, case.formatted_path, case.query, case.body)
                case.validate_response(response, checks=CHECKS, headers=headers)
            finally:
                transaction.set_rollback(True)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every operation that fails
        failures.append(f"{role} {operation.method.upper()} {operation.path}:\n{exc}")


@pytest.mark.parametrize("role", ["sales_n1", "admin"])
def test_every_operation_answers_within_its_schema(role, org, records, wsgi_app, caplog):
    caplog.set_level(logging.CRITICAL, logger="django.request")  # thousands of expected 4xx
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app)
    _token, raw = token_create(user=getattr(org.users, role), name="schemathesis")
    headers = {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}
    failures: list[str] = []
    operations = _operations(schema)
    assert len(operations) > 50
    only = os.environ.get("KEHU_SCHEMATHESIS_ONLY")  # e.g. "/visits": rerun one part while fixing it
    if only:
        operations = [op for op in operations if only in op.path]
    for operation in operations:
        _run_operation(operation, headers=headers, records=records, failures=failures, role=role)
    assert not failures, f"{len(failures)} operation(s) failed:\n\n" + "\n\n".join(failures)
