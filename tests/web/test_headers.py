"""Headers and cookies (issue 13, item 7): the Content-Security-Policy, HTTPS
(Secure cookies, HSTS), running behind a reverse proxy, and templates that keep
to the policy (no inline script, event handler or style)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client


ROOT = Path(__file__).resolve().parents[2]
KEHU = ROOT / "kehu"


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/login/", "/customers/", "/value/", "/api/v1/docs", "/no-such-page/"])
def test_every_page_has_a_strict_policy_and_the_security_headers(client_for, org, path):
    response = client_for(org.users.admin).get(path)
    policy = _directives(response["Content-Security-Policy"])
    assert policy["default-src"] == ["'self'"]
    for name in ("script-src", "style-src"):
        assert policy[name][0] == "'self'"
        assert all(v == "'self'" or v.startswith("'nonce-") for v in policy[name]), policy[name]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert not any("*" in v or "http" in v for values in policy.values() for v in values)
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


def _settings_with(**env) -> dict:
    code = ("import json, kehu.settings as s; print(json.dumps({k: getattr(s, k, None) for k in ["
            "'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'LANGUAGE_COOKIE_SECURE', 'SECURE_HSTS_SECONDS', "
            "'SECURE_PROXY_SSL_HEADER', 'USE_X_FORWARDED_HOST', 'KEHU_TRUSTED_PROXIES']}))")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KEHU_")}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                         env={**clean, "PYTHONPATH": str(ROOT), "KEHU_SECRET_KEY": "x" * 50, **env})
    assert run.returncode == 0, run.stderr
    import json

    return json.loads(run.stdout)


def test_https_public_url_makes_cookies_secure_and_turns_on_hsts():
    plain = _settings_with(KEHU_PUBLIC_URL="http://crm.example.com")
    assert plain["SESSION_COOKIE_SECURE"] is plain["CSRF_COOKIE_SECURE"] is False
    assert plain["SECURE_HSTS_SECONDS"] == 0
    secure = _settings_with(KEHU_PUBLIC_URL="https://crm.example.com")
    assert secure["SESSION_COOKIE_SECURE"] is secure["CSRF_COOKIE_SECURE"] is secure["LANGUAGE_COOKIE_SECURE"] is True
    assert secure["SECURE_HSTS_SECONDS"] == 31536000
    assert _settings_with(KEHU_PUBLIC_URL="https://crm.example.com", KEHU_HSTS_SECONDS="0")["SECURE_HSTS_SECONDS"] == 0


def test_behind_proxy_setting():
    assert _settings_with()["SECURE_PROXY_SSL_HEADER"] is None
    proxied = _settings_with(KEHU_TRUSTED_PROXIES="127.0.0.1")
    assert proxied["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert proxied["USE_X_FORWARDED_HOST"] is True and proxied["KEHU_TRUSTED_PROXIES"] == ["127.0.0.1"]


@pytest.mark.django_db
def test_hsts_and_secure_cookies_over_https_through_a_proxy(org, settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client = Client()
    over_https = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert over_https["Strict-Transport-Security"] == "max-age=31536000"
    assert over_https.cookies["csrftoken"]["secure"]
    from tests.conftest import PASSWORD

    login = client.post("/login/", {"username": "admin", "password": PASSWORD,
                                    "csrfmiddlewaretoken": over_https.cookies["csrftoken"].value},
                        HTTP_X_FORWARDED_PROTO="https")
    assert login.status_code == 302 and login.cookies["sessionid"]["secure"]
    assert "Strict-Transport-Security" not in Client().get("/login/")  # plain HTTP: no HSTS


@pytest.mark.parametrize("remote, header, expected", [
    ("10.0.0.1", "", "10.0.0.1"),
    ("10.0.0.1", "203.0.113.7", "203.0.113.7"),
    ("10.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7"),  # the client wrote 6.6.6.6 itself
    ("10.0.0.2", "6.6.6.6, 203.0.113.7, 10.0.0.1", "203.0.113.7"),  # two trusted proxies in a chain
    ("198.51.100.1", "203.0.113.7", "198.51.100.1"),  # not from a trusted proxy: the header means nothing
])
def test_remote_addr_is_the_client_behind_trusted_proxies(rf, settings, remote, header, expected):
    from kehu.runtime.middleware import ProxyClientAddressMiddleware

    settings.KEHU_TRUSTED_PROXIES = ["10.0.0.1", "10.0.0.2"]
    seen = {}
    middleware = ProxyClientAddressMiddleware(lambda request: seen.setdefault("addr", request.META["REMOTE_ADDR"]))
    middleware(rf.get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=header))
    assert seen["addr"] == expected


@pytest.mark.django_db
def test_answer_page_limits_each_client_behind_the_proxy_not_the_proxy(settings, monkeypatch):
    from kehu.runtime import ratelimit

    monkeypatch.setattr(ratelimit, "clock", lambda: 1_700_000_039.99)
    settings.KEHU_TRUSTED_PROXIES = ["10.0.0.1"]
    settings.KEHU_ANSWER_RATE_PER_IP = 2
    client = Client(REMOTE_ADDR="10.0.0.1")
    token = "z" * 43
    codes = [client.get(f"/s/{token}/", HTTP_X_FORWARDED_FOR="203.0.113.7").status_code for _ in range(3)]
    assert codes == [404, 404, 429]
    assert client.get(f"/s/{token}/", HTTP_X_FORWARDED_FOR="198.51.100.9").status_code == 404


# Templates rendered in a browser. Not served, so free to style themselves: the PDF report's
# (read by WeasyPrint) and the personal-data export's page (a file in the export's archive).
NOT_SERVED = {"surveys/analysis/report_pdf.html", "service/analytics_pdf.html", "privacy/export.html",
              "sales/quote_pdf.html"}
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I), "inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style\b", re.I), "<style> element"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def _templates():
    for path in sorted(KEHU.glob("*/templates/**/*.html")):
        yield path.as_posix().split("/templates/", 1)[1], path


def test_templates_keep_to_the_policy():
    problems = []
    for name, path in _templates():
        if name in NOT_SERVED:
            continue
        text = path.read_text(encoding="utf-8")
        for pattern, what in INLINE:
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert not problems, "the Content-Security-Policy refuses these (use kehu.js data- attributes or CSS):\n" + \
        "\n".join(problems)
    assert sum(1 for _ in _templates()) > 50
