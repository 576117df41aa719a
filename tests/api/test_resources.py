"""CRUD and filters for contacts, anniversaries, interactions, products, product lines, orders and payments."""

import datetime as dt
from decimal import Decimal

import pytest

from kehu.customers.models import Contact
from kehu.engagement.models import Interaction
from kehu.sales.models import Order, Product
from tests.api.conftest import assert_error, walk
from tests.factories import ContactFactory, InteractionFactory, OrderFactory, ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


def item_ids(response):
    assert response.status_code == 200, response.content
    return [x["id"] for x in response.json()["items"]]


# -- contacts -----------------------------------------------------------------

def test_contact_crud(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    r = api.post("/contacts", {"customer_id": customers.n1.pk, "name": "王总", "title": "General manager",
                               "decision_role": "decision_maker", "phone": "138-0000-1111"})
    assert r.status_code == 201, r.content
    boss = r.json()
    assert boss["customer_id"] == customers.n1.pk and boss["phone"] == "13800001111"
    r = api.post("/contacts", {"customer_id": customers.n1.pk, "name": "李采购", "reports_to_id": boss["id"]})
    assert r.status_code == 201 and r.json()["reports_to_id"] == boss["id"]
    buyer = r.json()
    assert api.get(f"/contacts/{buyer['id']}").json()["name"] == "李采购"
    r = api.patch(f"/contacts/{buyer['id']}", {"department": "Purchasing", "reports_to_id": None})
    assert r.status_code == 200 and r.json()["department"] == "Purchasing" and r.json()["reports_to_id"] is None
    assert api.delete(f"/contacts/{buyer['id']}").status_code == 204
    assert not Contact.objects.filter(pk=buyer["id"]).exists()


def test_contact_validation(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    other = ContactFactory(customer=customers.n1b)  # another salesperson's customer: invisible
    same_owner_other_customer = ContactFactory(customer=customers.n1)
    err = assert_error(api.post("/contacts", {"customer_id": customers.n1.pk, "name": "", "decision_role": "boss"}), 422)
    assert {"name", "decision_role"} <= set(err["fields"])
    err = assert_error(api.post("/contacts", {"customer_id": customers.n1.pk, "name": "X", "reports_to_id": other.pk}), 422)
    assert "reports_to_id" in err["fields"]
    mine = ContactFactory(customer=customers.n1, name="Mine")
    err = assert_error(api.patch(f"/contacts/{mine.pk}", {"reports_to_id": mine.pk}), 422)
    assert "reports_to_id" in err["fields"]
    assert same_owner_other_customer.customer_id == customers.n1.pk
    assert_error(api.post("/contacts", {"customer_id": customers.n1b.pk, "name": "X"}), 404, "not_found")


def test_contact_filter_by_customer(org, customers, api_as):
    a = ContactFactory(customer=customers.n1)
    b = ContactFactory(customer=customers.n1)
    c = ContactFactory(customer=customers.e1)
    api = api_as(org.users.admin)
    assert item_ids(api.get("/contacts", {"customer_id": customers.n1.pk})) == [a.pk, b.pk]
    assert item_ids(api.get("/contacts")) == [a.pk, b.pk, c.pk]
    assert item_ids(api_as(org.users.sales_e1).get("/contacts")) == [c.pk]


# -- anniversaries ------------------------------------------------------------

def test_anniversary_crud(org, customers, api_as):
    from kehu.audit.models import AuditEvent

    api = api_as(org.users.sales_n1)
    base = f"/customers/{customers.n1.pk}/anniversaries"
    assert api.get(f"/customers/{customers.n1.pk}").json()["anniversaries"] == []
    r = api.post(base, {"label": "公司成立日", "date": "2005-06-01"})
    assert r.status_code == 201, r.content
    founded = r.json()
    assert founded == {"id": founded["id"], "customer_id": customers.n1.pk, "label": "公司成立日", "date": "2005-06-01"}
    first = api.post(base, {"label": "首次下单日", "date": "2003-01-15"}).json()
    assert item_ids(api.get(base)) == [first["id"], founded["id"]]  # by date
    detail = api.get(f"/customers/{customers.n1.pk}").json()
    assert [a["label"] for a in detail["anniversaries"]] == ["首次下单日", "公司成立日"]
    assert "anniversaries" not in api.get("/customers").json()["items"][0]  # the list stays lean
    assert api.get(f"{base}/{founded['id']}").json()["date"] == "2005-06-01"
    r = api.patch(f"{base}/{founded['id']}", {"date": "2005-06-02"})
    assert r.status_code == 200 and r.json() == {**founded, "date": "2005-06-02"}
    assert AuditEvent.objects.get(entity="anniversary", entity_id=founded["id"], action="update").changes == {
        "date": ["2005-06-01", "2005-06-02"]}
    assert api.delete(f"{base}/{first['id']}").status_code == 204
    assert item_ids(api.get(base)) == [founded["id"]]
    # an anniversary is reached through its own customer only
    assert_error(api.get(f"/customers/{customers.n1b.pk}/anniversaries/{founded['id']}"), 404, "not_found")


def test_anniversary_validation(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    base = f"/customers/{customers.n1.pk}/anniversaries"
    err = assert_error(api.post(base, {"label": "", "date": "2005-02-30"}), 422, "validation_error")
    assert set(err["fields"]) == {"label", "date"}
    err = assert_error(api.post(base, {"label": "x" * 61}), 422)
    assert err["fields"] == {"label": ["Use at most 60 characters."], "date": ["This field is required."]}
    err = assert_error(api.post(base, {"label": "   ", "date": "2005-02-01"}), 422)
    assert err["fields"] == {"label": ["This field cannot be blank."]}
    founded = api.post(base, {"label": "Founded", "date": "2005-06-01"}).json()
    err = assert_error(api.patch(f"{base}/{founded['id']}", {"date": None}), 422)
    assert err["fields"] == {"date": ["This field cannot be null."]}


# -- interactions -------------------------------------------------------------

def test_interaction_crud(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    contact = ContactFactory(customer=customers.n1)
    r = api.post("/interactions", {"customer_id": customers.n1.pk, "channel": "visit", "contact_id": contact.pk,
                                   "summary": "Discussed the Q3 order", "occurred_at": "2025-03-01T09:30:00+08:00",
                                   "next_step_on": "2025-03-08"})
    assert r.status_code == 201, r.content
    it = r.json()
    assert it["user_id"] == org.users.sales_n1.pk and it["contact_id"] == contact.pk
    assert it["occurred_at"].startswith("2025-03-01T01:30:00")  # stored and answered in UTC
    assert it["direction"] == "outbound"
    r = api.patch(f"/interactions/{it['id']}", {"summary": "Updated", "channel": "phone"})
    assert r.status_code == 200 and r.json()["summary"] == "Updated" and r.json()["channel"] == "phone"
    assert api.get(f"/interactions/{it['id']}").json()["summary"] == "Updated"
    assert api.delete(f"/interactions/{it['id']}").status_code == 204
    assert not Interaction.objects.filter(pk=it["id"]).exists()


def test_interaction_validation(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    err = assert_error(api.post("/interactions", {"customer_id": customers.n1.pk, "channel": "pigeon",
                                                  "occurred_at": "yesterday"}), 422)
    assert {"channel", "summary", "occurred_at"} <= set(err["fields"])
    foreign = ContactFactory(customer=customers.e1)
    err = assert_error(api.post("/interactions", {"customer_id": customers.n1.pk, "channel": "phone",
                                                  "summary": "x", "contact_id": foreign.pk}), 422)
    assert "contact_id" in err["fields"]
    # a visible contact of another customer
    other = ContactFactory(customer=CustomerFactory_for(org.users.sales_n1))
    err = assert_error(api.post("/interactions", {"customer_id": customers.n1.pk, "channel": "phone",
                                                  "summary": "x", "contact_id": other.pk}), 422)
    assert "contact_id" in err["fields"]


def CustomerFactory_for(owner):
    from tests.factories import CustomerFactory

    return CustomerFactory(owner=owner)


def test_interaction_filters_newest_first(org, customers, api_as):
    now = dt.datetime(2025, 5, 1, 12, tzinfo=dt.timezone.utc)
    a = InteractionFactory(customer=customers.n1, channel="phone", occurred_at=now - dt.timedelta(days=2))
    b = InteractionFactory(customer=customers.n1, channel="visit", occurred_at=now - dt.timedelta(days=1))
    c = InteractionFactory(customer=customers.e1, channel="phone", occurred_at=now)
    api = api_as(org.users.admin)
    assert item_ids(api.get("/interactions")) == [c.pk, b.pk, a.pk]
    assert item_ids(api.get("/interactions", {"customer_id": customers.n1.pk})) == [b.pk, a.pk]
    assert item_ids(api.get("/interactions", {"channel": "phone"})) == [c.pk, a.pk]
    assert item_ids(api_as(org.users.sales_n1).get("/interactions")) == [b.pk, a.pk]
    assert_error(api.get("/interactions", {"channel": "pigeon"}), 422)


# -- products and product lines -----------------------------------------------

def test_product_crud_by_manager(org, api_as):
    api = api_as(org.users.north_manager)
    r = api.post("/product-lines", {"code": "COIL", "name": "Steel coil"})
    assert r.status_code == 201, r.content
    line = r.json()
    assert api.get(f"/product-lines/{line['id']}").json()["code"] == "COIL"
    assert_error(api.post("/product-lines", {"code": "COIL", "name": "Again"}), 422)
    err = assert_error(api.post("/product-lines", {"code": "coil", "name": "Again"}), 422)
    assert err["fields"] == {"code": ["A product line with the code coil already exists."]}
    r = api.patch(f"/product-lines/{line['id']}", {"name": "Coils and strip", "code": "IGNORED"})
    assert r.status_code == 200, r.content
    assert r.json()["name"] == "Coils and strip" and r.json()["code"] == "COIL"
    assert assert_error(api.patch(f"/product-lines/{line['id']}", {"name": ""}), 422)["fields"] == {
        "name": ["This field cannot be blank."]}
    r = api.post("/products", {"ref": "HR-001", "name": "Hot rolled coil", "line_id": line["id"], "unit": "t",
                               "unit_price": "4200.00", "unit_cost": 3900})
    assert r.status_code == 201, r.content
    p = r.json()
    assert p["unit_price"] == "4200.00" and p["unit_cost"] == "3900.00" and p["active"] is True
    r = api.patch(f"/products/{p['id']}", {"active": False, "unit_price": "4300.5"})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["unit_price"] == "4300.50"
    assert api.get(f"/products/{p['id']}").json()["line_id"] == line["id"]
    assert api.delete(f"/products/{p['id']}").status_code == 204
    assert not Product.objects.filter(pk=p["id"]).exists()
    assert_error(api.get(f"/products/{p['id']}"), 404)


def test_product_validation(org, api_as):
    api = api_as(org.users.admin)
    err = assert_error(api.post("/products", {"ref": "", "name": "X", "unit_price": "-1", "line_id": 99999}), 422)
    assert {"ref", "unit_price"} <= set(err["fields"])
    err = assert_error(api.post("/products", {"ref": "R", "name": "X", "line_id": 99999}), 422)
    assert "line_id" in err["fields"]
    err = assert_error(api.post("/products", {"ref": "R", "name": "X", "unit_price": "1.234"}), 422)
    assert "unit_price" in err["fields"]


def test_ordered_product_cannot_be_deleted(org, customers, api_as):
    product = ProductFactory()
    OrderFactory(customer=customers.n1, lines=[{"product": product, "quantity": 1}])
    assert_error(api_as(org.users.admin).delete(f"/products/{product.pk}"), 422)


def test_product_filters(org, api_as):
    coil, bar = ProductLineFactory(code="COIL", name="Coil"), ProductLineFactory(code="BAR", name="Bar")
    a = ProductFactory(ref="HR-1", name="Hot rolled coil", line=coil)
    b = ProductFactory(ref="CR-1", name="Cold rolled coil", line=coil, active=False)
    c = ProductFactory(ref="RB-1", name="Rebar", line=bar)
    api = api_as(org.users.sales_n1)  # everyone reads the catalogue
    assert item_ids(api.get("/products")) == [b.pk, a.pk, c.pk]
    assert item_ids(api.get("/products", {"q": "rolled"})) == [b.pk, a.pk]
    assert item_ids(api.get("/products", {"q": "rb-"})) == [c.pk]
    assert item_ids(api.get("/products", {"line_id": coil.pk})) == [b.pk, a.pk]
    assert item_ids(api.get("/products", {"active": "true"})) == [a.pk, c.pk]
    assert item_ids(api.get("/products", {"active": "false", "line_id": coil.pk})) == [b.pk]
    assert item_ids(api.get("/product-lines")) == [bar.pk, coil.pk]


# -- orders and payments --------------------------------------------------------

def test_order_crud_with_lines_and_payments(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    product = ProductFactory(unit_price=Decimal("100.00"), unit_cost=Decimal("70.00"))
    r = api.post("/orders", {
        "customer_id": customers.n1.pk, "order_date": "2025-04-01", "payment_due_on": "2025-05-01",
        "salesperson_id": org.users.sales_n1.pk,
        "lines": [{"product_id": product.pk, "quantity": "3"},
                  {"description": "Freight", "amount": "50", "cost": "40"}],
    })
    assert r.status_code == 201, r.content
    order = r.json()
    assert order["amount"] == "350.00" and order["cost"] == "250.00" and order["gross_margin"] == "100.00"
    assert order["paid_amount"] == "0.00" and order["outstanding"] == "350.00"
    assert order["ref"].startswith("SO") and order["status"] == "confirmed" and order["currency"] == "CNY"
    assert [ln["quantity"] for ln in order["lines"]] == ["3.000", "1.000"]
    assert order["lines"][0]["product_id"] == product.pk and order["payments"] == []

    r = api.post(f"/orders/{order['id']}/payments", {"amount": "200", "received_on": "2025-04-15", "method": "bank"})
    assert r.status_code == 201, r.content
    assert r.json()["amount"] == "200.00" and r.json()["order_id"] == order["id"]
    r = api.post(f"/orders/{order['id']}/payments", {"amount": 100.5})
    assert r.status_code == 201 and r.json()["received_on"]
    detail = api.get(f"/orders/{order['id']}").json()
    assert detail["paid_amount"] == "300.50" and detail["outstanding"] == "49.50"
    assert len(detail["payments"]) == 2
    assert len(api.get(f"/orders/{order['id']}/payments").json()["items"]) == 2

    # new lines may not total less than what was paid: that would leave a negative amount owed
    err = assert_error(api.patch(f"/orders/{order['id']}", {"lines": [{"quantity": 2, "unit_price": "10"}]}),
                       422, "validation_error")
    assert err["fields"] == {"lines": ["The new total (20.00) is less than what has been paid (300.50)."]}
    r = api.patch(f"/orders/{order['id']}", {"status": "delivered", "lines": [{"quantity": 2, "unit_price": "200"}]})
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "delivered" and r.json()["amount"] == "400.00" and len(r.json()["lines"]) == 1
    r = api.patch(f"/orders/{order['id']}", {"remarks": "keep lines"})
    assert r.status_code == 200 and len(r.json()["lines"]) == 1 and r.json()["remarks"] == "keep lines"
    # money was received: the order is kept; cancelling it is the way out
    err = assert_error(api.delete(f"/orders/{order['id']}"), 422, "validation_error")
    assert err["fields"] == {"__all__": ["This order has payments and cannot be deleted; cancel it instead."]}
    assert api.patch(f"/orders/{order['id']}", {"status": "cancelled"}).json()["status"] == "cancelled"
    assert Order.objects.filter(pk=order["id"]).exists()
    bare = api.post("/orders", {"customer_id": customers.n1.pk, "order_date": "2025-04-02",
                                "lines": [{"quantity": 1, "unit_price": "5"}]}).json()
    assert api.delete(f"/orders/{bare['id']}").status_code == 204
    assert not Order.objects.filter(pk=bare["id"]).exists()


def test_order_validation(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    base = {"customer_id": customers.n1.pk, "order_date": "2025-04-01"}
    err = assert_error(api.post("/orders", {**base, "lines": []}), 422)
    assert "lines" in err["fields"]
    err = assert_error(api.post("/orders", {**base, "status": "shipped", "order_date": "04/01/2025",
                                            "lines": [{"quantity": 0}]}), 422)
    assert {"status", "order_date", "lines.0.quantity"} <= set(err["fields"])
    # the service's own check, reported under the API's line numbering
    err = assert_error(api.post("/orders", {**base, "lines": [{"quantity": 1, "unit_price": "5"}, {"quantity": 1}]}), 422)
    assert "lines.1.unit_price" in err["fields"]
    err = assert_error(api.post("/orders", {**base, "lines": [{"product_id": 99999}]}), 422)
    assert "lines.0.product_id" in err["fields"]
    err = assert_error(api.post("/orders", {**base, "salesperson_id": org.users.sales_e1.pk, "lines": [{"amount": 1}]}), 422)
    assert "salesperson_id" in err["fields"]
    order = OrderFactory(customer=customers.n1)
    err = assert_error(api.post(f"/orders/{order.pk}/payments", {"amount": "0"}), 422)
    assert "amount" in err["fields"]
    err = assert_error(api.post(f"/orders/{order.pk}/payments", {"amount": "-5", "received_on": "soon"}), 422)
    assert {"amount", "received_on"} <= set(err["fields"])
    assert_error(api.patch(f"/orders/{order.pk}", {"lines": None, "order_date": None}), 422)


def test_order_filters(org, customers, api_as):
    a = OrderFactory(customer=customers.n1, order_date=dt.date(2025, 1, 10))
    b = OrderFactory(customer=customers.n1, order_date=dt.date(2025, 2, 10))
    c = OrderFactory(customer=customers.e1, order_date=dt.date(2025, 3, 10))
    api = api_as(org.users.admin)
    assert item_ids(api.get("/orders")) == [c.pk, b.pk, a.pk]
    assert item_ids(api.get("/orders", {"customer_id": customers.n1.pk})) == [b.pk, a.pk]
    assert item_ids(api.get("/orders", {"date_from": "2025-02-10"})) == [c.pk, b.pk]
    assert item_ids(api.get("/orders", {"date_to": "2025-02-10"})) == [b.pk, a.pk]
    assert item_ids(api.get("/orders", {"date_from": "2025-02-01", "date_to": "2025-02-28"})) == [b.pk]
    assert item_ids(api_as(org.users.sales_e1).get("/orders")) == [c.pk]
    assert_error(api.get("/orders", {"date_from": "last week"}), 422)
    items = walk(api, "/orders", limit=1)
    assert [o["id"] for o in items] == [c.pk, b.pk, a.pk]
