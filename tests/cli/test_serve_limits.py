"""``kehu serve``'s gunicorn answers an over-long URL and oversized headers in
Kehu's JSON error envelope, never with gunicorn's HTML page: up to gunicorn's
largest request line Kehu's own 414 answers (KEHU_MAX_URL_LENGTH), beyond it
the worker class does."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kehu.demo.server import GUNICORN_MAX_REQUEST_LINE, gunicorn_options

pytestmark = pytest.mark.slow

SCRIPT = """
import os, sys
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
django.setup()
from kehu.demo.server import _application_class, gunicorn_options
from kehu.wsgi import application
options = gunicorn_options(host="127.0.0.1", port=int(sys.argv[1]), workers=1)
options["accesslog"] = None
_application_class()(options, application).run()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _request(port: int, target: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    lines = [f"GET {target} HTTP/1.1", "Host: 127.0.0.1", "Connection: close", "Accept-Language: en"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _sep, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    parsed = {k.lower(): v.strip() for k, _c, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), parsed, body


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=f"sqlite:///{tmp_path / 'unused.sqlite3'}", KEHU_HOME=str(tmp_path),
               KEHU_SECRET_KEY="test-only", PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(port)], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        for _attempt in range(300):  # wait until it listens (not a timing assertion)
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(proc.stderr.read().decode())
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_options_raise_gunicorns_request_line_limit_above_kehus():
    from django.conf import settings

    options = gunicorn_options(host="127.0.0.1", port=8000, workers=2)
    assert options["limit_request_line"] == GUNICORN_MAX_REQUEST_LINE == 8190
    assert settings.KEHU_MAX_URL_LENGTH < GUNICORN_MAX_REQUEST_LINE - len("OPTIONS  HTTP/1.1")
    assert options["worker_class"] == "kehu.demo.gunicorn_worker.KehuSyncWorker"


def test_long_urls_and_big_headers_get_the_json_envelope(server):
    # Within Kehu's limit: the request reaches Kehu (here: no token, so 401).
    status, headers, body = _request(server, "/api/v1/customers?q=" + "x" * 7000)
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized"
    # Over Kehu's limit, under gunicorn's: Kehu's own 414.
    status, headers, body = _request(server, "/api/v1/customers?q=" + "x" * 8100)
    assert status == 414 and headers["content-type"].startswith("application/json")
    assert json.loads(body)["error"]["code"] == "uri_too_long"
    # Over gunicorn's limit: the worker's 414, in the same envelope.
    for length in (9000, 100_000):
        status, headers, body = _request(server, "/api/v1/customers?q=" + "x" * length)
        assert status == 414 and headers["content-type"].startswith("application/json"), body[:200]
        error = json.loads(body)["error"]
        assert error["code"] == "uri_too_long" and error["message"]
    status, headers, body = _request(server, "/api/v1/customers", {f"X-Filler-{i}": "y" for i in range(200)})
    assert status == 431 and json.loads(body)["error"]["code"] == "headers_too_large"
