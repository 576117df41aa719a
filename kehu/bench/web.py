"""``kehu bench web``: server-side latency of the main pages and the customer API,
and of every page of each viewer's navigation (the dashboard, the order,
interaction and task lists, the value pages, the survey pages, ...).

Requests go through Django in this process (``django.test.Client``): URL
routing, middleware, sessions, views, queries and templates are all measured;
the network and the browser are not. Each scenario is requested a few times
to warm up, then ``--runs`` times; p50, p95 and the maximum are reported
against the 50 ms target.

Two viewers: a head-office viewer (an administrator or head-office sales
manager, who sees every customer) and a salesperson (who sees their own).
Meant to run on PostgreSQL holding the data of
``kehu generate --customers 1000000 --orders 10000000 --seed 1`` (see
docs/benchmarks.md); it runs on any database with customers in it.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field

TARGET_MS = 50.0
WARMUP = 3


@dataclass
class Result:
    scenario: str
    viewer: str
    url: str = ""
    n: int = 0
    p50_ms: float | None = None
    p95_ms: float | None = None
    max_ms: float | None = None
    target_ms: float = TARGET_MS
    status: str = "ok"   # ok, not available, error
    detail: str = ""

    @property
    def passed(self) -> bool | None:
        return None if self.p95_ms is None else self.p95_ms <= self.target_ms


@dataclass
class Scenario:
    name: str
    viewer: str
    url: str | None = None
    headers: dict = field(default_factory=dict)
    unavailable: str = ""


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    k = max(0, math.ceil(p / 100 * len(ordered)) - 1)
    return ordered[k]


def _viewers():
    """(head-office viewer, salesperson) for the benchmark."""
    from django.db.models import Count, Q

    from kehu.customers.models import Customer
    from kehu.org.models import Role, User

    hq = (User.objects.filter(is_active=True, username__in=["bench_director", "director"]).order_by("username").first()
          or User.objects.filter(is_active=True, role=Role.SALES_MANAGER, team__parent__isnull=True).order_by("id").first()
          or User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True)).order_by("id").first())
    sales_id = (Customer.objects.filter(owner__role=Role.SALESPERSON, owner__is_active=True)
                .values("owner_id").annotate(n=Count("id")).order_by("-n").values_list("owner_id", flat=True)[:1])
    salesperson = User.objects.filter(pk__in=list(sales_id)).first()
    return hq, salesperson


def _hub_customer(customer_id: int | None):
    """The customer for the 360 page: the one given, else the one with the most orders."""
    from django.db.models import Count

    from kehu.customers.models import Customer
    from kehu.sales.models import Order

    if customer_id:
        return Customer.objects.filter(pk=customer_id).first()
    row = (Order.objects.values("customer_id").annotate(n=Count("id")).order_by("-n", "customer_id")
           .values_list("customer_id", flat=True)[:1])
    ids = list(row)
    return Customer.objects.filter(pk=ids[0]).first() if ids else Customer.objects.order_by("id").first()


def urlconf_problem() -> str:
    """Why the URL configuration does not load ("" when it does)."""
    from django.urls import get_resolver

    try:
        get_resolver().url_patterns
    except Exception as exc:  # another app's module that does not import (yet)
        return f"the URL configuration does not load ({type(exc).__name__}: {exc})"[:200]
    return ""


def _url(name: str, *args) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _deep_cursor(viewer) -> str | None:
    """A cursor to the middle of the viewer's customer list (the default name order)."""
    from kehu.customers.selectors import DEFAULT_SORT, SORTS, customer_list
    from kehu.pagination import encode_cursor

    ordering = SORTS[DEFAULT_SORT]
    qs = customer_list(viewer=viewer).order_by(*ordering)
    total = qs.count()
    if total < 2:
        return None
    values = qs.values_list(*[f.lstrip("-") for f in ordering])[total // 2]
    return encode_cursor(list(values), "n")


def _search_next_cursor(viewer, term: str) -> str | None:
    """The cursor of the second page of a search, as the list page would link it."""
    from kehu.customers.selectors import CustomerFilters, customer_listing
    from kehu.pagination import tiered_keyset_page

    listing = customer_listing(viewer=viewer, filters=CustomerFilters(q=term))
    return tiered_keyset_page(listing.base, tiers=listing.tiers, cursor=None, page_size=25).next_cursor


def build_scenarios(hq, salesperson, hub, tokens: dict, *, navigation: bool = True) -> list[Scenario]:
    from urllib.parse import quote

    from django.urls import Resolver404, resolve

    broken = urlconf_problem()
    if broken:
        return [Scenario(name, label, None, unavailable=broken)
                for label in ("head office", "salesperson")
                for name in ("customer list, first page", "customer list, deep keyset page", "search name prefix",
                             "search name prefix, next page", "search phone prefix", "search pinyin initials",
                             "search one letter", "match count (after the page)", "customer 360",
                             "API customer list", "API search")]
    list_url = _url("customer_list")
    detail_url = _url("customer_detail", hub.pk) if hub is not None else None
    name_prefix = hub.name[:2] if hub is not None else "北京"
    phone_prefix = (hub.phone[:5] if hub is not None and len(hub.phone) >= 5 else "13800")
    initials = (hub.name_initials[:3] if hub is not None and hub.name_initials else "bj")
    try:
        resolve("/api/v1/customers")
        api_url = "/api/v1/customers"
    except Resolver404:
        api_url = None

    out = []
    for label, viewer in (("head office", hq), ("salesperson", salesperson)):
        if viewer is None:
            continue
        deep = _deep_cursor(viewer) if list_url else None
        second = _search_next_cursor(viewer, name_prefix) if list_url else None
        count_url = _url("customer_count")
        pages = [
            ("customer list, first page", list_url),
            ("customer list, deep keyset page", f"{list_url}?cursor={deep}" if list_url and deep else None),
            (f"search name prefix '{name_prefix}'", f"{list_url}?q={quote(name_prefix)}" if list_url else None),
            (f"search name prefix '{name_prefix}', page 2",
             f"{list_url}?q={quote(name_prefix)}&cursor={second}" if list_url and second else None),
            (f"search phone prefix '{phone_prefix}'", f"{list_url}?q={phone_prefix}" if list_url else None),
            (f"search pinyin initials '{initials}'", f"{list_url}?q={initials}" if list_url else None),
            (f"search one letter '{initials[0]}'", f"{list_url}?q={initials[0]}" if list_url else None),
            # the list page loads a search's count after it is shown (htmx)
            (f"match count of '{name_prefix}' (after the page)",
             f"{count_url}?q={quote(name_prefix)}" if count_url else None),
        ]
        for name, url in pages:
            reason = "" if url else "page customer_list not available"
            if list_url and not url and name.endswith("page 2"):
                reason = "the search has a single page"
            out.append(Scenario(name, label, url, unavailable=reason))
        n_orders = hub.orders.count() if hub is not None else 0
        out.append(Scenario(f"customer 360 ({n_orders:,} orders)", label, detail_url,
                            unavailable="" if detail_url else "page customer_detail not available"))
        token = tokens.get(label)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
        out.append(Scenario("API customer list", label, f"{api_url}?limit=50" if api_url else None,
                            headers=headers, unavailable="" if api_url else "API /api/v1/customers not available"))
        out.append(Scenario(f"API search '{initials}'", label, f"{api_url}?limit=50&q={initials}" if api_url else None,
                            headers=headers, unavailable="" if api_url else "API /api/v1/customers not available"))
        if navigation:
            out.extend(navigation_scenarios(label, viewer, skip={list_url}))
    return out


def navigation_scenarios(label: str, viewer, *, skip: set[str] = frozenset()) -> list[Scenario]:
    """Every page of the viewer's navigation (kehu/web/context_processors.py: the menu
    as that role sees it), the value pages and the latest survey's pages: one scenario each."""
    from django.test import RequestFactory

    from kehu.web.context_processors import navigation

    request = RequestFactory().get("/")
    request.user = viewer
    out = []
    seen = set(skip)
    for item in navigation(request)["nav_items"]:
        if item["url"] in seen:
            continue
        seen.add(item["url"])
        out.append(Scenario(f"nav: {item['label']}", label, item["url"]))
    for name in ("value_rfm", "value_scores", "value_churn", "value_migration", "value_runs", "segment_list"):
        url = _url(name)
        if url and url not in seen:
            seen.add(url)
            out.append(Scenario(f"value: {name.removeprefix('value_')}", label, url))
    from kehu.surveys.models import Survey

    survey = Survey.objects.order_by("-id").first()
    for name in ("survey_detail", "survey_results", "survey_report"):
        url = _url(name, survey.pk) if survey is not None else None
        out.append(Scenario(f"survey: {name.removeprefix('survey_')}", label, url,
                            unavailable="" if url else "no survey in the database"))
    return out


def measure(client, scenario: Scenario, runs: int) -> Result:
    res = Result(scenario.name, scenario.viewer, url=scenario.url or "")
    if not scenario.url:
        res.status, res.detail = "not available", scenario.unavailable
        return res
    times = []
    try:
        for i in range(WARMUP + runs):
            t = time.perf_counter()
            response = client.get(scenario.url, **scenario.headers)
            elapsed = (time.perf_counter() - t) * 1000
            if response.status_code != 200:
                res.status, res.detail = "error", f"HTTP {response.status_code}"
                return res
            if i >= WARMUP:
                times.append(elapsed)
    except Exception as exc:  # a page that is still being built must not stop the others
        res.status, res.detail = "error", f"{type(exc).__name__}: {exc}"[:200]
        return res
    res.n = len(times)
    res.p50_ms = round(statistics.median(times), 1)
    res.p95_ms = round(percentile(times, 95), 1)
    res.max_ms = round(max(times), 1)
    return res


def logged_in_clients(users: dict) -> dict:
    """A logged-in test client per viewer label (``{label: user or None}``; None is left out)."""
    from django.test import Client

    clients = {}
    for label, user in users.items():
        if user is not None:
            c = Client()
            c.force_login(user)
            clients[label] = c
    return clients


def measure_page(client, scenario: Scenario, runs: int, target_ms: float, cpu: dict) -> Result:
    """:func:`measure` held to ``target_ms``; this process's CPU time per request (warm-up
    included) goes into ``cpu``: what the page costs here, apart from waiting for the
    database and for a shared machine's cores."""
    t_cpu = time.process_time()
    r = measure(client, scenario, runs)
    if r.status == "ok" and r.n:
        cpu[(r.scenario, r.viewer)] = round((time.process_time() - t_cpu) * 1000 / (r.n + WARMUP), 1)
    r.target_ms = target_ms
    return r


def database_basics() -> dict:
    """The database's vendor, name and (PostgreSQL) server version."""
    from django.db import connection

    info = {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])}
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SHOW server_version")
            info["version"] = cur.fetchone()[0]
    return info


def report(results: list[Result], cpu: dict, header: dict, *, as_json: bool, out, details_of_ok_only=False) -> None:
    """Print a bench's results: JSON (``header`` + machine + results), or the table, each
    result's detail, the CPU time per page request and the load average."""
    import platform

    machine = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
               "load_average": [round(x, 2) for x in os.getloadavg()]}
    if as_json:
        print(json.dumps({**header, "machine": machine,
                          "results": [dict(asdict(r), passed=r.passed,
                                           cpu_ms_per_request=cpu.get((r.scenario, r.viewer)))
                                      for r in results]},
                         ensure_ascii=False, indent=2), file=out)
        return
    print_results(results, out=out)
    for r in results:
        if r.detail and (r.status == "ok" or not details_of_ok_only):
            print(f"  {r.scenario}: {r.detail}", file=out)
    if cpu:
        print("CPU time of this process per page request (the page's own cost, without waiting for the "
              "database or for the cores):", file=out)
        for (name, viewer), ms in cpu.items():
            print(f"  {name} ({viewer}): {ms:.1f} ms", file=out)
    print(f"load average: {' '.join(f'{x:.2f}' for x in machine['load_average'])} "
          f"on {machine['cpus']} cores", file=out)


def print_results(results: list[Result], out=None) -> None:
    from kehu.demo.cli import print_table

    rows = []
    for r in results:
        if r.status == "ok":
            rows.append((r.scenario, r.viewer, r.n, f"{r.p50_ms:.1f}", f"{r.p95_ms:.1f}", f"{r.max_ms:.1f}",
                         f"{r.target_ms:.0f}", "pass" if r.passed else "FAIL"))
        else:
            rows.append((r.scenario, r.viewer, 0, "-", "-", "-", f"{r.target_ms:.0f}", f"{r.status}: {r.detail}"))
    print_table(["scenario", "viewer", "n", "p50 ms", "p95 ms", "max ms", "target ms", "result"], rows, out=out)


def database_description() -> dict:
    from django.db import connection

    from kehu.customers.models import Customer
    from kehu.sales.models import Order, OrderLine

    info = {"vendor": connection.vendor, "name": str(connection.settings_dict["NAME"])}
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("SHOW server_version")
            info["version"] = cur.fetchone()[0]
            # Planner estimates: exact counts of ten million rows take seconds.
            for key, model in (("customers", Customer), ("orders", Order), ("order_lines", OrderLine)):
                cur.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [model._meta.db_table])
                row = cur.fetchone()
                info[key] = int(row[0]) if row and row[0] >= 0 else model.objects.count()
        else:
            info["customers"] = Customer.objects.count()
            info["orders"] = Order.objects.count()
            info["order_lines"] = OrderLine.objects.count()
    return info


def run_web_bench(*, runs: int = 200, as_json: bool = False, customer_id: int | None = None, out=None,
                  navigation: bool = True, nav_runs: int = 40) -> int:
    """``navigation``: also every page of each viewer's navigation, the value pages and the
    survey pages, ``nav_runs`` requests each (they are many, and some are slow)."""
    from django.test import Client

    from kehu.org.models import ApiToken
    from kehu.org.services import token_create

    out = out or sys.stdout
    from django.conf import settings

    from kehu.org.models import Role

    # WhiteNoise warns about a missing STATIC_ROOT although its finders serve everything.
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)
    hq, salesperson = _viewers()
    hub = _hub_customer(customer_id)
    # The salesperson must be able to open the 360 page: prefer the hub's owner.
    if hub is not None and hub.owner is not None and hub.owner.role == Role.SALESPERSON and hub.owner.is_active:
        salesperson = hub.owner
    if hq is None:
        print("error: no head-office user or administrator to measure as; run `kehu generate` or `kehu demo` first",
              file=sys.stderr)
        return 2
    db = database_description()
    if not as_json:
        print(f"database: {db['vendor']} {db.get('version', '')} {db['name']}: about {db['customers']:,} customers, "
              f"{db['orders']:,} orders, {db['order_lines']:,} order lines", file=out)
        print(f"viewers: {hq.username} (head office), {salesperson.username if salesperson else '-'} (salesperson); "
              f"360 page of customer {hub.pk if hub else '-'}; {runs} runs per scenario"
              + (f", {min(runs, nav_runs)} per page of the navigation" if navigation else ""), file=out, flush=True)
    tokens, token_ids = {}, []
    for label, user in (("head office", hq), ("salesperson", salesperson)):
        if user is not None:
            token, raw = token_create(user=user, name="kehu bench web")
            tokens[label] = raw
            token_ids.append(token.pk)
    results = []
    try:
        scenarios = build_scenarios(hq, salesperson, hub, tokens, navigation=navigation)
        clients = {}
        for label, user in (("head office", hq), ("salesperson", salesperson)):
            if user is not None:
                c = Client()
                c.force_login(user)
                clients[label] = c
        for sc in scenarios:
            n = runs if not sc.name.startswith(("nav: ", "value: ", "survey: ")) else min(runs, nav_runs)
            results.append(measure(clients[sc.viewer], sc, n))
            r = results[-1]
            if not as_json:   # as it goes: a full run takes a while
                print(f"  {r.scenario} ({r.viewer}): " + (f"p50 {r.p50_ms:.1f} ms, p95 {r.p95_ms:.1f} ms"
                      if r.status == "ok" else f"{r.status} {r.detail}"), file=out, flush=True)
    finally:
        ApiToken.objects.filter(pk__in=token_ids).delete()
    if as_json:
        print(json.dumps({"database": db, "runs": runs, "target_ms": TARGET_MS,
                          "hub_customer_id": hub.pk if hub else None,
                          "results": [dict(asdict(r), passed=r.passed) for r in results]},
                         ensure_ascii=False, indent=2), file=out)
    else:
        print_results(results, out=out)
    return 0
