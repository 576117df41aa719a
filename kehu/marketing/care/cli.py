"""``kehu care run [--date YYYY-MM-DD] [--dry-run]``: the care calendar's daily run, counts per rule.

Exit codes: 0 done; 2 usage errors (a date that is not YYYY-MM-DD).
"""

from __future__ import annotations

import datetime as dt
import sys

from django.utils.translation import gettext as _


def cmd_run(args) -> int:
    from .models import CareRule
    from .services import care_run

    day = None
    if args.date:
        try:
            day = dt.date.fromisoformat(args.date)
        except ValueError:
            print(_("error: a date is written YYYY-MM-DD."), file=sys.stderr)
            return 2
    counts = care_run(date=day, dry_run=args.dry_run)
    names = {r.pk: r.name for r in CareRule.objects.filter(pk__in=counts)}
    if args.dry_run:
        print(_("Dry run: nothing was written."))
    if not counts:
        print(_("No active care rules."))
    for pk, c in counts.items():
        print(_("%(rule)s: %(created)s new moments, %(sent)s sent, %(held)s held, %(task)s tasks, "
                "%(reminders)s reminders") % {"rule": names.get(pk, pk), "created": c.get("created", 0),
                                              "sent": c.get("sent", c.get("to_send", 0)),
                                              "held": c.get("held", 0), "task": c.get("task", 0),
                                              "reminders": c.get("reminders", 0)})
    return 0


def register(sub) -> None:
    p = sub.add_parser("care", help=_("the care calendar: birthdays, holidays, thank-yous, the rice merchant"))
    c = p.add_subparsers(dest="care_command", required=True)
    r = c.add_parser("run", help=_("run the care rules for a day (default: today in the company's zone)"))
    r.add_argument("--date", metavar="YYYY-MM-DD")
    r.add_argument("--dry-run", action="store_true", help=_("count what would be sent; write nothing"))
    r.set_defaults(func=cmd_run)
