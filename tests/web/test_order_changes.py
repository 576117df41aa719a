"""Changing, cancelling and deleting an order in the browser."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.sales.models import Order
from kehu.sales.services import payment_record
from tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db


def edit_post(order, extra_rows=2, **kw):
    """The edit form as the page fills it in: a row per line, two empty rows."""
    lines = list(order.lines.all())
    data = {"order_date": order.order_date.isoformat(), "ref": order.ref, "status": order.status,
            "payment_due_on": order.payment_due_on.isoformat() if order.payment_due_on else "",
            "remarks": order.remarks, "lines-TOTAL_FORMS": str(len(lines) + extra_rows),
            "lines-INITIAL_FORMS": str(len(lines)), "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "1000"}
    for i, ln in enumerate(lines):
        data.update({f"lines-{i}-product": ln.product_id or "", f"lines-{i}-description": ln.description,
                     f"lines-{i}-quantity": str(ln.quantity), f"lines-{i}-unit_price": str(ln.unit_price),
                     f"lines-{i}-unit_cost": str((ln.cost / ln.quantity).quantize(Decimal("0.01")))})
    for i in range(len(lines), len(lines) + extra_rows):
        data.update({f"lines-{i}-product": "", f"lines-{i}-description": "", f"lines-{i}-quantity": "1",
                     f"lines-{i}-unit_price": "", f"lines-{i}-unit_cost": ""})
    data.update(kw)
    return data


def test_order_page_offers_the_changes_to_who_may_change(client_for, org, full):
    o = full.order
    html = client_for(org.users.sales_n1).get(reverse("order_detail", args=[o.pk])).content.decode()
    for name in ("order_edit", "order_cancel", "order_delete"):
        assert reverse(name, args=[o.pk]) in html
    for user in (org.users.analyst, org.users.sales_n1b):  # read-only role; read-only share
        html = client_for(user).get(reverse("order_detail", args=[o.pk])).content.decode()
        assert o.ref in html
        for name in ("order_edit", "order_cancel", "order_delete"):
            assert reverse(name, args=[o.pk]) not in html


def test_edit_form_is_the_create_form_filled_in(client_for, org, full):
    o = full.order
    html = client_for(org.users.sales_n1).get(reverse("order_edit", args=[o.pk])).content.decode()
    assert f"Edit order {o.ref}" in html and f'value="{o.ref}"' in html
    assert 'name="lines-0-DELETE"' in html and 'name="lines-1-DELETE"' not in html  # only existing lines
    assert 'name="lines-TOTAL_FORMS" value="3"' in html and "Save order" in html
    assert "Leave empty for a new number." not in html
    assert f'<option value="{full.product.pk}" selected>' in html


def test_header_change_keeps_the_lines(client_for, org, full):
    o = full.order
    line_ids = list(o.lines.values_list("pk", flat=True))
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("order_edit", args=[o.pk]),
                           edit_post(o, status="delivered", remarks="Deliver to gate 2", payment_due_on="2030-02-01"))
    assert response.status_code == 302 and response["Location"] == reverse("order_detail", args=[o.pk])
    o.refresh_from_db()
    assert o.status == "delivered" and o.remarks == "Deliver to gate 2" and o.payment_due_on == dt.date(2030, 2, 1)
    assert list(o.lines.values_list("pk", flat=True)) == line_ids and o.paid_amount == Decimal("100.00")
    event = AuditEvent.objects.get(entity="order", entity_id=o.pk, action="update")
    assert set(event.changes) == {"status", "remarks", "payment_due_on"}
    html = client.get(response["Location"]).content.decode()
    assert f"Order {o.ref} saved." in html and "Deliver to gate 2" in html


def test_changing_lines_recomputes_the_totals_and_is_in_the_history(client_for, org, full):
    o = full.order  # 3 × Steel coil at 100.00, cost 70.00
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("order_edit", args=[o.pk]), edit_post(o, **{
        "lines-0-quantity": "5", "lines-1-description": "Freight", "lines-1-unit_price": "80"}))
    assert response.status_code == 302
    o.refresh_from_db()
    assert o.amount == Decimal("580.00") and o.cost == Decimal("350.00") and o.lines.count() == 2
    assert o.paid_amount == Decimal("100.00")  # payments stay
    event = AuditEvent.objects.get(entity="order", entity_id=o.pk, action="update")
    ref = full.product.ref
    assert event.changes["lines"] == [[f"{ref} × 3 = 300.00"], [f"{ref} × 5 = 500.00", "Freight × 1 = 80.00"]]
    assert event.changes["amount"] == ["300.00", "580.00"]
    html = client.get(reverse("customer_detail", args=[o.customer_id])).content.decode()
    history = html[html.index('id="history"'):]
    assert f"Order changed: {o.ref}" in history and "Lines:</span>" in history and "Freight × 1 = 80.00" in history


def test_untouched_lines_keep_their_amounts_to_the_cent(client_for, org, customers):
    product = ProductFactory(name="Old pipe")
    o = OrderFactory(customer=customers.n1, lines=[{"product": product, "quantity": "3", "amount": "100.01",
                                                      "cost": "70.01"}])
    product.active = False
    product.save()
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_edit", args=[o.pk])).content.decode()
    assert "Old pipe" in html  # an inactive product stays on the order it is on
    response = client.post(reverse("order_edit", args=[o.pk]), edit_post(o, **{
        "lines-1-description": "Cutting", "lines-1-unit_price": "10", "lines-1-unit_cost": "0"}))
    assert response.status_code == 302
    first, second = o.lines.order_by("id")
    assert first.product == product and first.amount == Decimal("100.01") and first.cost == Decimal("70.01")
    assert second.amount == Decimal("10.00")
    o.refresh_from_db()
    assert o.amount == Decimal("110.01")


def test_remove_a_line_but_not_the_last(client_for, org, customers):
    o = OrderFactory(customer=customers.n1, lines=[{"description": "A", "unit_price": "10"},
                                                   {"description": "B", "unit_price": "20"}])
    client = client_for(org.users.sales_n1)
    assert client.post(reverse("order_edit", args=[o.pk]), edit_post(o, **{"lines-0-DELETE": "on"})).status_code == 302
    assert list(o.lines.values_list("description", flat=True)) == ["B"]
    o.refresh_from_db()
    assert o.amount == Decimal("20.00")
    html = client.post(reverse("order_edit", args=[o.pk]), edit_post(o, **{"lines-0-DELETE": "on"})).content.decode()
    assert "An order needs at least one line." in html
    assert o.lines.count() == 1


def test_edit_validation(client_for, org, full, customers):
    o = full.order
    OrderFactory(customer=customers.n1, ref="SO-TAKEN")
    client = client_for(org.users.sales_n1)
    html = client.post(reverse("order_edit", args=[o.pk]), edit_post(o, ref="")).content.decode()
    assert "This field is required." in html
    html = client.post(reverse("order_edit", args=[o.pk]), edit_post(o, ref="SO-TAKEN")).content.decode()
    assert "Order with this Order number already exists." in html
    html = client.post(reverse("order_edit", args=[o.pk]), edit_post(o, **{
        "lines-1-description": "No price"})).content.decode()
    assert "Choose a product or give a unit price." in html
    o.refresh_from_db()
    assert o.ref != "SO-TAKEN" and o.lines.count() == 1
    assert not AuditEvent.objects.filter(entity="order", action="update").exists()


def test_cancel_asks_first_and_leaves_the_totals(client_for, org, full):
    o, c = full.order, full.customer
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_cancel", args=[o.pk])).content.decode()
    assert f"Cancel order {o.ref} of 北方钢铁贸易有限公司 (¥300.00)?" in html and "Keep the order" in html
    o.refresh_from_db()
    assert o.status == "confirmed"
    response = client.post(reverse("order_cancel", args=[o.pk]), follow=True)
    html = response.content.decode()
    assert f"Order {o.ref} cancelled." in html and reverse("order_cancel", args=[o.pk]) not in html
    o.refresh_from_db()
    assert o.status == "cancelled"
    html = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
    totals = html[html.index('data-testid="totals"'):html.index("</section>", html.index('data-testid="totals"'))]
    assert "¥300.00" not in totals
    assert "Status:</span> Confirmed → Cancelled" in html[html.index('id="history"'):]
    response = client.get(reverse("order_cancel", args=[o.pk]), follow=True)
    assert f"Order {o.ref} is already cancelled." in response.content.decode()


def test_an_order_with_payments_cannot_be_deleted(client_for, org, full):
    o = full.order
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_delete", args=[o.pk])).content.decode()
    assert "This order has 1 payment and cannot be deleted: money received stays on record." in html
    assert 'class="danger"' not in html and reverse("order_cancel", args=[o.pk]) in html
    response = client.post(reverse("order_delete", args=[o.pk]), follow=True)
    assert "This order has payments and cannot be deleted; cancel it instead." in response.content.decode()
    assert Order.objects.filter(pk=o.pk).exists()


def test_delete_asks_first(client_for, org, customers):
    o = OrderFactory(customer=customers.n1, ref="SO-GONE")
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_delete", args=[o.pk])).content.decode()
    assert "Delete order SO-GONE of 北方钢铁贸易有限公司 (¥200.00)? This cannot be undone." in html
    assert "Its 1 line is deleted with it" in html
    assert Order.objects.filter(pk=o.pk).exists()
    response = client.post(reverse("order_delete", args=[o.pk]))
    assert response["Location"] == reverse("customer_detail", args=[customers.n1.pk]) + "#orders"
    assert not Order.objects.filter(pk=o.pk).exists()
    html = client.get(response["Location"]).content.decode()
    assert "Order SO-GONE deleted." in html and "Order deleted: SO-GONE" in html


def test_order_pages_in_chinese(client_for, org, full, customers):
    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save()
    client = client_for(user)
    o = full.order
    html = client.get(reverse("order_detail", args=[o.pk])).content.decode()
    assert "取消订单" in html
    html = client.get(reverse("order_edit", args=[o.pk])).content.decode()
    assert f"编辑订单 {o.ref}" in html and "保存订单" in html and "移除" in html
    html = client.post(reverse("order_edit", args=[o.pk]), edit_post(o, ref="")).content.decode()
    assert "这个字段是必填项。" in html
    html = client.get(reverse("order_delete", args=[o.pk])).content.decode()
    assert "该订单已有 1 笔回款，不能删除" in html
    html = client.get(reverse("order_cancel", args=[o.pk])).content.decode()
    assert f"取消 北方钢铁贸易有限公司 的订单 {o.ref}" in html and "保留订单" in html
    gone = OrderFactory(customer=customers.n1, ref="SO-ZH")
    html = client.get(reverse("order_delete", args=[gone.pk])).content.decode()
    assert "此操作无法撤销" in html and "删除订单" in html
    response = client.post(reverse("order_delete", args=[gone.pk]), follow=True)
    assert "订单 SO-ZH 已删除。" in response.content.decode()
