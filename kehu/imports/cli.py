"""``kehu import customers|orders FILE`` and ``kehu export customers|orders FILE``.

Exit codes: 0 success; 1 import refused because of bad rows (each printed as
``line 17: order_date: '2024-13-45' is not a date``); 2 usage errors (file
missing, unknown format, no header, required columns missing, unknown user).
"""

from __future__ import annotations

import sys

MAX_PRINTED = 200


def _actor(username: str | None):
    from django.db.models import Q

    from kehu.org.models import Role, User

    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            print(f"error: no active user named {username!r}", file=sys.stderr)
        return user
    user = (User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(role=Role.ADMIN))
            .order_by("id").first())
    if user is None:
        print("error: no active administrator to import as; create one with "
              "`kehu createuser NAME --role admin` or pass --as USERNAME", file=sys.stderr)
    return user


class _Bar:
    """A tqdm progress bar on stderr: rows checked, then rows written."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.phase = None

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if phase != self.phase:
            self.close()
            self.phase = phase
            desc = {"check": "checking", "write": "writing"}.get(phase, phase)
            self.bar = tqdm(total=total, desc=desc, unit=" rows", unit_scale=True, file=sys.stderr,
                            dynamic_ncols=True, leave=True)
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _print_issues(issues, total: int, prefix: str = "") -> None:
    for issue in issues[:MAX_PRINTED]:
        print(f"{prefix}{issue}", file=sys.stderr)
    if total > MAX_PRINTED:
        print(f"{prefix}... and {total - MAX_PRINTED} more", file=sys.stderr)


def _import(args) -> int:
    from django.core.exceptions import PermissionDenied

    from kehu.imports.services import ImportUsageError, run_import

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    bar = _Bar(enabled=not args.quiet)
    try:
        report = run_import(args.kind, actor=actor, source=args.file, skip_bad=args.skip_bad,
                            dry_run=args.dry_run, progress=bar)
    except ImportUsageError as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except PermissionDenied as exc:
        bar.close()
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bar.close()
    if report.unknown:
        print(f"note: columns ignored: {', '.join(report.unknown)}", file=sys.stderr)
    _print_issues(sorted(report.warnings, key=lambda i: i.line), report.warning_count, prefix="warning: ")
    _print_issues(report.sorted_errors(), report.error_count)
    where = f"{report.filename} ({report.format}{', ' + report.encoding if report.encoding else ''})"
    if report.refused:
        print(f"refused: {report.skipped} bad rows of {report.rows_read} in {where}; nothing written. "
              "Fix them, or use --skip-bad to import the good rows.", file=sys.stderr)
        return 1
    if args.kind == "customers":
        counts = f"{report.created} created, {report.updated} updated"
    else:
        counts = (f"{report.created} orders ({report.lines_created} lines) created, "
                  f"{report.customers_created} new customers")
    verb = "would be" if report.dry_run else "done:"
    if report.dry_run:
        print(f"dry run, nothing written: {report.rows_read} rows read from {where}; {counts} {verb} made; "
              f"{report.skipped} bad rows, {report.warning_count} warnings")
        return 1 if report.error_count and not args.skip_bad else 0
    print(f"imported {where}: {report.rows_read} rows read; {counts}; {report.skipped} bad rows skipped; "
          f"{report.warning_count} warnings")
    return 0


def _export(args) -> int:
    from kehu.customers.selectors import CustomerFilters
    from kehu.imports.exports import export_to_file

    suffix = str(args.file).lower().rsplit(".", 1)[-1] if "." in str(args.file) else ""
    if suffix not in ("csv", "xlsx"):
        print("error: the file name must end in .csv or .xlsx", file=sys.stderr)
        return 2
    actor = _actor(args.as_user)
    if actor is None:
        return 2
    try:
        if args.kind == "customers":
            filters = CustomerFilters(q=args.q or "", kind=args.type or "", stage=args.stage or "",
                                      region=args.region or "", tag=args.tag or "", city=args.city or "")
            n = export_to_file("customers", args.file, viewer=actor, filters=filters)
        else:
            n = export_to_file("orders", args.file, viewer=actor, date_from=args.date_from, date_to=args.date_to)
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"exported {n} {'customers' if args.kind == 'customers' else 'order lines'} to {args.file}")
    return 0


def register(sub) -> None:
    imp = sub.add_parser("import", help="import customers or orders from a .csv or .xlsx file")
    isub = imp.add_subparsers(dest="kind", required=True, metavar="{customers,orders}")
    for kind, text in (("customers", "customers (ref, name, type, phone, ...)"),
                       ("orders", "orders, one row per line (customer_ref, order_date, amount, ...)")):
        p = isub.add_parser(kind, help=f"import {text}; see docs/import.md")
        p.add_argument("file", help="a .csv (UTF-8 or GBK) or .xlsx file")
        p.add_argument("--skip-bad", action="store_true", help="write the good rows and list the bad ones")
        p.add_argument("--dry-run", action="store_true", help="check the file, write nothing")
        p.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help="import as this user (default: the first active administrator)")
        p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
        p.set_defaults(func=_import)

    exp = sub.add_parser("export", help="export customers or orders to a .csv or .xlsx file")
    esub = exp.add_subparsers(dest="kind", required=True, metavar="{customers,orders}")
    c = esub.add_parser("customers", help="export the customers the user may see")
    o = esub.add_parser("orders", help="export the order lines the user may see")
    for p in (c, o):
        p.add_argument("file", help="FILE.csv or FILE.xlsx")
        p.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help="export as this user (default: the first active administrator)")
        p.set_defaults(func=_export)
    c.add_argument("--q", help="search text, as in the customer list")
    c.add_argument("--type", help="individual or organization")
    c.add_argument("--stage", help="lifecycle stage")
    c.add_argument("--region")
    c.add_argument("--tag")
    c.add_argument("--city")
    o.add_argument("--from", dest="date_from", help="first order date, YYYY-MM-DD")
    o.add_argument("--to", dest="date_to", help="last order date, YYYY-MM-DD")
