"""The membership pages: the permission matrix over the list, the export, a
member's page, the points form with its confirmation, enrolment from the
customer 360 page, and the settings of tiers and earning rules."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.marketing.membership.models import EarnRule, Membership, PointsEntry, Tier
from kehu.marketing.membership.services import points_balance, points_bonus

from .test_api import CHANGE, MANAGERS, ROLES, VISIBLE
from tests.marketing.cards import page_with_cards

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_export_follow_the_policy(client_for, org, customers, members, role):
    user = getattr(org.users, role)
    client = client_for(user)
    html = client.get(reverse("member_list")).content.decode()
    assert html.count('data-testid="member-row"') == len(VISIBLE[role])
    rows = list(csv.reader(io.StringIO(_body(client.get(reverse("member_export"))).decode()[1:])))
    assert {r[0] for r in rows[1:]} == {getattr(members, k).number for k in VISIBLE[role]}
    assert AuditEvent.objects.filter(action="export", entity="members", actor=user).count() == 1
    for key in ("n1", "e1"):
        m = getattr(members, key)
        seen = key in VISIBLE[role]
        r = client.get(reverse("member_detail", args=[m.pk]))
        assert r.status_code == (200 if seen else 404), (role, key)
        may_points = seen and (role in MANAGERS or key in CHANGE.get(role, set()))
        r = client.get(reverse("member_points", args=[m.pk]))
        assert r.status_code == (200 if may_points else 404 if not seen else 403), (role, key)
        if seen:
            customer_html = page_with_cards(client, m.customer_id)
            assert 'data-testid="customer-member-link"' in customer_html
    for name in ("membership_tiers", "membership_rules", "membership_tier_create", "membership_rule_create"):
        assert client.get(reverse(name)).status_code == (200 if role in MANAGERS else 403), (role, name)


def test_the_chinese_list_and_page(client_for, org, members):
    user = org.users.admin
    user.language = "zh-hans"
    user.save()
    client = client_for(user)
    html = client.get(reverse("member_list")).content.decode()
    assert "会员" in html and "普通" in html
    html = client.get(reverse("member_detail", args=[members.n1.pk])).content.decode()
    assert "积分余额" in html and "对账单" in html


def test_points_need_a_confirmation(client_for, org, members):
    client = client_for(org.users.north_marketing)
    m = members.n1
    url = reverse("member_points", args=[m.pk])
    r = client.post(url, {"kind": "bonus", "points": "200", "reason": "Birthday"})
    assert r.status_code == 200 and 'data-testid="points-confirm"' in r.content.decode()
    assert not PointsEntry.objects.exists()
    r = client.post(url, {"kind": "bonus", "points": "200", "reason": "Birthday", "confirm": "1"})
    assert r.status_code == 302 and points_balance(m) == 200
    r = client.post(url, {"kind": "redeem", "points": "500", "reason": "Gift"})
    assert 'data-testid="points-refused"' in r.content.decode()
    r = client.post(url, {"kind": "redeem", "points": "500", "reason": "Gift", "confirm": "1"})
    assert r.status_code == 200 and "negative" in r.content.decode() and points_balance(m) == 200
    # a salesperson of the customer may redeem, not give bonuses
    client = client_for(org.users.sales_n1)
    r = client.post(url, {"kind": "bonus", "points": "5", "reason": "x", "confirm": "1"})
    assert r.status_code == 200 and points_balance(m) == 200  # "bonus" is not a choice: the form refuses
    r = client.post(url, {"kind": "redeem", "points": "50", "reason": "Gift", "confirm": "1"})
    assert r.status_code == 302 and points_balance(m) == 150


def test_statement_on_the_page_has_running_balances(client_for, org, members):
    import datetime as dt

    for i in range(3):
        points_bonus(actor=None, membership=members.n1, points=10 * (i + 1), reason="x", on=dt.date(2026, 2, 1 + i))
    html = client_for(org.users.sales_n1).get(reverse("member_detail", args=[members.n1.pk]),
                                              {"from": "2026-02-02"}).content.decode()
    assert html.count('data-testid="statement-row"') == 2
    assert '<td class="num" data-testid="statement-balance">30</td>' in html
    assert '<td class="num" data-testid="statement-balance">60</td>' in html


def test_enrol_from_the_customer_page(client_for, org, customers, members):
    client = client_for(org.users.sales_n1b)
    html = page_with_cards(client, customers.n1b.pk)
    assert 'data-testid="customer-member-enrol"' in html
    r = client.post(reverse("member_enrol", args=[customers.n1b.pk]))
    m = Membership.objects.get(customer=customers.n1b)
    assert r.status_code == 302 and r["Location"] == reverse("member_detail", args=[m.pk])
    assert client_for(org.users.analyst).post(reverse("member_enrol", args=[customers.n1b.pk])).status_code == 403
    assert client_for(org.users.sales_e1).post(reverse("member_enrol", args=[customers.n1b.pk])).status_code == 404


def test_tiers_and_rules_settings(client_for, org):
    from tests.factories import ProductLineFactory

    client = client_for(org.users.north_marketing)
    r = client.post(reverse("membership_tier_create"), {"code": "platinum", "name_zh": "白金", "name_en": "Platinum",
                                                        "rank": "4", "threshold": "500000", "earn_multiplier": "2.5"})
    assert r.status_code == 302 and Tier.objects.get(code="platinum").rank == 4
    r = client.post(reverse("membership_tier_create"), {"code": "x", "name_zh": "x", "name_en": "x", "rank": "4",
                                                        "threshold": "-1", "earn_multiplier": "1"})
    assert r.status_code == 200 and Tier.objects.count() == 5
    tier = Tier.objects.get(code="platinum")
    r = client.get(reverse("membership_tier_delete", args=[tier.pk]))
    assert 'data-testid="membership-confirm"' in r.content.decode()
    assert client.post(reverse("membership_tier_delete", args=[tier.pk])).status_code == 302
    line = ProductLineFactory(code="HOTEL", name="Hotel")
    r = client.post(reverse("membership_rule_create"), {"product_line": line.pk, "tier": "", "points_per_yuan": "2",
                                                        "multiplier": "1", "active": "on"})
    assert r.status_code == 302 and EarnRule.objects.get().points_per_yuan == 2
    r = client.post(reverse("membership_rule_create"), {"product_line": line.pk, "tier": "", "points_per_yuan": "3",
                                                        "multiplier": "1", "active": "on"})
    assert r.status_code == 200 and "exists already" in r.content.decode()
    r = client.post(reverse("membership_tiers"), {"basis": "points", "window_months": "6",
                                                  "points_validity_months": "12", "term_months": "12",
                                                  "points_per_yuan": "1"})
    assert r.status_code == 302
    rule = EarnRule.objects.get()
    assert client.post(reverse("membership_rule_delete", args=[rule.pk])).status_code == 302
    assert not EarnRule.objects.exists()


def test_list_and_member_pages_do_not_query_per_row(client_for, org, members, django_assert_max_num_queries):
    import datetime as dt

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from kehu.marketing.membership.services import member_enrol
    from tests.factories import CustomerFactory

    client = client_for(org.users.admin)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("member_list"))
    for i in range(8):
        member_enrol(actor=None, customer=CustomerFactory(owner=org.users.sales_n1))
    with CaptureQueriesContext(connection) as many:
        html = client.get(reverse("member_list")).content.decode()
    assert html.count('data-testid="member-row"') == 10
    assert len(many) == len(few)
    for i in range(30):
        points_bonus(actor=None, membership=members.n1, points=1 + i, reason="x", on=dt.date(2026, 1, 1))
    with django_assert_max_num_queries(len(few) + 9):   # + 1: the coupon kinds to exchange points for
        client.get(reverse("member_detail", args=[members.n1.pk]))


def test_a_bad_period_shows_the_whole_statement(client_for, org, members):
    r = client_for(org.users.admin).get(reverse("member_detail", args=[members.n1.pk]),
                                        {"from": "2026-13-45", "to": "x"})
    assert r.status_code == 200
