"""/api/v1/quotes and ``kehu quotes``: 201/200, 422 naming the field, 404 outside the caller's
scope, 409 for a stale version or an action the status does not allow, the approval by a
manager, the PDF in both languages."""

from decimal import Decimal as D

import pytest

from kehu.cli import main
from kehu.sales import terms
from kehu.sales.models import Product, ProductLine, Quote
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def coil(db):
    line = ProductLine.objects.create(code="coil", name="Coil")
    return Product.objects.create(ref="Q235-HR", name="Q235 热轧卷", line=line, unit="t", unit_price=D("4123.45"))


def _create(api, customer, coil, discount="3"):
    return api.post("/quotes", {"customer_id": customer.pk, "title": "Coil 2027",
                                "lines": [{"product_id": coil.pk, "quantity": "12.345", "discount": discount}]})


def test_flow_with_approval(org, customers, coil, api_as, monkeypatch):
    monkeypatch.setattr(terms, "customer_terms", lambda c: terms.Terms(discount_ceiling=D("5")))
    n1 = api_as(org.users.sales_n1)
    r = _create(n1, customers.n1, coil, discount="8")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["lines"][0]["vat_rate"] == "13.00" and body["status"] == "draft" and body["revision"] == 1
    qid = body["id"]
    assert_error(n1.patch(f"/quotes/{qid}", {"version": 7, "title": "X"}), 409, "conflict")
    r = n1.patch(f"/quotes/{qid}", {"version": 1, "lines": [{"product_id": 999999, "quantity": "1"}]})
    assert_error(r, 422)
    assert "lines.0.product_id" in r.json()["error"]["fields"]
    assert n1.post(f"/quotes/{qid}/submit", {"version": 1}).json()["status"] == "pending"
    assert_error(n1.post(f"/quotes/{qid}/send", {}), 409, "not_allowed")
    assert_error(n1.post(f"/quotes/{qid}/approve", {}), 403, "forbidden")
    assert_error(api_as(org.users.sales_e1).get(f"/quotes/{qid}"), 404, "not_found")
    r = api_as(org.users.north_manager).post(f"/quotes/{qid}/approve", {"note": "OK"})
    assert r.status_code == 200 and r.json()["status"] == "approved"
    assert n1.post(f"/quotes/{qid}/send", {}).json()["status"] == "sent"
    r = n1.post(f"/quotes/{qid}/new-version", {})
    assert r.status_code == 201 and r.json()["revision"] == 2 and r.json()["ref"] == body["ref"]
    assert n1.get(f"/quotes/{qid}").json()["status"] == "superseded"
    assert [q["id"] for q in n1.get("/quotes", {"status": "draft"}).json()["items"]] == [r.json()["id"]]


def test_accept_makes_the_order(org, customers, coil, api_as):
    n1 = api_as(org.users.sales_n1)
    qid = _create(n1, customers.n1, coil).json()["id"]
    n1.post(f"/quotes/{qid}/submit", {})
    body = n1.post(f"/quotes/{qid}/accept", {}).json()
    assert body["status"] == "accepted" and body["total"] == "55795.86"
    order = Quote.objects.get(pk=qid).order
    assert order.amount == D("55795.86") and order.customer == customers.n1


def test_pdf_in_both_languages_and_cli(org, customers, coil, api_as, capsys, tmp_path, settings):
    settings.KEHU_COMPANY = {"name_zh": "华信钢材贸易有限公司", "name_en": "Huaxin Steel Trading",
                             "address": "上海", "phone": "021-1234", "tax_id": "91310000X"}
    n1 = api_as(org.users.sales_n1)
    qid = _create(n1, customers.n1, coil).json()["id"]
    r = n1.get(f"/quotes/{qid}/pdf", {"lang": "en"})
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert_error(api_as(org.users.sales_e1).get(f"/quotes/{qid}/pdf"), 404, "not_found")
    from kehu.sales.quote_pdf import quote_html

    html = quote_html(Quote.objects.get(pk=qid), language="en")
    assert "Huaxin Steel Trading" in html and "49376.87" in html and "55795.86" in html
    assert main(["quotes", "list", "--as", "sales_n1"]) == 0
    assert "Coil" not in capsys.readouterr().err
    assert main(["quotes", "show", str(qid), "--as", "sales_n1"]) == 0
    assert "6418.99" in capsys.readouterr().out
    out = tmp_path / "q.pdf"
    assert main(["quotes", "pdf", str(qid), "--lang", "zh", "-o", str(out), "--as", "sales_n1"]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert main(["quotes", "show", str(qid), "--as", "sales_e1"]) == 2
