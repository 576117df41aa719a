"""``kehu visits plan [--week 2026-W50] [--dry-run] [--user USERNAME ...]``.

Plans the week's visits of each salesperson (kehu.engagement.visits.plan_week)
and prints them per salesperson: day, customer, reason and its evidence.
Exit codes: 0 done; 2 usage errors (a week that is not an ISO week, an unknown user).
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def cmd_plan(args) -> int:
    from kehu.analytics.visit_plan import week_start
    from kehu.engagement.models import PlannedVisit
    from kehu.engagement.visits import due_week, plan_week, visit_evidence
    from kehu.org.models import User

    week = args.week or due_week()
    try:
        week_start(week)
    except ValueError:
        print(_("error: %(week)s is not an ISO week such as 2026-W50") % {"week": week}, file=sys.stderr)
        return 2
    users = None
    if args.user:
        users = list(User.objects.filter(username__in=args.user, is_active=True))
        missing = set(args.user) - {u.username for u in users}
        if missing:
            print(_("error: no active user named %(username)r") % {"username": sorted(missing)[0]}, file=sys.stderr)
            return 2
    plan = plan_week(week.upper(), users=users, dry_run=args.dry_run)
    total = 0
    for person, lines in plan.items():
        print(f"{person.get_full_name() or person.username} ({person.username})")
        for line in lines:
            shown = PlannedVisit(customer=line.customer, reason=line.reason, reason_data=line.evidence)
            print("\t".join([line.day.isoformat(), line.customer.ref or str(line.customer.pk), line.customer.name,
                             shown.get_reason_display(), visit_evidence(shown)]))
        total += len(lines)
    if args.dry_run:
        print(ngettext("%(count)d visit would be planned for %(week)s (dry run, nothing written).",
                       "%(count)d visits would be planned for %(week)s (dry run, nothing written).", total)
              % {"count": total, "week": week.upper()})
    else:
        print(ngettext("%(count)d visit planned for %(week)s.", "%(count)d visits planned for %(week)s.", total)
              % {"count": total, "week": week.upper()})
    return 0


def register(sub) -> None:
    p = sub.add_parser("visits", help=_("visit plans: plan a week of visits per salesperson"))
    visits = p.add_subparsers(dest="visits_command", required=True)
    q = visits.add_parser("plan", help=_("plan a week of visits for each salesperson and print them"))
    q.add_argument("--week", metavar="YYYY-Www", help=_("the ISO week to plan (default: next week)"))
    q.add_argument("--dry-run", action="store_true", help=_("print what would be planned, write nothing"))
    q.add_argument("--user", action="append", metavar="USERNAME", help=_("only this salesperson (repeatable)"))
    q.set_defaults(func=cmd_plan)
