"""Sales performance and receivables ageing (kehu/sales/performance.py): the figures of a
small hand-worked world, the ageing buckets computed in the database against the pure rule
(kehu.analytics.sales_performance.ageing_bucket), and who sees whom."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.analytics.sales_performance import ageing_bucket
from kehu.engagement.models import PlannedVisit
from kehu.sales import performance as perf
from kehu.sales.models import Opportunity, Order
from kehu.sales.services import payment_record
from tests.factories import InteractionFactory, OrderFactory
from tests.sales.conftest import stage

pytestmark = pytest.mark.django_db

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
TZ = timezone.get_default_timezone()


def at(y, m, d, h=10):
    return dt.datetime(y, m, d, h, tzinfo=TZ)


def order(customer, salesperson, on, *, due=None, paid=None, amount="100.00"):
    o = OrderFactory(customer=customer, salesperson=salesperson, order_date=on, payment_due_on=due,
                     lines=[{"quantity": 2, "unit_price": amount, "unit_cost": "60.00"}])
    if paid:
        Order.objects.filter(pk=o.pk).update(paid_amount=Decimal(paid))
    return o


@pytest.fixture
def world(org, customers, pipeline):
    """November 2026, worked by hand (see each test)."""
    from kehu.surveys.models import Response, ResponseStatus, Survey, Wave
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

    u = org.users
    n1 = customers.n1
    for day, status in ((3, "done"), (4, "done"), (5, "planned")):
        PlannedVisit.objects.create(salesperson=u.sales_n1, customer=n1, planned_on=dt.date(2026, 11, day),
                                    week="2026-W45", status=status)
    PlannedVisit.objects.create(salesperson=u.sales_n1, customer=n1, planned_on=dt.date(2026, 10, 30),
                                week="2026-W44", status="done")
    for when in (at(2026, 11, 2), at(2026, 11, 30, 23), at(2026, 10, 31, 23)):
        InteractionFactory(customer=n1, user=u.sales_n1, occurred_at=when)
    won, lost, _open = (Opportunity.objects.create(customer=n1, name=n, pipeline=pipeline, owner=u.sales_n1,
                                                   stage=stage(pipeline, s), amount=Decimal("1000"))
                        for n, s in (("Won", "won"), ("Lost", "lost"), ("Open", "target")))
    Opportunity.objects.filter(pk=won.pk).update(created_at=at(2026, 10, 22), won_at=at(2026, 11, 11, 16))
    Opportunity.objects.filter(pk=lost.pk).update(created_at=at(2026, 11, 2), lost_at=at(2026, 11, 20))
    Opportunity.objects.filter(pk=_open.pk).update(created_at=at(2026, 11, 25))
    # orders: A dated October, due 10 November, 150 of 200 paid; B dated 5 November, no due
    # date (30 days: due 5 December, not in November)
    order(n1, u.sales_n1, dt.date(2026, 10, 1), due=dt.date(2026, 11, 10), paid="150")
    order(n1, u.sales_n1, dt.date(2026, 11, 5))
    order(customers.n1b, u.sales_n1b, dt.date(2026, 11, 20), amount="250.00")   # 500
    order(customers.e1, u.sales_e1, dt.date(2026, 11, 21), amount="150.00")    # 300
    survey = Survey.objects.create(code="csat-perf")
    wave = Wave.objects.create(survey=survey, name="2026")
    Response.objects.create(wave=wave, customer=n1, status=ResponseStatus.COMPLETE, index=40, nps=3,
                            submitted_at=at(2026, 6, 1))
    Response.objects.create(wave=wave, customer=n1, status=ResponseStatus.COMPLETE, index=80, nps=10,
                            submitted_at=at(2026, 11, 3))
    Response.objects.create(wave=wave, customer=n1, status=ResponseStatus.COMPLETE, index=10, nps=0,
                            submitted_at=at(2026, 12, 3))    # after the period: not read
    run = AnalysisRunFactory()
    CustomerScoreFactory(run=run, customer=n1, churn_risk=0.7)
    CustomerScoreFactory(run=run, customer=customers.n1b, churn_risk=0.2)
    return org


def test_a_salespersons_month_worked_by_hand(world):
    u = world.users
    p = perf.performance(viewer=u.sales_n1, start=NOV[0], end=NOV[1])
    assert [r.pk for r in p.people] == [u.sales_n1.pk] and p.teams == []   # only themselves
    c = p.people[0].counts
    assert (c.visits_planned, c.visits_done, c.interactions) == (3, 2, 2)
    assert (c.opportunities_created, c.opportunities_won, c.opportunities_lost) == (2, 1, 1)
    assert c.win_rate == 0.5 and c.cycle_days == 20           # 22 October → 11 November
    assert c.revenue == Decimal("200.00") and c.orders == 1
    assert c.due == Decimal("200.00") and c.collected == Decimal("150.00") and c.collection_rate == 0.75
    assert c.satisfaction == 80 and c.nps == 100               # the latest response up to 30 November
    assert (c.scored, c.churn_warnings) == (1, 1)
    assert p.has_quota is False and p.people[0].quota is None


def test_the_leaderboard_of_a_manager_is_their_subtree_ranked(world):
    u = world.users
    p = perf.performance(viewer=u.north_manager, start=NOV[0], end=NOV[1])
    names = {r.pk for r in p.people}
    assert u.sales_n1.pk in names and u.sales_n1b.pk in names and u.sales_e1.pk not in names
    assert u.north_manager.pk in names
    ranks = {r.pk: r.rank for r in p.people}
    assert ranks[u.sales_n1b.pk] == 1 and ranks[u.sales_n1.pk] == 2
    north = {r.name: r.counts for r in p.teams}
    assert north["North region"].revenue == Decimal("700.00") and "East region" not in north
    everyone = perf.performance(viewer=u.admin, start=NOV[0], end=NOV[1], sort="name")
    assert u.sales_e1.pk in {r.pk for r in everyone.people}
    assert [r.name for r in everyone.people] == sorted(r.name for r in everyone.people)
    assert {r.name for r in everyone.teams} >= {"Head office", "North region", "East region"}
    only_east = perf.performance(viewer=u.admin, start=NOV[0], end=NOV[1], team=world.teams.east)
    assert {r.pk for r in only_east.people} == {u.east_manager.pk, u.sales_e1.pk}


def test_revenue_against_the_quotas(world):
    from kehu.sales.forecast import quota_for
    from kehu.sales.quotas import quota_create

    u = world.users
    quota_create(actor=u.admin, period="2026-11", amount=Decimal("400"), user=u.sales_n1)
    quota_create(actor=u.admin, period="2026-Q4", amount=Decimal("3000"), team=world.teams.north)
    p = perf.performance(viewer=u.sales_n1, start=NOV[0], end=NOV[1])
    assert p.has_quota and p.people[0].quota == Decimal("400") and p.people[0].quota_attainment == 0.5
    # a quarter's quota counts a third for each month, in proportion to the days of the range
    assert quota_for(world.teams.north, NOV[0], NOV[1]) == Decimal("1000.00")
    assert quota_for(world.teams.north, dt.date(2026, 11, 16), dt.date(2026, 12, 31)) == Decimal("1500.00")
    assert quota_for(u.sales_n1, dt.date(2026, 11, 1), dt.date(2026, 11, 15)) == Decimal("200.00")
    assert quota_for(u.sales_n1b, NOV[0], NOV[1]) is None
    north = perf.performance(viewer=u.north_manager, start=NOV[0], end=NOV[1])
    assert {r.name: r.quota for r in north.teams}["North region"] == Decimal("1000.00")


AS_OF = dt.date(2026, 11, 30)


@pytest.fixture
def ageing(org, customers):
    """Orders of 200 each whose due date lies ``days`` before 30 November 2026."""
    u = org.users
    made = {}
    for days in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 200):
        made[days] = order(customers.n1, u.sales_n1, AS_OF - dt.timedelta(days=max(days, 0) + 10),
                           due=AS_OF - dt.timedelta(days=days))
    return made


def test_ageing_buckets_in_the_database_follow_the_pure_rule(org, customers, ageing):
    rows = {o.pk: o for o in perf.receivable_orders(viewer=org.users.admin, as_of=AS_OF)}
    for days, o in ageing.items():
        assert rows[o.pk].days_past_due == days
    by_customer = list(perf.ageing_by_customer(perf.receivable_orders(viewer=org.users.admin, as_of=AS_OF)))
    assert len(by_customer) == 1
    row = by_customer[0]
    expected = {}
    for days in ageing:
        expected[ageing_bucket(days)] = expected.get(ageing_bucket(days), 0) + 200
    for key, amount in expected.items():
        assert row[key] == Decimal(amount), key
    assert row["total"] == Decimal("2000.00") and row["overdue"] == Decimal("1600.00")


def test_ageing_counts_payments_up_to_the_day_and_company_terms(org, customers, settings):
    u = org.users
    o = order(customers.n1, u.sales_n1, dt.date(2026, 9, 1), due=dt.date(2026, 10, 1))
    payment_record(actor=u.admin, order=o, amount=Decimal("50"), received_on=dt.date(2026, 10, 15))
    payment_record(actor=u.admin, order=o, amount=Decimal("150"), received_on=dt.date(2026, 11, 20))
    assert not perf.receivable_orders(viewer=u.admin).filter(pk=o.pk).exists()       # paid today
    back = perf.receivable_orders(viewer=u.admin, as_of=dt.date(2026, 10, 31)).get(pk=o.pk)
    assert back.owed == Decimal("150.00") and back.days_past_due == 30
    # no due date: the order date + the company's terms
    settings.PAYMENT_DAYS = 10
    plain = order(customers.n1, u.sales_n1, dt.date(2026, 10, 1))
    row = perf.receivable_orders(viewer=u.admin, as_of=AS_OF).get(pk=plain.pk)
    assert row.days_past_due == (AS_OF - dt.date(2026, 10, 11)).days == 50


def test_ageing_sees_only_visible_customers_and_groups_by_person_and_team(org, customers):
    u = org.users
    order(customers.n1, u.sales_n1, dt.date(2026, 9, 1), due=dt.date(2026, 9, 30))
    order(customers.e1, u.sales_e1, dt.date(2026, 9, 1), due=dt.date(2026, 9, 30))
    mine = perf.receivable_orders(viewer=u.sales_n1, as_of=AS_OF)
    assert {o.customer_id for o in mine} == {customers.n1.pk}
    everyone = perf.receivable_orders(viewer=u.admin, as_of=AS_OF)
    people = perf.ageing_by_salesperson(everyone)
    assert {r["salesperson_id"] for r in people} == {u.sales_n1.pk, u.sales_e1.pk}
    teams = {r["name"]: r for r in perf.ageing_by_team(people, [org.teams.north, org.teams.hq])}
    assert teams["North region"]["d61_90"] == Decimal("200.00")
    assert teams["Head office"]["total"] == Decimal("400.00")
    totals = perf.ageing_totals(everyone)
    assert totals["overdue"] == Decimal("400.00") and totals["orders"] == 2
    only_e = perf.receivable_orders(viewer=u.admin, as_of=AS_OF, team=org.teams.east)
    assert {o.customer_id for o in only_e} == {customers.e1.pk}


# -- pages and exports -------------------------------------------------------------------------

from django.urls import reverse  # noqa: E402

from kehu.audit.models import AuditEvent  # noqa: E402

PAGES = ("sales_performance", "sales_receivables")


def test_pages_for_a_salesperson_show_only_their_own(client_for, world):
    u = world.users
    client = client_for(u.sales_n1)
    html = client.get(reverse("sales_performance"), {"from": "2026-11-01", "to": "2026-11-30"}).content.decode()
    assert html.count('data-testid="performance-row"') == 1 and "Rankings are shown to managers." in html
    assert 'name="team"' not in html and 'data-testid="performance-teams"' not in html
    assert "75.0%" in html and "<script>" not in html and 'style="' not in html
    html = client.get(reverse("sales_receivables"), {"as_of": "2026-11-30"}).content.decode()
    assert 'data-testid="receivables-row"' in html and customers_name(world) in html


def customers_name(world):
    from kehu.customers.models import Customer

    return Customer.objects.get(owner=world.users.sales_n1).name


def test_leaderboard_sorts_and_validates(client_for, world):
    u = world.users
    client = client_for(u.north_manager)
    html = client.get(reverse("sales_performance"), {"from": "2026-11-01", "to": "2026-11-30",
                                                     "sort": "-revenue"}).content.decode()
    assert html.count('data-testid="performance-row"') >= 3 and 'data-testid="performance-teams"' in html
    rows = html.split('data-testid="performance-row"')[1:]
    assert u.sales_n1b.username in rows[0] or (u.sales_n1b.display_name or "@@") in rows[0]
    html = client.get(reverse("sales_performance"), {"from": "2026-12-01", "to": "2026-11-01"}).content.decode()
    assert 'data-testid="performance-errors"' in html and "The period must start before it ends." in html


def test_receivables_drill_down_and_404(client_for, org, customers):
    u = org.users
    o = order(customers.n1, u.sales_n1, dt.date(2026, 9, 1), due=dt.date(2026, 9, 30))
    client = client_for(u.north_manager)
    html = client.get(reverse("sales_receivables_customer", args=[customers.n1.pk]),
                      {"as_of": "2026-11-30"}).content.decode()
    assert o.ref in html and "61–90 days" in html
    assert client.get(reverse("sales_receivables_customer", args=[customers.e1.pk])).status_code == 404
    html = client_for(u.sales_e1).get(reverse("sales_receivables")).content.decode()
    assert 'data-testid="receivables-empty"' in html


@pytest.mark.parametrize("name, key", [("sales_performance_export", "sales_performance"),
                                       ("sales_receivables_export", "sales_receivables")])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_audited(client_for, world, name, key, fmt):
    r = client_for(world.users.north_manager).get(reverse(name), {"from": "2026-11-01", "to": "2026-11-30",
                                                                  "as_of": "2026-11-30", "format": fmt})
    assert r.status_code == 200
    body = b"".join(r.streaming_content) if r.streaming else r.content
    if fmt == "csv":
        assert body.decode("utf-8").lstrip("\ufeff").splitlines()[0].startswith(("Kind", "Customer number"))
    event = AuditEvent.objects.get(action="export")
    assert event.entity == key and event.actor == world.users.north_manager and event.changes["rows"] >= 1


# -- the API -------------------------------------------------------------------------------------

from tests.api.conftest import ApiClient  # noqa: E402,F401


@pytest.fixture
def api_for():
    from kehu.org.services import token_create

    def _api(user):
        return ApiClient(token_create(user=user, name="tests")[1])

    return _api


def test_api_performance(world, api_for):
    u = world.users
    r = api_for(u.sales_n1).get("/sales/performance", {"from": "2026-11-01", "to": "2026-11-30"})
    assert r.status_code == 200, r.content
    data = r.json()
    assert [p["id"] for p in data["people"]] == [u.sales_n1.pk] and data["teams"] == []
    assert data["start"] == "2026-11-01" and data["end"] == "2026-11-30" and data["has_quota"] is False
    c = data["people"][0]["counts"]
    assert c["collection_rate"] == 0.75 and c["win_rate"] == 0.5 and c["revenue"] == "200.00" and c["nps"] == 100
    data = api_for(u.north_manager).get("/sales/performance", {"from": "2026-11-01", "to": "2026-11-30"}).json()
    assert {p["id"] for p in data["people"]} >= {u.sales_n1.pk, u.sales_n1b.pk}
    bad = api_for(u.north_manager).get("/sales/performance", {"from": "2026-12-01", "to": "2026-11-01"})
    assert bad.status_code == 422 and "from" in bad.json()["error"]["fields"]
    east = api_for(u.north_manager).get("/sales/performance", {"team_id": world.teams.east.pk})
    assert east.status_code == 422 and "team_id" in east.json()["error"]["fields"]


def test_api_receivables(org, customers, api_for):
    u = org.users
    order(customers.n1, u.sales_n1, dt.date(2026, 9, 1), due=dt.date(2026, 9, 30))
    order(customers.e1, u.sales_e1, dt.date(2026, 11, 1), due=dt.date(2026, 12, 30))
    data = api_for(u.admin).get("/sales/receivables", {"as_of": "2026-11-30"}).json()
    assert data["totals"]["d61_90"] == "200.00" and data["totals"]["not_due"] == "200.00"
    assert data["count"] == 2 and data["customers"][0]["customer_id"] == customers.n1.pk
    mine = api_for(u.sales_e1).get("/sales/receivables", {"as_of": "2026-11-30"}).json()
    assert [c["customer_id"] for c in mine["customers"]] == [customers.e1.pk] and mine["salespeople"] == []
    r = api_for(u.north_manager).get("/sales/receivables", {"salesperson_id": u.sales_e1.pk})
    assert r.status_code == 422


# -- the command ---------------------------------------------------------------------------------

def test_command_performance_and_receivables(world, customers, capsys):
    import json as _json

    from kehu.cli import main

    assert main(["sales", "performance", "--from", "2026-11-01", "--to", "2026-11-30", "--json",
                 "--as", "sales_n1"]) == 0
    data = _json.loads(capsys.readouterr().out)
    assert [p["id"] for p in data["people"]] == [world.users.sales_n1.pk]
    assert main(["sales", "performance", "--from", "2026-11-01", "--to", "2026-11-30", "--team", "North region",
                 "--as", "north_manager"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Kind\tRank\tName") and "North region" in out
    assert main(["sales", "performance", "--team", "East region", "--as", "north_manager"]) == 2
    assert main(["sales", "performance", "--from", "2026-12-01", "--to", "2026-11-01"]) == 2
    capsys.readouterr()
    assert main(["sales", "receivables", "--as-of", "2026-11-30", "--json", "--as", "admin"]) == 0
    data = _json.loads(capsys.readouterr().out)
    assert data["as_of"] == "2026-11-30" and data["totals"]["d0_30"] == "50.00"   # order A: 20 days past due
    assert main(["sales", "receivables", "--as-of", "2026-11-30", "--as", "sales_e1"]) == 0
    out = capsys.readouterr().out
    assert customers.n1.name not in out and "Total" in out
    assert main(["sales", "receivables", "--as-of", "yesterday"]) == 2


def test_terms_of_the_customers_tier_set_the_due_date(org, customers, monkeypatch):
    from kehu.sales import terms
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

    run = AnalysisRunFactory()
    CustomerScoreFactory(run=run, customer=customers.n1, tier="gold")
    CustomerScoreFactory(run=run, customer=customers.e1, tier="bronze")
    monkeypatch.setattr(terms, "tier_terms",
                        lambda tier: terms.Terms(payment_days=60 if tier == "gold" else None))
    u = org.users
    gold = order(customers.n1, u.sales_n1, dt.date(2026, 9, 1))       # due 31 October: 30 days on 30 November
    plain = order(customers.e1, u.sales_e1, dt.date(2026, 9, 1))      # company terms, 30 days: due 1 October
    rows = {o.pk: o.days_past_due for o in perf.receivable_orders(viewer=u.admin, as_of=AS_OF)}
    assert rows[gold.pk] == 30 and rows[plain.pk] == 60


def test_an_active_key_account_plans_payment_days_override_the_tiers(org, customers):
    """Precedence of the due date (kehu.sales.terms): the active plan's payment days, else
    the tier's (gold: 60 days in the default value settings), else the company's (30)."""
    from kehu.sales import terms
    from kehu.sales.key_accounts import plan_create
    from tests.factories import CustomerFactory
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

    u = org.users
    gold_no_days = CustomerFactory(name="金牌无账期", owner=u.sales_n1)
    run = AnalysisRunFactory()
    for c in (customers.n1, customers.n1b, gold_no_days):
        CustomerScoreFactory(run=run, customer=c, tier="gold")

    def plan(customer, status, days=None):
        return plan_create(actor=u.admin, customer=customer, data={
            "start_year": 2026, "status": status,
            "terms": {"credit_limit": 1000000, **({"payment_days": days} if days is not None else {})}})

    plan(customers.n1, "active", 90)      # the plan's 90 days
    plan(customers.n1b, "draft", 90)      # not active: the tier's 60 days
    plan(customers.e1, "active", 15)      # no tier (not scored): the plan's 15 days
    plan(gold_no_days, "active")          # the plan sets no payment days: the tier's 60
    on = dt.date(2026, 8, 1)              # 121 days before 30 November
    made = {c.pk: order(c, c.owner, on) for c in (customers.n1, customers.n1b, customers.e1, gold_no_days)}
    expected = {customers.n1.pk: 90, customers.n1b.pk: 60, customers.e1.pk: 15, gold_no_days.pk: 60}
    for pk, days in expected.items():    # one rule: the Python read says the same
        assert terms.payment_days(made[pk].customer) == days
    rows = {o.pk: o for o in perf.receivable_orders(viewer=u.admin, as_of=AS_OF)}
    for pk, days in expected.items():
        assert rows[made[pk].pk].days_past_due == 121 - days, pk
    buckets = {r["customer_id"]: r for r in perf.ageing_by_customer(perf.receivable_orders(viewer=u.admin,
                                                                                         as_of=AS_OF))}
    assert buckets[customers.n1.pk]["d31_60"] == Decimal("200.00")        # 31 days past due
    assert buckets[customers.n1b.pk]["d61_90"] == Decimal("200.00")       # 61
    assert buckets[customers.e1.pk]["d90_plus"] == Decimal("200.00")      # 106
    assert buckets[gold_no_days.pk]["d61_90"] == Decimal("200.00")        # 61
    # the collection rate's due date is the same: n1's order falls due on 30 October (plan),
    # n1b's on 30 September (tier)
    october = perf.performance(viewer=u.admin, start=dt.date(2026, 10, 1), end=dt.date(2026, 10, 31))
    due = {r.pk: r.counts.due for r in october.people}
    assert due[u.sales_n1.pk] == Decimal("200.00") and due[u.sales_n1b.pk] == Decimal("0")
    # closing the plan hands the customer back to its tier
    from kehu.sales.models import KeyAccountPlan

    KeyAccountPlan.objects.filter(customer=customers.n1).update(status="closed")
    row = perf.receivable_orders(viewer=u.admin, as_of=AS_OF).get(pk=made[customers.n1.pk].pk)
    assert row.days_past_due == 121 - 60 and terms.payment_days(customers.n1) == 60


def test_the_figures_take_the_same_queries_for_more_people(org, customers):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import UserFactory

    def count():
        from django.core.cache import cache

        cache.clear()   # the computation's queries, not the kept figures' (kehu/insights/figure_cache.py)
        with CaptureQueriesContext(connection) as ctx:
            perf.performance(viewer=org.users.admin, start=NOV[0], end=NOV[1])
        return len(ctx.captured_queries)

    before = count()
    for i in range(6):
        UserFactory(username=f"extra{i}", role="salesperson", team=org.teams.n1)
    assert count() == before
