"""Fixtures of the backup tests: files under a temporary var/, a database full
of the factories' records, and scratch databases to restore into (a file
under tmp_path on SQLite; a database with a unique name on PostgreSQL,
dropped afterwards)."""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile
import types
import uuid
from types import SimpleNamespace

import pytest
from django.db import connections

from kehu.engagement.services import task_create
from kehu.insights.models import RunTrigger
from kehu.insights.services import run_create, run_execute
from kehu.surveys.services.definitions import survey_create_from_template
from tests.factories import ContactFactory, InteractionFactory, OrderFactory
from tests.insights.factories import order_history
from tests.surveys.conftest import add_responses


@pytest.fixture
def var(settings, tmp_path):
    """A var/ with a media file, a settings file and the secret key, and backups beside them."""
    root = tmp_path / "var"
    (root / "media" / "attachments").mkdir(parents=True)
    (root / "media" / "attachments" / "合同.pdf").write_bytes(b"%PDF-1.4 contract\x00\xff")
    (root / "secret_key").write_text("not-in-a-backup-by-default")
    (root / "settings.json").write_text('{"note": "a setting kept under var/"}')
    (root / "cache").mkdir()
    (root / "cache" / "vega.js").write_text("regenerated, never backed up")
    settings.VAR_DIR = root
    settings.MEDIA_ROOT = root / "media"
    settings.KEHU_BACKUP_DIR = root / "backups"
    settings.KEHU_RESTORE_LOCK = root / "restore.lock"
    return root


@pytest.fixture
def filled(org, customers):
    """Customers, contacts, interactions, orders, tasks, a survey with answers and a value analysis."""
    u = org.users
    for c in (customers.n1, customers.n1b, customers.e1):
        ContactFactory(customer=c)
        InteractionFactory(customer=c)
        OrderFactory(customer=c)
        task_create(actor=c.owner, customer=c, data={"title": "回访 call back"})
    order_history(u.sales_n1, customers=25, seed=3)
    survey = survey_create_from_template(actor=u.admin, template="natural-gas", code="gas")
    add_responses(survey, [{}, {}])
    run = run_execute(run_create(actor=u.admin, as_of=dt.date(2024, 12, 31), trigger=RunTrigger.CLI))
    assert run.status == "succeeded", run.error
    return SimpleNamespace(run=run, survey=survey)


def _add_alias(alias: str, name: str, real_ensure_connection) -> None:
    conf = dict(connections["default"].settings_dict)
    conf["NAME"] = name
    conf["TEST"] = {**conf.get("TEST", {}), "NAME": name}
    connections.settings[alias] = conf
    conn = connections[alias]
    # Django's test case forbids connections to aliases it was not told
    # about; the scratch databases are made and dropped by this fixture, so
    # their connections use the real method (pytest-django keeps it).
    conn.ensure_connection = types.MethodType(real_ensure_connection, conn)


def _drop_alias(alias: str) -> None:
    if alias in connections.settings:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]


@pytest.fixture
def scratch(tmp_path, django_db_blocker):
    """``scratch()`` → the alias of a new, empty database of the same vendor; all dropped afterwards."""
    made: list[tuple[str, str]] = []
    vendor = connections["default"].vendor

    def _scratch() -> str:
        alias = f"scratch_{len(made)}"
        if vendor == "sqlite":
            name = str(tmp_path / f"{alias}.sqlite3")
        else:
            name = f"kehu_backup_scratch_{uuid.uuid4().hex[:10]}"
            with connections["default"].cursor() as cur:
                cur.execute(f'CREATE DATABASE "{name}"')
        _add_alias(alias, name, django_db_blocker._real_ensure_connection)
        made.append((alias, name))
        return alias

    yield _scratch
    for alias, name in made:
        _drop_alias(alias)
        if vendor != "sqlite":
            with connections["default"].cursor() as cur:
                cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def rewrite_archive(src, dest, *, manifest=None, member=None):
    """Copy archive ``src`` to ``dest`` changing its manifest (``manifest(dict)``
    edits it in place) or one member's bytes (``member=(name, func(bytes) -> bytes)``)."""
    with tarfile.open(src, "r:gz") as tin, tarfile.open(dest, "w:gz") as tout:
        for info in tin:
            data = tin.extractfile(info).read()
            if info.name == "manifest.json" and manifest:
                doc = json.loads(data)
                manifest(doc)
                data = json.dumps(doc).encode()
            elif member and info.name == member[0]:
                data = member[1](data)
            info.size = len(data)
            tout.addfile(info, io.BytesIO(data))
    return dest
