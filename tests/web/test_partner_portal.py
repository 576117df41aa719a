"""The partner portal in the browser (issue 18): every page outside
:data:`kehu.org.policies.PARTNER_VIEWS` answers a partner user 404 (the dashboard sends
them to their customers); the portal's lists, pages, counts, search and exports show
exactly their partner's customers and its sub-partners', never the company's own.

The same module-wide world as tests/api/test_permissions.py (tests/conftest.py
``module_db``): a level-1 agent ``l1`` with a level-2 agent ``l2`` below it and another
agent ``other``, a user of each; ``p1`` served by l1, ``p2`` by l2, and the company's own
customers n1 and e1.
"""

from __future__ import annotations

import copy
import re
from types import SimpleNamespace

import pytest
from django.urls import get_resolver, reverse

from kehu.org.partners import partner_create
from kehu.org.policies import PARTNER_VIEWS
from tests.conftest import make_customers, make_org
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

SEES = {"partner_l1": {"p1", "p2"}, "partner_l2": {"p2"}, "partner_other": set()}
ROLES = sorted(SEES)


@pytest.fixture(scope="module")
def _shared(module_db):
    org = make_org()
    customers = make_customers(org)
    u = org.users
    l1 = partner_create(data={"code": "WL1", "name": "华北一级代理", "manager": u.north_manager})
    l2 = partner_create(data={"code": "WL2", "name": "天津二级代理", "kind": "agent_l2"}, parent=l1)
    other = partner_create(data={"code": "WO1", "name": "华东一级代理"})
    users = SimpleNamespace(
        partner_l1=UserFactory(username="partner_l1", role="partner", partner=l1),
        partner_l2=UserFactory(username="partner_l2", role="partner", partner=l2),
        partner_other=UserFactory(username="partner_other", role="partner", partner=other),
    )
    targets = {}
    # the interactions of the partners' customers are logged by the partners' people (a partner
    # user sees no other: kehu.org.policies.CustomerPolicy.timeline_q)
    for key, name, partner, customer, logger in (
            ("p1", "渠道客户甲", l1, None, users.partner_l1), ("p2", "渠道客户乙", l2, None, users.partner_l2),
            ("n1", None, None, customers.n1, None), ("e1", None, None, customers.e1, None)):
        customer = customer or CustomerFactory(name=name, owner=None, partner=partner)
        targets[key] = SimpleNamespace(
            customer=customer, order=OrderFactory(customer=customer, remarks=f"order of {customer.name}"),
            interaction=InteractionFactory(customer=customer, subject=f"call with {customer.name}", user=logger))
    yield SimpleNamespace(org=org, users=users, t=targets)


@pytest.fixture
def world(_shared):
    return copy.deepcopy(_shared)


def _web_routes():
    """Every page (not the API) with made-up arguments, named as it resolves."""
    out = {}

    def walk(patterns, prefix=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                if str(p.pattern) != "api/v1/":
                    walk(p.url_patterns, prefix + str(p.pattern))
                continue
            route = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: "1" if m[1] == "int" else "x", prefix + str(p.pattern))
            out.setdefault("/" + route, p.name)

    walk(get_resolver().url_patterns)
    return [(name, path) for path, name in out.items()]


WEB_ROUTES = _web_routes()


@pytest.mark.parametrize("role", ROLES)
def test_every_page_outside_the_portal_is_404(client, world, role):
    client.force_login(getattr(world.users, role))
    closed = [(name, path) for name, path in WEB_ROUTES if name not in PARTNER_VIEWS]
    assert len(closed) > 200 and any(n == "pool_list" for n, _p in closed)
    for name, path in closed:
        for method in ("get", "post"):
            r = getattr(client, method)(path)
            if name == "home":
                assert r.status_code == 302 and r["Location"] == reverse("customer_list")
            else:
                assert r.status_code == 404, (name, method, path, r.status_code)


@pytest.mark.parametrize("role", ROLES)
def test_the_portal_shows_exactly_their_partners_customers(client, world, role):
    client.force_login(getattr(world.users, role))
    pages = {
        "customer_list": lambda t: t.customer.name,
        "order_list": lambda t: t.order.ref,
        "interaction_list": lambda t: t.interaction.subject,
        "customer_export": lambda t: t.customer.name,
        "order_export": lambda t: t.order.ref,
        "interaction_export": lambda t: t.interaction.subject,
    }
    for name, key in pages.items():
        r = client.get(reverse(name))
        assert r.status_code == 200, name
        body = b"".join(r.streaming_content).decode() if r.streaming else r.content.decode()
        for target, t in world.t.items():
            assert (key(t) in body) == (target in SEES[role]), (role, name, target)
    for target, t in world.t.items():
        r = client.get(reverse("global_search"), {"q": t.customer.name[:4]})
        assert r.status_code == 200
        assert (t.customer.name in r.content.decode()) == (target in SEES[role]), (role, target)
        for page, args in (("customer_detail", [t.customer.pk]), ("order_detail", [t.order.pk]),
                           ("customer_edit", [t.customer.pk]), ("order_create", [t.customer.pk]),
                           ("interaction_create", [t.customer.pk])):
            assert client.get(reverse(page, args=args)).status_code == (200 if target in SEES[role] else 404), (
                page, target)
    r = client.get(reverse("customer_count"))
    assert r.status_code == 200 and re.search(rf"\b{len(SEES[role])}\b", r.content.decode())


def test_the_navigation_offers_only_the_portal(client, world):
    client.force_login(world.users.partner_l1)
    body = client.get(reverse("customer_list")).content.decode()
    nav = body[body.find("<nav"):body.find("</nav>")]
    for hidden in ("pool_list", "sales_performance", "survey_list", "value_overview", "import_start", "forecast"):
        assert f'href="{reverse(hidden)}"' not in nav, hidden
    for shown in ("customer_list", "order_list", "interaction_list", "case_queue"):
        assert f'href="{reverse(shown)}"' in nav, shown
    client.force_login(world.org.users.sales_n1)
    nav = client.get(reverse("customer_list")).content.decode()
    assert f'href="{reverse("pool_list")}"' in nav


def test_the_customer_page_and_form_show_the_partner(client, world):
    client.force_login(world.org.users.admin)
    p2 = world.t["p2"].customer
    assert "天津二级代理" in client.get(reverse("customer_detail", args=[p2.pk])).content.decode()
    form = client.get(reverse("customer_create")).content.decode()
    assert 'name="partner"' in form and 'name="owner"' in form
    client.force_login(world.users.partner_l2)
    form = client.get(reverse("customer_create")).content.decode()
    assert 'name="partner"' in form and 'name="owner"' not in form and "华东一级代理" not in form
