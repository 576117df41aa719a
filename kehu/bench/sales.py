"""``kehu bench sales``: the selling pages and jobs on the current database (issue 15).

Meant to run on PostgreSQL after ``kehu generate --customers 1000000 --orders 10000000
--opportunities 1000000`` (see docs/benchmarks.md); it runs on any database with
opportunities in it. Measured, against the targets of issue 15:

- the kanban board (the default pipeline) and the opportunity list, for the salesperson
  with the most opportunities and for a head-office viewer who sees them all:
  server-side latency through Django's test client (routing, middleware, session, view,
  queries, template), as :mod:`kehu.bench.web` measures the customer pages — p50/p95/max,
  target p95 ≤ 50 ms;
- the forecast for a quarter over the whole company: ≤ 2 s;
- planning a week of visits for 100 salespeople (a dry run: it writes nothing): ≤ 30 s;
- the pool recycle over every customer (a dry run): ≤ 30 s.

A job that cannot run here (no head-office viewer for the forecast) is reported as not
available.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import sys
import time

from kehu.bench.web import (
    Result, Scenario, database_basics, logged_in_clients, measure_page, report, urlconf_problem,
)

PAGE_TARGET_MS = 50.0
FORECAST_TARGET_MS = 2000.0
PLAN_TARGET_MS = 30_000.0
RECYCLE_TARGET_MS = 30_000.0
PLAN_PEOPLE = 100


def _salesperson():
    """The active user who owns the most open opportunities (None: nobody owns one)."""
    from django.db.models import Count

    from kehu.org.models import User
    from kehu.sales.models import Opportunity, StageOutcome

    ids = list(Opportunity.objects.filter(stage__outcome=StageOutcome.OPEN, owner__is_active=True)
               .values("owner_id").annotate(n=Count("id")).order_by("-n", "owner_id")
               .values_list("owner_id", flat=True)[:1])
    return User.objects.filter(pk=ids[0]).first() if ids else None


def _reverse(name: str, *args) -> str | None:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def build_scenarios(seller, hq) -> list[Scenario]:
    broken = urlconf_problem()
    board, listing = (None, None) if broken else (_reverse("opportunity_board"), _reverse("opportunity_list"))
    out = []
    for label, viewer in (("salesperson", seller), ("head office", hq)):
        if viewer is None:
            continue
        out.append(Scenario("kanban board (default pipeline)", label, board,
                            unavailable=broken or "page opportunity_board not available"))
        out.append(Scenario("opportunity list", label, listing,
                            unavailable=broken or "page opportunity_list not available"))
        out.append(Scenario("opportunity list, by amount", label, f"{listing}?sort=-amount" if listing else None,
                            unavailable=broken or "page opportunity_list not available"))
    return out


def measure_job(name: str, viewer: str, job, runs: int, target_ms: float) -> Result:
    """Time ``job()`` ``runs`` times: the median and the slowest. ``job`` returns a short
    description of what it did (shown under the table), or raises LookupError when the
    job is not built in this version (reported as not available)."""
    res = Result(name, viewer, target_ms=target_ms)
    times, detail = [], ""
    try:
        for _ in range(runs):
            t = time.perf_counter()
            detail = job()
            times.append((time.perf_counter() - t) * 1000)
    except LookupError as exc:
        res.status, res.detail = "not available", str(exc)
        return res
    except Exception as exc:  # one job that fails must not stop the others
        res.status, res.detail = "error", f"{type(exc).__name__}: {exc}"[:200]
        return res
    res.n = len(times)
    res.p50_ms = round(statistics.median(times), 1)
    res.p95_ms = res.max_ms = round(max(times), 1)
    res.detail = detail or ""
    return res


def _plan_job():
    from kehu.analytics.visit_plan import week_of
    from kehu.engagement.visits import plan_week
    from kehu.org.models import User

    people = list(User.objects.filter(is_active=True, owned_customers__isnull=False).distinct()
                  .order_by("username")[:PLAN_PEOPLE])
    monday = dt.date.today() + dt.timedelta(days=7 - dt.date.today().weekday())
    week = week_of(monday)

    def job():
        planned = plan_week(week, users=people, dry_run=True)
        return f"{week}: {sum(len(v) for v in planned.values()):,} visits planned for {len(planned)} salespeople"
    return job


def _forecast_job(hq):
    """The forecast of this quarter over the whole company (the head office sees it all), by
    salesperson: the weighted pipeline and the value models' repeat purchases."""
    from kehu.sales.forecast import forecast, period_containing, today

    if hq is None:
        def unavailable():
            raise LookupError("no head-office viewer to ask for the whole company's forecast")
        return unavailable
    period = period_containing(today())

    def job():
        f = forecast(viewer=hq, period=period, by="owner")
        return f"{period.code}: {len(f['rows']):,} rows, total {f['totals']['total']:,.0f}"
    return job


def _recycle_job():
    """The pool recycle over every customer, a dry run."""
    from kehu.sales.pool import pool_recycle

    def job():
        r = pool_recycle(dry_run=True)
        return f"{len(r.returned):,} customers would go back to the pool, {len(r.reminded):,} owners reminded"
    return job


def database_description() -> dict:
    from kehu.customers.models import Customer
    from kehu.sales.models import Opportunity, StageChange

    info = database_basics()
    info["customers"] = Customer.objects.count()
    info["opportunities"] = Opportunity.objects.count()
    info["stage_changes"] = StageChange.objects.count()
    return info


def run_sales_bench(*, runs: int = 100, job_runs: int = 3, as_json: bool = False, out=None) -> int:
    from django.conf import settings
    from kehu.bench.service import _head_office

    out = out or sys.stdout
    os.makedirs(settings.STATIC_ROOT, exist_ok=True)   # WhiteNoise warns otherwise
    seller, hq = _salesperson(), _head_office()
    if seller is None and hq is None:
        print("error: no opportunities or users to measure: run `kehu generate --customers N --opportunities N` "
              "first", file=sys.stderr)
        return 2
    db = database_description()
    if not as_json:
        print(f"database: {db['vendor']} {db.get('version', '')} {db['name']}: {db['customers']:,} customers, "
              f"{db['opportunities']:,} opportunities, {db['stage_changes']:,} stage changes", file=out)
        print(f"viewers: {seller.username if seller else '-'} (salesperson), {hq.username if hq else '-'} "
              f"(head office); {runs} runs per page, {job_runs} per job", file=out, flush=True)
    clients = logged_in_clients({"salesperson": seller, "head office": hq})
    results, cpu = [], {}
    for sc in build_scenarios(seller, hq):
        results.append(measure_page(clients[sc.viewer], sc, runs, PAGE_TARGET_MS, cpu))
    results.append(measure_job("forecast, a quarter, whole company", "job", _forecast_job(hq), job_runs,
                               FORECAST_TARGET_MS))
    results.append(measure_job(f"visit plans, a week, {PLAN_PEOPLE} salespeople (dry run)", "job", _plan_job(),
                               job_runs, PLAN_TARGET_MS))
    results.append(measure_job("pool recycle, every customer (dry run)", "job", _recycle_job(), job_runs,
                               RECYCLE_TARGET_MS))
    report(results, cpu, {"database": db, "runs": runs, "job_runs": job_runs}, as_json=as_json, out=out)
    return 0
