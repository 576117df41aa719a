"""The list tools through the API: saved views (only one's own), bulk
actions with per-row results through the policy, the global search."""

import pytest

from kehu.customers.models import Customer
from kehu.customers.services import customer_share
from kehu.web.models import SavedView
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_saved_views_crud_only_ones_own(org, api_as):
    me, other = api_as(org.users.sales_n1), api_as(org.users.sales_n1b)
    r = me.post("/saved-views", {"list": "customers", "name": "Lost", "query": "stage=lost&cursor=x",
                                 "columns": ["ref", "name", "nonsense"]})
    assert r.status_code == 201, r.content
    view = r.json()
    assert view["query"] == "stage=lost" and view["columns"] == ["ref", "name"] and view["list"] == "customers"
    assert [v["name"] for v in me.get("/saved-views").json()] == ["Lost"]
    assert other.get("/saved-views").json() == []
    for call in (lambda c: c.get(f"/saved-views/{view['id']}"),
                 lambda c: c.patch(f"/saved-views/{view['id']}", {"name": "Mine"}),
                 lambda c: c.delete(f"/saved-views/{view['id']}")):
        assert_error(call(other), 404, "not_found")
    assert me.patch(f"/saved-views/{view['id']}", {"name": "Lost ones"}).json()["name"] == "Lost ones"
    assert_error(me.post("/saved-views", {"list": "customers", "name": "Lost ones"}), 422, "validation_error")
    assert_error(me.post("/saved-views", {"list": "nolist", "name": "x"}), 422, "validation_error")
    assert me.delete(f"/saved-views/{view['id']}").status_code == 204
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("role, changed", [
    ("admin", {"n1", "n1b", "e1"}), ("north_manager", {"n1", "n1b"}), ("sales_n1", {"n1"}),
    ("sales_e1", {"e1"}), ("analyst", set()), ("north_marketing", set()),
])
def test_bulk_through_the_policy(org, customers, api_as, role, changed):
    ids = {k: getattr(customers, k).pk for k in ("n1", "n1b", "e1")}
    r = api_as(getattr(org.users, role)).post("/lists/customers/bulk",
                                              {"action": "status", "ids": list(ids.values()), "value": "lost"})
    if role in ("analyst", "north_marketing"):
        assert_error(r, 422, "validation_error")
    else:
        assert r.status_code == 200, r.content
        body = r.json()
        assert {k for k, pk in ids.items() for row in body["rows"] if row["id"] == pk and row["ok"]} == changed
        assert body["changed"] == len(changed) and body["refused"] == 3 - len(changed)
    now = {k for k, pk in ids.items() if Customer.objects.get(pk=pk).lifecycle_stage == "lost"}
    assert now == changed


def test_bulk_reports_read_shares_as_refused_and_invisible_rows_as_not_found(org, customers, api_as):
    customer_share(actor=org.users.admin, customer=customers.n1b, user=org.users.sales_n1, can_edit=False)
    r = api_as(org.users.sales_n1).post("/lists/customers/bulk", {
        "action": "assign", "ids": [customers.n1.pk, customers.n1b.pk, customers.e1.pk],
        "value": org.users.sales_n1.pk})
    rows = {row["id"]: row for row in r.json()["rows"]}
    assert rows[customers.n1.pk]["ok"]
    assert not rows[customers.n1b.pk]["ok"] and "may not change" in rows[customers.n1b.pk]["error"]
    assert rows[customers.e1.pk]["error"] == "Not found."
    assert Customer.objects.get(pk=customers.n1b.pk).owner == org.users.sales_n1b


def test_bulk_refuses_bad_input(org, customers, api_as):
    api = api_as(org.users.admin)
    assert_error(api.post("/lists/customers/bulk", {"action": "nope", "ids": [customers.n1.pk]}), 422,
                 "validation_error")
    assert_error(api.post("/lists/customers/bulk", {"action": "tag", "ids": []}), 422, "validation_error")
    assert_error(api.post("/lists/customers/bulk", {"action": "tag", "ids": [customers.n1.pk], "value": ""}), 422,
                 "validation_error")
    assert_error(api.post("/lists/nolist/bulk", {"action": "tag", "ids": [1]}), 404, "not_found")


def test_global_search_only_visible(org, customers, api_as):
    r = api_as(org.users.sales_n1).get("/search", {"q": "华东"})
    assert r.status_code == 200 and r.json() == {"groups": []}
    r = api_as(org.users.admin).get("/search", {"q": "华东"})
    hits = r.json()["groups"][0]["hits"]
    assert [h["id"] for h in hits] == [customers.e1.pk] and hits[0]["kind"] == "customer"


def test_nul_bytes_are_refused_or_dropped_not_500(org, customers, api_as):
    api = api_as(org.users.admin)
    # the request guard refuses a NUL anywhere before the view: 400 invalid_character
    assert_error(api.post("/saved-views", {"list": "customers", "name": "a\x00b"}), 400, "invalid_character")
    assert_error(api.post("/lists/customers/bulk", {"action": "tag", "ids": [customers.n1.pk], "value": "a\x00"}),
                 400, "invalid_character")
    assert_error(api.get("/search", {"q": "北方\x00"}), 400, "invalid_character")
