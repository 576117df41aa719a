"""The browser's side of kehu.web.request_guard: a NUL character in a query
parameter, a form field or the path, a body too large and a URL too long get
a proper error page in the user's language, never a 500. Every page of the
site without a parameter in its path is tried (on PostgreSQL too, which
cannot store the character)."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.django_db

NUL = "\x00"


def _plain_pages(resolver=None, prefix=""):
    """Every URL of the site that needs no parameter (the API and static assets aside)."""
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        route = prefix + str(entry.pattern)
        if "<" in route or route.startswith(("api/", "i18n/", "static/")):
            continue
        if isinstance(entry, URLResolver):
            yield from _plain_pages(entry, route)
        elif isinstance(entry, URLPattern) and not route.endswith((".js", ".csv")):
            yield "/" + route.lstrip("^").rstrip("$")


def _error_page(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


def test_nul_in_a_query_parameter_is_a_400_page_everywhere(client_for, org, customers):
    client = client_for(org.users.admin)
    pages = sorted(set(_plain_pages()))
    assert len(pages) > 30
    for url in pages:
        html = _error_page(client.get(url, {"q": f"北{NUL}京", "page": NUL}), 400)
        assert "NUL" in html, url


def test_nul_in_a_form_field_is_a_400_page(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    posts = [
        (reverse("customer_create"), {"name": f"A{NUL}B", "kind": "organization"}),
        (reverse("customer_edit", args=[customers.n1.pk]), {"name": "ok", "remarks": NUL}),
        (reverse("interaction_create", args=[customers.n1.pk]), {"summary": f"x{NUL}"}),
        (reverse("task_create", args=[customers.n1.pk]), {"title": NUL}),
        ("/surveys/new/", {"code": NUL}),
        ("/import/", {"kind": f"customers{NUL}"}),
    ]
    for url, data in posts:
        html = _error_page(client.post(url, data), 400)
        assert "NUL" in html, url
    from kehu.customers.models import Customer

    assert not Customer.objects.filter(name__startswith="A").exists()


def test_nul_in_an_uploaded_file_name_is_a_400_page(client_for, org):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = client_for(org.users.admin)
    from kehu.imports.models import ImportRun

    upload = SimpleUploadedFile(f"c{NUL}.csv", b"ref,name,type\r\nA1,One,\xe4\xb8\xaa\xe4\xba\xba\r\n")
    response = client.post("/import/", {"kind": "customers", "file": upload})
    assert response.status_code in (302, 400)  # refused, or the name cleaned by Django's upload parser
    assert not any(NUL in run.filename for run in ImportRun.objects.all())


def test_nul_in_the_path_is_a_400_page(client_for, org):
    client = client_for(org.users.admin)
    for url in ("/s/%00abc/", "/surveys/%00/", "/customers/%00/"):
        assert "NUL" in _error_page(client.get(url), 400)


def test_the_answer_page_without_login_is_refused_the_same_way(client):
    assert "NUL" in _error_page(client.get("/s/abc/", {"x": NUL}), 400)


def test_error_page_is_in_the_users_language(client_for, org):
    org.users.admin.language = "zh-hans"
    org.users.admin.save()
    client = client_for(org.users.admin)
    html = _error_page(client.get("/customers/", {"q": NUL}), 400)
    assert "请求有误" in html


def test_a_too_large_body_is_a_413_page(client_for, org):
    client = client_for(org.users.admin)
    body = "name=" + "x" * (60 * 1024 * 1024)
    _error_page(client.post(reverse("customer_create"), body, content_type="application/x-www-form-urlencoded"),
                413)


def test_a_too_long_url_is_a_414_page(client_for, org):
    client = client_for(org.users.admin)
    _error_page(client.get("/customers/", {"q": "x" * 9000}), 414)
    assert client.get("/customers/", {"q": "x" * 100}).status_code == 200


def test_a_number_beyond_64_bits_is_never_a_500(client_for, org, customers):
    client = client_for(org.users.admin)
    huge = str(10**30)
    for url, params in ((reverse("order_list"), {"customer": huge}), (reverse("customer_list"), {"owner": huge}),
                        (reverse("customer_list"), {"team": huge}), (reverse("interaction_list"), {"user": huge}),
                        (f"/customers/{huge}/", {}), (f"/surveys/{huge}/", {})):
        response = client.get(url, params)
        assert response.status_code in (200, 400, 404), (url, response.status_code)
