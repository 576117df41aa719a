"""``kehu demo`` (the demo company) and ``kehu serve`` (the production server)."""

from __future__ import annotations

import sys
import time
import unicodedata


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def print_table(headers: list[str], rows: list[tuple], out=None) -> None:
    """A plain text table, aligned for Chinese text too."""
    out = out or sys.stdout
    rows = [tuple(str(v) for v in row) for row in rows]
    widths = [max([_width(h)] + [_width(r[i]) for r in rows]) for i, h in enumerate(headers)]
    print("  ".join(_pad(h, w) for h, w in zip(headers, widths)).rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in rows:
        print("  ".join(_pad(v, w) for v, w in zip(r, widths)).rstrip(), file=out)


def _demo(args) -> int:
    from django.core.management import call_command

    from kehu.demo.generator import COMPANY_NAME, COMPANY_NAME_EN, demo_ensure

    out = sys.stdout
    t0 = time.monotonic()
    print("Migrating the database...", file=out, flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    if args.reset:
        print("Removing the demo company (--reset)...", file=out, flush=True)
    print(f"Preparing the demo company {COMPANY_NAME} / {COMPANY_NAME_EN}...", file=out, flush=True)
    summary = demo_ensure(seed=args.seed, customers=args.customers, reset=args.reset)
    took = time.monotonic() - t0
    if summary.created:
        print(f"Created the demo company in {took:.1f} s:", file=out)
    else:
        print("The demo company already exists; reusing it (use --reset to recreate it):", file=out)
    print(f"  {summary.customers:,} customers, {summary.contacts:,} contacts, {summary.orders:,} orders "
          f"({summary.order_lines:,} lines, revenue CNY {summary.revenue:,.2f}), "
          f"{summary.payments:,} payments, {summary.interactions:,} interactions", file=out)
    print("", file=out)
    print("Demo logins:", file=out)
    print_table(["username", "password", "role", "team"], summary.logins, out=out)
    print("", file=out, flush=True)
    if args.serve:
        from kehu.demo.server import serve

        return serve(host=args.host, port=args.port, workers=args.workers)
    print("Start the server with `kehu serve` (or run `kehu demo --serve`).", file=out)
    return 0


def _serve(args) -> int:
    from kehu.demo.server import serve

    return serve(host=args.host, port=args.port, workers=args.workers)


def register(sub) -> None:
    from kehu.demo.generator import DEFAULT_CUSTOMERS

    d = sub.add_parser("demo", help="migrate, create the demo company once, print its logins; --serve serves it")
    d.add_argument("--serve", action="store_true", help="then serve it like `kehu serve`")
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--workers", type=int, help="server worker processes (default: 2 per core)")
    d.add_argument("--seed", type=int, default=7, help="random seed of the demo data (default 7)")
    d.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS,
                   help=f"number of customers (default {DEFAULT_CUSTOMERS})")
    d.add_argument("--reset", action="store_true", help="drop the demo company's data and create it again")
    d.set_defaults(func=_demo)

    s = sub.add_parser("serve", help="serve Kehu with gunicorn (production server)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, help="worker processes (default: 2 per core)")
    s.set_defaults(func=_serve)
