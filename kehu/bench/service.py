"""``kehu bench service``: the customer-service pages and jobs on the current database.

Meant to run on PostgreSQL after ``kehu generate --customers 1000000 --orders
10000000 --cases 1000000 --kb-articles 50000`` (see docs/benchmarks.md); it
runs on any database with cases in it. Measured, against the targets of issue 14:

- the case queue (mine, the team's, breaching soon, and the head office's
  open cases) and the case page: server-side latency through Django's test
  client (routing, middleware, session, view, queries, template), as
  :mod:`kehu.bench.web` measures the customer pages — p50/p95/max, target
  p95 ≤ 50 ms;
- the SLA check (:func:`kehu.service.sla.sla_check`, dry run: it writes
  nothing) over every open case: seconds, target ≤ 5 s for 100,000 open cases;
- knowledge-base search (:func:`kehu.bench.kb.measure`, the FAQ's and the
  API's search) over the published articles: p95 ≤ 50 ms;
- the service analytics page, when the URL name ``case_analytics`` exists:
  ≤ 1 s (skipped with a note otherwise), and beside it the request that brings
  the figures the page loads after itself (the orders' figures, the team and
  agent medians), held to the same second.

Viewers: the agent with the most open cases assigned (their queue, their
team's queue, their busiest case's page) and a head-office viewer who sees
every case (breaching soon, all open cases, the analytics).
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from kehu.bench.web import (
    Result, Scenario, database_basics, logged_in_clients, measure_page, percentile, report, urlconf_problem,
)

QUEUE_TARGET_MS = 50.0
SLA_TARGET_MS = 5000.0
KB_TARGET_MS = 50.0
ANALYTICS_TARGET_MS = 1000.0


def _agent():
    """The active user with the most open cases assigned (None: nobody has one)."""
    from django.db.models import Count

    from kehu.org.models import User
    from kehu.service.models import OPEN_STATUSES, Case

    row = (Case.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False, assignee__is_active=True)
           .values("assignee_id").annotate(n=Count("id")).order_by("-n", "assignee_id")
           .values_list("assignee_id", flat=True)[:1])
    ids = list(row)
    return User.objects.filter(pk=ids[0]).first() if ids else None


def _head_office():
    from django.db.models import Q

    from kehu.org.models import Role, User

    return (User.objects.filter(is_active=True, username__in=["bench_director", "director"]).order_by("username").first()
            or User.objects.filter(is_active=True, role=Role.SALES_MANAGER, team__parent__isnull=True)
            .order_by("id").first()
            or User.objects.filter(is_active=True).filter(Q(role=Role.ADMIN) | Q(is_superuser=True))
            .order_by("id").first())


def _busy_case(agent):
    """The agent's open case with the longest timeline (the heaviest case page)."""
    from django.db.models import Count

    from kehu.service.models import OPEN_STATUSES, Case

    qs = Case.objects.filter(status__in=OPEN_STATUSES)
    if agent is not None:
        qs = qs.filter(assignee=agent)
    ids = list(qs.order_by("-created_at")[:200].values_list("id", flat=True))
    if not ids:
        return Case.objects.order_by("-id").first()
    best = (Case.objects.filter(pk__in=ids).annotate(n=Count("events")).order_by("-n", "-id")
            .values_list("id", flat=True).first())
    return Case.objects.get(pk=best)


def _reverse(name: str, *args) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def build_scenarios(agent, hq, case) -> list[Scenario]:
    broken = urlconf_problem()
    queue = None if broken else _reverse("case_queue")
    why = broken or "page case_queue not available"
    out = []
    if agent is not None:
        for name, query in (("queue: mine", "?queue=mine"), ("queue: my team's", "?queue=team"),
                            ("queue: mine, by due time", "?queue=mine&sort=due")):
            out.append(Scenario(name, "agent", f"{queue}{query}" if queue else None, unavailable=why))
    if hq is not None:
        for name, query in (("queue: breaching soon", "?queue=breaching"),
                            ("queue: all open cases", "?queue=all"),
                            ("queue: all open complaints, severity 1", "?queue=all&kind=complaint&severity=1")):
            out.append(Scenario(name, "head office", f"{queue}{query}" if queue else None, unavailable=why))
    detail = None if broken or case is None else _reverse("case_detail", case.pk)
    n_events = case.events.count() if case is not None else 0
    for label, viewer in (("agent", agent), ("head office", hq)):
        if viewer is not None:
            out.append(Scenario(f"case page ({n_events} events)", label, detail,
                                unavailable=broken or "no case to show"))
    return out


def measure_sla(runs: int) -> Result:
    """The SLA check, dry run, over every open case: the median of ``runs`` runs."""
    from kehu.service.models import OPEN_STATUSES, Case
    from kehu.service.sla import sla_check

    open_cases = Case.objects.filter(status__in=OPEN_STATUSES).count()
    res = Result(f"SLA check, dry run ({open_cases:,} open cases)", "job", target_ms=SLA_TARGET_MS)
    times, cpu, steps = [], [], 0
    try:
        for _ in range(max(1, runs)):
            t, c = time.perf_counter(), time.process_time()
            steps = len(sla_check(dry_run=True, email=False))
            times.append((time.perf_counter() - t) * 1000)
            cpu.append(time.process_time() - c)
    except Exception as exc:  # pragma: no cover - reported, not raised
        res.status, res.detail = "error", f"{type(exc).__name__}: {exc}"[:200]
        return res
    res.n = len(times)
    res.p50_ms = round(statistics.median(times), 1)
    res.p95_ms = round(percentile(times, 95), 1)
    res.max_ms = round(max(times), 1)
    res.detail = (f"{steps:,} warnings and escalation steps due; CPU time of this process "
                  f"{statistics.median(cpu):.1f} s a run (median)")
    return res


def measure_kb(runs: int) -> Result:
    from kehu.bench import kb
    from kehu.kb.models import Article, ArticleStatus

    n = Article.objects.filter(status=ArticleStatus.PUBLISHED).count()
    res = Result(f"knowledge-base search ({n:,} articles)", "FAQ / API", target_ms=KB_TARGET_MS)
    if n == 0:
        res.status, res.detail = "not available", "no published articles: kehu generate --kb-articles 50000"
        return res
    try:
        r = kb.measure(runs)
    except Exception as exc:  # pragma: no cover
        res.status, res.detail = "error", f"{type(exc).__name__}: {exc}"[:200]
        return res
    res.n, res.p50_ms, res.p95_ms, res.max_ms = r["runs"], r["p50_ms"], r["p95_ms"], r["max_ms"]
    return res


def analytics_scenario(hq) -> Scenario:
    url = None if urlconf_problem() else _reverse("case_analytics")
    return Scenario("service analytics page", "head office", url,
                    unavailable="" if url else "page case_analytics not available (not built yet): skipped")


def analytics_later_scenario(hq) -> Scenario:
    """The figures the analytics page loads after itself (the orders' figures and the team
    and agent medians), as the page's htmx request asks for them."""
    url = None if urlconf_problem() else _reverse("case_analytics_orders")
    return Scenario("service analytics, figures loaded after the page", "head office", url,
                    headers={"HTTP_HX_REQUEST": "true"},
                    unavailable="" if url else "page case_analytics_orders not available: skipped")


def database_description() -> dict:
    from kehu.customers.models import Customer
    from kehu.service.models import OPEN_STATUSES, Case, CaseEvent

    info = database_basics()
    info["customers"] = Customer.objects.count()
    info["cases"] = Case.objects.count()
    info["open_cases"] = Case.objects.filter(status__in=OPEN_STATUSES).count()
    info["case_events"] = CaseEvent.objects.count()
    return info


def run_service_bench(*, runs: int = 100, sla_runs: int = 3, kb_runs: int = 300, analytics_runs: int = 10,
                      as_json: bool = False, out=None) -> int:
    from django.conf import settings
    out = out or sys.stdout
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)   # WhiteNoise warns otherwise
    agent, hq = _agent(), _head_office()
    if agent is None and hq is None:
        print("error: no cases or users to measure: run `kehu generate --customers N --cases N` first",
              file=sys.stderr)
        return 2
    case = _busy_case(agent)
    db = database_description()
    if not as_json:
        print(f"database: {db['vendor']} {db.get('version', '')} {db['name']}: {db['customers']:,} customers, "
              f"{db['cases']:,} cases ({db['open_cases']:,} open), {db['case_events']:,} timeline events",
              file=out)
        print(f"viewers: {agent.username if agent else '-'} (agent), {hq.username if hq else '-'} (head office); "
              f"case page of {case.ref if case else '-'}; {runs} runs per page", file=out, flush=True)
    clients = logged_in_clients({"agent": agent, "head office": hq})
    results, cpu = [], {}
    for sc in build_scenarios(agent, hq, case):
        results.append(measure_page(clients[sc.viewer], sc, runs, QUEUE_TARGET_MS, cpu))
    results.append(measure_sla(sla_runs))
    results.append(measure_kb(kb_runs))
    if hq is not None:
        for scenario in (analytics_scenario(hq), analytics_later_scenario(hq)):
            results.append(measure_page(clients["head office"], scenario, analytics_runs, ANALYTICS_TARGET_MS, cpu))
    report(results, cpu, {"database": db, "runs": runs, "case": case.ref if case else None},
           as_json=as_json, out=out, details_of_ok_only=True)
    return 0
