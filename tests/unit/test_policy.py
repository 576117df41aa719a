"""The visibility policy itself (kehu.org.policies), on real rows."""

import pytest

from kehu.customers.models import Customer
from kehu.customers.services import customer_reassign_bulk, customer_share
from kehu.org.policies import CustomerPolicy

pytestmark = pytest.mark.django_db


def visible_names(user):
    return set(CustomerPolicy(user).visible().values_list("name", flat=True))


def changeable_names(user):
    return set(CustomerPolicy(user).changeable().values_list("name", flat=True))


def test_salesperson_sees_only_own(org, customers):
    assert visible_names(org.users.sales_n1) == {customers.n1.name}
    assert visible_names(org.users.sales_e1) == {customers.e1.name}


def test_manager_sees_team_subtree(org, customers):
    assert visible_names(org.users.north_manager) == {customers.n1.name, customers.n1b.name}
    assert changeable_names(org.users.north_manager) == {customers.n1.name, customers.n1b.name}
    assert visible_names(org.users.east_manager) == {customers.e1.name}


def test_head_office_and_analyst_see_all(org, customers):
    everyone = {customers.n1.name, customers.n1b.name, customers.e1.name}
    assert visible_names(org.users.hq_manager) == everyone
    assert visible_names(org.users.analyst) == everyone
    assert changeable_names(org.users.analyst) == set()
    assert changeable_names(org.users.admin) == everyone


def test_marketing_reads_team_but_changes_nothing(org, customers):
    assert visible_names(org.users.north_marketing) == {customers.n1.name, customers.n1b.name}
    assert changeable_names(org.users.north_marketing) == set()


def test_share_with_user_and_team(org, customers):
    u = org.users
    customer_share(actor=u.sales_e1, customer=customers.e1, user=u.sales_n1)
    assert customers.e1.name in visible_names(u.sales_n1)
    assert customers.e1.name not in changeable_names(u.sales_n1)
    customer_share(actor=u.sales_e1, customer=customers.e1, team=org.teams.north, can_edit=True)
    # a team share reaches the members of its subteams
    assert customers.e1.name in changeable_names(u.sales_n1b)


def test_inactive_user_sees_nothing(org, customers):
    u = org.users.sales_n1
    u.is_active = False
    u.save()
    assert visible_names(u) == set()


def test_reassign_keeps_history(org, customers):
    from tests.factories import InteractionFactory, OrderFactory

    InteractionFactory(customer=customers.n1)
    OrderFactory(customer=customers.n1)
    moved = customer_reassign_bulk(actor=org.users.north_manager, from_owner=org.users.sales_n1, to_owner=org.users.sales_n1b)
    assert moved == 1
    c = Customer.objects.get(pk=customers.n1.pk)
    assert c.owner == org.users.sales_n1b
    assert c.interactions.count() == 1 and c.orders.count() == 1
    assert visible_names(org.users.sales_n1) == set()
