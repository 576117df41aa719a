"""``kehu summary check [--repair] [--json]``: compare the kept purchase summary and
sales per day, of all and per owner and team (kehu/sales/purchase_summary.py, sales_days.py) with the orders, as the
nightly check does.

Exit codes: 0 no difference, or differences repaired with ``--repair``;
1 differences found and not repaired (they are logged as an error: a bug to investigate)."""

from __future__ import annotations

import json
import sys

from django.utils.translation import gettext as _


def cmd_summary(args) -> int:
    from kehu.sales.purchase_summary import summary_check

    result = summary_check(repair=args.repair)
    if args.json:
        print(json.dumps({"customers": result.customers, "missing": result.missing, "extra": result.extra,
                          "different": result.different, "sales_days": result.sales_days,
                          "days_differ": result.days_differ, "scope_days_differ": result.scope_days_differ,
                          "repaired": result.repaired,
                          "examples": result.examples}))
    else:
        print(_("Customers with orders: %(n)d; kept rows missing %(missing)d, without orders %(extra)d, "
                "different %(different)d.") % {"n": result.customers, "missing": result.missing,
                                                 "extra": result.extra, "different": result.different})
        print(_("Sales per day: customers that differ %(n)d; day totals %(days)s.")
              % {"n": result.sales_days, "days": _("differ") if result.days_differ else _("agree")})
        print(_("Sales per day per owner and team: %(state)s.")
              % {"state": _("differ") if result.scope_days_differ else _("agree")})
        if result.differences:
            print(_("Examples (customer ids): %(ids)s") % {"ids": ", ".join(map(str, result.examples))},
                  file=sys.stderr)
            print(_("Repaired.") if result.repaired else _("Not repaired: run again with --repair."),
                  file=sys.stderr)
    return 0 if not result.differences or result.repaired else 1


def register(sub) -> None:
    p = sub.add_parser("summary", help=_("the kept per-customer purchase summary: check it against the orders"))
    p.add_argument("what", choices=["check"])
    p.add_argument("--repair", action="store_true", help=_("recompute the customers that differ"))
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_summary)
