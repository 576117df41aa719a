"""``kehu import customers|orders|leads FILE`` and ``kehu export customers|orders FILE``.

Exit codes: 0 success; 1 import refused because of bad rows (each printed as
``line 17: order_date: '2024-13-45' is not a date``); 2 usage errors (file
missing, unknown format, no header, required columns missing, unknown user).
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

MAX_PRINTED = 200


def _actor(username: str | None):
    from django.db.models import Q

    from kehu.org.models import Role, User

    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            print(_("error: no active user named %(username)r") % {"username": username}, file=sys.stderr)
        return user
    user = (User.objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(role=Role.ADMIN))
            .order_by("id").first())
    if user is None:
        print(_("error: no active administrator to import as; create one with "
                "`kehu createuser NAME --role admin` or pass --as USERNAME"), file=sys.stderr)
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
            desc = {"check": _("checking"), "write": _("writing")}.get(phase, phase)
            self.bar = tqdm(total=total, desc=desc, unit=" " + _("rows"), unit_scale=True, file=sys.stderr,
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
        print(prefix + _("... and %(count)d more") % {"count": total - MAX_PRINTED}, file=sys.stderr)


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
        print(_("error: %(error)s") % {"error": exc}, file=sys.stderr)
        return 2
    except PermissionDenied as exc:
        bar.close()
        print(_("error: %(error)s") % {"error": exc}, file=sys.stderr)
        return 2
    bar.close()
    if report.unknown:
        print(_("note: columns ignored: %(columns)s") % {"columns": ", ".join(report.unknown)}, file=sys.stderr)
    _print_issues(sorted(report.warnings, key=lambda i: i.line), report.warning_count, prefix=_("warning: "))
    _print_issues(report.sorted_errors(), report.error_count)
    where = f"{report.filename} ({report.format}{', ' + report.encoding if report.encoding else ''})"
    parts = {
        "file": where,
        "rows": ngettext("%(count)s row", "%(count)s rows", report.rows_read) % {"count": report.rows_read},
        "bad": ngettext("%(count)s bad row", "%(count)s bad rows", report.skipped) % {"count": report.skipped},
        "warnings": ngettext("%(count)s warning", "%(count)s warnings", report.warning_count) % {
            "count": report.warning_count},
    }
    if report.refused:
        print(_("refused: %(bad)s of %(rows)s in %(file)s; nothing written. "
                "Fix them, or use --skip-bad to import the good rows.") % parts, file=sys.stderr)
        return 1
    if args.kind in ("customers", "leads"):
        parts["counts"] = _("%(created)s created, %(updated)s updated") % {
            "created": report.created, "updated": report.updated}
    else:
        parts["counts"] = _("%(orders)s (%(lines)s) created, %(customers)s") % {
            "orders": ngettext("%(count)s order", "%(count)s orders", report.created) % {"count": report.created},
            "lines": ngettext("%(count)s line", "%(count)s lines", report.lines_created) % {
                "count": report.lines_created},
            "customers": ngettext("%(count)s new customer", "%(count)s new customers", report.customers_created) % {
                "count": report.customers_created},
        }
    if report.dry_run:
        print(_("dry run, nothing written: %(rows)s read from %(file)s; %(counts)s would be made; "
                "%(bad)s, %(warnings)s") % parts)
        return 1 if report.error_count and not args.skip_bad else 0
    print(_("imported %(file)s: %(rows)s read; %(counts)s; %(bad)s skipped; %(warnings)s") % parts)
    return 0


def _export(args) -> int:
    from kehu.customers.selectors import CustomerFilters
    from kehu.imports.exports import export_to_file

    suffix = str(args.file).lower().rsplit(".", 1)[-1] if "." in str(args.file) else ""
    if suffix not in ("csv", "xlsx"):
        print(_("error: the file name must end in .csv or .xlsx"), file=sys.stderr)
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
        print(_("error: %(error)s") % {"error": exc}, file=sys.stderr)
        return 2
    if args.kind == "customers":
        text = ngettext("exported %(count)s customer to %(file)s", "exported %(count)s customers to %(file)s", n)
    else:
        text = ngettext("exported %(count)s order line to %(file)s", "exported %(count)s order lines to %(file)s", n)
    print(text % {"count": n, "file": args.file})
    return 0


def _table_import(args) -> int:
    """Run an all-or-nothing table import (quotas, partners, employees; kehu/imports/tables.py):
    the bad rows with their line and reason, and nothing written when there is one."""
    from django.core.exceptions import PermissionDenied

    from kehu.imports.readers import TableError
    from kehu.imports.tables import table_import

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    spec = table_import(args.kind)
    try:
        report = spec.run(actor=actor, path=args.file, dry_run=args.dry_run)
    except (TableError, PermissionDenied) as exc:
        print(_("error: %(error)s") % {"error": exc}, file=sys.stderr)
        return 2
    for line, message in report.errors[:MAX_PRINTED]:
        print(_("line %(line)s: %(error)s") % {"line": line, "error": message}, file=sys.stderr)
    if report.refused:
        print(_("refused: %(count)s bad rows; nothing written.") % {"count": len(report.errors)}, file=sys.stderr)
        return 1
    print(spec.summary(report))
    return 0


def register(sub) -> None:
    imp = sub.add_parser("import", help=_("import customers or orders from a .csv or .xlsx file"))
    isub = imp.add_subparsers(dest="kind", required=True, metavar="{customers,orders,leads,quotas,partners,employees}")
    for kind, text in (("customers", _("import customers (ref, name, type, phone, ...); see docs/import.md")),
                       ("leads", _("import leads into the company pool: customers at the reserve stage without "
                                   "an owner (the customer columns without owner and stage)")),
                       ("orders", _("import orders, one row per line (customer_ref, order_date, amount, ...); "
                                    "see docs/import.md"))):
        p = isub.add_parser(kind, help=text)
        p.add_argument("file", help=_("a .csv (UTF-8 or GBK) or .xlsx file"))
        p.add_argument("--skip-bad", action="store_true", help=_("write the good rows and list the bad ones"))
        p.add_argument("--dry-run", action="store_true", help=_("check the file, write nothing"))
        p.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("import as this user (default: the first active administrator)"))
        p.add_argument("--quiet", "-q", action="store_true", help=_("no progress bar"))
        p.set_defaults(func=_import)

    for kind, text in (
            ("quotas", _("import sales quotas (period, username or team, product_line, amount); see docs/selling.md")),
            ("partners", _("import partners (code, name, type, parent, manager, margin, ...); see docs/user-guide.md")),
            ("employees", _("import staff without a login (name, email, phone, team, position, active) for the "
                            "employee survey; see docs/surveys.md"))):
        t = isub.add_parser(kind, help=text)
        t.add_argument("file", help=_("a .csv (UTF-8 or GBK) or .xlsx file"))
        t.add_argument("--dry-run", action="store_true", help=_("check the file, write nothing"))
        t.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("import as this user (default: the first active administrator)"))
        t.set_defaults(func=_table_import)

    exp = sub.add_parser("export", help=_("export customers or orders to a .csv or .xlsx file"))
    esub = exp.add_subparsers(dest="kind", required=True, metavar="{customers,orders}")
    c = esub.add_parser("customers", help=_("export the customers the user may see"))
    o = esub.add_parser("orders", help=_("export the order lines the user may see"))
    for p in (c, o):
        p.add_argument("file", help=_("FILE.csv or FILE.xlsx"))
        p.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("export as this user (default: the first active administrator)"))
        p.set_defaults(func=_export)
    c.add_argument("--q", help=_("search text, as in the customer list"))
    c.add_argument("--type", help=_("individual or organization"))
    c.add_argument("--stage", help=_("lifecycle stage"))
    c.add_argument("--region")
    c.add_argument("--tag")
    c.add_argument("--city")
    o.add_argument("--from", dest="date_from", help=_("first order date, YYYY-MM-DD"))
    o.add_argument("--to", dest="date_to", help=_("last order date, YYYY-MM-DD"))
