"""The custom fields API and the ``custom`` object of customers, orders and interactions."""

import pytest

from tests.api.conftest import assert_error
from tests.factories import InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_admin_defines_and_everyone_reads(org, api_as):
    admin = api_as(org.users.admin)
    r = admin.post("/custom-fields", {"record_type": "customer", "key": "segment", "label_zh": "行业细分",
                                      "label_en": "Industry segment", "kind": "choice",
                                      "choices": [{"value": "auto", "label_zh": "汽车", "label_en": "Automotive"}]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["value_count"] == 0 and body["choices"][0]["label_zh"] == "汽车"
    err = assert_error(admin.post("/custom-fields", {"record_type": "customer", "key": "segment", "label_zh": "x",
                                                     "label_en": "x"}), 422, "validation_error")
    assert "key" in err["fields"]
    err = assert_error(admin.post("/custom-fields", {"record_type": "customer", "key": "tier", "label_zh": "x",
                                                     "label_en": "x", "kind": "choice"}), 422)
    assert err["fields"] == {"choices": ["A choice field needs at least one choice."]}
    listed = api_as(org.users.sales_n1).get("/custom-fields", {"record_type": "customer"}).json()
    assert [d["key"] for d in listed] == ["segment"]
    assert admin.patch(f"/custom-fields/{body['id']}", {"key": "x"}).json()["key"] == "segment"   # fixed
    r = admin.patch(f"/custom-fields/{body['id']}", {"active": False})
    assert r.status_code == 200 and r.json()["active"] is False


def test_custom_values_in_records(org, customers, api_as):
    admin = api_as(org.users.admin)
    admin.post("/custom-fields", {"record_type": "customer", "key": "credit_days", "label_zh": "账期",
                                  "label_en": "Credit days", "kind": "number", "required": True})
    admin.post("/custom-fields", {"record_type": "customer", "key": "note", "label_zh": "备注", "label_en": "Note"})
    admin.post("/custom-fields", {"record_type": "order", "key": "site", "label_zh": "交货地点",
                                  "label_en": "Delivery site"})
    admin.post("/custom-fields", {"record_type": "interaction", "key": "mood", "label_zh": "情绪", "label_en": "Mood",
                                  "kind": "choice", "choices": [{"value": "good"}, {"value": "bad"}]})
    api = api_as(org.users.sales_n1)
    err = assert_error(api.post("/customers", {"name": "新客户"}), 422, "validation_error")
    assert err["fields"] == {"custom.credit_days": ["This field is required."]}
    err = assert_error(api.post("/customers", {"name": "新客户", "custom": {"credit_days": "lots"}}), 422)
    assert err["fields"] == {"custom.credit_days": ["Enter a number."]}
    r = api.post("/customers", {"name": "新客户", "custom": {"credit_days": 30}})
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["custom"] == {"credit_days": 30}
    r = api.patch(f"/customers/{cid}", {"custom": {"note": "likes tea"}})      # PATCH merges keys
    assert r.json()["custom"] == {"credit_days": 30, "note": "likes tea"}
    r = api.patch(f"/customers/{cid}", {"custom": {"note": None}})
    assert r.json()["custom"] == {"credit_days": 30}
    err = assert_error(api.patch(f"/customers/{cid}", {"custom": {"nope": 1}}), 422)
    assert err["fields"] == {"custom.nope": ["Unknown custom field."]}
    assert_error(api.patch(f"/customers/{cid}", {"custom": None}), 422)

    r = api.post("/orders", {"customer_id": cid, "order_date": "2026-03-01", "custom": {"site": "宝山码头"},
                             "lines": [{"description": "coil", "unit_price": "10.00"}]})
    assert r.status_code == 201, r.content
    assert r.json()["custom"] == {"site": "宝山码头"}
    oid = r.json()["id"]
    assert api.patch(f"/orders/{oid}", {"custom": {"site": "外高桥"}}).json()["custom"] == {"site": "外高桥"}

    r = api.post("/interactions", {"customer_id": cid, "channel": "phone", "summary": "call",
                                   "custom": {"mood": "bad"}})
    assert r.status_code == 201 and r.json()["custom"] == {"mood": "bad"}
    err = assert_error(api.patch(f"/interactions/{r.json()['id']}", {"custom": {"mood": "meh"}}), 422)
    assert list(err["fields"]) == ["custom.mood"]


def test_values_of_records_outside_scope_are_never_visible(org, customers, api_as):
    from kehu.customers.services import customer_update
    from kehu.customfields.services import definition_create

    definition_create(actor=org.users.admin, data={"record_type": "customer", "key": "note", "label_zh": "备注",
                                                   "label_en": "Note"})
    customer_update(actor=org.users.admin, customer=customers.e1, data={"custom": {"note": "secret"}})
    api = api_as(org.users.sales_n1)
    assert_error(api.get(f"/customers/{customers.e1.pk}"), 404)
    assert api.get("/customers", {"cf_note": "secret"}).json()["items"] == []
    assert b"secret" not in api.get("/customers").content
    assert api_as(org.users.sales_e1).get("/customers", {"cf_note": "secret"}).json()["items"][0]["custom"] == {
        "note": "secret"}


def test_list_filters_by_custom_field(org, customers, api_as):
    from kehu.customers.services import customer_update
    from kehu.customfields.services import definition_create

    definition_create(actor=org.users.admin, data={"record_type": "customer", "key": "credit_days",
                                                   "label_zh": "账期", "label_en": "Credit days", "kind": "number"})
    for c, days in ((customers.n1, 30), (customers.n1b, 60), (customers.e1, 90)):
        customer_update(actor=org.users.admin, customer=c, data={"custom": {"credit_days": days}})
    api = api_as(org.users.admin)
    names = {c["name"] for c in api.get("/customers", {"cf_credit_days__min": "50"}).json()["items"]}
    assert names == {customers.n1b.name, customers.e1.name}
    definition_create(actor=org.users.admin, data={"record_type": "order", "key": "site", "label_zh": "交货地点",
                                                   "label_en": "Delivery site"})
    o1 = OrderFactory(customer=customers.n1, custom={"site": "Baoshan wharf"})
    OrderFactory(customer=customers.n1)
    assert [o["id"] for o in api.get("/orders", {"cf_site": "baoshan"}).json()["items"]] == [o1.pk]
    definition_create(actor=org.users.admin, data={"record_type": "interaction", "key": "visit_on",
                                                   "label_zh": "回访日", "label_en": "Visit on", "kind": "date"})
    i1 = InteractionFactory(customer=customers.n1, custom={"visit_on": "2026-04-01"})
    InteractionFactory(customer=customers.n1, custom={"visit_on": "2026-02-01"})
    got = api.get("/interactions", {"cf_visit_on__min": "2026-03-01"}).json()["items"]
    assert [i["id"] for i in got] == [i1.pk]
