"""The same message sent twice through the public form at the same instant, on two
database connections: one case, the second submission merged into it (the advisory
lock of kehu.service.intake._serialise_on). PostgreSQL: an in-memory SQLite database
is not shared between connections, and SQLite serialises its IMMEDIATE transactions."""

import threading

import pytest
from django.db import connections

from kehu.service.intake import Submission, intake_link_create, public_submit
from kehu.service.models import Case, EventKind
from tests.service.test_concurrency import _skip_memory_sqlite

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_identical_submissions_at_once_make_one_case(org):
    _skip_memory_sqlite()
    link = intake_link_create(actor=org.users.admin, data={"name": "Tianjin centre", "team": org.teams.north})
    sub = Submission(kind="complaint", name="王工", phone="13800000007", email="", reference="",
                     description="Q235 钢板表面有锈斑，第二批也一样。")
    start = threading.Barrier(2)
    outcomes, errors = [], []

    def send():
        try:
            start.wait(5)
            outcomes.append(public_submit(link=link, submission=sub))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert Case.objects.count() == 1
    assert sorted(o.duplicate for o in outcomes) == [False, True]
    assert Case.objects.get().events.filter(kind=EventKind.DUPLICATE).count() == 1
