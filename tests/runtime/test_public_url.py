"""KEHU_PUBLIC_URL follows the port served, and a configured one that does not
answer is reported (issue 13, item 15)."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.urls import reverse

from kehu.runtime import public_url

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def answering():
    """A local HTTP server (any answer counts)."""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_the_served_port_becomes_the_public_url_unless_one_is_set(settings, monkeypatch):
    # set first, so that monkeypatch puts the environment back as it was afterwards
    monkeypatch.setenv("KEHU_PUBLIC_URL", "")
    monkeypatch.setenv(public_url.SERVED_ENV, "")
    monkeypatch.delenv("KEHU_PUBLIC_URL")
    monkeypatch.delenv(public_url.SERVED_ENV)
    settings.KEHU_PUBLIC_URL = "http://127.0.0.1:8000"
    assert public_url.apply_served("127.0.0.1", 8101) == "http://127.0.0.1:8101"
    assert settings.KEHU_PUBLIC_URL == "http://127.0.0.1:8101"
    assert os.environ[public_url.SERVED_ENV] == "http://127.0.0.1:8101"
    from kehu.surveys.services.distribution import public_link

    assert public_link("abc") == "http://127.0.0.1:8101/s/abc/"
    monkeypatch.setenv("KEHU_PUBLIC_URL", "https://crm.example.com")
    settings.KEHU_PUBLIC_URL = "https://crm.example.com"
    assert public_url.apply_served("127.0.0.1", 8102) == "https://crm.example.com"
    assert public_url.served_url("0.0.0.0", 8101) == f"http://{socket.gethostname()}:8101"
    assert public_url.served_url("::1", 8101) == "http://[::1]:8101"


def test_settings_read_the_served_url_in_the_servers_other_processes():
    code = "import kehu.settings as s; print(s.KEHU_PUBLIC_URL)"
    env = {k: v for k, v in os.environ.items() if k not in ("KEHU_PUBLIC_URL", public_url.SERVED_ENV)}
    run = lambda **extra: subprocess.run(  # noqa: E731
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT), **extra}).stdout.strip()
    assert run(KEHU_SERVED_URL="http://127.0.0.1:8101") == "http://127.0.0.1:8101"
    assert run(KEHU_SERVED_URL="http://127.0.0.1:8101", KEHU_PUBLIC_URL="https://crm.example.com/") == \
        "https://crm.example.com"
    assert run() == "http://127.0.0.1:8000"


def test_check_tells_an_answering_address_from_a_dead_one(answering):
    assert public_url.check(answering) is None
    dead = public_url.check(f"http://127.0.0.1:{_free_port()}", timeout=2)
    assert dead and "refused" in dead.lower()


@pytest.mark.django_db
def test_administrators_see_on_a_wave_that_the_links_point_at_a_dead_address(client_for, org, settings,
                                                                             answering, monkeypatch):
    from kehu.surveys.services import distribution as svc
    from kehu.surveys.services.definitions import survey_create_from_template

    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")

    monkeypatch.setenv(public_url.SERVED_ENV, "")
    wave = svc.wave_create(actor=org.users.admin, survey=gas, name="W")
    url = reverse("survey_wave_detail", args=[gas.pk, wave.pk])
    settings.KEHU_PUBLIC_URL = dead = f"http://127.0.0.1:{_free_port()}"
    html = client_for(org.users.admin).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'data-testid="public-url-problem"' in html and dead in html and "KEHU_PUBLIC_URL" in html
    other = client_for(org.users.north_manager).get(url)
    assert other.status_code != 200 or 'data-testid="public-url-problem"' not in other.content.decode()
    settings.KEHU_PUBLIC_URL = answering
    html = client_for(org.users.admin).get(url).content.decode()
    assert 'data-testid="public-url-problem"' not in html
    # the address this very server serves is not requested at all
    settings.KEHU_PUBLIC_URL = dead
    monkeypatch.setenv(public_url.SERVED_ENV, dead)
    assert public_url.problem(use_cache=False) is None


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_kehu_serve_on_another_port_makes_links_for_that_port(tmp_path):
    db = f"sqlite:///{tmp_path / 'kehu.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if k not in ("KEHU_PUBLIC_URL", public_url.SERVED_ENV)}
    env.update(DATABASE_URL=db, PYTHONPATH=str(ROOT), KEHU_HOME=str(tmp_path), KEHU_SERVE_WORKER="0",
               KEHU_SECRET_KEY="k" * 50, KEHU_LANGUAGE="en")
    subprocess.run([sys.executable, "-m", "kehu.cli", "migrate", "-v0"], check=True, cwd=ROOT, env=env)

    def serve(port, wait_for=None, **extra):
        """Start `kehu serve`, wait until it answers (and until its log says
        ``wait_for``, at most a minute), stop it; its first two lines and its log."""
        proc = subprocess.Popen([sys.executable, "-m", "kehu.cli", "serve", "--port", str(port), "--workers", "1"],
                                cwd=ROOT, env={**env, **extra}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        log: list[str] = []
        reader = threading.Thread(target=lambda: log.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        try:
            lines = [proc.stdout.readline(), proc.stdout.readline()]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and public_url.check(f"http://127.0.0.1:{port}", timeout=5):
                time.sleep(0.2)
            while wait_for and time.monotonic() < deadline and not any(wait_for in line for line in log):
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
            reader.join(timeout=10)
        return lines, "".join(log)

    port = _free_port()
    lines, err = serve(port)
    assert f"Survey links and QR codes use http://127.0.0.1:{port}" in lines[1]
    assert "does not answer" not in err
    dead = _free_port()
    lines, err = serve(_free_port(), wait_for="does not answer", KEHU_PUBLIC_URL=f"http://127.0.0.1:{dead}")
    assert f"use http://127.0.0.1:{dead}" in lines[1]
    assert f"KEHU_PUBLIC_URL http://127.0.0.1:{dead} does not answer" in err
