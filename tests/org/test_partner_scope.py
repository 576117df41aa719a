"""Partner users' scope (kehu/org/policies.py) and what they may do: register customers
(the duplicate check that names nobody), log interactions, record orders, register and
work cases; the partner field of customers, orders and cases for the company's people."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from kehu.customers.models import Customer
from kehu.customers.services import customer_create, customer_delete, customer_update, find_duplicates
from kehu.engagement.services import interaction_log
from kehu.org.policies import PARTNER_VIEWS, CustomerPolicy, users_who_may_view
from kehu.sales.services import order_create
from kehu.service.services import case_create
from tests.api.conftest import api_as  # noqa: F401  (the API client fixture)
from tests.factories import CustomerFactory, PartnerFactory, UserFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 12, 1)


@pytest.fixture
def channel(org, customers):
    """A level-1 agent with a level-2 agent below it, another level-1 agent, a user of each,
    and a customer served by each; the company's own customers (n1, e1) have no partner."""
    u = org.users
    l1 = PartnerFactory(name="华北一级代理", manager=u.north_manager, margin_pct=Decimal("12.50"))
    l2 = PartnerFactory(name="天津二级代理", kind="agent_l2", parent=l1, margin_pct=Decimal("8"))
    other = PartnerFactory(name="华东一级代理", manager=u.east_manager)
    users = {
        "l1": UserFactory(username="agent_l1", role="partner", partner=l1),
        "l2": UserFactory(username="agent_l2", role="partner", partner=l2),
        "other": UserFactory(username="agent_other", role="partner", partner=other),
    }
    cust = {
        "p1": CustomerFactory(name="渠道客户甲", owner=u.north_manager, partner=l1, phone="13700137001"),
        "p2": CustomerFactory(name="渠道客户乙", owner=None, partner=l2, phone="13700137002"),
        "po": CustomerFactory(name="渠道客户丙", owner=u.east_manager, partner=other, phone="13700137003"),
        "n1": customers.n1, "e1": customers.e1,
    }
    return type("Channel", (), {"l1": l1, "l2": l2, "other": other, "users": users, "customers": cust})


SEES = {"l1": {"p1", "p2"}, "l2": {"p2"}, "other": {"po"}}


@pytest.mark.parametrize("who", sorted(SEES))
def test_a_partner_user_sees_exactly_its_partner_subtree(channel, who):
    policy = CustomerPolicy(channel.users[who])
    keys = {k for k, c in channel.customers.items() if policy.visible().filter(pk=c.pk).exists()}
    assert keys == SEES[who]
    changeable = {k for k, c in channel.customers.items() if policy.can_change(c)}
    assert changeable == SEES[who]
    # the raw-SQL form says the same
    where, params = policy.visible_where_sql(connection)
    with connection.cursor() as cur:
        cur.execute(f"SELECT id FROM customers_customer WHERE {where}", params)
        ids = {row[0] for row in cur.fetchall()}
    assert ids == {channel.customers[k].pk for k in SEES[who]}


def test_internal_roles_are_unchanged_and_partners_see_no_pool(channel, org):
    assert CustomerPolicy(org.users.sales_n1).visible().filter(pk=channel.customers["p1"].pk).count() == 0
    assert CustomerPolicy(org.users.admin).visible().filter(pk=channel.customers["p2"].pk).count() == 1
    for user in channel.users.values():
        policy = CustomerPolicy(user)
        assert not policy.visible_pool().exists()
        assert not policy.may_claim and not policy.sees_everything and not policy.may_read_associations
        assert not policy.may_delete_customers and not policy.assignable_users().exists()
    # a partner's customer without an owner is not a lead of the company pool
    assert not CustomerPolicy(org.users.sales_n1).visible_pool().filter(pk=channel.customers["p2"].pk).exists()


def test_personal_data_in_full_for_the_partner_users_who_work_the_customer(channel):
    assert CustomerPolicy(channel.users["l1"]).may_see_personal_data(channel.customers["p2"])
    assert not CustomerPolicy(channel.users["l2"]).may_see_personal_data(channel.customers["p1"])


def test_who_may_view_a_customer_counts_its_partner_users(channel):
    names = set(users_who_may_view(channel.customers["p2"]).values_list("username", flat=True))
    assert {"agent_l1", "agent_l2"} <= names and "agent_other" not in names
    names = set(users_who_may_view(channel.customers["n1"]).values_list("username", flat=True))
    assert not names & {"agent_l1", "agent_l2", "agent_other"}


def test_the_portal_is_deny_by_default():
    policy = CustomerPolicy(UserFactory.build(role="partner", is_active=True))
    assert policy.may_use_view("customer_list") and policy.may_use_view("api-v1:order-list")
    for name in ("home", "pool_list", "sales_performance", "association_list", "audit_log", "settings_index",
                 "member_list", "survey_list", "api-v1:lead-list", "api-v1:audit-event-list", "a_page_added_later"):
        assert not policy.may_use_view(name), name
    assert "kb_create" not in PARTNER_VIEWS
    assert CustomerPolicy(UserFactory.build(role="salesperson", is_active=True)).may_use_view("pool_list")


def test_a_partner_user_registers_a_customer_for_its_partner(channel, org):
    c = customer_create(actor=channel.users["l1"], data={"name": "新注册客户", "city": "天津"})
    assert c.partner == channel.l1 and c.owner == org.users.north_manager   # the channel manager
    c2 = customer_create(actor=channel.users["l1"], data={"name": "子代理客户", "partner": channel.l2})
    assert c2.partner == channel.l2 and c2.owner == org.users.north_manager   # l2 has no manager: l1's
    c3 = customer_create(actor=channel.users["l2"], data={"name": "二级自己的客户"})
    assert c3.partner == channel.l2
    with pytest.raises(ValidationError) as err:
        customer_create(actor=channel.users["l2"], data={"name": "越级", "partner": channel.l1})
    assert "partner" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        customer_create(actor=channel.users["l1"], data={"name": "指定负责人", "owner": org.users.sales_n1})
    assert "owner" in err.value.message_dict


def test_a_partner_user_changes_but_does_not_delete_give_away_or_reassign(channel, org):
    user, p2 = channel.users["l1"], channel.customers["p2"]
    customer_update(actor=user, customer=p2, data={"city": "唐山"})
    customer_update(actor=user, customer=p2, data={"partner": channel.l1})   # within the subtree
    with pytest.raises(ValidationError):
        customer_update(actor=user, customer=p2, data={"partner": channel.other})
    with pytest.raises(ValidationError):
        customer_update(actor=user, customer=p2, data={"partner": None})
    with pytest.raises(ValidationError):
        customer_update(actor=user, customer=p2, data={"owner": org.users.sales_n1})
    with pytest.raises(PermissionDenied):
        customer_delete(actor=user, customer=p2)
    with pytest.raises(PermissionDenied):
        customer_update(actor=channel.users["l2"], customer=channel.customers["p1"], data={"city": "x"})


def test_the_duplicate_check_names_no_customer_outside_the_partner(channel):
    found = find_duplicates(viewer=channel.users["l2"], phone=channel.customers["n1"].phone)
    assert found == [{"customer": None, "visible": False}]
    found = find_duplicates(viewer=channel.users["l1"], phone=channel.customers["p2"].phone)
    assert [d["customer"].pk for d in found] == [channel.customers["p2"].pk]


def test_the_registration_page_warns_without_naming_the_other_customer(channel, client_for):
    client = client_for(channel.users["l2"])
    n1 = channel.customers["n1"]
    r = client.post("/customers/new/", {"kind": "organization", "name": "Whoever", "phone": n1.phone,
                                        "lifecycle_stage": "reserve",
                                        "partner": channel.l2.pk})
    body = r.content.decode()
    assert r.status_code == 200, body
    assert 'errorlist' not in body, body[body.find('errorlist') - 300:body.find('errorlist') + 300]
    assert 'data-testid="duplicate-elsewhere"' in body
    assert n1.name not in body and n1.ref not in body and "sales_n1" not in body
    r = client.post("/customers/new/", {"kind": "organization", "name": "Whoever", "phone": n1.phone,
                                        "lifecycle_stage": "reserve",
                                        "partner": channel.l2.pk, "create_anyway": "on"})
    assert r.status_code == 302
    assert Customer.objects.get(name="Whoever").partner == channel.l2


def test_a_partner_user_logs_interactions_and_records_orders_at_its_margin(channel, org):
    user, p2 = channel.users["l1"], channel.customers["p2"]
    interaction_log(actor=user, customer=p2, data={"channel": "phone", "summary": "报价"})
    order = order_create(actor=user, customer=p2, data={"order_date": DAY}, lines=[{"quantity": 1, "unit_price": "100"}])
    assert order.partner == channel.l1 and order.partner_margin_pct == Decimal("12.50")
    with pytest.raises(ValidationError):
        order_create(actor=user, customer=p2, data={"order_date": DAY, "partner_margin_pct": Decimal("30")},
                     lines=[{"quantity": 1, "unit_price": "100"}])
    with pytest.raises(PermissionDenied):
        order_create(actor=user, customer=channel.customers["n1"], data={"order_date": DAY},
                     lines=[{"quantity": 1, "unit_price": "100"}])


def test_the_company_s_orders_default_to_the_customer_s_partner(channel, org):
    p2 = channel.customers["p2"]
    order = order_create(actor=org.users.admin, customer=p2, data={"order_date": DAY}, lines=[{"quantity": 1, "unit_price": "10"}])
    assert order.partner == channel.l2 and order.partner_margin_pct == Decimal("8")
    order = order_create(actor=org.users.admin, customer=p2, data={"order_date": DAY, "partner": channel.l1,
                                                                     "partner_margin_pct": Decimal("5")},
                         lines=[{"quantity": 1, "unit_price": "10"}])
    assert (order.partner, order.partner_margin_pct) == (channel.l1, Decimal("5"))
    order = order_create(actor=org.users.sales_n1, customer=channel.customers["n1"], data={"order_date": DAY},
                         lines=[{"quantity": 1, "unit_price": "10"}])
    assert order.partner is None and order.partner_margin_pct is None
    with pytest.raises(ValidationError):
        order_create(actor=org.users.sales_n1, customer=channel.customers["n1"],
                     data={"order_date": DAY, "partner_margin_pct": Decimal("5")}, lines=[{"quantity": 1, "unit_price": "10"}])


def test_cases_are_routed_to_the_customer_s_partner_and_seen_by_its_users(channel, org):
    case = case_create(actor=org.users.admin, data={"customer": channel.customers["p2"], "kind": "complaint",
                                                    "subject": "迟发货"})
    assert case.partner == channel.l2
    routed = case_create(actor=org.users.admin, data={"customer": channel.customers["n1"], "kind": "complaint",
                                                      "subject": "代理安装不当", "partner": channel.l2})
    for who, sees in (("l1", True), ("l2", True), ("other", False)):
        policy = CustomerPolicy(channel.users[who])
        assert policy.visible_cases().filter(pk=case.pk).exists() == sees
        # routed to the partner: its users see and work it, not the customer (n1)
        assert policy.visible_cases().filter(pk=routed.pk).exists() == sees
        assert policy.can_change_case(routed) == sees
        assert not policy.can_view(channel.customers["n1"])
    own = case_create(actor=channel.users["l2"], data={"caller_name": "王先生", "kind": "service",
                                                       "subject": "上门"})
    assert own.partner == channel.l2
    with pytest.raises(ValidationError):
        case_create(actor=channel.users["l2"], data={"caller_name": "王先生", "kind": "service",
                                                     "subject": "上门", "partner": channel.other})


# -- the partner field for the company's people ------------------------------------------------

def test_the_api_names_the_partner_of_customers_orders_and_cases(channel, org, api_as):
    api = api_as(org.users.admin)
    r = api.post("/customers", {"name": "经销商客户", "partner_id": channel.l2.pk})
    assert r.status_code == 201 and r.json()["partner_id"] == channel.l2.pk
    cid = r.json()["id"]
    assert api.patch(f"/customers/{cid}", {"partner_id": None}).json()["partner_id"] is None
    assert api.post("/customers", {"name": "x", "partner_id": 999999}).status_code == 422
    got = {c["id"] for c in api.get("/customers", {"partner_id": channel.l2.pk, "limit": 100}).json()["items"]}
    assert got == {channel.customers["p2"].pk}
    r = api.post("/orders", {"customer_id": channel.customers["p2"].pk, "order_date": "2026-12-01",
                             "lines": [{"quantity": 1, "unit_price": "100"}]})
    assert r.status_code == 201 and (r.json()["partner_id"], r.json()["partner_margin_pct"]) == (channel.l2.pk, "8.00")
    r = api.post("/orders", {"customer_id": channel.customers["p2"].pk, "order_date": "2026-12-01",
                             "partner_id": channel.l1.pk, "partner_margin_pct": "3.5",
                             "lines": [{"quantity": 1, "unit_price": "100"}]})
    assert (r.json()["partner_id"], r.json()["partner_margin_pct"]) == (channel.l1.pk, "3.50")
    r = api.post("/cases", {"customer_id": channel.customers["p1"].pk, "subject": "漏水"})
    assert r.status_code == 201 and r.json()["partner_id"] == channel.l1.pk
    r = api.post("/cases", {"customer_id": channel.customers["n1"].pk, "subject": "安装", "partner_id": channel.l2.pk})
    routed = r.json()["id"]
    got = {c["id"] for c in api.get("/cases", {"partner_id": channel.l2.pk, "limit": 100}).json()["items"]}
    assert routed in got and all(c["partner_id"] == channel.l2.pk
                                 for c in api.get("/cases", {"partner_id": channel.l2.pk}).json()["items"])
    # a partner user names neither an order's partner nor its margin
    r = api_as(channel.users["l1"]).post("/orders", {"customer_id": channel.customers["p2"].pk,
                                                     "order_date": "2026-12-01", "partner_margin_pct": "50",
                                                     "lines": [{"quantity": 1, "unit_price": "100"}]})
    assert r.status_code == 422 and "partner_margin_pct" in r.json()["error"]["fields"]


def test_the_pages_show_and_filter_by_partner(channel, org, client_for):
    client = client_for(org.users.admin)
    body = client.get("/customers/", {"partner": channel.l2.pk}).content.decode()
    assert "渠道客户乙" in body and "渠道客户甲" not in body and 'name="partner"' in body
    form = client.get(f"/customers/{channel.customers['p2'].pk}/orders/new/").content.decode()
    assert 'name="partner"' in form and 'name="partner_margin_pct"' in form
    assert f'<option value="{channel.l2.pk}" selected>' in form
    case_form = client.get("/cases/new/").content.decode()
    assert 'name="partner"' in case_form
    case = case_create(actor=org.users.admin, data={"customer": channel.customers["n1"], "kind": "complaint",
                                                    "subject": "代理安装不当", "partner": channel.l1})
    queue = client.get("/cases/", {"queue": "all", "status": "", "partner": channel.l1.pk}).content.decode()
    assert case.ref in queue
    queue = client.get("/cases/", {"queue": "all", "status": "", "partner": channel.other.pk}).content.decode()
    assert case.ref not in queue
    client = client_for(channel.users["l1"])
    form = client.get(f"/customers/{channel.customers['p2'].pk}/orders/new/").content.decode()
    assert 'name="partner_margin_pct"' not in form
    r = client.post(f"/customers/{channel.customers['p2'].pk}/orders/new/", {
        "order_date": "2026-12-01", "status": "confirmed", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
        "lines-0-quantity": "1", "lines-0-unit_price": "100"})
    assert r.status_code == 302, r.content.decode()[:3000]
    from kehu.sales.models import Order

    order = Order.objects.filter(customer=channel.customers["p2"]).latest("id")
    assert (order.partner, order.salesperson) == (channel.l1, None)
