"""``kehu sales performance`` and ``kehu sales receivables``: the leaderboard and the
receivables ageing of the people and customers the acting user may see (``--as``; the
first administrator by default), as a table or as JSON (``--json``).

Exit codes: 0 done; 2 usage errors (unknown user or team, a wrong period).
"""

from __future__ import annotations

import datetime as dt
import json

from django.utils.translation import gettext as _

from kehu.sales.cli import _actor, _error


def _date(text: str | None, what: str):
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError(_("%(what)s: give a date as YYYY-MM-DD") % {"what": what}) from None


def _team(actor, text: str | None):
    from django.db.models import Q

    from kehu.sales import performance as perf

    if not text:
        return None
    q = Q(name=text)
    if text.isdigit():
        q |= Q(pk=int(text))
    team = perf.performance_teams(viewer=actor).filter(q).first()
    if team is None:
        raise ValueError(_("no team %(team)s that you may see") % {"team": text})
    return team


def _json(schema, data) -> None:
    """``data`` as the API answers it (through the endpoint's schema)."""
    print(json.dumps(schema.model_validate(data).model_dump(mode="json"), ensure_ascii=False, indent=2))


def _cell(value) -> str:
    return "-" if value is None or value == "" else str(value)


def cmd_performance(args) -> int:
    from django.utils import timezone

    from kehu.sales import performance as perf
    from kehu.sales.api_performance import SalesPerformanceOut, performance_payload
    from kehu.sales.performance_forms import PERIOD_MAX_DAYS, month_start

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        end = _date(args.date_to, "--to") or timezone.localdate()
        start = _date(args.date_from, "--from") or month_start(end)
        team = _team(actor, args.team)
    except ValueError as exc:
        return _error(str(exc))
    if start > end:
        return _error(_("The period must start before it ends."))
    if (end - start).days > PERIOD_MAX_DAYS:
        return _error(_("A period is at most three years."))
    result = perf.performance(viewer=actor, start=start, end=end, team=team, sort=args.sort)
    if args.json:
        _json(SalesPerformanceOut, performance_payload(result))
        return 0
    for row in perf.performance_table(result):
        print("\t".join(_cell(v) for v in row))
    return 0


def cmd_receivables(args) -> int:
    from django.utils import timezone

    from kehu.sales import performance as perf
    from kehu.sales.api_performance import ReceivablesOut, receivables_payload

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        as_of = _date(args.as_of, "--as-of") or timezone.localdate()
        team = _team(actor, args.team)
    except ValueError as exc:
        return _error(str(exc))
    if args.json:
        _json(ReceivablesOut, receivables_payload(actor, as_of=as_of, team=team, limit=args.limit))
        return 0
    orders = perf.receivable_orders(viewer=actor, as_of=as_of, team=team)
    rows = perf.receivables_table(perf.ageing_by_customer(orders)[:args.limit])
    totals = perf.ageing_totals(orders)
    from kehu.analytics.sales_performance import BUCKET_KEYS

    rows.append(["", _("Total"), totals["orders"], *(totals[k] for k in BUCKET_KEYS), totals["overdue"],
                 totals["total"]])
    for row in rows:
        print("\t".join(_cell(v) for v in row))
    return 0


def register(sub) -> None:
    p = sub.add_parser("sales", help=_("sales performance (销售业绩) and receivables ageing (应收账款账龄)"))
    sales = p.add_subparsers(dest="sales_command", required=True)

    def common(q):
        q.add_argument("--json", action="store_true", help=_("print JSON (as the API answers)"))
        q.add_argument("--team", metavar="TEAM", help=_("only this team's subtree (its name or number)"))
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    q = sales.add_parser("performance", help=_("the figures of each salesperson and team for a period"))
    q.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help=_("first day (default: this month's first)"))
    q.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help=_("last day, included (default: today)"))
    q.add_argument("--sort", default="-revenue", help=_("revenue, won, win_rate, visits, collection … ('-' first: "
                                                        "descending)"))
    common(q)
    q.set_defaults(func=cmd_performance)

    q = sales.add_parser("receivables", help=_("what customers owe, by days past the payment terms"))
    q.add_argument("--as-of", dest="as_of", metavar="YYYY-MM-DD", help=_("the day to count on (default: today)"))
    q.add_argument("--limit", type=int, default=100, help=_("customers to show, the most overdue first"))
    common(q)
    q.set_defaults(func=cmd_receivables)
