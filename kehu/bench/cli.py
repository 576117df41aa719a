"""``kehu generate`` (bulk synthetic data, or Parquet) and ``kehu bench web|import|analytics|spark|...``."""

from __future__ import annotations

import json
import sys


def _positive(text: str) -> int:
    value = int(text.replace("_", "").replace(",", ""))
    if value < 0:
        raise ValueError(text)
    return value


def _generate(args) -> int:
    from kehu.bench.generate import generate, generate_cases, print_case_report, print_report

    if not (args.customers or args.orders or args.cases or args.kb_articles or args.opportunities):
        print("kehu generate: say what to make: --customers, --orders, --cases, --kb-articles and/or "
              "--opportunities", file=sys.stderr)
        return 2
    progress = not args.quiet and sys.stderr.isatty() or args.progress
    if args.parquet:
        from kehu.bench.generate_parquet import generate_parquet, print_parquet_report

        if not (args.customers and args.orders) or args.cases or args.kb_articles or args.opportunities:
            print("kehu generate --parquet: give --customers and --orders (nothing else goes to Parquet)",
                  file=sys.stderr)
            return 2
        print_parquet_report(generate_parquet(args.parquet, customers=args.customers, order_lines=args.orders,
                                              seed=args.seed, lines_per_order=args.lines_per_order,
                                              progress=progress))
        return 0
    if args.customers or args.orders:
        rep = generate(customers=args.customers, order_lines=args.orders, seed=args.seed,
                       lines_per_order=args.lines_per_order, owners=args.owners, hub_orders=args.hub_orders,
                       progress=progress)
        print_report(rep)
    if args.cases:
        try:
            crep = generate_cases(cases=args.cases, seed=args.seed, progress=progress)
        except ValueError as exc:
            print(f"kehu generate: {exc}", file=sys.stderr)
            return 1
        print_case_report(crep)
    if args.kb_articles:
        import time

        from kehu.bench.kb import generate as generate_articles

        t0 = time.monotonic()
        made = generate_articles(args.kb_articles, seed=args.seed)
        from django.db import connection

        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE kb_article")  # the GIN index's pending list flushed
        print(f"created {made:,} published knowledge-base articles in {time.monotonic() - t0:.1f} s")
    if args.opportunities:
        from kehu.bench.generate_sales import generate_opportunities, print_opportunity_report

        try:
            orep = generate_opportunities(opportunities=args.opportunities, seed=args.seed, progress=progress)
        except ValueError as exc:
            print(f"kehu generate: {exc}", file=sys.stderr)
            return 1
        print_opportunity_report(orep)
    return 0


def _bench_web(args) -> int:
    from kehu.bench.web import run_web_bench

    return run_web_bench(runs=args.runs, as_json=args.json, customer_id=args.customer,
                         navigation=not args.customer_pages_only, nav_runs=args.nav_runs)


def _bench_import(args) -> int:
    from kehu.bench.importing import run_import_bench

    return run_import_bench(customers=args.customers, keep=args.keep, seed=args.seed, as_json=args.json)


def _bench_surveys(args) -> int:
    from kehu.bench.surveys import run_surveys_bench

    return run_surveys_bench(responses=args.responses, pls_rows=args.pls_rows, bootstrap=args.bootstrap,
                             compare_rows=args.compare_rows, as_json=args.json, skip_plspm=args.skip_plspm)


def _bench_analytics(args) -> int:
    from pathlib import Path

    from kehu.bench.analytics import BenchError, run_analytics_bench

    try:
        run_analytics_bench(reference=not args.no_reference, venv=Path(args.venv) if args.venv else None,
                            cap=args.cap, pareto_customers=args.pareto_customers, time_unit=args.time_unit,
                            as_of=args.as_of, keep=args.keep, as_json=args.json)
    except BenchError as exc:
        print(f"kehu bench analytics: {exc}", file=sys.stderr)
        return 1
    return 0


def _date(text: str):
    import datetime as dt

    return dt.date.fromisoformat(text)


def _bench_answer_page(args) -> int:
    from kehu.bench.answer_page import run_answer_page_bench

    return run_answer_page_bench(invitations=args.invitations, concurrency=args.concurrency, clients=args.clients,
                                 workers=args.workers, database_url=args.database_url, database=args.database,
                                 keep=args.keep, as_json=args.json)


def _mix_weight(text: str) -> tuple[str, float]:
    from kehu.bench.load import Person

    name, _eq, value = text.partition("=")
    name = name.strip().replace("-", " ").replace("_", " ")
    names = {n.lower(): n for n, _w in Person.ACTIONS}
    if name.lower() not in names or not value:
        raise ValueError(text)
    return names[name.lower()], float(value)


def _bench_load(args) -> int:
    from kehu.bench.load import run_load

    result = run_load(users=args.users, minutes=args.minutes, reference_minutes=args.reference_minutes,
                      ramp=args.ramp, url=args.url, workers=args.workers, password=args.password,
                      usernames=[u for u in (args.accounts or "").split(",") if u] or None,
                      think=tuple(args.think), seed=args.seed, keep=args.keep, weights=dict(args.weight or []),
                      out=False if args.json else None)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0 if result["phases"].get("load", {}).get("n") else 1


def _bench_kb(args) -> int:
    from kehu.bench.kb import run_kb_bench

    return run_kb_bench(articles=args.articles, runs=args.runs, seed=args.seed, keep=args.keep, as_json=args.json)


def _bench_service(args) -> int:
    from kehu.bench.service import run_service_bench

    return run_service_bench(runs=args.runs, sla_runs=args.sla_runs, kb_runs=args.kb_runs,
                             analytics_runs=args.analytics_runs, as_json=args.json)


def _bench_sales(args) -> int:
    from kehu.bench.sales import run_sales_bench

    return run_sales_bench(runs=args.runs, job_runs=args.job_runs, as_json=args.json)


def _bench_marketing(args) -> int:
    from kehu.bench.marketing import run_marketing_bench

    return run_marketing_bench(audience=args.audience or None, entries=args.entries, members=args.members,
                               runs=args.runs, seed=args.seed, drop_ledger=args.drop_ledger, stages=args.stages,
                               as_json=args.json)


def _bench_spark(args) -> int:
    from kehu.bench.spark import run_spark_bench
    from kehu.insights.warehouse import WarehouseError

    try:
        run_spark_bench(customers=args.customers, order_lines=args.orders, folder=args.folder, seed=args.seed,
                        master=args.spark_master, driver_memory=args.driver_memory, keep_scores=args.keep,
                        as_json=args.json)
    except WarehouseError as exc:
        print(f"kehu bench spark: {exc}", file=sys.stderr)
        return 1
    return 0


def _bench_import_orders(args) -> int:
    from kehu.bench.freshness import run_import_orders_bench

    return run_import_orders_bench(lines=args.lines, seed=args.seed, as_json=args.json)


def _bench_rescore(args) -> int:
    from kehu.bench.freshness import run_rescore_bench

    return run_rescore_bench(runs=args.runs, seed=args.seed, in_process=args.in_process, as_json=args.json)


def register(sub) -> None:
    g = sub.add_parser("generate", help="bulk synthetic customers, orders, cases and knowledge-base articles "
                                        "for benchmarks")
    g.add_argument("--customers", type=_positive, default=0, help="number of customers")
    g.add_argument("--orders", type=_positive, default=0, help="number of order LINES (orders ≈ lines / K)")
    g.add_argument("--cases", type=_positive, default=0,
                   help="number of service cases over the customers in the database (after --customers)")
    g.add_argument("--kb-articles", dest="kb_articles", type=_positive, default=0,
                   help="number of published knowledge-base articles (as `kehu bench kb` makes them)")
    g.add_argument("--opportunities", type=_positive, default=0,
                   help="number of opportunities (商机) over the customers in the database, with their stage "
                        "history (after --customers)")
    g.add_argument("--seed", type=int, default=1)
    g.add_argument("--lines-per-order", dest="lines_per_order", type=int, default=3,
                   help="average lines per order (K, default 3)")
    g.add_argument("--owners", type=int, default=100,
                   help="salespeople to create when there are none (default 100)")
    g.add_argument("--hub-orders", dest="hub_orders", type=int, default=1000,
                   help="orders of the one customer with a long history (default 1000)")
    g.add_argument("--parquet", metavar="DIR",
                   help="write the customers' orders as Parquet files to DIR instead of the database "
                        "(the warehouse benchmark: kehu analyze --engine spark --orders DIR)")
    g.add_argument("--quiet", action="store_true", help="no progress bar")
    g.add_argument("--progress", action="store_true", help="a progress bar even when stderr is not a terminal")
    g.set_defaults(func=_generate)

    b = sub.add_parser("bench", help="benchmarks: web page latency, import speed, value and survey analytics")
    bsub = b.add_subparsers(dest="bench_command", required=True)
    w = bsub.add_parser("web", help="server-side latency of the main pages and the customer API")
    w.add_argument("--runs", type=int, default=200, help="requests per scenario (default 200)")
    w.add_argument("--json", action="store_true", help="print the figures as JSON")
    w.add_argument("--nav-runs", type=int, default=40,
                   help="requests per page of the navigation, value and survey pages (default 40)")
    w.add_argument("--customer-pages-only", action="store_true",
                   help="only the customer pages and the API, not every page of the navigation")
    w.add_argument("--customer", type=int, help="id of the customer for the 360 page "
                   "(default: the customer with the most orders)")
    w.set_defaults(func=_bench_web)
    i = bsub.add_parser("import", help="time `kehu import customers` against PostgreSQL's COPY of the same file")
    i.add_argument("--customers", type=_positive, default=1_000_000)
    i.add_argument("--seed", type=int, default=1)
    i.add_argument("--keep", action="store_true", help="keep the imported customers")
    i.add_argument("--json", action="store_true", help="print the figures as JSON")
    i.set_defaults(func=_bench_import)
    io = bsub.add_parser("import-orders", help="time `kehu import orders` with and without the kept purchase "
                         "summary, against PostgreSQL's COPY of the same file")
    io.add_argument("--lines", type=_positive, default=100_000)
    io.add_argument("--seed", type=int, default=1)
    io.add_argument("--json", action="store_true", help="print the figures as JSON")
    io.set_defaults(func=_bench_import_orders)
    rs = bsub.add_parser("rescore", help="an order written through the service → its customer's scores updated "
                         "by the background worker: p50 / p95")
    rs.add_argument("--runs", type=_positive, default=200)
    rs.add_argument("--seed", type=int, default=1)
    rs.add_argument("--in-process", action="store_true", help="run the task at commit in this process (no queue)")
    rs.add_argument("--json", action="store_true", help="print the figures as JSON")
    rs.set_defaults(func=_bench_rescore)
    s = bsub.add_parser("surveys", help="weighted CSI over a million responses, the ECSI PLS model with bootstrap, "
                        "and the plain PLS fit against the plspm package")
    s.add_argument("--responses", type=_positive, default=1_000_000, help="responses for the weighted CSI")
    s.add_argument("--pls-rows", dest="pls_rows", type=_positive, default=10_000,
                   help="responses for the ECSI model with bootstrap (default 10,000)")
    s.add_argument("--bootstrap", type=_positive, default=500, help="bootstrap resamples (default 500)")
    s.add_argument("--compare-rows", dest="compare_rows", type=_positive, default=250,
                   help="responses for the comparison with plspm (default 250)")
    s.add_argument("--skip-plspm", dest="skip_plspm", action="store_true",
                   help="leave out the comparison with plspm (no virtual environment made)")
    s.add_argument("--json", action="store_true", help="print the figures as JSON")
    s.set_defaults(func=_bench_surveys)
    a = bsub.add_parser("analytics", help="a whole value analysis, and lifetimes (BG/NBD, Gamma-Gamma, "
                        "Pareto/NBD) on the same data")
    a.add_argument("--no-reference", dest="no_reference", action="store_true",
                   help="measure Kehu alone (no lifetimes environment)")
    a.add_argument("--venv", help="the lifetimes environment (default var/bench-venvs/lifetimes, made when missing)")
    a.add_argument("--cap", type=float, default=600.0,
                   help="seconds lifetimes' Pareto/NBD fit may take (default 600; its BG/NBD run gets 6x)")
    a.add_argument("--pareto-customers", dest="pareto_customers", type=_positive, default=350_000,
                   help="customers for the Pareto/NBD fit (default 350,000)")
    a.add_argument("--time-unit", dest="time_unit", choices=["day", "week"],
                   help="time unit of the models (default: the value settings')")
    a.add_argument("--as-of", dest="as_of", type=_date, help="as-of date (default today)")
    a.add_argument("--keep", action="store_true", help="keep the benchmark's analysis run and its scores")
    a.add_argument("--json", action="store_true", help="print the figures as JSON")
    a.set_defaults(func=_bench_analytics)
    a = bsub.add_parser("answer-page", help="questionnaires submitted per second through the public answer page "
                                            "(kehu serve on a scratch PostgreSQL database)")
    a.add_argument("--invitations", type=_positive, default=5000, help="respondents, each submits once (default 5000)")
    a.add_argument("--concurrency", type=int, default=16, help="requests in flight (default 16)")
    a.add_argument("--clients", type=int, default=2, help="load-generating processes (default 2)")
    a.add_argument("--workers", type=int, help="gunicorn workers (default: kehu serve's, 2 per core)")
    a.add_argument("--database-url", dest="database_url",
                   help="any database URL of the PostgreSQL server to use (default: KEHU_BENCH_PG or "
                        "postgres://postgres@127.0.0.1:5432/postgres)")
    a.add_argument("--database", default="kehu_bench_answers", help="the scratch database's name (dropped and "
                                                                     "created again; default kehu_bench_answers)")
    a.add_argument("--keep", action="store_true", help="keep the scratch database afterwards")
    a.add_argument("--json", action="store_true", help="print the figures as JSON")
    a.set_defaults(func=_bench_answer_page)
    ld = bsub.add_parser("load", help="many people at once over HTTP against kehu serve: requests per second, "
                                      "errors, p50/p95/p99 per kind, against a one-person reference")
    ld.add_argument("--users", type=_positive, default=50, help="simulated people (default 50)")
    ld.add_argument("--minutes", type=float, default=10.0, help="minutes of steady load (default 10)")
    ld.add_argument("--reference-minutes", dest="reference_minutes", type=float, default=2.0,
                    help="minutes of the one-person reference before it (default 2)")
    ld.add_argument("--ramp", type=float, default=60.0,
                    help="seconds over which the people start (and log in), reported apart (default 60)")
    ld.add_argument("--url", help="a running server on the same database (default: start kehu serve here)")
    ld.add_argument("--workers", type=int, help="gunicorn workers of the server started here (default: kehu serve's)")
    ld.add_argument("--password", help="the users' password (default: KEHU_BENCH_PASSWORD or bench1234, "
                                       "as kehu generate sets it)")
    ld.add_argument("--accounts", help="comma-separated usernames to log in as (default: bench_director for one "
                                       "person in five, the salespeople for the others)")
    ld.add_argument("--think", type=float, nargs=2, default=[1.0, 5.0], metavar=("MIN", "MAX"),
                    help="seconds each person waits between actions (default 1 5)")
    ld.add_argument("--weight", action="append", type=_mix_weight, metavar="ACTION=W",
                    help="change an action's weight in the mix (dashboard, customer list, search, customer 360, "
                         "API list, API detail, answer, import, relogin; 0 leaves it out), e.g. --weight import=0")
    ld.add_argument("--seed", type=int, default=1)
    ld.add_argument("--keep", action="store_true", help="keep the imported orders, the tokens and the open wave")
    ld.add_argument("--json", action="store_true", help="print the figures as JSON")
    ld.set_defaults(func=_bench_load)
    k = bsub.add_parser("kb", help="knowledge-base search (jieba + full text) over generated articles: p95")
    k.add_argument("--articles", type=_positive, default=50_000, help="articles to generate (default 50,000)")
    k.add_argument("--runs", type=_positive, default=600, help="searches to time (default 600)")
    k.add_argument("--seed", type=int, default=1)
    k.add_argument("--keep", action="store_true", help="keep the generated articles")
    k.add_argument("--json", action="store_true", help="print the figures as JSON")
    k.set_defaults(func=_bench_kb)
    v = bsub.add_parser("service", help="case queue and case page p95, the SLA check over the open cases, "
                                        "knowledge-base search and the service analytics page")
    v.add_argument("--runs", type=_positive, default=100, help="requests per page (default 100)")
    v.add_argument("--sla-runs", dest="sla_runs", type=_positive, default=3,
                   help="SLA checks to time, dry runs (default 3)")
    v.add_argument("--kb-runs", dest="kb_runs", type=_positive, default=300, help="searches to time (default 300)")
    v.add_argument("--analytics-runs", dest="analytics_runs", type=_positive, default=10,
                   help="requests of the analytics page (default 10)")
    v.add_argument("--json", action="store_true", help="print the figures as JSON")
    v.set_defaults(func=_bench_service)
    s = bsub.add_parser("sales", help="kanban board and opportunity list p95, the forecast of a quarter, a week's "
                                      "visit plans for 100 salespeople and the pool recycle")
    s.add_argument("--runs", type=_positive, default=100, help="requests per page (default 100)")
    s.add_argument("--job-runs", dest="job_runs", type=_positive, default=3,
                   help="runs of each job to time (default 3)")
    s.add_argument("--json", action="store_true", help="print the figures as JSON")
    s.set_defaults(func=_bench_sales)
    sp = bsub.add_parser("spark", help="the warehouse path on Spark: generate (or reuse) a Parquet set, time the "
                                       "summary, the fit and the scores written as Parquet, with peak memory")
    sp.add_argument("--customers", type=_positive, default=100_000)
    sp.add_argument("--orders", type=_positive, default=1_000_000, help="order LINES (default 1,000,000)")
    sp.add_argument("--seed", type=int, default=1)
    sp.add_argument("--folder", help="the Parquet set (default var/bench-parquet/orders-c<N>-l<M>-s<seed>; "
                                     "reused when it has the same size and seed)")
    sp.add_argument("--spark-master", dest="spark_master", help="Spark's master (default local[*])")
    sp.add_argument("--driver-memory", dest="driver_memory", help="spark.driver.memory, e.g. 6g (local mode: "
                                                                  "Spark's whole heap)")
    sp.add_argument("--keep", action="store_true", help="keep the scores' Parquet folder")
    sp.add_argument("--json", action="store_true", help="print the figures as JSON")
    sp.set_defaults(func=_bench_spark)
    m = bsub.add_parser("marketing", help="a campaign's audience of every customer through the sending gate, "
                                          "a member's balance and statement, a day's care run (issue 16)")
    m.add_argument("--audience", type=_positive, default=0, help="customers in the audience (default: all)")
    m.add_argument("--entries", type=_positive, default=10_000_000,
                   help="ledger entries to write when there is no benchmark ledger yet (default 10,000,000)")
    m.add_argument("--members", type=_positive, default=10_000, help="members of that ledger (default 10,000)")
    m.add_argument("--runs", type=_positive, default=500, help="members timed (default 500)")
    m.add_argument("--seed", type=int, default=1)
    m.add_argument("--drop-ledger", dest="drop_ledger", action="store_true",
                   help="delete the benchmark ledger afterwards (kept by default for the next run)")
    m.add_argument("--stages", default="abc", help="a: audience, b: ledger, c: care run (default abc)")
    m.add_argument("--json", action="store_true", help="print the figures as JSON")
    m.set_defaults(func=_bench_marketing)
