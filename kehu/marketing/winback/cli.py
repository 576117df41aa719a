"""``kehu winback mark-lost|won-back|report|candidates``: lost customers and win-back.

Exit codes: 0 done; 2 usage errors (unknown user, a customer or loss the user may not
see, a refused change — the message says why)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal

from django.utils.translation import gettext as _


def _actor(args):
    from kehu.imports.cli import _actor as find

    return find(args.as_user)


def _date(text: str) -> dt.date:
    import argparse

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(_("%(value)s is not a date (YYYY-MM-DD)") % {"value": text}) from None


def _customer(actor, ref: str):
    from kehu.customers.models import Customer
    from kehu.org.policies import policy_for

    qs = policy_for(actor).visible(Customer.objects.all())
    customer = qs.filter(ref=ref).first()
    if customer is None and ref.isdigit():
        customer = qs.filter(pk=int(ref)).first()
    if customer is None:
        print(_("error: no customer %(ref)s that you may see") % {"ref": ref}, file=sys.stderr)
    return customer


def _refused(exc) -> int:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError):
        text = "; ".join(m for ms in (exc.message_dict.values() if hasattr(exc, "error_dict") else [exc.messages])
                         for m in ms)
    else:
        text = str(exc) or _("You may not change this customer.")
    print(_("error: %(message)s") % {"message": text}, file=sys.stderr)
    return 2


def cmd_mark_lost(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.marketing.winback.services import loss_create

    actor = _actor(args)
    customer = actor and _customer(actor, args.customer)
    if customer is None:
        return 2
    try:
        loss = loss_create(actor=actor, customer=customer, reason=args.reason, reason_other=args.other or "",
                           lost_on=args.date, note=args.note or "")
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    print(_("%(name)s marked lost on %(date)s: %(reason)s; revenue lost %(revenue)s, value to win back "
            "%(value)s") % {"name": customer.name, "date": loss.lost_on.isoformat(), "reason": loss.reason_text,
                            "revenue": loss.revenue_lost, "value": loss.expected_value})
    return 0


def cmd_won_back(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.marketing.winback.selectors import open_loss
    from kehu.marketing.winback.services import loss_won_back

    actor = _actor(args)
    customer = actor and _customer(actor, args.customer)
    if customer is None:
        return 2
    loss = open_loss(customer.pk)
    if loss is None:
        print(_("error: %(name)s is not marked lost") % {"name": customer.name}, file=sys.stderr)
        return 2
    try:
        loss_won_back(actor=actor, loss=loss, won_back_on=args.date, note=args.note or "",
                      how="campaign" if args.campaign else "manual", campaign_id=args.campaign)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    print(_("%(name)s marked won back.") % {"name": customer.name})
    return 0


def _plain(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def cmd_report(args) -> int:
    from kehu.marketing.winback.selectors import LossFilters, loss_report
    from kehu.marketing.winback.views import report_tables

    actor = _actor(args)
    if actor is None:
        return 2
    result = loss_report(viewer=actor, filters=LossFilters(date_from=args.date_from, date_to=args.date_to,
                                                           reason=args.reason or ""), period=args.period)
    if args.json:
        print(json.dumps(result, default=_plain, ensure_ascii=False, indent=2))
        return 0
    t = result["total"]
    print(_("Customers lost: %(n)s; revenue lost: %(revenue)s; won back: %(won)s; value still to win back: "
            "%(open)s") % {"n": t["losses"], "revenue": t["revenue_lost"], "won": t["won_back"],
                           "open": t["open_value"]})
    for title, header, rows in report_tables(result):
        print()
        print(f"# {title}")
        print("\t".join(str(h) for h in header))
        for row in rows:
            print("\t".join("-" if v is None else str(v) for v in row))
    return 0


def cmd_candidates(args) -> int:
    from kehu.marketing.winback.selectors import winback_candidates

    actor = _actor(args)
    if actor is None:
        return 2
    rows = winback_candidates(viewer=actor, reason=args.reason or "")[:args.limit]
    if args.json:
        print(json.dumps([{"customer_id": x.customer_id, "customer": x.customer.name, "loss_id": x.pk,
                           "reason": x.reason, "revenue_lost": str(x.revenue_lost),
                           "predicted_value": None if x.predicted_value is None else str(x.predicted_value),
                           "expected_value": str(x.expected_value)} for x in rows], ensure_ascii=False, indent=2))
        return 0
    for x in rows:
        print("\t".join([x.customer.ref, x.customer.name, x.reason_text, str(x.revenue_lost),
                         "-" if x.predicted_value is None else str(x.predicted_value), str(x.expected_value)]))
    return 0


def register(sub) -> None:
    from kehu.marketing.winback.models import LossReason

    p = sub.add_parser("winback", help=_("lost customers and win-back (流失与挽回): mark-lost, won-back, report, "
                                         "candidates"))
    cmds = p.add_subparsers(dest="winback_command", required=True)

    def common(q):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    q = cmds.add_parser("mark-lost", help=_("mark a customer lost, with the reason"))
    q.add_argument("customer", metavar="CUSTOMER", help=_("the customer's code (or number)"))
    q.add_argument("--reason", required=True, choices=LossReason.values)
    q.add_argument("--other", help=_("the reason in words (with --reason other)"))
    q.add_argument("--date", type=_date, help=_("the day the customer was lost (default: today)"))
    q.add_argument("--note")
    common(q)
    q.set_defaults(func=cmd_mark_lost)

    q = cmds.add_parser("won-back", help=_("mark a lost customer won back"))
    q.add_argument("customer", metavar="CUSTOMER", help=_("the customer's code (or number)"))
    q.add_argument("--date", type=_date, help=_("the day it was won back (default: today)"))
    q.add_argument("--campaign", type=int, metavar="ID", help=_("the win-back campaign that did it"))
    q.add_argument("--note")
    common(q)
    q.set_defaults(func=cmd_won_back)

    q = cmds.add_parser("report", help=_("the lost-revenue report: by reason, owner and period"))
    q.add_argument("--from", dest="date_from", type=_date)
    q.add_argument("--to", dest="date_to", type=_date)
    q.add_argument("--reason", choices=LossReason.values)
    q.add_argument("--period", choices=["month", "quarter"], default="month")
    q.add_argument("--json", action="store_true")
    common(q)
    q.set_defaults(func=cmd_report)

    q = cmds.add_parser("candidates", help=_("the win-back list, most value to win back first"))
    q.add_argument("--reason", choices=LossReason.values)
    q.add_argument("--limit", type=int, default=100)
    q.add_argument("--json", action="store_true")
    common(q)
    q.set_defaults(func=cmd_candidates)
