"""The quote pages: list, new quote from an opportunity, the lines editor (htmx and
plain), the approval, accept into an order, the PDF; the policy (404 / 403); both
languages."""

from decimal import Decimal as D

import pytest

from kehu.sales import terms
from kehu.sales.models import Product, ProductLine, Quote
from kehu.sales.opportunities import opportunity_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def coil(db):
    line = ProductLine.objects.create(code="coil", name="Coil")
    return Product.objects.create(ref="Q235-HR", name="Q235 热轧卷", line=line, unit="t", unit_price=D("4123.45"))


def test_journey(org, customers, coil, client_for, monkeypatch, pipeline):
    monkeypatch.setattr(terms, "customer_terms", lambda c: terms.Terms(discount_ceiling=D("5")))
    opp = opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "Coil 2027"})
    c = client_for(org.users.sales_n1)
    page = c.get(f"/opportunities/{opp.pk}/")
    assert b"opportunity-new-quote" in page.content
    r = c.post("/quotes/new/", {"opportunity": opp.pk})
    quote = Quote.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/quotes/{quote.pk}/" and quote.opportunity == opp
    r = c.post(f"/quotes/{quote.pk}/lines/add/", {"product": coil.pk, "quantity": "12.345", "discount": "8",
                                                 "version": quote.version}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and b"55795.86" not in r.content and b"quote-lines" in r.content
    quote.refresh_from_db()
    assert quote.lines.count() == 1
    r = c.post(f"/quotes/{quote.pk}/lines/add/", {"product": coil.pk, "quantity": "0", "version": quote.version},
               HTTP_HX_REQUEST="true")
    assert b"quote-line-error" in r.content
    c.post(f"/quotes/{quote.pk}/submit/", {"version": quote.version})
    quote.refresh_from_db()
    assert quote.status == "pending"
    assert c.post(f"/quotes/{quote.pk}/approve/", {}).status_code == 403
    m = client_for(org.users.north_manager)
    assert b"quote-approve" in m.get(f"/quotes/{quote.pk}/").content
    m.post(f"/quotes/{quote.pk}/approve/", {"note": "ok"})
    quote.refresh_from_db()
    assert quote.status == "approved"
    c = client_for(org.users.sales_n1)
    c.post(f"/quotes/{quote.pk}/accept/", {})
    quote.refresh_from_db()
    assert quote.status == "accepted" and quote.order is not None
    assert quote.order.ref.encode() in c.get(f"/quotes/{quote.pk}/").content
    assert quote.ref.encode() in c.get("/quotes/").content
    assert quote.ref.encode() in c.get(f"/opportunities/{opp.pk}/").content
    r = c.get(f"/quotes/{quote.pk}/pdf/?lang=en")
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_policy_and_languages(org, customers, coil, client_for):
    from kehu.sales.quotes import quote_create

    quote = quote_create(actor=org.users.sales_n1, customer=customers.n1, data={}, lines=[{"product": coil}])
    assert client_for(org.users.sales_e1).get(f"/quotes/{quote.pk}/").status_code == 404
    assert client_for(org.users.sales_e1).get(f"/quotes/{quote.pk}/pdf/").status_code == 404
    assert quote.ref.encode() not in client_for(org.users.sales_e1).get("/quotes/").content
    a = client_for(org.users.analyst)
    assert a.get(f"/quotes/{quote.pk}/").status_code == 200
    assert a.post(f"/quotes/{quote.pk}/submit/", {}).status_code == 403
    assert a.post(f"/quotes/{quote.pk}/lines/add/", {"product": coil.pk}).status_code == 403
    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save(update_fields=["language"])
    c = client_for(user)
    assert "报价单".encode() in c.get("/quotes/").content
    assert "价税合计".encode() in c.get(f"/quotes/{quote.pk}/").content
    empty = client_for(org.users.sales_e1).get("/quotes/")
    assert b"quote-empty" in empty.content


def test_the_customer_360_history_shows_quote_steps(org, customers, coil, client_for):
    from kehu.sales.quotes import quote_create, quote_submit

    quote = quote_create(actor=org.users.sales_n1, customer=customers.n1, data={}, lines=[{"product": coil}])
    quote_submit(actor=org.users.sales_n1, quote=quote)
    page = client_for(org.users.sales_n1).get(f"/customers/{customers.n1.pk}/", {"tab": "history"})
    assert page.status_code == 200
    text = page.content.decode()
    assert quote.ref in text and "submitted" in text
