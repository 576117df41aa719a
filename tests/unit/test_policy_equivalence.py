"""The visibility policy's other faces must agree with it exactly.

- ``users_who_may_view(customer)`` (the policy turned round, one query) gives
  the same people as asking ``CustomerPolicy(user).can_view`` of everyone;
- a viewer with more shares than ``SHARED_IDS_MAX`` (the shares read by a
  subquery instead of listed) sees and may change exactly what a viewer with
  few shares does — view-only shares in particular never allow a change.
"""

import pytest

from kehu.customers.services import customer_share
from kehu.org import policies
from kehu.org.models import User
from kehu.org.policies import CustomerPolicy, users_who_may_view
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared_world(org, customers):
    u, t = org.users, org.teams
    extra = CustomerFactory(name="华东经理的客户", owner=u.east_manager)
    customer_share(actor=u.sales_e1, customer=customers.e1, user=u.sales_n1)  # view only
    customer_share(actor=u.sales_e1, customer=customers.e1, user=u.sales_n1b, can_edit=True)
    customer_share(actor=u.sales_n1, customer=customers.n1, team=t.east)  # a whole subtree, view only
    customer_share(actor=u.admin, customer=extra, team=t.n1, can_edit=True)
    return [customers.n1, customers.n1b, customers.e1, extra]


def _fresh_users():
    return list(User.objects.all())  # no policy cached on them


def test_users_who_may_view_is_the_policy_turned_round(org, shared_world):
    for customer in shared_world:
        expected = {u.username for u in _fresh_users() if CustomerPolicy(u).can_view(customer)}
        assert set(users_who_may_view(customer).values_list("username", flat=True)) == expected, customer.name
    # the managers above the customer's team are among them
    assert {"north_manager", "hq_manager"} <= set(
        users_who_may_view(shared_world[0]).values_list("username", flat=True))


def _scopes():
    return {u.username: (set(CustomerPolicy(u).visible().values_list("pk", flat=True)),
                         set(CustomerPolicy(u).changeable().values_list("pk", flat=True)))
            for u in _fresh_users()}


def test_many_shares_give_the_same_scopes_as_few(org, shared_world, monkeypatch):
    listed = _scopes()
    monkeypatch.setattr(policies, "SHARED_IDS_MAX", 0)  # every viewer with a share takes the subquery path
    assert CustomerPolicy(org.users.sales_n1)._share_rows is None
    assert _scopes() == listed
    n1_view, n1_change = listed["sales_n1"]
    e1 = shared_world[2].pk
    assert e1 in n1_view and e1 not in n1_change  # a view-only share never allows a change
    assert e1 in listed["sales_n1b"][1]
