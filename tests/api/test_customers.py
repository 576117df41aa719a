"""/customers: CRUD, filters, validation and the owner rules."""

import pytest

from kehu.customers.search import name_keys

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from tests.api.conftest import assert_error, walk
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def ids(response):
    assert response.status_code == 200, response.content
    return {c["id"] for c in response.json()["items"]}


def test_create_defaults_owner_to_caller_and_audits(org, api_as):
    api = api_as(org.users.sales_n1)
    r = api.post("/customers", {"name": "  新客户有限公司 ", "region": "north", "tags": ["vip", "steel"],
                                "annual_budget": "2500000", "share_of_wallet": 35, "birthday": "1980-02-29"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "新客户有限公司"
    assert body["owner"]["id"] == org.users.sales_n1.pk
    assert body["team_id"] == org.teams.n1.pk
    assert body["ref"].startswith("C")
    assert body["tags"] == ["steel", "vip"]
    assert body["annual_budget"] == "2500000.00"
    assert body["share_of_wallet"] == "35.00"
    assert body["birthday"] == "1980-02-29"
    assert body["kind"] == "organization" and body["lifecycle_stage"] == "reserve"
    assert AuditEvent.objects.filter(entity="customer", entity_id=body["id"], action="create").exists()


def test_retrieve(org, customers, api_as):
    r = api_as(org.users.sales_n1).get(f"/customers/{customers.n1.pk}")
    assert r.status_code == 200
    body = r.json()
    assert body["name"] == customers.n1.name
    assert body["owner"] == {"id": org.users.sales_n1.pk, "username": "sales_n1", "name": "sales_n1"}
    assert body["created_at"].endswith("Z") or "+" in body["created_at"]


def test_patch_changes_only_sent_fields(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    before = api.get(f"/customers/{customers.n1.pk}").json()
    r = api.patch(f"/customers/{customers.n1.pk}", {"city": "沈阳", "lifecycle_stage": "at_risk", "tags": ["key"]})
    assert r.status_code == 200, r.content
    after = r.json()
    assert after["city"] == "沈阳" and after["lifecycle_stage"] == "at_risk" and after["tags"] == ["key"]
    assert after["name"] == before["name"] and after["phone"] == before["phone"]
    assert Customer.objects.get(pk=customers.n1.pk).city == "沈阳"


def test_patch_null_for_a_required_field_is_422(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    err = assert_error(api.patch(f"/customers/{customers.n1.pk}", {"name": None, "city": None}), 422, "validation_error")
    assert set(err["fields"]) == {"name", "city"}
    err = assert_error(api.patch(f"/customers/{customers.n1.pk}", {"owner_id": None}), 422)
    assert "owner_id" in err["fields"]
    # nullable fields may be cleared
    r = api.patch(f"/customers/{customers.n1.pk}", {"birthday": None, "annual_budget": None})
    assert r.status_code == 200


def test_delete(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    r = api.delete(f"/customers/{customers.n1.pk}")
    assert r.status_code == 204 and r.content == b""
    assert not Customer.objects.filter(pk=customers.n1.pk).exists()
    assert_error(api.get(f"/customers/{customers.n1.pk}"), 404, "not_found")


def test_delete_customer_with_orders_is_422(org, customers, api_as):
    OrderFactory(customer=customers.n1)
    err = assert_error(api_as(org.users.sales_n1).delete(f"/customers/{customers.n1.pk}"), 422, "validation_error")
    assert "__all__" in err["fields"]
    assert Customer.objects.filter(pk=customers.n1.pk).exists()


def test_invalid_fields_give_field_errors(org, api_as):
    api = api_as(org.users.sales_n1)
    r = api.post("/customers", {"name": "", "kind": "robot", "region": "mars", "city_tier": "first",
                                "birthday": "2020-13-45", "share_of_wallet": 150, "annual_budget": "lots",
                                "tags": "vip"})
    err = assert_error(r, 422, "validation_error")
    assert {"name", "kind", "region", "city_tier", "birthday", "share_of_wallet", "annual_budget", "tags"} <= set(err["fields"])
    assert all(isinstance(m, str) and m for msgs in err["fields"].values() for m in msgs)
    assert_error(api.post("/customers", {}), 422)
    # model validation (by the service) comes back the same way
    err = assert_error(api.post("/customers", {"name": "X", "email": "not-an-email"}), 422)
    assert "email" in err["fields"]
    err = assert_error(api.post("/customers", {"name": "   "}), 422)
    assert "name" in err["fields"]


def test_duplicate_code_is_422(org, customers, api_as):
    err = assert_error(api_as(org.users.sales_n1).post("/customers", {"name": "Dup", "ref": customers.n1.ref}), 422)
    assert "ref" in err["fields"]


def test_script_payload_round_trips_as_data(org, api_as):
    api = api_as(org.users.sales_n1)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    r = api.post("/customers", {"name": evil, "remarks": evil})
    assert r.status_code == 201
    assert r["Content-Type"].startswith("application/json")
    cid = r.json()["id"]
    body = api.get(f"/customers/{cid}").json()
    assert body["name"] == evil and body["remarks"] == evil


def test_owner_id_must_be_assignable(org, customers, api_as):
    u = org.users
    # a salesperson may not give a customer to someone else
    err = assert_error(api_as(u.sales_n1).post("/customers", {"name": "A", "owner_id": u.sales_n1b.pk}), 422)
    assert "owner_id" in err["fields"]
    err = assert_error(api_as(u.sales_n1).patch(f"/customers/{customers.n1.pk}", {"owner_id": u.sales_e1.pk}), 422)
    assert "owner_id" in err["fields"]
    # a manager may, within the team subtree
    r = api_as(u.north_manager).post("/customers", {"name": "B", "owner_id": u.sales_n1b.pk})
    assert r.status_code == 201 and r.json()["owner"]["id"] == u.sales_n1b.pk
    assert r.json()["team_id"] == org.teams.n1.pk
    err = assert_error(api_as(u.north_manager).post("/customers", {"name": "C", "owner_id": u.sales_e1.pk}), 422)
    assert "owner_id" in err["fields"]
    # unknown and inactive users are refused the same way
    err = assert_error(api_as(u.admin).post("/customers", {"name": "D", "owner_id": 999999}), 422)
    assert "owner_id" in err["fields"]
    u.sales_n1b.is_active = False
    u.sales_n1b.save()
    assert_error(api_as(u.admin).post("/customers", {"name": "E", "owner_id": u.sales_n1b.pk}), 422)
    # reassignment by the admin moves the owning team
    r = api_as(u.admin).patch(f"/customers/{customers.n1.pk}", {"owner_id": u.sales_e1.pk})
    assert r.status_code == 200 and r.json()["team_id"] == org.teams.e1.pk


@pytest.fixture
def many(org):
    u = org.users
    return {
        "zhang": CustomerFactory(name="张三丰", kind="individual", owner=u.sales_n1, phone="13912345678",
                                 email="zsf@wudang.example", city="北京", region="north", lifecycle_stage="potential",
                                 tags=["vip"]),
        "li": CustomerFactory(name="李四贸易", owner=u.sales_n1, city="天津", region="north", phone="02088889999",
                              lifecycle_stage="customer", tags=["steel"]),
        "east": CustomerFactory(name="Eastern Trading", owner=u.sales_e1, city="上海", region="east",
                                email="buy@eastern.example", lifecycle_stage="lost", tags=["vip", "steel"]),
        "acme": CustomerFactory(name="Acme Steel", ref="ACME-1", owner=u.sales_n1b, city="北京", region="north"),
    }


@pytest.mark.parametrize("q,expected", [
    ("张", {"zhang"}), ("zhangsan", {"zhang"}), ("zsf", {"zhang"}), ("ZSF", {"zhang"}),
    ("139123", {"zhang"}), ("139-1234", {"zhang"}), ("zsf@", {"zhang"}), ("BUY@eastern", {"east"}),
    ("eastern", {"east"}), ("acme-1", {"acme"}), ("ACME-1", {"acme"}), ("lisi", {"li"}), ("nobody", set()),
])
def test_search_q(org, many, api_as, q, expected):
    got = ids(api_as(org.users.admin).get("/customers", {"q": q}))
    assert got == {many[k].pk for k in expected}


def test_filters(org, many, api_as):
    api = api_as(org.users.admin)
    p = {k: v.pk for k, v in many.items()}
    assert ids(api.get("/customers", {"kind": "individual"})) == {p["zhang"]}
    assert ids(api.get("/customers", {"stage": "lost"})) == {p["east"]}
    assert ids(api.get("/customers", {"region": "east"})) == {p["east"]}
    assert ids(api.get("/customers", {"owner_id": org.users.sales_n1.pk})) == {p["zhang"], p["li"]}
    assert ids(api.get("/customers", {"team_id": org.teams.n1.pk})) == {p["zhang"], p["li"], p["acme"]}
    assert ids(api.get("/customers", {"tag": "vip"})) == {p["zhang"], p["east"]}
    assert ids(api.get("/customers", {"tag": "steel", "region": "north"})) == {p["li"]}
    assert ids(api.get("/customers", {"city": "北京"})) == {p["zhang"], p["acme"]}
    assert ids(api.get("/customers", {"city": "北京", "kind": "organization"})) == {p["acme"]}
    assert_error(api.get("/customers", {"stage": "bogus"}), 422)
    assert_error(api.get("/customers", {"owner_id": "abc"}), 422)


def test_filters_stay_within_visibility(org, many, api_as):
    api = api_as(org.users.sales_n1)
    assert ids(api.get("/customers", {"tag": "vip"})) == {many["zhang"].pk}
    assert ids(api.get("/customers", {"q": "eastern"})) == set()
    assert ids(api.get("/customers", {"owner_id": org.users.sales_e1.pk})) == set()


@pytest.mark.parametrize("sort,key,reverse", [
    ("name", "name", False), ("-name", "name", True), ("ref", "ref", False), ("-ref", "ref", True),
    ("created", "created_at", False), ("-created", "created_at", True),
    ("updated", "updated_at", False), ("-updated", "updated_at", True),
])
def test_sort(org, many, api_as, sort, key, reverse):
    items = walk(api_as(org.users.admin), "/customers", {"sort": sort}, limit=3)
    assert len(items) == len(many)
    # "name" is the order of a Chinese address book: by pinyin, latin names among them
    value = (lambda c: name_keys(c["name"])[1]) if key == "name" else (lambda c: c[key])
    keys = [(value(c), c["id"]) for c in items]
    assert keys == sorted(keys, reverse=reverse)
    if sort == "name":
        assert [c["name"] for c in items] == ["Acme Steel", "Eastern Trading", "李四贸易", "张三丰"]
