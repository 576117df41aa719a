"""``kehu coupons import FILE``, ``kehu coupons expire [--date DATE]``,
``kehu coupons issue BATCH (--customer CODE ... | --segment ID)``.

Exit codes: 0 done; 1 refused (bad rows, nothing written; a rule refused the
issue); 2 usage errors (file missing, unknown user, batch or segment).
"""

from __future__ import annotations

import datetime as dt
import sys

from django.utils.translation import gettext as _


def _actor(username):
    from kehu.imports.cli import _actor as actor

    return actor(username)


def cmd_import(args) -> int:
    from kehu.marketing.coupons.importer import ImportRefused, import_coupons

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    try:
        report = import_coupons(args.file, actor=actor, dry_run=args.dry_run)
    except ImportRefused as exc:
        print(_("error: %(message)s") % {"message": exc}, file=sys.stderr)
        return 2
    for issue in sorted(report.errors, key=lambda i: i.line):
        print(str(issue), file=sys.stderr)
    if report.errors:
        print(_("Nothing imported: %(n)d row(s) are not valid.") % {"n": len(report.errors)}, file=sys.stderr)
        return 1
    if args.dry_run:
        print(_("Dry run: %(n)d coupon(s) would be issued; nothing written.") % {"n": report.issued})
    else:
        print(_("%(n)d coupon(s) issued.") % {"n": report.issued})
    return 0


def _date(text):
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise SystemExit(_("error: %(value)r is not a date (YYYY-MM-DD)") % {"value": text}) from None


def cmd_expire(args) -> int:
    from kehu.marketing.coupons.services import coupons_expire

    on = _date(args.date) if args.date else None
    n = coupons_expire(on=on)
    print(_("%(n)d coupon(s) marked expired.") % {"n": n})
    return 0


def cmd_issue(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.customers.selectors import customer_list
    from kehu.insights.models import Segment
    from kehu.insights.segments import segment_members
    from kehu.marketing.coupons.models import CouponDefinition
    from kehu.marketing.coupons.services import coupon_issue

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    definition = CouponDefinition.objects.filter(ref=args.batch).first()
    if definition is None:
        print(_("error: no coupon kind has the batch code %(ref)s") % {"ref": args.batch}, file=sys.stderr)
        return 2
    if args.segment is not None:
        segment = Segment.objects.filter(pk=args.segment).first()
        if segment is None:
            print(_("error: no segment %(id)s") % {"id": args.segment}, file=sys.stderr)
            return 2
        customers = segment_members(segment=segment, viewer=actor).select_related(None).only("pk", "name")
        skip = True
    else:
        wanted = list(dict.fromkeys(args.customer or []))
        customers = list(customer_list(viewer=actor).filter(ref__in=wanted).select_related(None).only("pk", "name", "ref"))
        missing = sorted(set(wanted) - {c.ref for c in customers})
        if missing or not wanted:
            print(_("error: no customer you can see has the code(s): %(codes)s")
                  % {"codes": ", ".join(missing) or "—"}, file=sys.stderr)
            return 2
        skip = False
    try:
        result = coupon_issue(actor=actor, definition=definition, customers=customers, skip_held=skip)
    except (ValidationError, PermissionDenied) as exc:
        messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
        print(_("error: %(message)s") % {"message": " ".join(messages)}, file=sys.stderr)
        return 1
    for coupon in result.coupons[:args.show]:
        print(f"{coupon.display_code}\t{coupon.customer_id}")
    print(_("%(n)d coupon(s) issued, %(skipped)d customer(s) skipped (already holding the most).")
          % {"n": result.issued, "skipped": len(result.skipped)})
    return 0


def register(sub) -> None:
    p = sub.add_parser("coupons", help=_("coupons: import, issue, expire"))
    c_sub = p.add_subparsers(dest="coupons_command", required=True)
    i = c_sub.add_parser("import", help=_("issue coupons from a CSV or .xlsx file (customer, batch code, code)"),
                         description=_("Columns: customer (the customer's code), definition (the coupon kind's "
                                       "batch code), code (optional). One bad row and nothing is written."))
    i.add_argument("file", metavar="FILE")
    i.add_argument("--as", dest="as_user", metavar="USERNAME", help=_("import as this user (default: an administrator)"))
    i.add_argument("--dry-run", action="store_true", help=_("check the file, write nothing"))
    i.set_defaults(func=cmd_import)
    e = c_sub.add_parser("expire", help=_("mark coupons whose validity has ended as expired"))
    e.add_argument("--date", help=_("the day to expire for (YYYY-MM-DD; default today)"))
    e.set_defaults(func=cmd_expire)
    s = c_sub.add_parser("issue", help=_("issue coupons of a kind to customers or a segment"))
    s.add_argument("batch", metavar="BATCH", help=_("the coupon kind's batch code"))
    target = s.add_mutually_exclusive_group(required=True)
    target.add_argument("--customer", action="append", metavar="CODE", help=_("a customer's code (repeatable)"))
    target.add_argument("--segment", type=int, metavar="ID", help=_("a saved segment's id"))
    s.add_argument("--as", dest="as_user", metavar="USERNAME", help=_("issue as this user (default: an administrator)"))
    s.add_argument("--show", type=int, default=20, help=_("print the codes of the first N coupons"))
    s.set_defaults(func=cmd_issue)
