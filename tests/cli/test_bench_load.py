"""``kehu bench load`` drives a live server over HTTP: a short smoke run with two
people on the test database; every kind of request runs and none fails (no
timing is asserted: figures are printed, docs/benchmarks.md records them)."""

from __future__ import annotations

import pytest

from kehu.bench.load import KINDS, run_load
from kehu.org.models import ApiToken
from kehu.sales.models import Order
from kehu.surveys.models import Response, Wave
from tests.conftest import PASSWORD
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_people_for_a_few_seconds_run_every_kind_without_error(org, live_server, settings, capsys):
    settings.KEHU_ANSWER_RATE_PER_IP = 0
    u = org.users
    for i in range(12):
        CustomerFactory(name=f"北方钢铁{i:02d}贸易", owner=u.sales_n1 if i % 2 else u.hq_manager)
    orders_before = Order.objects.count()
    result = run_load(users=2, minutes=0.1, reference_minutes=0.1, ramp=0.5, url=live_server.url,
                      password=PASSWORD, usernames=["hq_manager", "sales_n1"], think=(0.02, 0.08), seed=3)
    printed = capsys.readouterr().out
    assert "pages and API" in printed and "reference" in printed
    for phase in ("reference", "load"):
        figures = result["phases"][phase]
        assert figures["errors"] == 0, result["errors_seen"]
        for kind in KINDS:
            if kind in ("login form", "login") and phase == "load":
                continue   # the logins fall in the ramp, unless a person logs in again
            assert figures["kinds"][kind]["n"] > 0, (phase, kind)
    assert result["phases"]["load"]["ramp"]["logins"]["n"] >= 2   # each person logged in
    assert result["p95_ratio"]["pages and API"] is not None
    # the answers were stored, the run's traces removed
    phases = result["phases"]
    submitted = sum(phases[p]["kinds"]["answer submit"]["n"] for p in ("reference", "load")) + \
        phases["load"]["ramp"]["kinds"]["answer submit"]
    assert Response.objects.filter(status="complete").count() == submitted
    assert Order.objects.count() == orders_before
    assert not ApiToken.objects.filter(revoked_at__isnull=True).exists()
    assert not Wave.objects.filter(status="open").exists()
