"""The customer list: search, filters, sorting, keyset pages, htmx partials, query count."""

import re

import pytest
from django.urls import reverse

from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "customer-results"}


def names_in(response):
    html = response.content.decode()
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return re.findall(r'<a class="cname" href="/customers/\d+/">([^<]+)</a>', body)


def test_search_by_pinyin_initials_finds_zhang_san(client_for, org, customers):
    client = client_for(org.users.admin)
    names = names_in(client.get(reverse("customer_list"), {"q": "zs"}))
    assert "张三" in names
    assert "北方钢铁贸易有限公司" not in names
    assert "张三" in names_in(client.get(reverse("customer_list"), {"q": "zhangsan"}))
    assert "张三" in names_in(client.get(reverse("customer_list"), {"q": "张"}))


def test_search_by_phone_prefix_and_email_and_code(client_for, org, customers):
    client = client_for(org.users.admin)
    assert names_in(client.get(reverse("customer_list"), {"q": "1390013"})) == ["华东机械集团"]
    assert names_in(client.get(reverse("customer_list"), {"q": "138-0013"})) == sorted(
        ["北方钢铁贸易有限公司", "张三"])
    assert names_in(client.get(reverse("customer_list"), {"q": "buyer@"})) == ["华东机械集团"]
    assert names_in(client.get(reverse("customer_list"), {"q": customers.n1.ref})) == ["北方钢铁贸易有限公司"]


def test_search_only_finds_visible_customers(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    assert names_in(client.get(reverse("customer_list"), {"q": "zs"})) == []
    assert names_in(client.get(reverse("customer_list"), {"q": "1390013"})) == []


def test_filters(client_for, org, customers):
    client = client_for(org.users.admin)
    assert names_in(client.get(reverse("customer_list"), {"kind": "individual"})) == ["张三"]
    assert set(names_in(client.get(reverse("customer_list"), {"region": "north"}))) == {"张三", "北方钢铁贸易有限公司"}
    assert names_in(client.get(reverse("customer_list"), {"owner": org.users.sales_e1.pk})) == ["华东机械集团"]
    assert set(names_in(client.get(reverse("customer_list"), {"team": org.teams.n1.pk}))) == {"张三", "北方钢铁贸易有限公司"}
    CustomerFactory(name="Tagged Co", owner=org.users.sales_e1, tags=["VIP"])
    assert names_in(client.get(reverse("customer_list"), {"tag": "VIP"})) == ["Tagged Co"]
    # nonsense filter values are ignored, not errors
    assert client.get(reverse("customer_list"), {"kind": "bogus", "owner": "x", "sort": "drop table"}).status_code == 200


def test_htmx_search_returns_the_table_only(client_for, org, customers):
    client = client_for(org.users.admin)
    response = client.get(reverse("customer_list"), {"q": "zs"}, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html and "张三" in html
    assert "HX-Request" in response["Vary"]
    # a history restore needs the whole page
    full = client.get(reverse("customer_list"), {"q": "zs"}, HTTP_HX_REQUEST="true",
                      HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "<html" in full.content.decode()


def test_the_page_works_without_js(client_for, org, customers):
    html = client_for(org.users.admin).get(reverse("customer_list"), {"q": "zs"}).content.decode()
    assert '<form id="customer-filters"' in html and 'method="get"' in html
    assert 'hx-trigger="input changed delay:300ms, search"' in html
    assert 'value="zs"' in html


@pytest.fixture
def many(org):
    return [CustomerFactory(name=f"Keyset {i:02d}", owner=org.users.sales_n1) for i in range(30)]


def test_keyset_next_and_prev(client_for, org, customers, many):
    client = client_for(org.users.sales_n1)
    first = client.get(reverse("customer_list"), {"q": "keyset"})
    assert names_in(first) == [f"Keyset {i:02d}" for i in range(25)]
    # a search of several pages is counted after the page is shown
    count_url = re.search(r'hx-get="([^"]+)"[^>]*hx-trigger="load"', first.content.decode()).group(1)
    count_url = count_url.replace("&amp;", "&")
    assert count_url.startswith(reverse("customer_count")) and "q=keyset" in count_url
    assert client.get(count_url).content.decode().strip().endswith("30 customers</p>")
    next_url = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1).replace("&amp;", "&")
    assert "q=keyset" in next_url and "cursor=" in next_url
    assert 'rel="prev"' not in first.content.decode()
    second = client.get(reverse("customer_list") + next_url)
    assert names_in(second) == [f"Keyset {i:02d}" for i in range(25, 30)]
    assert 'rel="next"' not in second.content.decode()
    prev_url = re.search(r'href="([^"]+)" rel="prev"', second.content.decode()).group(1).replace("&amp;", "&")
    back = client.get(reverse("customer_list") + prev_url)
    assert names_in(back) == [f"Keyset {i:02d}" for i in range(25)]


def test_keyset_with_descending_sort_and_page_size(client_for, org, many):
    client = client_for(org.users.sales_n1)
    first = client.get(reverse("customer_list"), {"sort": "-name", "per": "50"})
    assert names_in(first) == [f"Keyset {i:02d}" for i in reversed(range(30))]
    first = client.get(reverse("customer_list"), {"sort": "-name", "per": "7"})  # not offered: 25
    assert len(names_in(first)) == 25
    next_url = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1).replace("&amp;", "&")
    assert "sort=-name" in next_url
    assert names_in(client.get(reverse("customer_list") + next_url)) == [f"Keyset {i:02d}" for i in reversed(range(5))]


def test_broken_cursor_starts_over(client_for, org, many):
    response = client_for(org.users.sales_n1).get(reverse("customer_list"), {"cursor": "not-a-cursor!!"})
    assert response.status_code == 200
    assert names_in(response)[0] == "Keyset 00"


def test_sort_headers_link_to_both_directions(client_for, org, many):
    html = client_for(org.users.sales_n1).get(reverse("customer_list"), {"sort": "name"}).content.decode()
    assert "sort=-name" in html and "sort=ref" in html and "sort=updated" in html
    html = client_for(org.users.sales_n1).get(reverse("customer_list"), {"sort": "-name"}).content.decode()
    assert "?sort=name" in html


def test_capped_count_shows_plus(client_for, org, customers, monkeypatch):
    import kehu.web.views.customers as views

    for i in range(30):
        CustomerFactory(name=f"Count {i}", owner=org.users.sales_n1)
    monkeypatch.setattr(views, "capped_count", lambda qs: (10000, True))
    html = client_for(org.users.admin).get(reverse("customer_list")).content.decode()
    assert "10,000+ customers" in html
    html = client_for(org.users.admin).get(reverse("customer_count"), {"q": "count"}).content.decode()
    assert "10,000+ customers" in html


def test_one_page_counts_itself_and_the_count_keeps_visibility(client_for, org, customers, many):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("customer_list"), {"q": "keyset 0"}).content.decode()
    assert "10 customers" in html and 'hx-trigger="load"' not in html
    # the count endpoint counts only what the viewer may see
    assert "0 customers" in client_for(org.users.sales_e1).get(reverse("customer_count"), {"q": "keyset"}).content.decode()
    assert "30 customers" in client_for(org.users.north_manager).get(
        reverse("customer_count"), {"q": "keyset"}).content.decode()


@pytest.mark.parametrize("username", ["sales_n1", "north_manager", "admin"])
def test_list_query_count_is_pinned(client_for, org, many, django_assert_max_num_queries, username):
    client = client_for(getattr(org.users, username))
    client.get(reverse("customer_list"))  # warm up: session, content types
    # session, user, team, subtree, shares, the page, the count, the filters'
    # owners and teams, and the list tools: the user's saved views and the
    # owners a bulk assign may choose, and the custom fields (filters and filter form: one read)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("customer_list"), {"per": "100"})
    assert len(names_in(response)) == 30
    # session, user, team, subtree, shares, the count, and a latin search
    # reads its tiers in turn (code, initials, pinyin, name: one short index
    # range each) until the page is full, and the custom fields (for their filters)
    with django_assert_max_num_queries(11):
        client.get(reverse("customer_list"), {"q": "keyset", "per": "100"}, **HX)


def test_empty_state_offers_create(client_for, org):
    html = client_for(org.users.sales_n1).get(reverse("customer_list")).content.decode()
    assert "There are no customers yet." in html and reverse("customer_create") in html
    html = client_for(org.users.analyst).get(reverse("customer_list")).content.decode()
    assert reverse("customer_create") not in html


def test_export_link_only_when_export_exists(client_for, org, customers):
    from django.urls import NoReverseMatch

    html = client_for(org.users.admin).get(reverse("customer_list"), {"q": "zs"}).content.decode()
    try:
        url = reverse("customer_export")
    except NoReverseMatch:
        assert 'data-testid="export-link"' not in html
    else:
        assert f'href="{url}?q=zs"' in html
