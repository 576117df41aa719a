"""Shared fixtures. The suite runs on SQLite and on PostgreSQL (DATABASE_URL).

The ``org`` fixture builds the organisation every permission test uses::

    Head office (hq_manager, admin, analyst)
    ├── North region (north_manager, north_service, north_marketing)
    │   └── North sales 1 (sales_n1, sales_n1b)
    └── East region (east_manager)
        └── East sales 1 (sales_e1)
"""

from __future__ import annotations

import os
import socket
from types import SimpleNamespace

import pytest

from tests.factories import CustomerFactory, TeamFactory, UserFactory

PASSWORD = "kehu-pass-123"


def pytest_configure(config):
    from django.conf import settings

    # Hashing the test users' passwords with PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Background jobs run at once, in the test's process (no worker).
    from kehu import jobs

    jobs.huey.immediate = True
    # The suite must never reach the internet: only loopback connections.
    real_connect = socket.socket.connect

    def guarded_connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and not (
            host.startswith("127.") or host in ("localhost", "::1") or host.startswith("/")
        ):
            raise OSError(f"network access blocked in tests: {address!r}")
        return real_connect(self, address)

    socket.socket.connect = guarded_connect


@pytest.fixture
def org(db):
    return make_org()


def make_org():
    """Five teams (head office; North and East regions; a sales team under each) and ten users."""
    hq = TeamFactory(name="Head office")
    north = TeamFactory(name="North region", parent=hq)
    east = TeamFactory(name="East region", parent=hq)
    n1 = TeamFactory(name="North sales 1", parent=north)
    e1 = TeamFactory(name="East sales 1", parent=east)
    u = SimpleNamespace(
        admin=UserFactory(username="admin", role="admin", team=hq, is_superuser=True, is_staff=True),
        hq_manager=UserFactory(username="hq_manager", role="sales_manager", team=hq),
        analyst=UserFactory(username="analyst", role="analyst", team=hq),
        north_manager=UserFactory(username="north_manager", role="sales_manager", team=north),
        north_service=UserFactory(username="north_service", role="service_agent", team=north),
        north_marketing=UserFactory(username="north_marketing", role="marketing", team=north),
        east_manager=UserFactory(username="east_manager", role="sales_manager", team=east),
        sales_n1=UserFactory(username="sales_n1", role="salesperson", team=n1),
        sales_n1b=UserFactory(username="sales_n1b", role="salesperson", team=n1),
        sales_e1=UserFactory(username="sales_e1", role="salesperson", team=e1),
    )
    return SimpleNamespace(teams=SimpleNamespace(hq=hq, north=north, east=east, n1=n1, e1=e1), users=u)


@pytest.fixture
def customers(org):
    """One customer per salesperson: ``n1`` (sales_n1), ``n1b`` (sales_n1b), ``e1`` (sales_e1)."""
    return make_customers(org)


def make_customers(org):
    u = org.users
    return SimpleNamespace(
        n1=CustomerFactory(name="北方钢铁贸易有限公司", owner=u.sales_n1, city="北京", region="north", phone="13800138001"),
        n1b=CustomerFactory(name="张三", kind="individual", owner=u.sales_n1b, city="天津", region="north", phone="13800138002"),
        e1=CustomerFactory(name="华东机械集团", owner=u.sales_e1, city="上海", region="east", phone="13900139003",
                           email="buyer@huadong.example"),
    )


@pytest.fixture(autouse=True, scope="session")
def _no_collected_static_files(tmp_path_factory):
    """Tests see the static files as before any collection, whatever `kehu serve` (say,
    after `make demo`) left in this checkout's var/static: a hashed manifest there would
    change every static URL the tests compare."""
    from django.test import override_settings

    with override_settings(STATIC_ROOT=tmp_path_factory.mktemp("static")):
        yield


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """One transaction around a whole test module, for data that many tests share.

    A module-scoped fixture that asks for this one builds its records once; each
    test then runs in a savepoint inside this transaction (pytest-django's ``db``),
    so what a test writes is rolled back before the next, and the shared records
    are rolled back when the module ends. Hand tests copies of the shared model
    instances (:func:`copy.deepcopy`) so that one test's changes in memory do not
    reach the next. Files and ``on_commit`` work never happen here, as in every
    ``db`` test.
    """
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def login(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def client_for(client):
    def _client_for(user):
        client.logout()
        client.force_login(user)
        return client

    return _client_for


@pytest.fixture(autouse=True)
def _english_by_default(settings, monkeypatch):
    """Tests read English unless they switch; the product defaults to zh-hans,
    and the ``kehu`` command speaks the language of the shell's locale."""
    language = os.environ.get("KEHU_TEST_LANGUAGE", "en")
    settings.LANGUAGE_CODE = language
    settings.KEHU_VALIDATE_CHARTS = True   # the product skips Altair's validation (kehu/web/charts.py)
    monkeypatch.setenv("KEHU_LANGUAGE", language)
