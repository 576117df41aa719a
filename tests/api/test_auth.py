"""Token and session authentication, CSRF, and the error envelope for bad requests."""

import pytest
from django.test import Client

from kehu.org.models import ApiToken
from kehu.org.services import token_create, token_revoke
from tests.api.conftest import ApiClient, assert_error

pytestmark = pytest.mark.django_db


def test_valid_token_authenticates_and_records_use(org):
    token, raw = token_create(user=org.users.sales_n1)
    r = ApiClient(raw).get("/me")
    assert r.status_code == 200
    assert r.json()["username"] == "sales_n1"
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer ", "Bearer kehu_not-a-real-token", "Bearer nothing",
                                    "Token kehu_x", "Basic dXNlcjpwYXNz"])
def test_missing_or_bad_token_is_401_with_envelope(org, header):
    client = Client()
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    r = client.get("/api/v1/customers", **extra)
    err = assert_error(r, 401, "unauthorized")
    assert "fields" not in err
    assert r["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_is_refused(org):
    token, raw = token_create(user=org.users.sales_n1)
    token_revoke(token=token, actor=org.users.sales_n1)
    assert_error(ApiClient(raw).get("/me"), 401, "unauthorized")


def test_inactive_user_token_is_refused(org):
    _token, raw = token_create(user=org.users.sales_n1)
    org.users.sales_n1.is_active = False
    org.users.sales_n1.save()
    assert_error(ApiClient(raw).get("/me"), 401, "unauthorized")


def test_only_the_digest_is_stored(org):
    token, raw = token_create(user=org.users.sales_n1)
    assert raw.startswith("kehu_")
    assert not ApiToken.objects.filter(digest=raw).exists()
    assert raw not in (token.prefix, token.digest)


def test_bad_token_does_not_fall_back_to_the_session(org):
    client = Client()
    client.force_login(org.users.sales_n1)
    assert client.get("/api/v1/me").status_code == 200
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer kehu_wrong")
    assert_error(r, 401, "unauthorized")


def test_session_read_works_without_csrf(org, customers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users.sales_n1)
    r = client.get("/api/v1/customers")
    assert r.status_code == 200
    assert [c["id"] for c in r.json()["items"]] == [customers.n1.pk]


def test_session_write_needs_csrf(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users.sales_n1)
    r = client.post("/api/v1/customers", {"name": "No token"}, content_type="application/json")
    assert_error(r, 403, "csrf_failed")
    for method in ("patch", "delete"):
        r = getattr(client, method)("/api/v1/customers/1", "{}", content_type="application/json")
        assert_error(r, 403, "csrf_failed")


def test_session_write_with_csrf_token_works(org):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users.sales_n1)
    client.get("/me/")  # any page sets the csrftoken cookie
    csrf = client.cookies.get("csrftoken")
    if csrf is None:
        from django.middleware.csrf import _get_new_csrf_string

        csrf = _get_new_csrf_string()
        client.cookies["csrftoken"] = csrf
    r = client.post("/api/v1/customers", {"name": "With token"}, content_type="application/json",
                    HTTP_X_CSRFTOKEN=csrf.value if hasattr(csrf, "value") else csrf)
    assert r.status_code == 201, r.content


def test_bearer_write_needs_no_csrf(org):
    _token, raw = token_create(user=org.users.sales_n1)
    client = Client(enforce_csrf_checks=True)
    r = client.post("/api/v1/customers", {"name": "Bearer"}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 201, r.content


def test_anonymous_write_is_401_not_csrf(org):
    r = Client(enforce_csrf_checks=True).post("/api/v1/customers", {"name": "x"}, content_type="application/json")
    assert_error(r, 401, "unauthorized")


def test_inactive_session_user_is_401(org):
    client = Client()
    client.force_login(org.users.sales_n1)
    org.users.sales_n1.is_active = False
    org.users.sales_n1.save()
    assert_error(client.get("/api/v1/me"), 401, "unauthorized")


@pytest.mark.parametrize("raw", ["{bad json", "{\"name\": ", "\xff\xfe", "nul\x00l"])
def test_malformed_json_is_an_envelope_not_a_trace(org, api_as, raw):
    r = api_as(org.users.sales_n1).post("/customers", raw=raw)
    assert r.status_code in (400, 422)
    assert_error(r, r.status_code)
    assert b"Traceback" not in r.content


@pytest.mark.parametrize("raw", ["[]", "\"text\"", "42", "null"])
def test_json_that_is_not_an_object_is_422(org, api_as, raw):
    r = api_as(org.users.sales_n1).post("/customers", raw=raw)
    assert r.status_code in (400, 422), r.content
    assert_error(r, r.status_code)


def test_wrong_method_is_405_with_envelope(org, api_as):
    api = api_as(org.users.sales_n1)
    r = api.put("/me", {})
    err = assert_error(r, 405, "method_not_allowed")
    assert err["message"]
    assert "GET" in r["Allow"]


def test_unknown_api_path_is_404_json(org, api_as):
    assert_error(api_as(org.users.sales_n1).get("/no-such-thing"), 404, "not_found")


def test_me(org, api_as):
    body = api_as(org.users.north_manager).get("/me").json()
    assert body["role"] == "sales_manager"
    assert body["team"]["name"] == "North region"
    assert body["sees_all_customers"] is False and body["read_only"] is False
    body = api_as(org.users.analyst).get("/me").json()
    assert body["sees_all_customers"] is True and body["read_only"] is True
    assert api_as(org.users.admin).get("/me").json()["is_admin"] is True
