"""Searching customers by tiers: exact code, then pinyin initials, full pinyin,
name; each tier in its own index's order, every match exactly once, pages
that cross tiers in both directions, and visibility kept."""

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext

from kehu.customers.models import Customer
from kehu.customers.selectors import CustomerFilters, customer_listing, search_q, search_tiers
from kehu.pagination import InvalidCursor, Tier, encode_cursor, tiered_keyset_page
from tests.api.conftest import walk
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(org):
    owner = org.users.sales_n1
    made = {
        "code": CustomerFactory(name="甲公司", ref="ZS", owner=owner),       # exact code
        "zhangsan": CustomerFactory(name="张三", owner=owner),               # initials zs
        "zhoushuai": CustomerFactory(name="周帅贸易", owner=owner),          # initials zsmy
        "zsolt": CustomerFactory(name="Zsolt Trading", owner=owner),         # pinyin/name zsolttrading, initials zt
        "zsa": CustomerFactory(name="ZSA Steel", owner=owner),               # initials zs (latin words)
        "other": CustomerFactory(name="李四", owner=owner),
        "hidden": CustomerFactory(name="张山", owner=org.users.sales_e1),    # initials zs, another team's
    }
    return made


def names(rows):
    return [c.name for c in rows]


def test_tiers_best_matches_first_each_in_its_index_order(org, people):
    listing = customer_listing(viewer=org.users.sales_n1, filters=CustomerFilters(q="zs"))
    page = tiered_keyset_page(listing.base, tiers=listing.tiers, cursor=None, page_size=50)
    # code, then initials (zs < zsa < zsmy; equal initials by pinyin), then full
    # pinyin; never another team's 张山
    assert names(page.items) == ["甲公司", "张三", "ZSA Steel", "周帅贸易", "Zsolt Trading"]
    assert not page.has_next and not page.has_prev
    # the tiers find what the single OR finds
    assert set(listing.matches.values_list("pk", flat=True)) == {c.pk for c in page.items}


def test_chinese_phone_and_email_terms(org, people):
    people["zhangsan"].phone = "13800001111"
    people["zhangsan"].email = "zhang@example.com"
    Customer.objects.filter(pk=people["zhangsan"].pk).update(phone="13800001111", email="zhang@example.com")
    viewer = org.users.admin
    for term, expected in [("张", {"张三", "张山"}), ("1380000", {"张三"}), ("ZHANG@", {"张三"}), ("zs", None)]:
        listing = customer_listing(viewer=viewer, filters=CustomerFilters(q=term))
        found = tiered_keyset_page(listing.base, tiers=listing.tiers, cursor=None, page_size=50).items
        assert len(found) == len({c.pk for c in found})
        if expected is not None:
            assert set(names(found)) == expected, term
    assert search_tiers("") == [] and search_q("   ") == Q()


@pytest.mark.parametrize("size", [1, 2, 3])
def test_walk_forward_and_back_across_tiers(org, people, size):
    listing = customer_listing(viewer=org.users.admin, filters=CustomerFilters(q="zs"))
    expected = ["甲公司", "张三", "张山", "ZSA Steel", "周帅贸易", "Zsolt Trading"]
    pages, cursor = [], None
    while True:
        page = tiered_keyset_page(listing.base, tiers=listing.tiers, cursor=cursor, page_size=size)
        pages.append(page)
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert [n for p in pages for n in names(p.items)] == expected
    assert all(len(p.items) == size for p in pages[:-1])
    # and back again from the last page
    back, cursor = [], pages[-1].prev_cursor
    while cursor:
        page = tiered_keyset_page(listing.base, tiers=listing.tiers, cursor=cursor, page_size=size)
        back = names(page.items) + back
        cursor = page.prev_cursor
    assert back + names(pages[-1].items) == expected


def test_a_page_reads_only_the_tiers_it_needs(org, people):
    listing = customer_listing(viewer=org.users.admin, filters=CustomerFilters(q="zs"))
    with CaptureQueriesContext(connection) as ctx:
        page = tiered_keyset_page(listing.base, tiers=listing.tiers, cursor=None, page_size=1)
    # the code tier fills the page; the initials tier says there is more; the
    # pinyin and name tiers are not read
    assert names(page.items) == ["甲公司"] and page.has_next
    assert len(ctx.captured_queries) == 2


def test_cursor_for_a_missing_tier_is_refused(org, people):
    tiers = [Tier(Q(), ("name_pinyin", "id"))]
    with pytest.raises(InvalidCursor):
        tiered_keyset_page(Customer.objects.all(), tiers=tiers, cursor=encode_cursor(["a", 1], "n", 3), page_size=5)


def test_api_search_walks_every_match_once_within_visibility(org, people, api_as):
    api = api_as(org.users.sales_n1)
    items = walk(api, "/customers", {"q": "zs"}, limit=1)
    assert [c["name"] for c in items] == ["甲公司", "张三", "ZSA Steel", "周帅贸易", "Zsolt Trading"]
    # a cursor naming a tier the search does not have is a 422, not a crash
    r = api.get("/customers", {"q": "zs", "cursor": encode_cursor(["x", 1], "n", 9)})
    assert r.status_code == 422
    # another sort than the default lists the same matches in that order
    by_ref = walk(api, "/customers", {"q": "zs", "sort": "-ref"}, limit=2)
    assert sorted(c["id"] for c in by_ref) == sorted(c["id"] for c in items)
    assert [c["ref"] for c in by_ref] == sorted((c["ref"] for c in by_ref), reverse=True)
