"""Item 13 of issue 13: a payment larger than what the order still owes is
refused (¥999,999 on a ¥200 order left 未回款 −¥999,799.00); selling below
cost is accepted with a warning."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from kehu.sales.models import Payment
from kehu.sales.services import order_warnings, payment_record
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
TODAY = dt.date(2025, 4, 1)


def order_of_200(customer):
    return OrderFactory(customer=customer, lines=[{"quantity": 2, "unit_price": "100.00", "unit_cost": "60.00"}])


def test_service_refuses_more_than_what_is_owed(org, customers):
    order = order_of_200(customers.n1)
    actor = org.users.sales_n1
    with pytest.raises(ValidationError) as caught:
        payment_record(actor=actor, order=order, amount="999999", received_on=TODAY)
    assert caught.value.message_dict == {"amount": ["The payment (999999.00) is more than the order still owes (200.00)."]}
    payment_record(actor=actor, order=order, amount="150", received_on=TODAY)
    with pytest.raises(ValidationError):
        payment_record(actor=actor, order=order, amount="50.01", received_on=TODAY)
    payment_record(actor=actor, order=order, amount="50", received_on=TODAY)      # exactly what is owed
    order.refresh_from_db()
    assert order.paid_amount == Decimal("200.00") and order.outstanding == 0
    with pytest.raises(ValidationError) as caught:
        payment_record(actor=actor, order=order, amount="0.01", received_on=TODAY)
    assert caught.value.message_dict == {"amount": ["This order is paid in full; no further payment can be recorded."]}
    assert Payment.objects.filter(order=order).count() == 2


def test_service_uses_the_stored_payments_not_a_stale_order(org, customers):
    order = order_of_200(customers.n1)
    stale = type(order).objects.get(pk=order.pk)
    payment_record(actor=org.users.sales_n1, order=order, amount="200", received_on=TODAY)
    with pytest.raises(ValidationError):
        payment_record(actor=org.users.sales_n1, order=stale, amount="200", received_on=TODAY)


def test_api_refuses_an_overpayment_with_a_field_error(org, customers, api_as):  # noqa: F811
    order = order_of_200(customers.n1)
    api = api_as(org.users.sales_n1)
    r = api.post(f"/orders/{order.pk}/payments", {"amount": "999999"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 422
    assert r.json()["error"]["fields"] == {"amount": ["回款金额（999999.00）超过了订单的未回款金额（200.00）。"]}
    assert api.get(f"/orders/{order.pk}").json()["outstanding"] == "200.00"


def test_payment_form_shows_the_refusal(client_for, org, customers):
    order = order_of_200(customers.n1)
    response = client_for(org.users.sales_n1).post(reverse("payment_create", args=[order.pk]), {
        "amount": "999999", "received_on": "2025-04-01", "method": "", "reference": ""})
    assert response.status_code == 200
    assert "is more than the order still owes (200.00)" in response.content.decode()
    assert not Payment.objects.filter(order=order).exists()


def test_below_cost_is_accepted_with_a_warning(org, customers, api_as):  # noqa: F811
    api = api_as(org.users.sales_n1)
    # today: an unpaid order of long ago is overdue by the customer's payment terms, and would
    # hold the next one for approval (a warning this test is not about)
    today = timezone.localdate().isoformat()
    r = api.post("/orders", {"customer_id": customers.n1.pk, "order_date": today,
                             "lines": [{"quantity": 1, "unit_price": "80", "cost": "100"}]})
    assert r.status_code == 201
    assert r.json()["warnings"] == ["Line 1 is sold below cost: amount 80.00, cost 100.00."]
    r = api.post("/orders", {"customer_id": customers.n1.pk, "order_date": today,
                             "lines": [{"quantity": 1, "unit_price": "120", "cost": "100"}]})
    assert r.json()["warnings"] == []
    r = api.post("/orders", {"customer_id": customers.n1.pk, "order_date": today,
                             "lines": [{"quantity": 1, "unit_price": "50", "cost": "100"},
                                       {"quantity": 1, "unit_price": "10", "cost": "0"}]},
                 HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.json()["warnings"] == ["第 1 行低于成本销售：金额 50.00，成本 100.00。",
                                    "整张订单低于成本销售：金额 60.00，成本 100.00。"]


def test_order_form_warns_below_cost(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    data = {"order_date": "2025-04-01", "ref": "", "status": "confirmed", "payment_due_on": "", "remarks": "",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "1000", "lines-0-product": "", "lines-0-description": "Promo",
            "lines-0-quantity": "1", "lines-0-unit_price": "80", "lines-0-unit_cost": "100"}
    response = client.post(reverse("order_create", args=[customers.n1.pk]), data, follow=True)
    html = response.content.decode()
    assert "Line 1 is sold below cost: amount 80.00, cost 100.00." in html and "msg-warning" in html


def test_order_warnings_of_a_healthy_order_are_empty(customers):
    assert order_warnings(order_of_200(customers.n1)) == []


def test_order_import_warns_below_cost_and_imports(org, customers, tmp_path):
    from kehu.imports.services import import_orders
    from kehu.sales.models import Order
    from tests.factories import ProductFactory
    from tests.imports.conftest import write_csv

    product = ProductFactory(ref="P-COST", unit_price=Decimal("100.00"), unit_cost=Decimal("70.00"))
    path = write_csv(tmp_path / "o.csv", [
        ["customer_ref", "order_ref", "order_date", "amount", "cost", "product_ref", "quantity"],
        [customers.n1.ref, "IMP-1", "2025-03-01", "80", "100", "", ""],        # below its given cost
        [customers.n1.ref, "IMP-2", "2025-03-01", "130", "", product.ref, "2"],  # below 2 × 70
        [customers.n1.ref, "IMP-3", "2025-03-01", "150", "", product.ref, "2"],  # fine
    ])
    report = import_orders(actor=org.users.admin, source=path)
    assert report.error_count == 0 and report.created == 3
    assert [(w.line, w.column, w.message) for w in report.warnings] == [
        (2, "amount", "sold below cost: amount 80.00, cost 100.00"),
        (3, "amount", "sold below cost: amount 130.00, cost 140.00"),
    ]
    assert Order.objects.filter(ref__startswith="IMP-").count() == 3
