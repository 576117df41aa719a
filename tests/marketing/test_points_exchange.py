"""Points for coupons (issue 16, item 5): the service, the member page, the API and ``kehu points exchange``."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from kehu.marketing.coupons.models import Coupon
from kehu.marketing.coupons.services import definition_create
from kehu.marketing.membership.models import PointsEntry
from kehu.marketing.membership.services import points_balance, points_bonus, points_exchange
from kehu.org.services import token_create
from tests.api.conftest import ApiClient
from tests.membership.conftest import members  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def kind(org):
    return definition_create(actor=org.users.admin, data={
        "ref": "PTS-50", "name_zh": "积分换50元", "name_en": "50 off for points", "kind": "amount",
        "value": Decimal("50"), "points_price": 500, "per_customer_limit": 5})


def _seed(m, points=800):
    points_bonus(actor=None, membership=m, points=points, reason="seed")


def test_exchange_takes_the_points_and_issues_the_coupon_once(org, members, kind):
    _seed(members.n1)
    entry, coupon = points_exchange(actor=org.users.sales_n1, membership=members.n1, definition=kind)
    assert entry.points == -500 and entry.kind == "redeem" and entry.source == "coupon:PTS-50"
    assert coupon.customer_id == members.n1.customer_id and coupon.source == "points" and coupon.source_id == entry.pk
    assert points_balance(members.n1) == 300


def test_insufficient_points_neither_entry_nor_coupon(org, members, kind):
    _seed(members.n1, 499)
    with pytest.raises(ValidationError) as exc:
        points_exchange(actor=None, membership=members.n1, definition=kind)
    assert "points" in exc.value.message_dict
    assert points_balance(members.n1) == 499
    assert not Coupon.objects.exists() and not PointsEntry.objects.filter(kind="redeem").exists()


def test_a_refused_coupon_gives_the_points_back(org, members, kind):
    """The coupon's own limit refuses the issue: the redemption is rolled back with it (both or neither)."""
    from kehu.marketing.coupons.services import definition_update

    definition_update(actor=org.users.admin, definition=kind, data={"per_customer_limit": 1})
    _seed(members.n1, 1200)
    points_exchange(actor=None, membership=members.n1, definition=kind)
    with pytest.raises(ValidationError):
        points_exchange(actor=None, membership=members.n1, definition=kind)
    assert points_balance(members.n1) == 700 and Coupon.objects.count() == 1


def test_a_kind_without_a_points_price_and_other_teams(org, members, kind):
    plain = definition_create(actor=org.users.admin, data={"ref": "PLAIN", "name_zh": "普通", "kind": "amount",
                                                           "value": Decimal("5")})
    _seed(members.n1)
    with pytest.raises(ValidationError):
        points_exchange(actor=None, membership=members.n1, definition=plain)
    with pytest.raises(PermissionDenied):
        points_exchange(actor=org.users.sales_e1, membership=members.n1, definition=kind)
    assert points_balance(members.n1) == 800


def test_the_member_page_exchanges(client_for, org, members, kind):
    _seed(members.n1)
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("member_detail", args=[members.n1.pk])).content.decode()
    assert 'data-testid="member-exchange"' in html and "PTS-50" in html and "data-confirm" in html
    r = client.post(reverse("member_exchange", args=[members.n1.pk]), {"definition": kind.pk})
    assert r.status_code == 302
    assert points_balance(members.n1) == 300 and Coupon.objects.filter(customer=members.n1.customer).count() == 1
    r = client.post(reverse("member_exchange", args=[members.n1.pk]), {"definition": kind.pk}, follow=True)
    assert points_balance(members.n1) == 300 and Coupon.objects.count() == 1   # 300 < 500: refused
    # another team's salesperson does not see the member at all
    assert client_for(org.users.sales_e1).post(reverse("member_exchange", args=[members.n1.pk]),
                                               {"definition": kind.pk}).status_code == 404


def test_the_api_exchanges(org, members, kind):
    _seed(members.n1)
    api = ApiClient(token_create(user=org.users.sales_n1, name="t")[1])
    r = api.post(f"/members/{members.n1.pk}/exchange", {"coupon_kind_id": kind.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["balance"] == 300 and body["entry"]["points"] == -500 and body["coupon_code"]
    r = api.post(f"/members/{members.n1.pk}/exchange", {"coupon_kind_id": kind.pk})
    assert r.status_code == 422 and "points" in r.json()["error"]["fields"]
    r = api.post(f"/members/{members.n1.pk}/exchange", {"coupon_kind_id": 999999})
    assert r.status_code == 422 and "coupon_kind_id" in r.json()["error"]["fields"]
    other = ApiClient(token_create(user=org.users.sales_e1, name="t")[1])
    assert other.post(f"/members/{members.n1.pk}/exchange", {"coupon_kind_id": kind.pk}).status_code == 404


def test_the_command(org, members, kind, capsys):
    from kehu.cli import main

    _seed(members.n1, 600)
    assert main(["points", "exchange", members.n1.number, "PTS-50"]) == 0
    assert "100" in capsys.readouterr().out
    assert main(["points", "exchange", members.n1.number, "PTS-50"]) == 1
    assert main(["points", "exchange", "M99999999", "PTS-50"]) == 2
    assert points_balance(members.n1) == 100
