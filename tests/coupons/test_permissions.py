"""The permission matrix of coupons: every role × the pages, the endpoints and
the export. Managing and issuing: marketing and administrators; redeeming: who
works on the order's customer (not analysts, not marketing); reading issued
coupons: through the one visibility policy."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.marketing.coupons.models import Coupon, CouponDefinition, Redemption
from tests.api.conftest import ApiClient
from tests.coupons.conftest import issue_one, make_definition, order_for
from tests.marketing.cards import page_with_cards

pytestmark = pytest.mark.django_db

# the customers each role sees (as tests/api/test_permissions.py VISIBLE)
VISIBLE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"},
    "north_manager": {"n1"}, "north_service": {"n1"}, "north_marketing": {"n1"}, "east_manager": {"e1"},
    "sales_n1": {"n1"}, "sales_n1b": set(), "sales_e1": {"e1"},
}
MANAGE = {"admin", "north_marketing"}
# may redeem on the order of n1 (sees it, not a read-only role)
REDEEM_N1 = {"admin", "hq_manager", "north_manager", "north_service", "sales_n1"}
ROLES = sorted(VISIBLE)


@pytest.fixture
def world(org, customers):
    d = make_definition(org.users.admin, min_spend=Decimal(0), per_customer_limit=5)
    return {
        "definition": d,
        "n1": issue_one(org.users.admin, d, customers.n1),
        "e1": issue_one(org.users.admin, d, customers.e1),
        "order_n1": order_for(customers.n1),
    }


def _api(user):
    from kehu.org.services import token_create

    return ApiClient(token_create(user=user, name="tests")[1])


@pytest.mark.parametrize("role", ROLES)
def test_pages(client_for, org, customers, world, role):
    user = getattr(org.users, role)
    client = client_for(user)
    d = world["definition"]
    # everyone signed in reads the coupon kinds
    assert client.get(reverse("coupon_definition_list")).status_code == 200
    page = client.get(reverse("coupon_definition_detail", args=[d.pk]))
    assert page.status_code == 200
    # the issued coupons: those of visible customers
    html = client.get(reverse("coupon_list")).content.decode()
    for name in ("n1", "e1"):
        assert (world[name].display_code in html) == (name in VISIBLE[role]), (role, name)
        status = client.get(reverse("coupon_detail", args=[world[name].pk])).status_code
        assert status == (200 if name in VISIBLE[role] else 404), (role, name)
    # managing: create, edit, issue, void, sets
    expected = 200 if role in MANAGE else 403
    assert client.get(reverse("coupon_definition_create")).status_code == expected
    assert client.get(reverse("coupon_definition_edit", args=[d.pk])).status_code == expected
    assert client.get(reverse("coupon_definition_issue", args=[d.pk])).status_code == expected
    assert client.get(reverse("coupon_set_create")).status_code == expected
    void = client.get(reverse("coupon_void", args=[world["n1"].pk])).status_code
    assert void == (404 if "n1" not in VISIBLE[role] else expected), role
    # redeeming on the order of n1
    status = client.get(reverse("coupon_order_redeem", args=[world["order_n1"].pk])).status_code
    assert status == (200 if role in REDEEM_N1 else 404 if "n1" not in VISIBLE[role] else 403), role
    # the order page offers it only to those who may
    if "n1" in VISIBLE[role]:
        html = client.get(reverse("order_detail", args=[world["order_n1"].pk])).content.decode()
        assert 'data-testid="order-coupon"' in html
        assert ('data-testid="order-redeem-coupon"' in html) == (role in REDEEM_N1), role
        html = page_with_cards(client, customers.n1.pk)
        assert 'data-testid="customer-coupons"' in html and world["n1"].display_code in html


@pytest.mark.parametrize("role", ROLES)
def test_export(client_for, org, world, role):
    client = client_for(getattr(org.users, role))
    r = client.get(reverse("coupon_export"), {"format": "csv"})
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode()[1:])))
    codes = {row[0] for row in rows[1:]}
    for name in ("n1", "e1"):
        assert (world[name].display_code in codes) == (name in VISIBLE[role]), (role, name)


@pytest.mark.parametrize("role", ["admin", "north_marketing", "sales_n1b"])
def test_definition_export_counts_the_coupons_the_user_sees(client_for, org, world, role):
    from kehu.marketing.coupons.services import coupon_redeem

    coupon_redeem(actor=org.users.admin, order=world["order_n1"], code=world["n1"].code)
    r = client_for(getattr(org.users, role)).get(reverse("coupon_definition_export"), {"format": "csv"})
    assert r.status_code == 200
    header, *rows = list(csv.reader(io.StringIO(b"".join(r.streaming_content).decode()[1:])))
    row = dict(zip(header, next(r for r in rows if r[0] == world["definition"].ref)))
    assert int(row["issued"]) == len(VISIBLE[role])
    assert int(row["redeemed"]) == (1 if "n1" in VISIBLE[role] else 0)


@pytest.mark.parametrize("role", ROLES)
def test_endpoints(org, customers, world, role):
    user = getattr(org.users, role)
    api = _api(user)
    d = world["definition"]
    assert api.get("/coupons/definitions").status_code == 200
    r = api.get(f"/coupons/definitions/{d.pk}")
    assert r.status_code == 200 and r.json()["figures"]["issued"] == len(VISIBLE[role])
    seen = {c["id"] for c in api.get("/coupons").json()["items"]}
    for name in ("n1", "e1"):
        assert (world[name].pk in seen) == (name in VISIBLE[role]), (role, name)
        assert api.get(f"/coupons/{world[name].pk}").status_code == (200 if name in VISIBLE[role] else 404)

    created = api.post("/coupons/definitions", {"ref": f"API-{role}", "name_en": "Ten off", "value": "10"})
    assert created.status_code == (201 if role in MANAGE else 403), created.content
    patched = api.patch(f"/coupons/definitions/{d.pk}", {"name_en": "Renamed"})
    assert patched.status_code == (200 if role in MANAGE else 403), patched.content

    issued = api.post("/coupons/issue", {"definition_id": d.pk, "customer_ids": [customers.n1.pk]})
    expected = (201 if role in MANAGE else 403) if "n1" in VISIBLE[role] else 404
    assert issued.status_code == expected, (role, issued.content)

    redeemed = api.post("/coupons/redeem", {"order_id": world["order_n1"].pk, "code": world["n1"].display_code})
    expected = 201 if role in REDEEM_N1 else 404 if "n1" not in VISIBLE[role] else 403
    assert redeemed.status_code == expected, (role, redeemed.content)
    if expected == 201:
        assert redeemed.json()["amount"] == "20.00"

    voided = api.post(f"/coupons/{world['e1'].pk}/void", {"reason": "test"})
    expected = (200 if role in MANAGE else 403) if "e1" in VISIBLE[role] else 404
    assert voided.status_code == expected, (role, voided.content)


def test_issue_to_a_segment_needs_a_confirmation_and_respects_visibility(client_for, org, customers):
    from kehu.insights.models import Segment

    admin = org.users.admin
    d = make_definition(admin)
    segment = Segment.objects.create(name="Everyone", rule={}, created_by=admin)
    client = client_for(org.users.north_marketing)
    url = reverse("coupon_definition_issue", args=[d.pk])
    r = client.post(url, {"target": "segment", "segment": segment.pk})
    assert r.status_code == 200 and 'data-testid="coupon-issue-confirm"' in r.content.decode()
    assert not Coupon.objects.exists()
    r = client.post(url, {"target": "segment", "segment": segment.pk, "confirmed": "1"})
    assert r.status_code == 302
    # the north's marketer sees the north's customers only
    assert set(Coupon.objects.values_list("customer_id", flat=True)) == {customers.n1.pk, customers.n1b.pk}


def test_issue_one_customer_by_code_and_redeem_from_the_order_page(client_for, org, customers):
    admin = org.users.admin
    d = make_definition(admin, min_spend=Decimal(0))
    client = client_for(org.users.north_marketing)
    r = client.post(reverse("coupon_definition_issue", args=[d.pk]), {"target": "customer", "customer": customers.e1.ref})
    assert r.status_code == 200 and "No customer you can see" in r.content.decode()
    r = client.post(reverse("coupon_definition_issue", args=[d.pk]), {"target": "customer", "customer": customers.n1.ref})
    assert r.status_code == 302
    coupon = Coupon.objects.get()
    order = order_for(customers.n1)
    client = client_for(org.users.sales_n1)
    url = reverse("coupon_order_redeem", args=[order.pk])
    r = client.post(url, {"code": "WRONG"})
    assert r.status_code == 200 and "No coupon has this code" in r.content.decode()
    r = client.post(url, {"code": coupon.display_code})
    assert r.status_code == 302
    assert Redemption.objects.get().order == order
    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert coupon.display_code in html and 'data-testid="order-redeem-coupon"' not in html


def test_definition_form_and_detail_figures(client_for, org, customers):
    client = client_for(org.users.admin)
    r = client.post(reverse("coupon_definition_create"), {
        "ref": "WEB-1", "name_zh": "九折", "kind": "percentage", "value": "150", "min_spend": "0",
        "per_customer_limit": "1", "code_mode": "unique", "active": "on"})
    assert r.status_code == 200 and "A percentage cannot be more than 100." in r.content.decode()
    r = client.post(reverse("coupon_definition_create"), {
        "ref": "WEB-1", "name_zh": "九折", "kind": "percentage", "value": "10", "min_spend": "0",
        "per_customer_limit": "1", "code_mode": "unique", "active": "on"})
    assert r.status_code == 302
    d = CouponDefinition.objects.get(ref="WEB-1")
    coupon = issue_one(org.users.admin, d, customers.n1)
    issue_one(org.users.admin, d, customers.e1)
    from kehu.marketing.coupons.services import coupon_redeem

    coupon_redeem(actor=org.users.admin, order=order_for(customers.n1, (None, "500.00")), code=coupon.code)
    html = client.get(reverse("coupon_definition_detail", args=[d.pk])).content.decode()
    assert "50.00" in html and "50" in html  # discount given; rate 50%


def test_chinese_pages(client_for, org, settings):
    from django.utils import translation

    make_definition(org.users.admin)
    client = client_for(org.users.admin)
    client.cookies["kehu_language"] = "zh-hans"
    org.users.admin.language = "zh-hans"
    org.users.admin.save(update_fields=["language"])
    with translation.override("zh-hans"):
        html = client.get(reverse("coupon_definition_list")).content.decode()
    assert "优惠券" in html and "批次号" in html
