"""The list machinery on the other lists: orders, interactions and tasks get
the same sorting, saved views and bulk actions through the policy, and their
pages cost a fixed number of queries however many rows they show."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kehu.engagement.models import Interaction, Task
from kehu.engagement.services import task_create
from kehu.sales.models import Order
from tests.factories import InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


def bulk(client, list_name, action, ids, **extra):
    return client.post(reverse("list_bulk", args=[list_name]),
                       {"action": action, "ids": [str(i) for i in ids], **extra})


def test_orders_bulk_delete_through_the_policy(client_for, org, customers):
    mine = OrderFactory(customer=customers.n1)
    theirs = OrderFactory(customer=customers.e1)
    client = client_for(org.users.sales_n1)
    assert 'data-testid="bulk-confirm"' in bulk(client, "orders", "delete", [mine.pk, theirs.pk]).content.decode()
    html = bulk(client, "orders", "delete", [mine.pk, theirs.pk], confirmed="yes").content.decode()
    assert "Done: 1 changed, 1 refused." in html and theirs.ref not in html
    assert not Order.objects.filter(pk=mine.pk).exists() and Order.objects.filter(pk=theirs.pk).exists()


def test_interactions_bulk_delete_through_the_policy(client_for, org, customers):
    mine = InteractionFactory(customer=customers.n1, user=org.users.sales_n1)
    theirs = InteractionFactory(customer=customers.e1, user=org.users.sales_e1)
    client = client_for(org.users.sales_n1)
    html = bulk(client, "interactions", "delete", [mine.pk, theirs.pk], confirmed="yes").content.decode()
    assert "Done: 1 changed, 1 refused." in html
    assert not Interaction.objects.filter(pk=mine.pk).exists() and Interaction.objects.filter(pk=theirs.pk).exists()


def test_tasks_bulk_assign_and_cancel_through_the_policy(client_for, org, customers):
    u = org.users
    t1 = task_create(actor=u.sales_n1, customer=customers.n1, data={"title": "Call back"})
    t2 = task_create(actor=u.sales_e1, customer=customers.e1, data={"title": "Visit"})
    client = client_for(u.north_manager)
    # the service's own rule (the assignee must see the customer) is reported per row
    html = bulk(client, "tasks", "assign", [t1.pk], value_owner=u.sales_n1b.pk).content.decode()
    assert "Done: 0 changed, 1 refused." in html and "may not see this customer" in html
    html = bulk(client, "tasks", "assign", [t1.pk, t2.pk], value_owner=u.north_manager.pk).content.decode()
    assert "Done: 1 changed, 1 refused." in html
    assert Task.objects.get(pk=t1.pk).assigned_to == u.north_manager
    assert Task.objects.get(pk=t2.pk).assigned_to == u.sales_e1
    html = bulk(client, "tasks", "cancel", [t1.pk, t2.pk], confirmed="yes").content.decode()
    assert "Done: 1 changed, 1 refused." in html
    assert Task.objects.get(pk=t1.pk).status == "cancelled" and Task.objects.get(pk=t2.pk).status == "open"


def test_orders_sort_by_amount_and_keep_the_sort_in_the_pager(client_for, org, customers):
    for i in range(27):
        OrderFactory(customer=customers.n1, lines=[{"quantity": 1, "unit_price": f"{100 + i}.00", "unit_cost": "1.00"}])
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_list"), {"sort": "-amount"}).content.decode()
    assert 'class="sort desc"' in html
    link = re.search(r'href="\?([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "sort=-amount" in link and "cursor=" in link
    amounts = [o.amount for o in Order.objects.order_by("-amount", "-id")]
    refs_page1 = re.findall(r'href="/orders/\d+/">([^<]+)</a>', html)
    assert refs_page1 == [o.ref for o in Order.objects.order_by("-amount", "-id")[:25]]
    assert amounts == sorted(amounts, reverse=True)
    # a sort the list does not offer falls back to its default
    assert client.get(reverse("order_list"), {"sort": "customer__name"}).status_code == 200


def test_empty_states_offer_to_create(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("order_list")).content.decode()
    assert "No orders found." in html and "then=order" in html
    html = client.get(reverse("order_list"), {"q": "nothing"}).content.decode()
    assert "No orders match these filters." in html
    html = client.get(reverse("interaction_list")).content.decode()
    assert "No interactions found." in html and "then=interaction" in html


def _count(client, url, params=None):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params or {}).status_code == 200
    return len(ctx)


@pytest.mark.parametrize("url_name", ["order_list", "interaction_list", "task_list"])
def test_list_query_counts_are_pinned_and_do_not_grow_with_rows(client_for, org, customers, url_name,
                                                                django_assert_max_num_queries):
    u = org.users
    client = client_for(u.sales_n1)

    def add(n):
        for i in range(n):
            OrderFactory(customer=customers.n1)
            InteractionFactory(customer=customers.n1, user=u.sales_n1)
            task_create(actor=u.sales_n1, customer=customers.n1, data={"title": f"Task {i}"})

    add(2)
    client.get(reverse(url_name))  # warm up
    few = _count(client, reverse(url_name))
    add(10)
    many = _count(client, reverse(url_name))
    assert many == few  # no query per row
    with django_assert_max_num_queries(16):
        client.get(reverse(url_name))
