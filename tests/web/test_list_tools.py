"""The shared list machinery (kehu/web/lists.py): bulk actions through the
policy, saved views, the column chooser, the cursor in the URL, the global
search and the quick-create menu."""

import csv
import io
import re

import pytest
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.customers.services import customer_share
from kehu.web.models import SavedView
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def bulk(client, action, ids, **extra):
    data = {"action": action, "ids": [str(i) for i in ids], **extra}
    return client.post(reverse("list_bulk", args=["customers"]), data)


def rows_of(response):
    html = response.content.decode()
    body = html.split('data-testid="bulk-rows">', 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", tr)).strip() for tr in body.split("</tr>") if "<td" in tr]


# -- bulk actions as a permission matrix ------------------------------------------------

def test_salesperson_cannot_bulk_change_another_teams_rows_by_posting_their_ids(client_for, org, customers):
    u = org.users
    # n1b is shared with sales_n1 for reading only: visible, not changeable
    customer_share(actor=u.admin, customer=customers.n1b, user=u.sales_n1, can_edit=False)
    client = client_for(u.sales_n1)
    response = bulk(client, "tag", [customers.n1.pk, customers.n1b.pk, customers.e1.pk], value_tag="VIP")
    assert response.status_code == 200
    rows = rows_of(response)
    assert len(rows) == 3
    assert "Changed" in rows[0]
    assert "Refused" in rows[1] and "may not change" in rows[1]
    # a row the user may not see is reported like one that does not exist, without its name
    assert "Refused: Not found." in rows[2] and customers.e1.name not in response.content.decode()
    assert list(customers.n1.tags.values_list("name", flat=True)) == ["VIP"]
    assert not customers.n1b.tags.exists() and not customers.e1.tags.exists()
    assert "Done: 1 changed, 2 refused." in response.content.decode()


@pytest.mark.parametrize("username, changed", [
    ("admin", {"n1", "n1b", "e1"}),
    ("north_manager", {"n1", "n1b"}),
    ("sales_n1", {"n1"}),
    ("sales_e1", {"e1"}),
])
def test_bulk_stage_changes_only_what_the_policy_allows(client_for, org, customers, username, changed):
    client = client_for(getattr(org.users, username))
    bulk(client, "status", [customers.n1.pk, customers.n1b.pk, customers.e1.pk], value_status="lost")
    now = {k for k in ("n1", "n1b", "e1") if Customer.objects.get(pk=getattr(customers, k).pk).lifecycle_stage == "lost"}
    assert now == changed


@pytest.mark.parametrize("username", ["analyst", "north_marketing"])
def test_read_only_roles_get_no_changing_bulk_actions(client_for, org, customers, username):
    client = client_for(getattr(org.users, username))
    html = client.get(reverse("customer_list")).content.decode()
    assert 'value="export"' in html and 'value="delete"' not in html and 'value="assign"' not in html
    response = bulk(client, "status", [customers.n1.pk], value_status="lost")
    assert response.status_code == 302
    assert Customer.objects.get(pk=customers.n1.pk).lifecycle_stage != "lost"


def test_bulk_assign_moves_rows_to_an_assignable_owner_only(client_for, org, customers):
    u = org.users
    client = client_for(u.north_manager)
    response = bulk(client, "assign", [customers.n1.pk, customers.n1b.pk, customers.e1.pk], value_owner=u.sales_n1b.pk)
    assert "Done: 2 changed, 1 refused." in response.content.decode()
    assert Customer.objects.get(pk=customers.n1.pk).owner == u.sales_n1b
    assert Customer.objects.get(pk=customers.e1.pk).owner == u.sales_e1
    # an owner outside the manager's subtree is refused for the whole action
    response = bulk(client, "assign", [customers.n1.pk], value_owner=u.sales_e1.pk)
    assert response.status_code == 302
    assert Customer.objects.get(pk=customers.n1.pk).owner == u.sales_n1b


def test_bulk_delete_asks_for_confirmation_and_reports_refusals(client_for, org, customers):
    u = org.users
    OrderFactory(customer=customers.n1b, salesperson=u.sales_n1b)  # a customer with orders is kept
    client = client_for(u.north_manager)
    ids = [customers.n1.pk, customers.n1b.pk]
    response = bulk(client, "delete", ids)
    html = response.content.decode()
    assert response.status_code == 200 and 'data-testid="bulk-confirm"' in html
    assert customers.n1.name in html
    assert Customer.objects.filter(pk__in=ids).count() == 2  # nothing deleted yet
    response = bulk(client, "delete", ids, confirmed="yes")
    rows = rows_of(response)
    assert "Changed" in rows[0] and "Refused" in rows[1] and "orders" in rows[1]
    assert not Customer.objects.filter(pk=customers.n1.pk).exists()
    assert Customer.objects.filter(pk=customers.n1b.pk).exists()


def test_bulk_export_of_the_selection_goes_through_the_export(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    response = bulk(client, "export", [customers.n1.pk, customers.e1.pk])
    assert response.status_code == 302 and response.url.startswith(reverse("customer_export"))
    export = client.get(response.url)
    text = b"".join(export.streaming_content).decode("utf-8-sig")
    names = [row[1] for row in csv.reader(io.StringIO(text))][1:]
    assert names == [customers.n1.name]  # e1 is another team's: not exported


def test_bulk_needs_a_selection_and_an_action(client_for, org, customers):
    client = client_for(org.users.admin)
    assert bulk(client, "tag", [], value_tag="x").status_code == 302
    assert bulk(client, "nonsense", [customers.n1.pk]).status_code == 302
    assert client.post(reverse("list_bulk", args=["nolist"]), {"action": "tag"}).status_code == 404


def test_list_rows_have_checkboxes_and_the_tools(client_for, org, customers):
    html = client_for(org.users.sales_n1).get(reverse("customer_list")).content.decode()
    assert f'name="ids" value="{customers.n1.pk}" form="bulk-form"' in html
    assert 'id="bulk-form"' in html and 'data-testid="saved-views-menu"' in html


# -- saved views, columns, the cursor in the URL -----------------------------------------

def test_saved_views_are_per_user_and_keep_the_query_without_the_cursor(client_for, org, customers):
    u = org.users
    client = client_for(u.sales_n1)
    response = client.post(reverse("saved_view_create", args=["customers"]),
                           {"name": "Lost north", "query": "stage=lost&sort=-updated&cursor=abc&cols=ref&cols=name"})
    assert response.status_code == 302
    view = SavedView.objects.get(user=u.sales_n1)
    assert view.list_name == "customers" and "cursor" not in view.query and "stage=lost" in view.query
    assert view.columns == ["ref", "name"]
    html = client.get(reverse("customer_list")).content.decode()
    assert "Lost north" in html and "?stage=lost" in html
    # another user sees nothing of it and may neither rename nor delete it
    other = client_for(u.sales_n1b)
    assert "Lost north" not in other.get(reverse("customer_list")).content.decode()
    assert "Lost north" not in other.get(reverse("saved_views")).content.decode()
    assert other.post(reverse("saved_view_rename", args=[view.pk]), {"name": "mine"}).status_code == 404
    assert other.post(reverse("saved_view_delete", args=[view.pk])).status_code == 404
    client = client_for(u.sales_n1)
    client.post(reverse("saved_view_rename", args=[view.pk]), {"name": "Lost, north"})
    assert SavedView.objects.get(pk=view.pk).name == "Lost, north"
    client.post(reverse("saved_view_delete", args=[view.pk]))
    assert not SavedView.objects.exists()


def test_saved_view_needs_a_name(client_for, org):
    client = client_for(org.users.sales_n1)
    client.post(reverse("saved_view_create", args=["customers"]), {"name": " ", "query": "stage=lost"})
    assert not SavedView.objects.exists()


def test_column_chooser_shows_only_the_chosen_columns(client_for, org, customers):
    client = client_for(org.users.admin)
    html = client.get(reverse("customer_list"), {"cols": ["ref", "name"]}).content.decode()
    thead = html.split("<thead", 1)[1].split("</thead>", 1)[0]
    assert "Code" in thead and "Name" in thead and "Phone" not in thead and "City" not in thead
    assert customers.n1.city not in html.split("<tbody>", 1)[1]
    # unknown columns fall back to all
    thead = client.get(reverse("customer_list"), {"cols": "nonsense"}).content.decode().split("<thead", 1)[1]
    assert "Phone" in thead.split("</thead>", 1)[0]


def test_sort_and_cursor_stay_in_the_url(client_for, org):
    for i in range(30):
        CustomerFactory(name=f"Cursor {i:02d}", owner=org.users.sales_n1)
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("customer_list"), {"sort": "-ref", "per": "25", "stage": ""}).content.decode()
    link = re.search(r'href="\?([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    assert "sort=-ref" in link and "cursor=" in link
    first = re.findall(r'<a href="/customers/\d+/">(C\d+)</a>', html)
    again = client.get(reverse("customer_list") + "?" + link).content.decode()
    second = re.findall(r'<a href="/customers/\d+/">(C\d+)</a>', again)
    assert len(first) == 25 and len(second) == 5
    assert first == sorted(first, reverse=True) and second[0] < first[-1]
    # a refresh of the same URL shows the same place
    assert re.findall(r'<a href="/customers/\d+/">(C\d+)</a>',
                      client.get(reverse("customer_list") + "?" + link).content.decode()) == second


def test_empty_state_when_no_matches_keeps_the_tools(client_for, org, customers):
    html = client_for(org.users.sales_n1).get(reverse("customer_list"), {"q": "nothing-like-this"}).content.decode()
    assert "No customers match these filters." in html and 'data-testid="saved-views-menu"' in html


# -- global search and quick create ---------------------------------------------------

def test_global_search_finds_only_visible_customers(client_for, org, customers):
    u = org.users
    html = client_for(u.sales_n1).get(reverse("global_search"), {"q": "华东"}).content.decode()
    assert customers.e1.name not in html and "Nothing found." in html
    html = client_for(u.admin).get(reverse("global_search"), {"q": "华东"}).content.decode()
    assert customers.e1.name in html
    # by pinyin, phone and code, as an htmx dropdown
    client = client_for(u.sales_n1)
    hx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "global-search-results"}
    for term in ("bfgt", "13800138001", customers.n1.ref):
        response = client.get(reverse("global_search"), {"q": term}, **hx)
        assert customers.n1.name in response.content.decode()
        assert "<html" not in response.content.decode()


def test_global_search_masks_phone_for_read_only_roles(client_for, org, customers):
    html = client_for(org.users.analyst).get(reverse("global_search"), {"q": "北方"}).content.decode()
    assert customers.n1.name in html and "13800138001" not in html


def test_quick_create_offers_only_what_the_user_may_create(client_for, org, customers):
    html = client_for(org.users.sales_n1).get(reverse("home")).content.decode()
    assert 'data-testid="quick-create"' in html and reverse("customer_create") in html
    assert "then=order" in html
    html = client_for(org.users.analyst).get(reverse("home")).content.decode()
    assert 'data-testid="quick-create"' not in html
    # the second step lists only customers the user may change, linking to the create page
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("global_search"), {"q": "北方", "then": "order"}).content.decode()
    assert reverse("order_create", args=[customers.n1.pk]) in html
    customer_share(actor=org.users.admin, customer=customers.e1, user=org.users.sales_n1, can_edit=False)
    html = client.get(reverse("global_search"), {"q": "华东", "then": "order"}).content.decode()
    assert reverse("order_create", args=[customers.e1.pk]) not in html


def test_list_tools_in_chinese(client_for, org, customers):
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    client = client_for(org.users.sales_n1)
    client.cookies["django_language"] = "zh-hans"
    response = client.post(reverse("list_bulk", args=["customers"]),
                           {"action": "tag", "ids": [customers.n1.pk, customers.e1.pk], "value_tag": "VIP"},
                           HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert "完成：1 条已更改，1 条被拒绝。" in html and "未找到" in html
    html = client.get(reverse("customer_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "保存的视图" in html and "选中的行" in html
