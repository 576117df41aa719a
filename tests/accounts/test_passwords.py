"""Passwords: Django's validators wherever a password is set; change in the browser; reset by e-mail."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.org.models import User
from kehu.org.services import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

WEAK = ["short1", "12345678", "password"]


@pytest.mark.parametrize("weak", WEAK)
def test_createuser_refuses_weak_passwords(db, capsys, weak):
    from kehu.cli import main

    assert main(["createuser", "bob", "--password", weak]) == 2
    err = capsys.readouterr().err
    assert "error: password:" in err
    assert ("too short" in err) if weak == "short1" else ("too common" in err)
    assert not User.objects.filter(username="bob").exists()


def test_createuser_message_in_chinese(db, capsys, monkeypatch):
    from kehu.cli import main

    monkeypatch.setenv("KEHU_LANGUAGE", "zh-hans")
    assert main(["createuser", "bob", "--password", "12345678"]) == 2
    assert "错误：密码：" in capsys.readouterr().err


def test_createuser_accepts_a_good_password(db, capsys):
    from kehu.cli import main

    assert main(["createuser", "bob", "--password", "Grey-Heron-42"]) == 0
    assert User.objects.get(username="bob").check_password("Grey-Heron-42")


def test_user_create_service_refuses_a_password_like_the_username(db):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        user_create(username="zhangwei2024", password="zhangwei2024", email="zw@example.com")
    assert "password" in exc.value.message_dict


def test_demo_and_bench_passwords_pass_the_validators():
    from django.contrib.auth.password_validation import validate_password

    from kehu.bench.generate import BENCH_PASSWORD
    from kehu.demo.generator import DEMO_PASSWORD

    for password in (DEMO_PASSWORD, BENCH_PASSWORD, PASSWORD):
        validate_password(password)


def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_change_password_in_the_browser(org):
    user = org.users.sales_n1
    client = _client(user)
    assert reverse("password_change") in client.get(reverse("profile")).content.decode()
    r = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "12345678",
                                                 "new_password2": "12345678"})
    assert r.status_code == 200
    assert "This password is too common." in r.content.decode()
    r = client.post(reverse("password_change"), {"old_password": "not-mine-1", "new_password1": "Quiet-River-77",
                                                 "new_password2": "Quiet-River-77"})
    assert r.status_code == 200
    r = client.post(reverse("password_change"), {"old_password": PASSWORD, "new_password1": "Quiet-River-77",
                                                 "new_password2": "Quiet-River-77"})
    assert r.status_code == 302 and r["Location"] == reverse("profile")
    user.refresh_from_db()
    assert user.check_password("Quiet-River-77")
    # Still signed in (the session hash follows the new password).
    assert client.get(reverse("profile")).status_code == 200
    assert AuditEvent.objects.filter(action="password_change", entity_id=user.pk, actor=user).exists()


def test_change_password_page_in_chinese(org):
    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save()
    html = _client(user).get(reverse("password_change")).content.decode()
    assert "修改密码" in html and "Change password" not in html


def test_reset_by_email_end_to_end(org):
    user = org.users.sales_n1
    user.email = "sales_n1@example.com"
    user.save()
    client = Client()
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()
    r = client.post(reverse("password_reset"), {"email": "sales_n1@example.com"})
    assert r.status_code == 302 and r["Location"] == reverse("password_reset_done")
    # An unknown address gets the same answer and no e-mail.
    assert client.post(reverse("password_reset"), {"email": "nobody@example.com"})["Location"] == \
        reverse("password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sales_n1@example.com"]
    assert "Reset your Kehu password" in message.subject
    link = re.search(r"http://testserver(/password/reset/\S+/)", message.body).group(1)
    r = client.get(link)  # Django swaps the token for a session key and redirects
    assert r.status_code == 302
    form_url = r["Location"]
    r = client.post(form_url, {"new_password1": "password", "new_password2": "password"})
    assert r.status_code == 200 and "This password is too common." in r.content.decode()
    r = client.post(form_url, {"new_password1": "Silver-Pine-93", "new_password2": "Silver-Pine-93"})
    assert r.status_code == 302 and r["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password("Silver-Pine-93")
    assert AuditEvent.objects.filter(action="password_reset", entity_id=user.pk).exists()
    # The link works once.
    assert "already used" in client.get(link, follow=True).content.decode()
    r = client.post(reverse("login"), {"username": "sales_n1", "password": "Silver-Pine-93"})
    assert r.status_code == 302


def test_reset_email_in_chinese(org):
    user = org.users.sales_n1
    user.email = "sales_n1@example.com"
    user.save()
    client = Client()
    client.cookies["kehu_language"] = "zh-hans"
    client.post(reverse("password_reset"), {"email": "sales_n1@example.com"})
    assert "重置" in mail.outbox[0].subject and "重置" in mail.outbox[0].body


def test_reset_email_in_the_users_saved_language(org):
    user = org.users.sales_n1
    user.email, user.language = "sales_n1@example.com", "zh-hans"
    user.save()
    Client().post(reverse("password_reset"), {"email": "sales_n1@example.com"})  # an English page
    assert "重置" in mail.outbox[0].subject
