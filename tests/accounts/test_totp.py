"""The administrators' optional second factor (TOTP): set-up with a QR code, login asks for the code,
recovery codes, `kehu totp disable`."""

import re

import pyotp
import pytest
from django.test import Client
from django.urls import reverse

from kehu.accounts.models import TotpDevice
from kehu.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _code(secret, offset=0):
    totp = pyotp.TOTP(secret)
    import time

    return totp.at(time.time() + offset * 30)


def _enable(client):
    html = client.get(reverse("totp_setup")).content.decode()
    assert "<svg" in html
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', html).group(1)
    r = client.post(reverse("totp_setup"), {"code": "000000" if _code(secret) != "000000" else "111111"})
    assert "does not match" in r.content.decode()
    r = client.post(reverse("totp_setup"), {"code": _code(secret)})
    assert r.status_code == 200
    codes = re.findall(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>", r.content.decode())
    assert len(codes) == 10
    return secret, codes


@pytest.fixture
def admin_with_totp(org):
    client = Client()
    client.force_login(org.users.admin)
    secret, codes = _enable(client)
    TotpDevice.objects.filter(user=org.users.admin).update(last_step=0)  # the set-up code may be reused below
    return secret, codes


def _password_step(client, username="admin"):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def test_only_administrators_may_set_it_up(org):
    client = Client()
    client.force_login(org.users.sales_n1)
    assert client.get(reverse("totp_setup")).status_code == 403
    assert reverse("totp_setup") not in client.get(reverse("profile")).content.decode()
    client.force_login(org.users.admin)
    assert reverse("totp_setup") in client.get(reverse("profile")).content.decode()


def test_login_asks_for_the_code(org, admin_with_totp):
    secret, _codes = admin_with_totp
    assert AuditEvent.objects.filter(action="totp_enable", entity_id=org.users.admin.pk).exists()
    client = Client()
    r = _password_step(client)
    assert r.status_code == 302 and r["Location"] == reverse("login_code")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302  # not signed in yet
    r = client.post(reverse("login_code"), {"code": "12345"})
    assert r.status_code == 200 and "_auth_user_id" not in client.session
    r = client.post(reverse("login_code"), {"code": _code(secret)})
    assert r.status_code == 302 and r["Location"] == reverse("home")
    assert client.session["_auth_user_id"] == str(org.users.admin.pk)


def test_a_code_is_accepted_once(org, admin_with_totp):
    secret, _codes = admin_with_totp
    code = _code(secret)
    first = Client()
    _password_step(first)
    assert first.post(reverse("login_code"), {"code": code}).status_code == 302
    second = Client()
    _password_step(second)
    r = second.post(reverse("login_code"), {"code": code})
    assert r.status_code == 200 and "_auth_user_id" not in second.session


def test_recovery_code_works_once(org, admin_with_totp):
    _secret, codes = admin_with_totp
    client = Client()
    _password_step(client)
    assert client.post(reverse("login_code"), {"code": codes[0]}).status_code == 302
    client = Client()
    _password_step(client)
    assert client.post(reverse("login_code"), {"code": codes[0]}).status_code == 200
    assert len(TotpDevice.objects.get(user=org.users.admin).recovery_codes) == 9


def test_wrong_codes_count_as_failed_logins(org, admin_with_totp, settings):
    settings.KEHU_LOGIN_FAILURES_PER_ACCOUNT = 3
    secret, _codes = admin_with_totp
    client = Client()
    _password_step(client)
    statuses = [client.post(reverse("login_code"), {"code": "000001"}).status_code for _i in range(3)]
    assert statuses == [200, 200, 429]
    r = _password_step(Client())
    assert r.status_code == 429


def test_code_step_without_password_goes_back_to_login(org):
    r = Client().get(reverse("login_code"))
    assert r.status_code == 302 and r["Location"] == reverse("login")


def test_turn_off_with_password_and_by_command(org, admin_with_totp, capsys):
    from kehu.cli import main

    client = Client()
    client.force_login(org.users.admin)
    client.post(reverse("totp_disable"), {"password": "wrong-one-1"})
    assert TotpDevice.objects.filter(user=org.users.admin).exists()
    client.post(reverse("totp_disable"), {"password": PASSWORD})
    assert not TotpDevice.objects.filter(user=org.users.admin).exists()
    assert _password_step(Client()).status_code == 302
    _enable(client)
    assert main(["totp", "disable", "admin"]) == 0
    assert "off for admin" in capsys.readouterr().out
    r = _password_step(Client())
    assert r["Location"] == reverse("home")
    assert main(["totp", "disable", "nobody"]) == 2
