"""The company's cost and margin are not a partner's (kehu.org.policies: ``may_see_cost``):
a partner user's order page, order form, order list, order export, customer page and the
API's orders, products and partner scorecard carry no cost, gross margin or margin rate,
and a cost they send is refused — while the company's people still see them.

The distinctive figures: a product costing 41.97, an order line of 3 × 100.00 at a unit
cost of 47.13 (cost 141.39, gross margin 158.61, 52.87 %)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from kehu.sales.models import Order
from tests.factories import CustomerFactory, OrderFactory, PartnerFactory, ProductFactory, UserFactory

pytestmark = pytest.mark.django_db

SECRETS = ("41.97", "47.13", "141.39", "158.61", "52.87", "52.9")


@pytest.fixture
def world(org):
    partner = PartnerFactory(code="CP1", name="成本代理", manager=org.users.north_manager)
    user = UserFactory(username="cost_partner", role="partner", partner=partner, team=None)
    customer = CustomerFactory(name="渠道成本客户", owner=org.users.sales_n1, partner=partner)
    product = ProductFactory(ref="PCOST", name="保密成本产品", unit_price=Decimal("100.00"),
                             unit_cost=Decimal("41.97"))
    order = OrderFactory(customer=customer, lines=[{"product": product, "quantity": 3, "unit_price": "100.00",
                                                    "unit_cost": "47.13"}])
    Order.objects.filter(pk=order.pk).update(partner=partner, partner_margin_pct=Decimal("12.50"))
    return type("World", (), {"partner": partner, "user": user, "customer": customer, "product": product,
                              "order": order, "org": org})


def _body(response) -> str:
    data = b"".join(response.streaming_content) if response.streaming else response.content
    return data.decode("utf-8")


def _pages(client, w) -> dict[str, str]:
    out = {}
    for name, url in (("order", reverse("order_detail", args=[w.order.pk])),
                      ("list", reverse("order_list")),
                      ("list_all_cols", reverse("order_list") + "?cols=ref&cols=amount&cols=margin"),
                      ("customer", reverse("customer_detail", args=[w.customer.pk])),
                      ("form", reverse("order_create", args=[w.customer.pk])),
                      ("csv", reverse("order_export") + "?format=csv")):
        r = client.get(url)
        assert r.status_code == 200, name
        out[name] = _body(r)
    return out


def test_a_partner_user_sees_no_cost_on_the_pages_and_the_export(client_for, world):
    pages = _pages(client_for(world.user), world)
    assert "300.00" in pages["order"] and "12.50" in pages["order"]   # the selling price, their margin
    for name, html in pages.items():
        for secret in SECRETS:
            assert secret not in html, (name, secret)
    for name in ("order", "list", "list_all_cols", "customer"):
        assert "Gross margin" not in pages[name], name
    assert 'name="lines-0-unit_cost"' not in pages["form"] and "Unit cost" not in pages["form"]
    header = pages["csv"].lstrip("\ufeff").splitlines()[0].split(",")
    assert "cost" not in header and "amount" in header


def test_the_xlsx_export_has_no_cost_column(client_for, world):
    r = client_for(world.user).get(reverse("order_export"), {"format": "xlsx"})
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    assert "cost" not in header and "amount" in header


def test_the_company_still_sees_cost_and_margin(client_for, world):
    for user in (world.org.users.sales_n1, world.org.users.admin):
        pages = _pages(client_for(user), world)
        assert "141.39" in pages["order"] and "158.61" in pages["order"] and "Gross margin" in pages["order"]
        assert "158.61" in pages["list"] and "158.61" in pages["customer"]
        assert 'name="lines-0-unit_cost"' in pages["form"]
        assert "cost" in pages["csv"].lstrip("\ufeff").splitlines()[0].split(",")


def test_the_api_gives_a_partner_user_no_cost(api_as, world):
    api = api_as(world.user)
    one = api.get(f"/orders/{world.order.pk}").json()
    assert one["cost"] is None and one["gross_margin"] is None and one["lines"][0]["cost"] is None
    assert one["amount"] == "300.00" and one["partner_margin_pct"] is not None
    listed = api.get("/orders").json()
    assert [o["cost"] for o in listed["items"]] == [None]
    assert api.get(f"/products/{world.product.pk}").json()["unit_cost"] is None
    card = api.get(f"/partners/{world.partner.pk}/scorecard").json()
    assert card["gross_margin"] is None and card["margin_rate"] is None and card["company_margin"] is None
    for r in (api.get(f"/orders/{world.order.pk}"), api.get("/orders"), api.get("/products"),
              api.get(f"/partners/{world.partner.pk}/orders"), api.get(f"/partners/{world.partner.pk}/scorecard")):
        for secret in SECRETS:
            assert secret not in r.content.decode(), (r.request["PATH_INFO"], secret)


def test_the_api_gives_the_company_the_cost(api_as, world):
    api = api_as(world.org.users.sales_n1)
    one = api.get(f"/orders/{world.order.pk}").json()
    assert one["cost"] == "141.39" and one["gross_margin"] == "158.61" and one["lines"][0]["cost"] == "141.39"
    admin = api_as(world.org.users.admin)
    assert admin.get(f"/products/{world.product.pk}").json()["unit_cost"] == "41.97"
    assert admin.get(f"/partners/{world.partner.pk}/scorecard").json()["gross_margin"] is not None


@pytest.mark.parametrize("field", ["cost", "unit_cost"])
def test_a_partner_user_cannot_set_a_cost_through_the_api(api_as, world, field):
    api = api_as(world.user)
    line = {"product_id": world.product.pk, "quantity": "2", field: "1.00"}
    r = api.post("/orders", {"customer_id": world.customer.pk, "order_date": "2026-01-05", "lines": [line]})
    assert r.status_code == 422 and "The company sets the cost" in r.content.decode()
    assert Order.objects.filter(customer=world.customer).count() == 1
    r = api.patch(f"/orders/{world.order.pk}", {"lines": [line]})
    assert r.status_code == 422 and "The company sets the cost" in r.content.decode()
    world.order.refresh_from_db()
    assert world.order.cost == Decimal("141.39")
    # without a cost, the line costs what the product costs (as for anyone who gives none)
    r = api.post("/orders", {"customer_id": world.customer.pk, "order_date": "2026-01-05",
                             "lines": [{"product_id": world.product.pk, "quantity": "2"}]})
    assert r.status_code == 201, r.content
    assert r.json()["cost"] is None
    assert Order.objects.get(pk=r.json()["id"]).cost == Decimal("83.94")


def test_a_cost_posted_through_the_form_by_a_partner_user_is_ignored(client_for, world):
    client = client_for(world.user)
    r = client.post(reverse("order_create", args=[world.customer.pk]), {
        "order_date": "2026-01-05", "status": "confirmed",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200", "lines-0-product": world.product.pk, "lines-0-quantity": "2",
        "lines-0-unit_price": "100.00", "lines-0-unit_cost": "1.00"})
    assert r.status_code == 302, r.content.decode()[:2000]
    order = Order.objects.filter(customer=world.customer).exclude(pk=world.order.pk).get()
    assert order.cost == Decimal("83.94") and order.partner_id == world.partner.pk


def test_no_below_cost_warning_to_a_partner_user(client_for, world):
    """A line sold below cost warns the company's people, never tells a partner the cost."""
    client = client_for(world.user)
    r = client.post(reverse("order_create", args=[world.customer.pk]), {
        "order_date": "2026-01-05", "status": "confirmed",
        "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "200", "lines-0-product": world.product.pk, "lines-0-quantity": "1",
        "lines-0-unit_price": "10.00"}, follow=True)
    html = r.content.decode()
    assert "below cost" not in html and "41.97" not in html
