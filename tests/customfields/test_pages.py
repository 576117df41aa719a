"""The custom fields page and the custom fields in the records' forms, detail pages and lists."""

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.customfields.models import CustomFieldDefinition
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_admin_defines_edits_deactivates_and_deletes(client_for, org, customers):
    client = client_for(org.users.admin)
    r = client.post(reverse("custom_field_create"), {
        "record_type": "customer", "key": "segment", "label_zh": "行业细分", "label_en": "Industry segment",
        "kind": "choice", "choices": "auto | 汽车 | Automotive\nbuild | 建筑 | Construction", "position": 1})
    assert r.status_code == 302, r.content.decode()
    defn = CustomFieldDefinition.objects.get(key="segment")
    assert defn.choices[1] == {"value": "build", "label_zh": "建筑", "label_en": "Construction"}
    r = client.post(reverse("custom_field_create"), {
        "record_type": "customer", "key": "tier", "label_zh": "x", "label_en": "x", "kind": "choice", "position": 0})
    assert "A choice field needs at least one choice." in r.content.decode()
    r = client.post(reverse("custom_field_create"), {
        "record_type": "customer", "key": "segment", "label_zh": "x", "label_en": "x", "kind": "text", "position": 0})
    assert "This record type already has a field with this key." in r.content.decode()
    Customer.objects.filter(pk=customers.n1.pk).update(custom={"segment": "auto"})
    r = client.post(reverse("custom_field_edit", args=[defn.pk]), {
        "label_zh": "行业细分", "label_en": "Industry segment", "kind": "text", "position": 1})
    assert "1 records hold a value of this field" in r.content.decode()
    page = client.get(reverse("custom_field_deactivate", args=[defn.pk])).content.decode()
    assert "1 record holds a value of this field." in page and 'data-confirm=' in page
    client.post(reverse("custom_field_deactivate", args=[defn.pk]))
    defn.refresh_from_db()
    assert not defn.active
    assert "Industry segment" in client.get(reverse("custom_field_list")).content.decode()
    assert "1 record holds" in client.get(reverse("custom_field_delete", args=[defn.pk])).content.decode()
    client.post(reverse("custom_field_delete", args=[defn.pk]))
    assert not CustomFieldDefinition.objects.exists()
    customers.n1.refresh_from_db()
    assert customers.n1.custom == {}


def test_customer_form_360_and_list_filter(client_for, org, fields):
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("customer_create")).content.decode()
    assert 'name="cf_credit_days"' in page and 'name="cf_segment"' in page and 'type="date"' in page
    r = client.post(reverse("customer_create"), {"kind": "organization", "name": "宝钢客户", "lifecycle_stage": "reserve",
                                                 "cf_credit_days": "", "create_anyway": "1"})
    assert r.status_code == 200 and "This field is required." in r.content.decode()
    r = client.post(reverse("customer_create"), {"kind": "organization", "name": "宝钢客户", "lifecycle_stage": "reserve",
                                                 "cf_credit_days": "45", "cf_segment": "auto", "cf_since": "2024-03-01",
                                                 "create_anyway": "1"})
    assert r.status_code == 302, r.content.decode()
    customer = Customer.objects.get(name="宝钢客户")
    assert customer.custom == {"credit_days": 45, "segment": "auto", "since": "2024-03-01"}
    detail = client.get(reverse("customer_detail", args=[customer.pk])).content.decode()
    assert "Credit terms (days)" in detail and "Automotive" in detail
    edit = client.get(reverse("customer_edit", args=[customer.pk])).content.decode()
    assert 'value="45"' in edit
    listing = client.get(reverse("customer_list"), {"cf_segment": "auto"}).content.decode()
    assert "宝钢客户" in listing and 'name="cf_credit_days__min"' in listing
    assert "宝钢客户" not in client.get(reverse("customer_list"), {"cf_segment": "construction"}).content.decode()
    assert "宝钢客户" in client.get(reverse("customer_list"), {"cf_credit_days__min": "40"}).content.decode()
    # a bad value comes back next to its field
    r = client.post(reverse("customer_edit", args=[customer.pk]), {
        "kind": "organization", "name": "宝钢客户", "lifecycle_stage": "reserve", "owner": org.users.sales_n1.pk,
        "ref": customer.ref, "cf_credit_days": "abc"})
    assert r.status_code == 200 and "Enter a number." in r.content.decode()


def test_order_form_and_detail(client_for, org, customers, fields):
    client = client_for(org.users.sales_n1)
    order = OrderFactory(customer=customers.n1, custom={"site": "宝山码头"})
    detail = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Delivery site" in detail and "宝山码头" in detail
    assert 'name="cf_site"' in client.get(reverse("order_edit", args=[order.pk])).content.decode()
    listing = client.get(reverse("order_list"), {"cf_site": "宝山"}).content.decode()
    assert order.ref in listing
    assert order.ref not in client.get(reverse("order_list"), {"cf_site": "外高桥"}).content.decode()
