"""Login throttling (django-axes): failed logins lock the account and the address,
bad API tokens lock the address, the wait is announced, administrators unlock."""

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.test import Client
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.org.services import token_create
from tests.api.conftest import ApiClient, api_as, assert_error  # noqa: F401 (api_as is a fixture)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.KEHU_LOGIN_FAILURES_PER_ACCOUNT = 5
    settings.KEHU_LOGIN_FAILURES_PER_ADDRESS = 8


def _login(client, username, password, address="10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_wrong_passwords_lock_the_account_even_for_the_right_password(org):
    client = Client()
    statuses = [_login(client, "sales_n1", "wrong-password").status_code for _i in range(30)]
    # Four ordinary failures, then every try is refused with 429 (the issue: all 30 were accepted).
    assert statuses[:4] == [200] * 4
    assert set(statuses[4:]) == {429}
    r = _login(client, "sales_n1", PASSWORD)
    assert r.status_code == 429
    assert "_auth_user_id" not in client.session
    html = r.content.decode()
    assert "Too many failed sign-in attempts. Try again in 15 minutes" in html
    assert int(r["Retry-After"]) > 14 * 60
    # Tries during the lockout do not extend it, and are not counted as new failures.
    assert AccessAttempt.objects.get(username="sales_n1").failures_since_start == 5


def test_lockout_message_is_in_the_users_language(org):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    client.cookies["kehu_language"] = "zh-hans"
    for _i in range(5):
        r = _login(client, "sales_n1", "wrong-password")
    assert r.status_code == 429
    assert "登录失败次数过多" in r.content.decode()


def test_account_lock_holds_from_another_address_and_others_are_unaffected(org):
    for _i in range(5):
        _login(Client(), "sales_n1", "wrong-password", address="10.0.0.1")
    assert _login(Client(), "sales_n1", PASSWORD, address="10.0.0.2").status_code == 429
    other = Client()
    assert _login(other, "sales_n1b", PASSWORD, address="10.0.0.2").status_code == 302
    assert other.session["_auth_user_id"] == str(org.users.sales_n1b.pk)


def test_address_is_locked_after_failures_on_many_accounts(org):
    names = ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8"]
    for name in names:  # one failure per account: no account reaches its limit
        _login(Client(), name, "wrong-password", address="10.0.0.9")
    r = _login(Client(), "sales_n1", PASSWORD, address="10.0.0.9")
    assert r.status_code == 429
    assert _login(Client(), "sales_n1", PASSWORD, address="10.0.0.10").status_code == 302


def test_success_is_recorded_with_address(org):
    client = Client()
    assert _login(client, "sales_n1", PASSWORD, address="10.1.2.3").status_code == 302
    log = AccessLog.objects.get(username="sales_n1")
    assert log.ip_address == "10.1.2.3"
    assert AccessFailureLog.objects.count() == 0
    _login(Client(), "sales_n1", "bad-password", address="10.1.2.4")
    failure = AccessFailureLog.objects.get()
    assert (failure.username, failure.ip_address) == ("sales_n1", "10.1.2.4")


def test_bad_tokens_lock_the_address_with_429_envelope(org):
    _token, raw = token_create(user=org.users.sales_n1)
    bad = ApiClient("kehu_not-a-real-token")
    statuses = [bad.get("/me", REMOTE_ADDR="10.2.0.1").status_code for _i in range(12)]
    assert statuses[:7] == [401] * 7
    assert set(statuses[7:]) == {429}
    r = bad.get("/me", REMOTE_ADDR="10.2.0.1")
    err = assert_error(r, 429, "throttled")
    assert "Try again in 15 minutes" in err["message"]
    assert int(r["Retry-After"]) > 14 * 60
    # Another address is not locked; a valid token is never refused (it cannot be guessed).
    assert_error(bad.get("/me", REMOTE_ADDR="10.2.0.2"), 401, "unauthorized")
    assert ApiClient(raw).get("/me", REMOTE_ADDR="10.2.0.1").status_code == 200
    # Recorded: who (no account), when, from where, through the API.
    failures = AccessFailureLog.objects.filter(ip_address="10.2.0.1")
    assert failures.count() == 8 and failures.filter(path_info="/api/v1/me", username=None).count() == 8


def test_bad_tokens_count_against_browser_logins_from_the_same_address(org):
    bad = ApiClient("kehu_nope")
    for _i in range(8):
        bad.get("/me", REMOTE_ADDR="10.3.0.1")
    assert _login(Client(), "sales_n1", PASSWORD, address="10.3.0.1").status_code == 429


def test_trusted_proxy_forwards_the_client_address(org, settings):
    settings.KEHU_TRUSTED_PROXIES = ["10.9.9.9"]
    for _i in range(8):
        Client().post(reverse("login"), {"username": f"x{_i}", "password": "nope-nope"}, REMOTE_ADDR="10.9.9.9",
                      HTTP_X_FORWARDED_FOR="spoofed, 10.4.0.1")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"10.4.0.1"}
    # Another client behind the same proxy is not locked.
    r = Client().post(reverse("login"), {"username": "sales_n1", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9",
                      HTTP_X_FORWARDED_FOR="10.4.0.2")
    assert r.status_code == 302


def test_administrator_unlocks_on_the_page(org):
    for _i in range(5):
        _login(Client(), "sales_n1", "wrong-password")
    admin = Client()
    admin.force_login(org.users.admin)
    html = admin.get(reverse("security")).content.decode()
    assert "sales_n1" in html and "Locked now" in html
    r = admin.post(reverse("security_unlock"), {"username": "sales_n1"})
    assert r.status_code == 302
    assert _login(Client(), "sales_n1", PASSWORD).status_code == 302
    event = AuditEvent.objects.get(action="login_unlock")
    assert event.actor == org.users.admin and event.entity_id == org.users.sales_n1.pk


def test_non_administrators_may_not_see_or_unlock(org):
    for _i in range(5):
        _login(Client(), "sales_n1", "wrong-password")
    for user in (org.users.hq_manager, org.users.analyst, org.users.sales_n1b):
        client = Client()
        client.force_login(user)
        assert client.get(reverse("security")).status_code == 403
        assert client.post(reverse("security_unlock"), {"username": "sales_n1"}).status_code == 403
    assert AccessAttempt.objects.filter(username="sales_n1").exists()


def test_unlock_through_the_api(org, api_as):
    for _i in range(5):
        _login(Client(), "sales_n1", "wrong-password", address="10.5.0.1")
    admin = api_as(org.users.admin)
    locks = admin.get("/security/lockouts").json()
    assert [(lock["kind"], lock["value"]) for lock in locks] == [("account", "sales_n1")]
    assert_error(api_as(org.users.hq_manager).post("/security/unlock", {"username": "sales_n1"}), 403, "forbidden")
    assert_error(api_as(org.users.hq_manager).get("/security/lockouts"), 403, "forbidden")
    r = admin.post("/security/unlock", {"username": "sales_n1"})
    assert r.status_code == 200 and r.json()["removed"] == 1
    assert admin.get("/security/lockouts").json() == []
    events = admin.get("/security/sign-ins", {"username": "sales_n1"}).json()
    assert len(events) == 5 and {e["via"] for e in events} == {"login"} and not any(e["ok"] for e in events)
    assert events[0]["ip_address"] == "10.5.0.1"
    assert_error(admin.post("/security/unlock", {}), 422, "validation_error")
    # not an address (schemathesis on PostgreSQL: axes' inet column refused it with a 500)
    r = admin.post("/security/unlock", {"ip_address": "not an address"})
    assert_error(r, 422, "validation_error")
    assert admin.post("/security/unlock", {"ip_address": "10.5.0.1"}).status_code == 200


def test_kehu_unlock_command(org, capsys):
    from kehu.cli import main

    for _i in range(5):
        _login(Client(), "sales_n1", "wrong-password")
    assert main(["unlock", "sales_n1"]) == 0
    assert "unlocked sales_n1" in capsys.readouterr().out
    assert _login(Client(), "sales_n1", PASSWORD).status_code == 302
    for _i in range(8):
        ApiClient("kehu_bad").get("/me", REMOTE_ADDR="10.6.0.1")
    assert main(["unlock", "--address", "10.6.0.1"]) == 0
    assert not AccessAttempt.objects.filter(ip_address="10.6.0.1").exists()
    assert main(["unlock"]) == 2


def test_a_limit_of_zero_never_locks(org, settings):
    settings.KEHU_LOGIN_FAILURES_PER_ACCOUNT = 0
    settings.KEHU_LOGIN_FAILURES_PER_ADDRESS = 0
    for _i in range(12):
        assert _login(Client(), "sales_n1", "wrong-password").status_code == 200
    assert _login(Client(), "sales_n1", PASSWORD).status_code == 302


def test_a_forwarded_value_that_is_no_address_is_ignored(org, settings):
    settings.KEHU_TRUSTED_PROXIES = ["10.9.9.9"]
    r = Client().post(reverse("login"), {"username": "sales_n1", "password": "nope-nope"}, REMOTE_ADDR="10.9.9.9",
                      HTTP_X_FORWARDED_FOR="1.2.3.4, not-an-address")
    assert r.status_code == 200
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["10.9.9.9"]


def test_nul_bytes_are_refused_not_a_server_error(org, api_as):
    # The request guard (kehu/web/request_guard.py) refuses a NUL anywhere in a
    # request before any view runs: 400 invalid_character naming the field.
    admin = api_as(org.users.admin)
    body = assert_error(admin.post("/security/unlock", {"username": "sales\x00n1"}), 400, "invalid_character")
    assert "username" in body["fields"]
    assert_error(admin.get("/security/sign-ins", {"username": "a\x00b"}), 400, "invalid_character")
    client = Client()
    client.force_login(org.users.admin)
    assert client.get(reverse("security"), {"username": "a\x00b"}).status_code == 400
    assert client.get(reverse("security"), {"username": "ab"}).status_code == 200


def test_security_page_in_chinese(org):
    for _i in range(5):
        _login(Client(), "sales_n1", "wrong-password")
    admin = org.users.admin
    admin.language = "zh-hans"
    admin.save()
    client = Client()
    client.force_login(admin)
    html = client.get(reverse("security")).content.decode()
    for phrase in ("登录记录与锁定", "当前锁定", "解锁", "最近登录", "失败，已锁定", "登录页"):
        assert phrase in html, phrase
    for english in ("Locked now", "Latest sign-ins", "Unlock"):
        assert english not in html, english
