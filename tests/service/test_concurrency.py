"""Two agents changing one case at once, each on its own database connection: one wins,
the other gets a clear conflict, nothing is lost (row lock + version column)."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from kehu.service.models import Case, CaseStatus
from kehu.service.services import CaseConflict, TransitionNotAllowed, case_transition, case_update
from tests.service.conftest import make_case

pytestmark = pytest.mark.django_db(transaction=True)


def _skip_memory_sqlite():
    if connection.vendor == "sqlite" and connection.settings_dict["NAME"].startswith(("file:memorydb", ":memory:")):
        pytest.skip("an in-memory SQLite database is not shared between connections; run on PostgreSQL")


def _two_agents(first, second, hold: float = 0.5):
    """``first`` changes the case in a transaction it keeps open for ``hold`` seconds;
    ``second`` starts meanwhile on another connection. Returns both outcomes and how
    long ``second`` waited."""
    inside = threading.Event()
    out = {}

    def run_first():
        try:
            with transaction.atomic():
                out["first"] = first()
                inside.set()
                time.sleep(hold)
        except Exception as exc:  # noqa: BLE001 - reported by the test
            out["first"] = exc
            inside.set()
        finally:
            connections.close_all()

    def run_second():
        try:
            inside.wait(5)
            started = time.monotonic()
            try:
                out["second"] = second()
            except Exception as exc:  # noqa: BLE001
                out["second"] = exc
            out["waited"] = time.monotonic() - started
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_two_edits_of_the_same_version_one_wins_one_conflicts(org, customers):
    _skip_memory_sqlite()
    case = make_case(org.users.sales_n1, customers.n1)
    v = case.version
    a, b = org.users.sales_n1, org.users.north_service
    out = _two_agents(
        lambda: case_update(actor=a, case=Case.objects.get(pk=case.pk), data={"severity": 1}, version=v),
        lambda: case_update(actor=b, case=Case.objects.get(pk=case.pk), data={"subject": "Other"}, version=v),
    )
    assert isinstance(out["first"], Case), out
    assert isinstance(out["second"], CaseConflict), out
    if connection.vendor == "postgresql":
        assert out["waited"] > 0.3   # the second waited for the first's row lock
    case.refresh_from_db()
    assert (case.severity, case.subject, case.version) == (1, "Boiler makes a noise", v + 1)
    assert case.events.filter(kind="update").count() == 1


def test_two_moves_at_once_one_is_refused(org, customers):
    _skip_memory_sqlite()
    case = make_case(org.users.sales_n1, customers.n1)
    a, b = org.users.sales_n1, org.users.north_service
    out = _two_agents(
        lambda: case_transition(actor=a, case=Case.objects.get(pk=case.pk), to_status=CaseStatus.ACCEPTED),
        lambda: case_transition(actor=b, case=Case.objects.get(pk=case.pk), to_status=CaseStatus.ACCEPTED),
    )
    assert isinstance(out["first"], Case), out
    assert isinstance(out["second"], TransitionNotAllowed), out
    case.refresh_from_db()
    assert case.status == CaseStatus.ACCEPTED and case.version == 2
    assert case.events.filter(kind="transition").count() == 1
