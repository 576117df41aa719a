"""Fixtures for the cases: a complaint and a service request about ``n1``."""

from __future__ import annotations

import pytest

from kehu.service.services import case_create


def make_case(actor, customer, **data):
    values = {"kind": "service", "subject": "Boiler makes a noise", "customer": customer}
    values.update(data)
    return case_create(actor=actor, data=values)


@pytest.fixture
def complaint(org, customers):
    return make_case(org.users.sales_n1, customers.n1, kind="complaint", subject="Gas bill too high",
                     severity=2, wants="compensation")


@pytest.fixture
def request_case(org, customers):
    return make_case(org.users.sales_n1, customers.n1)
