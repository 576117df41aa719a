from __future__ import annotations

import datetime as dt

import pytest

from kehu.marketing.membership.services import member_enrol


@pytest.fixture
def members(org, customers):
    """``n1`` and ``e1`` are members (standard tier), joined 2026-01-01; ``n1b`` is not."""
    from types import SimpleNamespace

    return SimpleNamespace(
        n1=member_enrol(actor=None, customer=customers.n1, joined_on=dt.date(2026, 1, 1)),
        e1=member_enrol(actor=None, customer=customers.e1, joined_on=dt.date(2026, 1, 1)),
    )
