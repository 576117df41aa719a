"""``kehu createuser``, ``kehu token create``, the ``kehu serve`` migration check, bench helpers."""

from __future__ import annotations

import pytest
from django.db import connections
from django.db.utils import load_backend

from kehu.bench.web import percentile
from kehu.cli import main
from kehu.demo import server
from kehu.org.models import ApiToken, User, hash_token


@pytest.mark.django_db
def test_createuser_prints_what_it_made(org, capsys):
    assert main(["createuser", "meimei", "--role", "salesperson", "--team", "North sales 1",
                 "--password", "secret-pass-1", "--name", "韩梅梅"]) == 0
    assert capsys.readouterr().out.strip() == "created user meimei (salesperson)"
    user = User.objects.get(username="meimei")
    assert user.team == org.teams.n1 and user.check_password("secret-pass-1") and user.display_name == "韩梅梅"


@pytest.mark.django_db
def test_createuser_unknown_team(capsys):
    assert main(["createuser", "lilei", "--team", "Nowhere", "--password", "x" * 10]) == 2
    assert "no team named 'Nowhere'" in capsys.readouterr().err
    assert not User.objects.filter(username="lilei").exists()


@pytest.mark.django_db
def test_createuser_makes_a_partner_user(capsys):
    from tests.factories import PartnerFactory

    partner = PartnerFactory(code="AG-01", name="华北一级代理")
    assert main(["createuser", "agent", "--role", "partner", "--partner", "AG-01", "--password", "agent-pass-7q"]) == 0
    assert User.objects.get(username="agent").partner == partner
    assert main(["createuser", "agent2", "--role", "partner", "--partner", "NOPE", "--password", "x" * 10]) == 2
    assert "no partner with the code 'NOPE'" in capsys.readouterr().err
    assert main(["createuser", "agent3", "--role", "partner", "--password", "agent-pass-7q"]) == 2   # needs a partner
    assert "partner" in capsys.readouterr().err


@pytest.mark.django_db
def test_token_create_prints_a_working_token(org, capsys):
    assert main(["token", "create", "sales_n1", "--name", "laptop"]) == 0
    raw = capsys.readouterr().out.strip()
    assert raw.startswith("kehu_") and len(raw) > 30
    token = ApiToken.objects.get(digest=hash_token(raw))
    assert token.user == org.users.sales_n1 and token.name == "laptop"


@pytest.mark.django_db
def test_token_create_unknown_user(capsys):
    assert main(["token", "create", "ghost"]) == 2
    assert "no user named 'ghost'" in capsys.readouterr().err


def _empty_sqlite(path):
    settings_dict = dict(connections["default"].settings_dict)
    settings_dict.update(ENGINE="django.db.backends.sqlite3", NAME=str(path), OPTIONS={},
                         USER="", PASSWORD="", HOST="", PORT="")
    return load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, "serve-check")


@pytest.mark.django_db
def test_serve_check_passes_on_a_migrated_database():
    assert server.pending_migrations() == []
    assert server.migration_problem() is None


@pytest.mark.django_db
def test_serve_check_refuses_an_unmigrated_database(tmp_path):
    conn = _empty_sqlite(tmp_path / "empty.sqlite3")
    try:
        pending = server.pending_migrations(conn)
        assert "customers.0001_initial" in pending and "org.0001_initial" in pending
        message = server.migration_problem(conn)
    finally:
        conn.close()
    assert "not migrated" in message and "run `kehu migrate`" in message


@pytest.mark.django_db
def test_serve_refuses_to_start_when_not_migrated(monkeypatch, capsys):
    monkeypatch.setattr(server, "migration_problem",
                        lambda database="default": "the database is not migrated: ...; run `kehu migrate` first")

    def no_gunicorn(*a, **k):  # pragma: no cover - must not be reached
        raise AssertionError("gunicorn must not start")

    monkeypatch.setattr("gunicorn.app.base.BaseApplication.run", no_gunicorn)
    assert main(["serve", "--port", "8123"]) == 2
    assert "run `kehu migrate`" in capsys.readouterr().err


def test_default_workers():
    assert 2 <= server.default_workers() <= 16


def test_percentile_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
