"""The visibility policy's shortcuts agree with its scopes, for every user and
every customer of a small company, with few shares (listed) and with many
(read by a subquery) — written for mutation testing (docs/testing.md): each
test states a rule of kehu/org/policies.py's module docstring.

- personal data in full (``may_see_personal_data``) exactly where the user
  may change the customer; its export the same; a reveal besides that for
  everyone active who is not read-only;
- ``can_assign_to`` and ``assignable_users`` name the same people: oneself,
  the team's subtree for managers and service agents, everyone for
  administrators and head office, nobody for read-only roles and inactive
  users;
- ``get_visible`` / ``get_changeable``: invisible or malformed → 404,
  visible but not changeable → PermissionDenied;
- ``users_who_may_view`` narrows the ``users`` it is given and leaves out
  inactive users;
- a scope's ``q()`` is a filter over customers, ``q("customer__")`` over
  records that belong to one.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kehu.customers.models import Customer
from kehu.customers.services import customer_share
from kehu.org import policies
from kehu.org.models import Team, User
from kehu.org.policies import CustomerPolicy, Scope, users_who_may_view
from kehu.sales.models import Order
from tests.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org, customers):
    u, t = org.users, org.teams
    customer_share(actor=u.sales_e1, customer=customers.e1, user=u.sales_n1)                 # view only
    customer_share(actor=u.sales_e1, customer=customers.e1, user=u.sales_n1b, can_edit=True)
    customer_share(actor=u.sales_n1, customer=customers.n1, team=t.east)                     # a team, view only
    managers = CustomerFactory(name="华北经理的客户", owner=u.north_manager)
    return [customers.n1, customers.n1b, customers.e1, managers]


def _users():
    return list(User.objects.order_by("username"))     # fresh objects: no policy cached on them


@pytest.fixture(params=["listed", "subquery"])
def shares_path(request, monkeypatch):
    if request.param == "subquery":
        monkeypatch.setattr(policies, "SHARED_IDS_MAX", 0)
    return request.param


def test_personal_data_in_full_exactly_where_the_user_may_change(world, shares_path):
    seen = {}
    for user in _users():
        for customer in world:
            policy = CustomerPolicy(user)
            full = policy.may_see_personal_data(customer)
            assert full == CustomerPolicy(user).can_change(customer), (user.username, customer.name)
            assert policy.may_see_personal_data(customer) == full          # asked twice: the same answer
            assert CustomerPolicy(user).may_export_personal_data(customer) == full
            seen[user.username, customer.name] = full
    # the rules, spelled out for a few
    assert seen["sales_n1", "华东机械集团"] is False        # a view-only share
    assert seen["sales_n1b", "华东机械集团"] is True        # an editing share
    assert seen["north_manager", "北方钢铁贸易有限公司"] is True   # the team's subtree
    assert seen["north_manager", "华北经理的客户"] is True   # their own
    assert seen["east_manager", "北方钢铁贸易有限公司"] is False  # shared with East, view only
    assert seen["analyst", "张三"] is False and seen["admin", "张三"] is True
    assert seen["hq_manager", "华东机械集团"] is True


def test_personal_data_of_no_customer_and_of_inactive_users(world):
    assert CustomerPolicy(User.objects.get(username="sales_n1")).may_see_personal_data(None) is False
    user = User.objects.get(username="sales_n1")
    user.is_active = False
    user.save()
    assert CustomerPolicy(user).may_see_personal_data(world[0]) is False
    assert CustomerPolicy(user).may_reveal_personal_data(world[0]) is False
    assert CustomerPolicy(None).may_see_personal_data(world[0]) is False


def test_reveal_besides_full_view_for_active_users_who_are_not_read_only(world):
    for user in _users():
        for customer in world:
            expected = (CustomerPolicy(user).can_change(customer)
                        or user.role not in ("analyst", "marketing"))
            assert CustomerPolicy(user).may_reveal_personal_data(customer) == expected, (user.username, customer.name)
    analyst = User.objects.get(username="analyst")
    assert CustomerPolicy(analyst).may_reveal_personal_data(world[2]) is False
    assert CustomerPolicy(User.objects.get(username="sales_n1")).may_reveal_personal_data(world[2]) is True


def test_can_assign_to_and_assignable_users_name_the_same_people(org):
    everyone = _users()
    expected = {
        "admin": {u.username for u in everyone},
        "hq_manager": {u.username for u in everyone},
        "analyst": set(),
        "north_marketing": set(),
        "north_manager": {"north_manager", "north_service", "north_marketing", "sales_n1", "sales_n1b"},
        "north_service": {"north_manager", "north_service", "north_marketing", "sales_n1", "sales_n1b"},
        "east_manager": {"east_manager", "sales_e1"},
        "sales_n1": {"sales_n1"},
        "sales_n1b": {"sales_n1b"},
        "sales_e1": {"sales_e1"},
    }
    for viewer in everyone:
        may = {owner.username for owner in everyone if CustomerPolicy(viewer).can_assign_to(owner)}
        assert may == expected[viewer.username], viewer.username
        assert CustomerPolicy(viewer).can_assign_to(None) is False
        listed = set(CustomerPolicy(viewer).assignable_users().values_list("username", flat=True))
        if viewer.role not in ("analyst", "marketing"):   # read-only roles create no customers at all
            assert listed == may, viewer.username


def test_inactive_users_assign_nothing_and_are_not_offered(org):
    u = org.users
    u.sales_n1b.is_active = False
    u.sales_n1b.save()
    assert "sales_n1b" not in set(CustomerPolicy(u.north_manager).assignable_users().values_list("username", flat=True))
    assert "sales_n1b" not in set(CustomerPolicy(u.admin).assignable_users().values_list("username", flat=True))
    gone = User.objects.get(username="sales_n1b")
    assert CustomerPolicy(gone).can_assign_to(gone) is False


def test_a_manager_without_a_team_assigns_to_themselves_only(org):
    lone = UserFactory(username="lone_manager", role="sales_manager", team=None)
    assert CustomerPolicy(lone).can_assign_to(lone) is True
    assert CustomerPolicy(lone).can_assign_to(org.users.sales_n1) is False
    assert set(CustomerPolicy(lone).assignable_users().values_list("username", flat=True)) == {"lone_manager"}
    assert list(CustomerPolicy(lone).visible_teams()) == []


def test_visible_teams(org):
    t = org.teams
    assert set(CustomerPolicy(org.users.north_manager).visible_teams()) == {t.north, t.n1}
    assert set(CustomerPolicy(org.users.hq_manager).visible_teams()) == set(Team.objects.all())
    assert set(CustomerPolicy(org.users.analyst).visible_teams()) == set(Team.objects.all())
    assert set(CustomerPolicy(org.users.sales_n1).visible_teams()) == {t.n1}    # their own team (a leaf)


def test_get_visible_and_get_changeable(world):
    n1, _n1b, e1, _managers = world
    sales_n1 = User.objects.get(username="sales_n1")
    assert CustomerPolicy(sales_n1).get_visible(n1.pk) == n1
    assert CustomerPolicy(sales_n1).get_visible(str(e1.pk)) == e1          # shared with them, view only
    assert CustomerPolicy(sales_n1).get_changeable(n1.pk) == n1
    with pytest.raises(PermissionDenied):
        CustomerPolicy(sales_n1).get_changeable(e1.pk)
    for pk in (_n1b.pk, 10**9, "abc", None, [1]):
        with pytest.raises(Http404):
            CustomerPolicy(sales_n1).get_visible(pk)
    with pytest.raises(Http404):
        CustomerPolicy(sales_n1).get_changeable(_n1b.pk)
    # within a narrower queryset of customers
    assert CustomerPolicy(sales_n1).get_visible(n1.pk, Customer.objects.filter(city="北京")) == n1
    with pytest.raises(Http404):
        CustomerPolicy(sales_n1).get_visible(e1.pk, Customer.objects.filter(city="北京"))
    # an error that is not "does not exist" is not turned into a 404
    OrderFactory(customer=n1)
    OrderFactory(customer=n1)
    joined = Customer.objects.filter(orders__isnull=False)      # n1 twice: it has two orders
    with pytest.raises(Customer.MultipleObjectsReturned):
        CustomerPolicy(User.objects.get(username="admin")).get_visible(n1.pk, joined)


def test_users_who_may_view_narrows_the_users_given_and_leaves_out_inactive_ones(world):
    n1 = world[0]
    managers = User.objects.filter(role="sales_manager")
    assert set(users_who_may_view(n1, managers).values_list("username", flat=True)) == {
        "hq_manager", "north_manager", "east_manager"}     # head office, above its team, and East by the share
    user = User.objects.get(username="sales_n1")
    user.is_active = False
    user.save()
    assert "sales_n1" not in set(users_who_may_view(n1).values_list("username", flat=True))
    # a customer without an owner or a team: only those who see everything (and the share with East)
    orphan = CustomerFactory(name="无主客户", owner=None)
    assert set(users_who_may_view(orphan).values_list("username", flat=True)) == {"admin", "analyst", "hq_manager"}


def test_scope_q_filters_customers_and_records_of_customers(world):
    n1, n1b, e1, managers = world
    scope = CustomerPolicy(User.objects.get(username="sales_n1")).view_scope
    assert set(Customer.objects.filter(scope.q())) == {n1, e1}
    orders = [OrderFactory(customer=c) for c in world]
    assert set(Order.objects.filter(scope.q("customer__"))) == {orders[0], orders[2]}
    assert not Customer.objects.filter(Scope(nothing=True).q()).exists()
    assert set(Customer.objects.filter(Scope(everything=True).q())) == set(world)
    assert not Customer.objects.filter(Scope(shared_ids=()).q()).exists()      # no rule at all: nothing
    assert set(Customer.objects.filter(Scope(team_ids=(n1.team_id,), shared_ids=()).q())) == {n1, n1b}
    assert set(Customer.objects.filter(
        Scope(owner_id=managers.owner_id, team_ids=(e1.team_id,), shared_ids=()).q())) == {managers, e1}


def test_users_who_may_view_agrees_with_the_policy_for_unusual_users(world, org):
    """A superuser whatever their role sees everything; head office gives everything to managers only."""
    UserFactory(username="super_sales", role="salesperson", team=org.teams.e1, is_superuser=True)
    UserFactory(username="hq_sales", role="salesperson", team=org.teams.hq)
    for customer in world:
        expected = {u.username for u in _users() if CustomerPolicy(u).can_view(customer)}
        names = set(users_who_may_view(customer).values_list("username", flat=True))
        assert names == expected, customer.name
        assert "super_sales" in names and "hq_sales" not in names


def test_one_policy_per_user_object(org):
    from kehu.org.policies import policy_for

    user = User.objects.get(username="sales_n1")
    assert policy_for(user) is policy_for(user)          # kept on the user object for the request
    assert policy_for(User.objects.get(username="sales_n1")) is not policy_for(user)
    assert policy_for(None).visible().count() == 0       # anonymous: an object that takes no attribute is fine too


def test_those_who_see_everything_assign_to_users_without_a_team(org):
    lone = UserFactory(username="no_team_yet", role="salesperson", team=None)
    for name in ("admin", "hq_manager"):
        viewer = User.objects.get(username=name)
        assert CustomerPolicy(viewer).can_assign_to(lone) is True, name
        assert "no_team_yet" in set(CustomerPolicy(viewer).assignable_users().values_list("username", flat=True))
    north = User.objects.get(username="north_manager")
    assert CustomerPolicy(north).can_assign_to(lone) is False
    assert "no_team_yet" not in set(CustomerPolicy(north).assignable_users().values_list("username", flat=True))


def test_get_changeable_within_a_narrower_queryset(world):
    n1 = world[0]
    sales_n1 = User.objects.get(username="sales_n1")
    assert CustomerPolicy(sales_n1).get_changeable(n1.pk, Customer.objects.filter(city="北京")) == n1
    with pytest.raises(Http404):
        CustomerPolicy(sales_n1).get_changeable(n1.pk, Customer.objects.filter(city="上海"))
