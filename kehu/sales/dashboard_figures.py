"""The dashboard's sales figures — the year's revenue, the last twelve months'
and the top ten customers of those months — summed from the kept sales per day
and purchase summaries (kehu/sales/sales_days.py), and kept in the cache per
visibility scope, so that a visit does not aggregate every order.

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
from decimal import Decimal

from django.db.models import Q, Sum

from kehu.runtime.cache_versions import CommitVersion, cached

VERSION_KEY = "kehu:sales-figures:version"
TTL = 300  # seconds
TOP = 10


SALES_VERSION = CommitVersion(VERSION_KEY, flag="kehu_sales_bump", own_reads=True)
# Make the cached dashboard figures stale: at once outside a transaction; inside one, for
# the transaction itself at once and for everyone when it commits (once per transaction).
bump_sales_version = SALES_VERSION.bump


def months_back(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return dt.date(y, m + 1, min(day.day, 28))


def _money(cents) -> Decimal:
    return (Decimal(int(cents or 0)) / 100).quantize(Decimal("0.01"))


def compute_sales_figures(policy, today: dt.date) -> dict:
    """The figures from the kept sales per day (kehu/sales/sales_days.py) of the
    customers the policy's viewer may see (no cache).

    The year's and the twelve months' sales: from the day totals for a viewer who
    sees everything (the sum of the window's rows of differences, a few per day),
    else from the visible customers' rows per day.
    The top customers: the kept purchase summaries of the visible customers who
    bought in the window, largest revenue first, are the candidates — a customer's
    revenue of all time bounds its revenue of the window (order amounts are sums of
    lines with prices ≥ 0) — and their window revenue is summed exactly, until the
    next candidate's bound is below the tenth best."""
    from kehu.sales.models import CustomerPurchaseSummary, CustomerSalesDay, SalesDay

    year_start = dt.date(today.year, 1, 1)
    twelve_months_ago = months_back(today, 12)
    if policy.view_scope.everything:
        days = SalesDay.objects.all()
    else:
        days = policy.visible(CustomerSalesDay.objects.all(), prefix="customer__")
    # one pass over the window: the year (from 1 January) lies inside the twelve months
    first_day = min(year_start - dt.timedelta(days=1), twelve_months_ago)
    sums = days.filter(day__gt=first_day, day__lte=today).aggregate(
        year=Sum("revenue_cents", filter=Q(day__gte=year_start)),
        last12=Sum("revenue_cents", filter=Q(day__gt=twelve_months_ago)))
    revenue_year, revenue_12m = sums["year"], sums["last12"]

    candidates = policy.visible(CustomerPurchaseSummary.objects.filter(last_order__gt=twelve_months_ago),
                                prefix="customer__").order_by("-revenue_cents", "customer_id")
    best: list[tuple[int, int]] = []       # (customer id, window revenue in cents)
    start, step = 0, 4 * TOP
    while True:
        batch = list(candidates.values_list("customer_id", "revenue_cents")[start:start + step])
        if not batch:
            break
        window = dict(CustomerSalesDay.objects.filter(
            customer_id__in=[cid for cid, _bound in batch], day__gt=twelve_months_ago, day__lte=today)
            .values("customer_id").annotate(r=Sum("revenue_cents")).values_list("customer_id", "r"))
        best = sorted(best + [(cid, window[cid]) for cid, _bound in batch if cid in window],
                      key=lambda row: (-row[1], row[0]))[:TOP]
        if len(batch) < step or (len(best) == TOP and batch[-1][1] < best[-1][1]):
            break
        start, step = start + step, step * 4
    return {"revenue_year": _money(revenue_year), "revenue_12m": _money(revenue_12m),
            "top": [(cid, _money(cents)) for cid, cents in best]}


def _key(policy, today: dt.date, version) -> str:
    scope = hashlib.sha1(repr(policy.view_scope).encode()).hexdigest()[:20]
    return f"kehu:sales-figures:{version}:{today.isoformat()}:{scope}"


def sales_version() -> str:
    """The current sales version as seen by this connection (the shared version, plus the
    mark of its own uncommitted sales writes); raises when the cache is down."""
    return SALES_VERSION.current()


def sales_figures(policy, today: dt.date) -> dict:
    """:func:`compute_sales_figures`, from the cache when the sales version and the
    day are unchanged since another viewer of the same scope asked."""
    return cached(lambda: _key(policy, today, sales_version()), lambda: compute_sales_figures(policy, today), TTL)


def connect_signals() -> None:
    """Bump the version on every saved or deleted order, order line, customer or share."""
    from django.db.models.signals import post_delete, post_save

    from kehu.customers.models import Customer, CustomerShare
    from kehu.sales.models import Order, OrderLine

    for model in (Order, OrderLine, Customer, CustomerShare):
        label = model._meta.label_lower
        post_save.connect(bump_sales_version, sender=model, dispatch_uid=f"kehu-sales-figures-save-{label}")
        post_delete.connect(bump_sales_version, sender=model, dispatch_uid=f"kehu-sales-figures-delete-{label}")
