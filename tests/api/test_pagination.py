"""Keyset pagination: every row once, in order, ties included; cursors checked; no COUNT."""

import base64
import datetime as dt
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.pagination import encode_cursor
from tests.api.conftest import assert_error, walk
from tests.factories import CustomerFactory, InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crowd(org):
    """23 customers of sales_n1 with many equal names and equal timestamps."""
    names = ["同名公司"] * 9 + ["Acme"] * 5 + [f"Unique {i}" for i in range(9)]
    made = [CustomerFactory(name=n, owner=org.users.sales_n1) for n in names]
    # equal created_at/updated_at for a block of rows, so the sort keys tie
    same = timezone.now().replace(microsecond=0)
    Customer.objects.filter(pk__in=[c.pk for c in made[:12]]).update(created_at=same, updated_at=same)
    return made


@pytest.mark.parametrize("sort", ["name", "-name", "created", "-created", "updated", "-updated", "ref", "-ref"])
@pytest.mark.parametrize("limit", [1, 4, 7, 50])
def test_walk_every_page_no_duplicates_no_gaps(org, crowd, api_as, sort, limit):
    api = api_as(org.users.sales_n1)
    items = walk(api, "/customers", {"sort": sort}, limit=limit)
    got = [c["id"] for c in items]
    assert len(got) == len(set(got)) == len(crowd)
    assert set(got) == {c.pk for c in crowd}
    # and in the order the sort promises, with id breaking ties
    field = {"name": "name_pinyin", "created": "created_at", "updated": "updated_at", "ref": "ref"}[sort.lstrip("-")]
    expected = list(Customer.objects.filter(pk__in=got).order_by(
        *(("-" if sort.startswith("-") else "") + f for f in (field, "id"))).values_list("id", flat=True))
    assert got == expected


def test_walk_backwards_with_prev_cursor(org, crowd, api_as):
    api = api_as(org.users.sales_n1)
    forward, pages, params = [], [], {"limit": 5}
    while True:
        body = api.get("/customers", params).json()
        pages.append(body)
        forward.extend(c["id"] for c in body["items"])
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert pages[0]["prev_cursor"] is None and len(pages) == 5
    backward, cursor = [], pages[-1]["prev_cursor"]
    while cursor:
        body = api.get("/customers", {"limit": 5, "cursor": cursor}).json()
        backward = [c["id"] for c in body["items"]] + backward
        cursor = body["prev_cursor"]
    assert backward + [c["id"] for c in pages[-1]["items"]] == forward


def test_filters_are_kept_while_paging(org, crowd, api_as):
    items = walk(api_as(org.users.sales_n1), "/customers", {"q": "同名"}, limit=2)
    assert len(items) == 9


def test_first_page_shape(org, crowd, api_as):
    body = api_as(org.users.sales_n1).get("/customers").json()
    assert set(body) == {"items", "next_cursor", "prev_cursor"}
    assert len(body["items"]) == 23  # default limit 50
    assert body["next_cursor"] is None and body["prev_cursor"] is None


@pytest.mark.parametrize("limit", ["0", "201", "-1", "many"])
def test_limit_bounds(org, api_as, limit):
    err = assert_error(api_as(org.users.sales_n1).get("/customers", {"limit": limit}), 422, "validation_error")
    assert "limit" in err["fields"]


def test_limit_200_is_allowed(org, api_as):
    assert api_as(org.users.sales_n1).get("/customers", {"limit": 200}).status_code == 200


def _b64(obj) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")


@pytest.mark.parametrize("cursor", [
    "garbage", "!!!", _b64({"v": ["a"], "d": "n"}),                    # wrong length
    _b64({"v": ["a", 1], "d": "x"}),                                    # bad direction
    _b64({"v": [1, 1], "d": "n"}),                                      # number for a name
    _b64({"v": ["a", "1; drop table"], "d": "n"}),                      # text for an id
    _b64({"v": ["a", 2**70], "d": "n"}),                                # id out of range
    _b64({"v": ["a", True], "d": "n"}),
    _b64({"v": [{"dt": "not a date"}, 1], "d": "n"}),
    _b64({"v": [{"x": 1}, 1], "d": "n"}),
    _b64([1, 2]), _b64("text"),
])
def test_invalid_cursor_is_422(org, customers, api_as, cursor):
    err = assert_error(api_as(org.users.sales_n1).get("/customers", {"cursor": cursor}), 422, "validation_error")
    assert "cursor" in err["fields"]


def test_cursor_of_another_sort_is_refused(org, crowd, api_as):
    api = api_as(org.users.sales_n1)
    cursor = api.get("/customers", {"sort": "-created", "limit": 2}).json()["next_cursor"]
    assert_error(api.get("/customers", {"sort": "name", "cursor": cursor}), 422)


def test_datetime_cursor_on_interactions(org, customers, api_as):
    base = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    made = [InteractionFactory(customer=customers.n1, occurred_at=base + dt.timedelta(hours=i // 3)) for i in range(10)]
    items = walk(api_as(org.users.sales_n1), "/interactions", limit=3)
    assert sorted(i["id"] for i in items) == sorted(m.pk for m in made)
    assert len(items) == 10
    cursor = encode_cursor([base, 10**6], "n")
    assert api_as(org.users.sales_n1).get("/interactions", {"cursor": cursor}).status_code == 200


def test_list_is_one_query_for_the_page_and_never_counts(org, crowd, api_as):
    api = api_as(org.users.admin)
    api.get("/customers", {"limit": 2})  # warm the token's last_used_at
    for params in ({"limit": 5}, {"limit": 200}, {"limit": 5, "q": "acme", "tag": "x"}):
        with CaptureQueriesContext(connection) as ctx:
            r = api.get("/customers", params)
        assert r.status_code == 200
        sql = [q["sql"].upper() for q in ctx.captured_queries]
        assert not any("COUNT(" in s for s in sql), sql
        customer_selects = [s for s in sql if 'FROM "CUSTOMERS_CUSTOMER"' in s]
        # the page, with its owner joined; a latin search reads its tiers (code,
        # initials, pinyin, name) in turn until the page is full
        tiers = 4 if "q" in params else 1
        assert 1 <= len(customer_selects) <= tiers, sql
        assert all('JOIN "ORG_USER"' in s for s in customer_selects)
        assert len(sql) <= 3 + tiers, sql  # token, page, tags of the page (+ policy team lookups for non-admins)


def test_query_count_does_not_grow_with_the_page(org, crowd, api_as):
    api = api_as(org.users.sales_n1)
    api.get("/customers", {"limit": 1})
    counts = []
    for limit in (1, 20):
        with CaptureQueriesContext(connection) as ctx:
            api.get("/customers", {"limit": limit})
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
