"""``kehu demo`` (the demo company) and ``kehu serve`` (the production server)."""

from __future__ import annotations

import sys
import time
import unicodedata

from django.utils.translation import gettext as _


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
    print(_("Migrating the database..."), file=out, flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    if args.reset:
        print(_("Removing the demo company (--reset)..."), file=out, flush=True)
    print(_("Preparing the demo company %(name)s / %(name_en)s...") % {"name": COMPANY_NAME, "name_en": COMPANY_NAME_EN},
          file=out, flush=True)
    summary = demo_ensure(seed=args.seed, customers=args.customers, reset=args.reset)
    took = time.monotonic() - t0
    if summary.created:
        print(_("Created the demo company in %(seconds).1f s:") % {"seconds": took}, file=out)
    else:
        print(_("The demo company already exists; reusing it (use --reset to recreate it):"), file=out)
    print("  " + _("%(customers)s customers, %(contacts)s contacts, %(orders)s orders (%(lines)s lines, "
                   "revenue CNY %(revenue)s), %(payments)s payments, %(interactions)s interactions") % {
        "customers": f"{summary.customers:,}", "contacts": f"{summary.contacts:,}",
        "orders": f"{summary.orders:,}", "lines": f"{summary.order_lines:,}",
        "revenue": f"{summary.revenue:,.2f}", "payments": f"{summary.payments:,}",
        "interactions": f"{summary.interactions:,}"}, file=out)
    if summary.marketing:
        print("  " + _("%(members)s members, %(coupons)s coupons, %(moments)s care moments") % {
            "members": f"{summary.marketing['members']:,}", "coupons": f"{summary.marketing['coupons']:,}",
            "moments": f"{summary.marketing['care_moments']:,}"}, file=out)
    from kehu.insights.cli import demo_analysis

    demo_analysis(force=summary.created, out=out)
    print("", file=out)
    print(_("Demo logins:"), file=out)
    print_table([_("username"), _("password"), _("role"), _("team or partner")], summary.logins, out=out)
    print("", file=out, flush=True)
    if args.serve:
        from kehu.demo.server import serve

        return serve(host=args.host, port=args.port, workers=args.workers)
    print(_("Start the server with `kehu serve` (or run `kehu demo --serve`)."), file=out)
    return 0


def _serve(args) -> int:
    from kehu.demo.server import serve

    return serve(host=args.host, port=args.port, workers=args.workers)


def register(sub) -> None:
    from kehu.demo.generator import DEFAULT_CUSTOMERS

    d = sub.add_parser("demo", help=_("migrate, create the demo company once, print its logins; --serve serves it"))
    d.add_argument("--serve", action="store_true", help=_("then serve it like `kehu serve`"))
    d.add_argument("--host", default="127.0.0.1")
    d.add_argument("--port", type=int, default=8000)
    d.add_argument("--workers", type=int, help=_("server worker processes (default: 2 per core)"))
    d.add_argument("--seed", type=int, default=7, help=_("random seed of the demo data (default 7)"))
    d.add_argument("--customers", type=int, default=DEFAULT_CUSTOMERS,
                   help=_("number of customers (default %(count)s)") % {"count": DEFAULT_CUSTOMERS})
    d.add_argument("--reset", action="store_true", help=_("drop the demo company's data and create it again"))
    d.set_defaults(func=_demo)

    s = sub.add_parser("serve", help=_("serve Kehu with gunicorn (production server)"))
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8000)
    s.add_argument("--workers", type=int, help=_("worker processes (default: 2 per core)"))
    s.set_defaults(func=_serve)
