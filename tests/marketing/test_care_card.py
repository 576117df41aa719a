"""The 360 page's care card computes one customer's moments without a query per rule: the same
moments as the set-based selection, for every kind of rule."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from kehu.customers.models import Anniversary, Customer
from kehu.marketing.care import selection
from kehu.marketing.care.models import CareRule
from kehu.marketing.care.selectors import upcoming
from kehu.marketing.care.services import rule_create
from tests.factories import OrderFactory
from tests.outreach.conftest import consenting, templates  # noqa: F401

pytestmark = pytest.mark.django_db


def _rules(org):
    base = {"name_zh": "关怀", "name_en": "Care", "lead_days": 2, "channel": "task"}
    for data in ({"kind": "birthday"}, {"kind": "anniversary"}, {"kind": "monthly", "day_of_month": 31},
                 {"kind": "holiday", "holiday": "mid_autumn"}, {"kind": "thanks_after_purchase", "days_after": 3},
                 {"kind": "next_order"}):
        rule_create(actor=org.users.admin, data={**base, **data})
    return list(CareRule.objects.order_by("pk"))


def test_one_customer_in_python_equals_the_set_based_selection(org, consenting, templates):
    from kehu.insights.models import AnalysisRun, CustomerScore

    c = consenting.n1
    Customer.objects.filter(pk=c.pk).update(birthday=dt.date(1980, 2, 29))
    Anniversary.objects.create(customer=c, label="Founded", date=dt.date(2001, 9, 30))
    OrderFactory(customer=c, order_date=dt.date(2026, 9, 20))
    run = AnalysisRun.objects.create(status="succeeded", as_of=dt.date(2026, 9, 1))
    CustomerScore.objects.create(run=run, customer=c, next_order_date=dt.date(2026, 10, 2))
    c.refresh_from_db()
    rules = _rules(org)
    for start, end in ((dt.date(2026, 9, 15), dt.date(2026, 11, 15)), (dt.date(2027, 2, 20), dt.date(2027, 3, 5))):
        facts = selection.customer_facts(c, rules, since=start)
        for rule in rules:
            expected = sorted(selection.select(rule, Customer.objects.filter(pk=c.pk), start, end))
            assert sorted(selection.select_one(rule, c.pk, facts, start, end)) == expected, rule.kind


def test_the_card_does_not_cost_a_query_per_rule(client_for, org, consenting, templates,
                                                 django_assert_max_num_queries):
    c = consenting.n1
    Customer.objects.filter(pk=c.pk).update(birthday=dt.date(1980, 10, 1))
    c.refresh_from_db()
    _rules(org)
    client = client_for(org.users.sales_n1)
    url = reverse("customer_marketing_card", args=[c.pk, "care"])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    baseline = len(ctx.captured_queries)
    for i in range(4):
        rule_create(actor=org.users.admin, data={"name_zh": f"生日{i}", "name_en": "B", "kind": "birthday",
                                                 "channel": "task", "lead_days": i})
    with django_assert_max_num_queries(baseline):
        html = client.get(url).content.decode()
    assert 'data-testid="customer-care"' in html
    items, _t = upcoming(viewer=org.users.sales_n1, start=dt.date(2026, 9, 1), end=dt.date(2026, 10, 30),
                         customer=c, mine=False)
    assert {u.occasion for u in items} >= {dt.date(2026, 10, 1)}


def test_cards_follow_the_policy(client_for, org, consenting):
    url = reverse("customer_marketing_card", args=[consenting.n1.pk, "membership"])
    assert client_for(org.users.sales_n1).get(url).status_code == 200
    assert client_for(org.users.sales_e1).get(url).status_code == 404
    assert client_for(org.users.sales_n1).get(
        reverse("customer_marketing_card", args=[consenting.n1.pk, "nope"])).status_code == 404
