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


# -- the actions added with the machinery on every list (issue 13, item 17) -------------

def test_orders_bulk_status_through_the_policy(client_for, org, customers):
    mine = OrderFactory(customer=customers.n1)
    theirs = OrderFactory(customer=customers.e1)
    client = client_for(org.users.sales_n1)
    html = bulk(client, "orders", "status", [mine.pk, theirs.pk], value_status="delivered").content.decode()
    assert "Done: 1 changed, 1 refused." in html and theirs.ref not in html
    assert Order.objects.get(pk=mine.pk).status == "delivered"
    assert Order.objects.get(pk=theirs.pk).status != "delivered"
    html = bulk(client, "orders", "status", [mine.pk], value_status="nonsense").content.decode()
    assert Order.objects.get(pk=mine.pk).status == "delivered"


def test_tasks_bulk_status_done_or_cancelled(client_for, org, customers):
    u = org.users
    t1 = task_create(actor=u.sales_n1, customer=customers.n1, data={"title": "Call back"})
    t2 = task_create(actor=u.sales_n1, customer=customers.n1, data={"title": "Send the offer"})
    t3 = task_create(actor=u.sales_e1, customer=customers.e1, data={"title": "Visit"})
    client = client_for(u.sales_n1)
    html = bulk(client, "tasks", "status", [t1.pk, t3.pk], value_status="done").content.decode()
    assert "Done: 1 changed, 1 refused." in html
    t1.refresh_from_db()
    assert t1.status == "done" and t1.outcome == "Marked done from the list."
    assert Task.objects.get(pk=t3.pk).status == "open"
    bulk(client, "tasks", "status", [t2.pk], value_status="cancelled")
    assert Task.objects.get(pk=t2.pk).status == "cancelled"
    # a closed task is not closed again: refused with the service's reason
    html = bulk(client, "tasks", "status", [t1.pk], value_status="cancelled").content.decode()
    assert "Done: 0 changed, 1 refused." in html and Task.objects.get(pk=t1.pk).status == "done"
    # "open" is not a status the list sets
    html = bulk(client, "tasks", "status", [t2.pk], value_status="open")
    assert Task.objects.get(pk=t2.pk).status == "cancelled"


def test_surveys_bulk_status_and_delete_only_for_designers(client_for, org):
    from kehu.surveys.models import Survey
    from kehu.surveys.services.definitions import survey_create

    u = org.users
    a = survey_create(actor=u.admin, code="a", title={"en": "A"})
    b = survey_create(actor=u.admin, code="b", title={"en": "B"})
    # a salesperson is offered nothing to change and may not post it either
    html = client_for(u.sales_n1).get(reverse("survey_list")).content.decode()
    assert 'data-testid="bulk-form"' not in html
    bulk(client_for(u.sales_n1), "surveys", "status", [a.pk], value_status="archived")
    assert Survey.objects.get(pk=a.pk).status == "draft"
    client = client_for(u.admin)
    html = bulk(client, "surveys", "status", [a.pk, b.pk], value_status="archived").content.decode()
    assert "Done: 2 changed, 0 refused." in html
    assert set(Survey.objects.values_list("status", flat=True)) == {"archived"}
    assert 'data-testid="bulk-confirm"' in bulk(client, "surveys", "delete", [a.pk]).content.decode()
    html = bulk(client, "surveys", "delete", [a.pk], confirmed="yes").content.decode()
    assert "Done: 1 changed, 0 refused." in html and not Survey.objects.filter(pk=a.pk).exists()


def test_segments_bulk_delete_only_their_authors(client_for, org):
    from kehu.insights.models import Segment
    from tests.insights.score_factories import SegmentFactory

    u = org.users
    mine = SegmentFactory(created_by=u.sales_n1)
    theirs = SegmentFactory(created_by=u.sales_e1)
    html = bulk(client_for(u.sales_n1), "segments", "delete", [mine.pk, theirs.pk], confirmed="yes").content.decode()
    assert "Done: 1 changed, 1 refused." in html and "author" in html
    assert list(Segment.objects.values_list("pk", flat=True)) == [theirs.pk]


@pytest.mark.parametrize("username", ["analyst", "north_marketing"])
def test_read_only_roles_are_offered_only_the_export(client_for, org, customers, username):
    OrderFactory(customer=customers.n1)
    InteractionFactory(customer=customers.n1, user=org.users.sales_n1)
    client = client_for(getattr(org.users, username))
    for url_name in ("order_list", "interaction_list"):
        html = client.get(reverse(url_name)).content.decode()
        options = re.findall(r'<option value="(\w+)">', html.split('data-testid="bulk-action"', 1)[1].split("</select>")[0])
        assert options == ["export"], url_name
    order = Order.objects.get()
    html = bulk(client, "orders", "delete", [order.pk], confirmed="yes")
    assert Order.objects.filter(pk=order.pk).exists()
