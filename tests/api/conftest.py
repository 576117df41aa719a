"""Helpers for the API tests: a client per user, authenticated with a Bearer token."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from kehu.org.services import token_create

API = "/api/v1"


class ApiClient:
    """A test client that sends ``Authorization: Bearer`` and JSON bodies."""

    def __init__(self, token: str | None = None, client: Client | None = None):
        self.client = client or Client(enforce_csrf_checks=True)
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else API + path

    def get(self, path, params=None, **extra):
        return self.client.get(self._url(path), params or {}, **self.headers, **extra)

    def _send(self, method, path, body=None, raw: str | None = None, **extra):
        data = raw if raw is not None else (json.dumps(body) if body is not None else "")
        return getattr(self.client, method)(self._url(path), data=data, content_type="application/json",
                                            **self.headers, **extra)

    def post(self, path, body=None, **kw):
        return self._send("post", path, body, **kw)

    def patch(self, path, body=None, **kw):
        return self._send("patch", path, body, **kw)

    def put(self, path, body=None, **kw):
        return self._send("put", path, body, **kw)

    def delete(self, path, **kw):
        return self._send("delete", path, None, **kw)


@pytest.fixture
def api_as():
    """``api_as(user)`` → an :class:`ApiClient` with a fresh token of ``user``."""

    def _api_as(user) -> ApiClient:
        _token, raw = token_create(user=user, name="tests")
        return ApiClient(raw)

    return _api_as


@pytest.fixture
def anon():
    return ApiClient()


def walk(api: ApiClient, path: str, params: dict | None = None, limit: int = 2) -> list[dict]:
    """Every item of a list, following ``next_cursor`` to the end."""
    params = dict(params or {}, limit=limit)
    items, seen_cursors = [], set()
    while True:
        r = api.get(path, params)
        assert r.status_code == 200, r.content
        body = r.json()
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
        assert cursor not in seen_cursors
        seen_cursors.add(cursor)
        params["cursor"] = cursor


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}, body
    assert body["error"]["message"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]
