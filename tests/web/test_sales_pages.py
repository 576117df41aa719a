"""Orders, payments and products through the pages."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.sales.models import Order, Product
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def order_post(product=None, **kw):
    data = {"order_date": "2025-05-06", "ref": "", "status": "confirmed", "payment_due_on": "2025-06-06",
            "remarks": "", "lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000"}
    for i in range(3):
        data.update({f"lines-{i}-product": "", f"lines-{i}-description": "", f"lines-{i}-quantity": "1",
                     f"lines-{i}-unit_price": "", f"lines-{i}-unit_cost": ""})
    data.update(kw)
    return data


def test_create_order_with_lines(client_for, org, customers):
    product = ProductFactory(name="Steel coil", unit_price=Decimal("1234.50"), unit_cost=Decimal("1000.00"))
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_create", args=[customers.n1.pk])).content.decode()
    assert "Steel coil" in html and 'name="lines-TOTAL_FORMS"' in html
    response = client.post(reverse("order_create", args=[customers.n1.pk]), order_post(**{
        "lines-0-product": product.pk, "lines-0-quantity": "2",
        "lines-1-description": "Freight", "lines-1-quantity": "1", "lines-1-unit_price": "500", "lines-1-unit_cost": "450",
    }))
    order = Order.objects.get(customer=customers.n1)
    assert response.status_code == 302 and response["Location"] == reverse("order_detail", args=[order.pk])
    assert order.amount == Decimal("2969.00") and order.cost == Decimal("2450.00")
    assert order.salesperson == org.users.sales_n1 and order.lines.count() == 2
    html = client.get(response["Location"]).content.decode()
    assert "¥2,969.00" in html and "¥519.00" in html and "Freight" in html


def test_order_needs_a_line_and_a_price(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    html = client.post(reverse("order_create", args=[customers.n1.pk]), order_post()).content.decode()
    assert "An order needs at least one line." in html
    html = client.post(reverse("order_create", args=[customers.n1.pk]),
                       order_post(**{"lines-0-description": "Something"})).content.decode()
    assert "Choose a product or give a unit price." in html
    html = client.post(reverse("order_create", args=[customers.n1.pk]),
                       order_post(**{"lines-0-unit_price": "10", "lines-0-quantity": "0"})).content.decode()
    assert "errorlist" in html
    assert not Order.objects.exists()


def test_record_payment(client_for, org, customers):
    order = OrderFactory(customer=customers.n1)  # 2 × 100.00
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "¥200.00" in html and reverse("payment_create", args=[order.pk]) in html
    response = client.post(reverse("payment_create", args=[order.pk]), {
        "amount": "150.50", "received_on": dt.date.today().isoformat(), "method": "bank", "reference": "TX1"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.paid_amount == Decimal("150.50")
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "¥150.50" in html and "¥49.50" in html and "TX1" in html
    html = client.post(reverse("payment_create", args=[order.pk]), {"amount": "0", "received_on": ""}).content.decode()
    assert "errorlist" in html


def test_order_list_filters_and_keyset(client_for, org, customers):
    for i in range(27):
        OrderFactory(customer=customers.n1, ref=f"SO-K{i:03d}", order_date=dt.date(2025, 1, 1) + dt.timedelta(days=i))
    OrderFactory(customer=customers.e1, ref="SO-EAST")
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_list")).content.decode()
    assert "SO-K026" in html and "SO-K002" in html and "SO-K001" not in html and "SO-EAST" not in html
    import re

    nxt = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    html = client.get(reverse("order_list") + nxt).content.decode()
    assert "SO-K001" in html and "SO-K000" in html and "SO-K002" not in html
    html = client.get(reverse("order_list"), {"date_from": "2025-01-27"}).content.decode()
    assert "SO-K026" in html and "SO-K025" not in html
    html = client.get(reverse("order_list"), {"q": "SO-K01"}).content.decode()
    assert "SO-K010" in html and "SO-K020" not in html


def test_products_catalogue_permissions(client_for, org):
    ProductFactory(name="Widget", unit_price=Decimal("12345.6"))
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("product_list")).content.decode()
    assert "Widget" in html and "¥12,345.60" in html and reverse("product_create") not in html
    assert client.get(reverse("product_create")).status_code == 403
    client = client_for(org.users.north_manager)
    data = {"ref": "P-NEW", "name": "New pipe", "line": "", "unit": "t", "unit_price": "4200", "unit_cost": "3900",
            "active": "on"}
    assert client.post(reverse("product_create"), data).status_code == 302
    product = Product.objects.get(ref="P-NEW")
    assert client.post(reverse("product_create"), data).status_code == 200  # duplicate code → form error
    data["unit_price"] = "4300"
    assert client.post(reverse("product_edit", args=[product.pk]), data).status_code == 302
    product.refresh_from_db()
    assert product.unit_price == Decimal("4300")
    html = client.get(reverse("product_list"), {"q": "pipe"}).content.decode()
    assert "<td>New pipe</td>" in html and "Widget" not in html
    assert client_for(org.users.analyst).get(reverse("product_edit", args=[product.pk])).status_code == 403
