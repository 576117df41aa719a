"""/api/v1/members and /api/v1/points: the permission matrix over every
endpoint and role, enrolment, the ledger entries and the statement."""

from __future__ import annotations

import pytest

from kehu.marketing.coupons.services import definition_create
from kehu.marketing.membership.services import points_bonus
from kehu.org.services import token_create
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db

VISIBLE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"},
    "north_manager": {"n1"}, "north_service": {"n1"}, "north_marketing": {"n1"}, "east_manager": {"e1"},
    "sales_n1": {"n1"}, "sales_n1b": set(), "sales_e1": {"e1"},
}
CHANGE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "north_manager": {"n1"}, "north_service": {"n1"},
    "east_manager": {"e1"}, "sales_n1": {"n1"}, "sales_e1": {"e1"},
}
MANAGERS = {"admin", "north_marketing"}
ROLES = sorted(VISIBLE)


def _api(user):
    return ApiClient(token_create(user=user, name="tests")[1])


def _expected(role, key, *, manage_only):
    if key not in VISIBLE[role]:
        return 404
    if role in MANAGERS:
        return 201
    if manage_only:
        return 403
    return 201 if key in CHANGE.get(role, set()) else 403


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(org, customers, members, role):
    user = getattr(org.users, role)
    api = _api(user)
    for m in (members.n1, members.e1):
        points_bonus(actor=None, membership=m, points=100, reason="seed")
    kind = definition_create(actor=None, data={"ref": "PTS", "name_zh": "积分券", "value": "5", "points_price": 10})
    r = api.get("/members")
    assert r.status_code == 200
    assert {i["number"] for i in r.json()["items"]} == {getattr(members, k).number for k in VISIBLE[role]}
    r = api.get("/points")
    assert {i["member_id"] for i in r.json()["items"]} == {getattr(members, k).pk for k in VISIBLE[role]}
    for key in ("n1", "e1"):
        m = getattr(members, key)
        seen = key in VISIBLE[role]
        for path in (f"/members/{m.pk}", f"/members/{m.pk}/statement", f"/points/balance/{m.pk}"):
            assert api.get(path).status_code == (200 if seen else 404), (role, path)
        body = {"member_id": m.pk, "points": 5, "reason": "test"}
        r = api.post("/points", {**body, "kind": "bonus"})
        assert r.status_code == _expected(role, key, manage_only=True), (role, key, r.content)
        r = api.post("/points", {**body, "kind": "correct", "points": -1})
        assert r.status_code == _expected(role, key, manage_only=True), (role, key, r.content)
        r = api.post("/points", {**body, "kind": "redeem"})
        assert r.status_code == _expected(role, key, manage_only=False), (role, key, r.content)
        r = api.post(f"/members/{m.pk}/exchange", {"coupon_kind_id": kind.pk})
        assert r.status_code == _expected(role, key, manage_only=False), (role, key, r.content)
    # enrol n1b (sales_n1b's customer, seen by the north's roles and head office)
    n1b_seen = role in {"admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing",
                        "sales_n1b"}
    r = api.post("/members", {"customer_id": customers.n1b.pk})
    if not n1b_seen:
        assert r.status_code == 404
    elif role == "analyst":
        assert r.status_code == 403
    else:
        assert r.status_code == 201, r.content


def test_endpoints_need_authentication(org, members):
    for path in ("/members", "/points", f"/members/{members.n1.pk}", f"/points/balance/{members.n1.pk}"):
        assert ApiClient().get(path).status_code == 401


def test_enrol_detail_entries_statement(org, customers, members):
    api = _api(org.users.admin)
    r = api.post("/members", {"customer_id": customers.n1b.pk, "tier": "gold", "joined_on": "2026-02-01",
                              "auto_renew": False})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["tier"] == "gold" and body["expires_on"] == "2027-02-01" and body["balance"] == 0
    assert body["events"][0]["kind"] == "joined"
    r = api.post("/members", {"customer_id": customers.n1b.pk})
    assert r.status_code == 422 and "customer_id" in r.json()["error"]["fields"]
    mid = body["id"]
    for points, day in ((300, "2026-02-02"), (200, "2026-02-03")):
        assert api.post("/points", {"member_id": mid, "kind": "bonus", "points": points, "reason": "x",
                                    "date": day}).status_code == 201
    r = api.post("/points", {"member_id": mid, "kind": "redeem", "points": 501, "reason": "gift"})
    assert r.status_code == 422 and "points" in r.json()["error"]["fields"]
    r = api.post("/points", {"member_id": mid, "kind": "redeem", "points": 350, "reason": "gift",
                             "date": "2026-02-04", "source": "coupon:ABC"})
    assert r.status_code == 201 and r.json()["points"] == -350 and r.json()["source"] == "coupon:ABC"
    assert api.get(f"/points/balance/{mid}").json()["balance"] == 150
    r = api.get(f"/members/{mid}/statement", {"limit": 2})
    page = r.json()
    assert [(e["points"], e["balance"]) for e in page["items"]] == [(300, 300), (200, 500)]
    r = api.get(f"/members/{mid}/statement", {"limit": 2, "cursor": page["next_cursor"]})
    assert [(e["points"], e["balance"]) for e in r.json()["items"]] == [(-350, 150)]
    r = api.get(f"/members/{mid}/statement", {"from": "2026-02-03"})
    assert [e["balance"] for e in r.json()["items"]] == [500, 150]
    r = api.get("/points", {"member_id": mid, "kind": "redeem"})
    assert [e["points"] for e in r.json()["items"]] == [-350]
    r = api.patch(f"/members/{mid}", {"auto_renew": True, "tier": "silver", "reason": "goodwill"})
    assert r.status_code == 200 and r.json()["tier"] == "silver" and r.json()["auto_renew"] is True
    r = api.get("/members", {"tier": "silver"})
    assert [i["id"] for i in r.json()["items"]] == [mid]
    assert api.post("/points", {"member_id": mid, "kind": "bonus", "points": 0, "reason": "x"}).status_code == 422
