"""The demo company's channel (kehu/demo/channel.py, issue 18 item 9): two level-1 agents
with a level-2 agent below one, the sales director as their channel manager, targets for
this year, customers and orders through them with the agent's margin, a complaint routed
to an agent, a printed login per agent, and a partner satisfaction wave with answers —
made the same for the same seed, and removed with the demo."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.demo import channel as demo_channel
from kehu.demo import generator

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)


@pytest.fixture
def demo():
    return generator.demo_create(seed=5, customers=150, today=TODAY)


def check_two_level_1_agents_and_a_level_2_below_one(demo):
    from kehu.org.models import Partner

    p = {x.code: x for x in Partner.objects.filter(code__in=demo_channel.PARTNER_CODES)}
    assert [(p[c].name, p[c].kind, p[c].level) for c in demo_channel.PARTNER_CODES] == [
        ("华北钢材一级代理", "agent_l1", 1), ("华东钢材一级代理", "agent_l1", 1), ("天津二级代理", "agent_l2", 2)]
    assert p["HX-P03"].parent == p["HX-P01"] and p["HX-P03"].path.startswith(p["HX-P01"].path)
    assert {x.manager.username for x in p.values()} == {"director"}
    assert all(x.manager.role == "sales_manager" for x in p.values())
    for x in p.values():
        target = x.targets.get()
        assert target.period_start == dt.date(TODAY.year, 1, 1) and target.period_end == dt.date(TODAY.year, 12, 31)
        assert target.revenue >= 500000 and target.new_customers > 0


def check_customers_and_orders_through_the_agents(demo):
    from kehu.customers.models import Customer
    from kehu.org.models import Partner
    from kehu.sales.models import Order

    for code, *_rest in demo_channel.PARTNERS:
        partner = Partner.objects.get(code=code)
        served = Customer.objects.filter(partner=partner)
        assert served.count() >= 3, code
        orders = Order.objects.filter(partner=partner)
        assert orders.exists(), code
        assert set(orders.values_list("partner_margin_pct", flat=True)) == {partner.margin_pct}
        assert not orders.exclude(customer__partner=partner).exists()
        assert not orders.filter(order_date__lt=TODAY - dt.timedelta(days=365)).exists()


def check_a_complaint_routed_to_the_level_2_agent(demo):
    from kehu.service.models import Case

    case = Case.objects.get(partner__code="HX-P03")
    assert case.kind == "complaint" and case.cause_category == "partner"
    assert case.customer.partner_id == case.partner_id and case.assignee.username == "service_n"


def check_a_printed_login_per_agent(demo):
    from kehu.org.models import User

    logins = {row[0]: row for row in demo.logins}
    for username, _display, code, _staff in demo_channel.PARTNER_USERS:
        user = User.objects.get(username=username)
        assert user.role == "partner" and user.partner.code == code and user.check_password("demo1234")
        assert logins[username][1] == "demo1234" and logins[username][3] == user.partner.name
    # the agents' other staff answered the survey but have no password to log in with
    staff = User.objects.filter(role="partner").exclude(username__in=[u[0] for u in demo_channel.PARTNER_USERS])
    assert staff.count() == sum(u[3] for u in demo_channel.PARTNER_USERS)
    assert not any(u.has_usable_password() for u in staff)


def check_a_partner_satisfaction_wave_with_answers(demo):
    from kehu.org.models import User
    from kehu.surveys.analysis import survey_results
    from kehu.surveys.models import Response, Survey

    survey = Survey.objects.get(code=demo_channel.SURVEY_CODE)
    assert survey.kind == "partner" and survey.status == "active"
    wave = survey.waves.get()
    assert wave.status == "closed"
    n = sum(u[3] + 1 for u in demo_channel.PARTNER_USERS)
    assert Response.objects.filter(wave=wave, status="complete", partner__isnull=False).count() == n
    r = survey_results(viewer=User.objects.get(username="director"), survey=survey, use_cache=False, bootstrap=0)
    assert r["n"] == n and r["csi"] is not None and r["nps"] is not None and r["keywords"]
    by_partner = {g["key"]: g for g in r["breakdowns"]["partner"]}
    assert set(by_partner) == set(demo_channel.PARTNER_CODES) and not any(g["suppressed"] for g in by_partner.values())
    # the northern agent is gladder to sell than the Tianjin level-2 agent
    assert by_partner["HX-P01"]["index"] > by_partner["HX-P03"]["index"]
    assert {g["key"] for g in r["breakdowns"]["partner_level"]} == {"1", "2"}
    # a salesperson does not read partner satisfaction
    assert survey_results(viewer=User.objects.get(username="liuyang"), survey=survey, bootstrap=0)["n"] == 0


def check_the_agents_see_their_own_visits_only(demo):
    from kehu.engagement.selectors import customer_timeline, interaction_list
    from kehu.org.models import User

    for username, _display, code, _staff in demo_channel.PARTNER_USERS:
        agent = User.objects.get(username=username)
        seen = list(interaction_list(viewer=agent))
        assert seen and all(it.user.role == "partner" for it in seen), username
        customer = seen[0].customer
        timeline = customer_timeline(customer=customer, viewer=agent)
        owner_view = customer_timeline(customer=customer, viewer=User.objects.get(username="admin"))
        mine = {i["obj"].pk for i in timeline if i["kind"] == "interaction"}
        assert mine and mine <= {i["obj"].pk for i in owner_view if i["kind"] == "interaction"}, username
    # the company's own notes on the agents' customers exist, and no agent saw one
    from kehu.engagement.models import Interaction

    assert Interaction.objects.filter(customer__partner__isnull=False).exclude(user__role="partner").exists()


def test_the_demo_company_s_channel(demo):
    """One demo, every check (making it takes a minute)."""
    check_two_level_1_agents_and_a_level_2_below_one(demo)
    check_customers_and_orders_through_the_agents(demo)
    check_a_complaint_routed_to_the_level_2_agent(demo)
    check_a_printed_login_per_agent(demo)
    check_a_partner_satisfaction_wave_with_answers(demo)
    check_the_agents_see_their_own_visits_only(demo)


def test_the_channel_is_the_same_for_the_same_seed_and_goes_with_the_demo(demo):
    from kehu.customers.models import Customer
    from kehu.org.models import Partner, User
    from kehu.surveys.models import Response, Survey

    def shape():
        return (sorted(Customer.objects.filter(partner__isnull=False).values_list("ref", "partner__code")),
                sorted(Response.objects.filter(wave__survey__code=demo_channel.SURVEY_CODE)
                       .values_list("partner__code", "index")))

    first = shape()
    generator.demo_delete()
    assert not Partner.objects.exists() and not User.objects.exists()
    assert not Survey.objects.filter(code=demo_channel.SURVEY_CODE).exists()
    generator.demo_create(seed=5, customers=150, today=TODAY)
    assert shape() == first
