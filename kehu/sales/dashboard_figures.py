"""The dashboard's sales figures — the year's revenue, the last twelve months'
and the top ten customers of those months — kept in the cache per visibility
scope, so that a visit does not aggregate every order.

The figures are computed through the visibility policy, as everywhere: the key
is the viewer's view scope (:class:`kehu.org.policies.Scope`: everyone who sees
everything shares one entry; a salesperson's scope names them, their teams and
the customers shared with them), the day and the *sales version*. The version
changes whenever orders, order lines, customers (their owner and team decide
who sees their orders) or shares are written — by the models' signals for the
services, by :func:`bump_sales_version` for the bulk writers (the order import,
``kehu generate``, the demo) — when the writer's transaction commits, once per
transaction. Until then the writer's own transaction reads with a version of
its own (the shared version plus a mark kept on its connection), so it sees its
writes while nobody else's figures change; the shared version row is never
written inside a transaction: with the database cache that row would stay
locked until the commit, and every other writer (an order entered while an
import of 50,000 lines runs) would wait for it. Entries also expire after :data:`TTL` seconds, a bound
on any writer that neither sends signals nor bumps the version (a raw SQL fix).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from decimal import Decimal

from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum

VERSION_KEY = "kehu:sales-figures:version"
TTL = 300  # seconds
TOP = 10


def _set_version() -> None:
    try:
        cache.set(VERSION_KEY, time.time_ns(), None)
    except Exception:  # the cache is down: the entries still expire after TTL
        pass


_set_version.kehu_sales_bump = True


def _bump_pending(conn) -> bool:
    return any(getattr(entry[1], "kehu_sales_bump", False) for entry in conn.run_on_commit)


def bump_sales_version(**_kwargs) -> None:
    """Make the cached dashboard figures stale: at once outside a transaction; inside
    one, for the transaction itself at once and for everyone when it commits
    (registered once per transaction, however many rows it writes)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        _set_version()
        return
    conn.kehu_sales_mark = time.time_ns()
    if not _bump_pending(conn):
        transaction.on_commit(_set_version)


def _own_mark():
    """The mark of this connection's uncommitted sales writes (None when there are none:
    after a commit or a rollback Django has dropped the transaction's callbacks)."""
    conn = transaction.get_connection()
    if conn.in_atomic_block and _bump_pending(conn):
        return getattr(conn, "kehu_sales_mark", None)
    return None


def months_back(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, 28))


def compute_sales_figures(policy, today: dt.date) -> dict:
    """The figures from the orders the policy's viewer may see (no cache)."""
    from kehu.sales.models import Order, OrderStatus

    year_start = dt.date(today.year, 1, 1)
    twelve_months_ago = months_back(today, 12)
    orders = policy.visible(Order.objects.exclude(status=OrderStatus.CANCELLED), prefix="customer__")
    revenue_year = orders.filter(order_date__gte=year_start, order_date__lte=today).aggregate(s=Sum("amount"))["s"]
    revenue_12m = orders.filter(order_date__gt=twelve_months_ago, order_date__lte=today).aggregate(
        s=Sum("amount"))["s"]
    top = list(
        orders.filter(order_date__gt=twelve_months_ago, order_date__lte=today)
        .values("customer_id").annotate(revenue=Sum("amount")).order_by("-revenue", "customer_id")
        .values_list("customer_id", "revenue")[:TOP]
    )
    return {"revenue_year": revenue_year or Decimal("0"), "revenue_12m": revenue_12m or Decimal("0"),
            "top": [(cid, revenue) for cid, revenue in top]}


def _key(policy, today: dt.date, version) -> str:
    scope = hashlib.sha1(repr(policy.view_scope).encode()).hexdigest()[:20]
    return f"kehu:sales-figures:{version}:{today.isoformat()}:{scope}"


def sales_figures(policy, today: dt.date) -> dict:
    """:func:`compute_sales_figures`, from the cache when the sales version and the
    day are unchanged since another viewer of the same scope asked."""
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = time.time_ns()
            cache.add(VERSION_KEY, version, None)
            version = cache.get(VERSION_KEY, version)
        mark = _own_mark()
        key = _key(policy, today, version if mark is None else f"{version}.{mark}")
        figures = cache.get(key)
    except Exception:  # the cache is down: compute
        return compute_sales_figures(policy, today)
    if figures is None:
        figures = compute_sales_figures(policy, today)
        try:
            cache.set(key, figures, TTL)
        except Exception:
            pass
    return figures


def connect_signals() -> None:
    """Bump the version on every saved or deleted order, order line, customer or share."""
    from django.db.models.signals import post_delete, post_save

    from kehu.customers.models import Customer, CustomerShare
    from kehu.sales.models import Order, OrderLine

    for model in (Order, OrderLine, Customer, CustomerShare):
        label = model._meta.label_lower
        post_save.connect(bump_sales_version, sender=model, dispatch_uid=f"kehu-sales-figures-save-{label}")
        post_delete.connect(bump_sales_version, sender=model, dispatch_uid=f"kehu-sales-figures-delete-{label}")
