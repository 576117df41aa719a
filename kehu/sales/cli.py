"""``kehu opportunities list|create|move``.

Exit codes: 0 done; 1 refused (invalid input, a move that cannot be made — each reason
printed); 2 usage errors (unknown user, customer, opportunity, stage or product line).
"""

from __future__ import annotations

import datetime as dt
import sys

from django.utils.translation import gettext as _


def _actor(args):
    from kehu.imports.cli import _actor as find

    return find(args.as_user)


def _errors(exc) -> list[str]:
    from django.core.exceptions import ValidationError

    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return [f"{k}: {m}" for k, ms in exc.message_dict.items() for m in ms]
    if isinstance(exc, ValidationError):
        return list(exc.messages)
    return [str(exc)]


def _fail(exc) -> int:
    for m in _errors(exc):
        print(_("error: %(error)s") % {"error": m}, file=sys.stderr)
    return 1


def cmd_list(args) -> int:
    from kehu.sales.opportunity_selectors import OpportunityFilters, opportunity_list

    actor = _actor(args)
    if actor is None:
        return 2
    rows = opportunity_list(viewer=actor, filters=OpportunityFilters(outcome=args.outcome or "")).order_by(
        "-created_at", "-id")
    if args.stage:
        rows = rows.filter(stage__code=args.stage)
    for o in rows[:args.limit]:
        print("\t".join([str(o.pk), o.customer.name, o.name, o.stage.name, str(o.amount), f"{o.probability}%",
                         o.expected_close.isoformat() if o.expected_close else "-", str(o.owner or "-")]))
    return 0


def cmd_create(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.org.policies import policy_for
    from kehu.sales.models import ProductLine
    from kehu.sales.opportunities import default_pipeline, opportunity_create

    actor = _actor(args)
    if actor is None:
        return 2
    customer = policy_for(actor).visible().filter(ref=args.customer.upper()).first()
    if customer is None:
        print(_("error: no customer %(code)s that you may see") % {"code": args.customer}, file=sys.stderr)
        return 2
    data = {"customer": customer, "name": args.name, "competitor": args.competitor or ""}
    if args.close:
        try:
            data["expected_close"] = dt.date.fromisoformat(args.close)
        except ValueError:
            print(_("error: %(error)s") % {"error": _("expected close: give a date as YYYY-MM-DD")},
                  file=sys.stderr)
            return 2
    if args.stage:
        pipeline = default_pipeline()
        stage = pipeline.stages.filter(code=args.stage).first() if pipeline else None
        if stage is None:
            print(_("error: no stage %(code)s in the default pipeline") % {"code": args.stage}, file=sys.stderr)
            return 2
        data["stage"] = stage
    lines = []
    for raw in args.line or []:
        code, _sep, amount = raw.partition("=")
        product_line = ProductLine.objects.filter(code=code).first()
        if product_line is None or not amount:
            print(_("error: a line is PRODUCT_LINE_CODE=AMOUNT; no product line %(code)s") % {"code": code},
                  file=sys.stderr)
            return 2
        lines.append({"product_line": product_line, "amount": amount})
    try:
        opp = opportunity_create(actor=actor, data=data, lines=lines)
    except (ValidationError, PermissionDenied) as exc:
        return _fail(exc)
    print(opp.pk)
    return 0


def cmd_move(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from kehu.sales.models import LostReason
    from kehu.sales.opportunities import MoveNotAllowed, OpportunityConflict, opportunity_move
    from kehu.sales.opportunity_selectors import opportunity_get

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        opp = opportunity_get(viewer=actor, pk=args.id)
    except Http404:
        print(_("error: no opportunity %(id)s that you may see") % {"id": args.id}, file=sys.stderr)
        return 2
    stage = opp.pipeline.stages.filter(code=args.stage).first()
    if stage is None:
        print(_("error: no stage %(code)s in the pipeline of this opportunity") % {"code": args.stage},
              file=sys.stderr)
        return 2
    reason = None
    if args.reason:
        reason = LostReason.objects.filter(code=args.reason).first()
        if reason is None:
            print(_("error: no reason for losing %(code)s") % {"code": args.reason}, file=sys.stderr)
            return 2
    try:
        opportunity_move(actor=actor, opportunity=opp, stage=stage, note=args.note or "", lost_reason=reason,
                         lost_note=args.lost_note or "")
    except (ValidationError, PermissionDenied, MoveNotAllowed, OpportunityConflict) as exc:
        return _fail(exc)
    print(f"{opp.pk}\t{opp.stage.name}\t{opp.probability}%")
    return 0


def register(sub) -> None:
    from kehu.sales.models import StageOutcome

    p = sub.add_parser("opportunities", help=_("sales opportunities (商机): list, create, move"))
    opps = p.add_subparsers(dest="opportunities_command", required=True)

    def common(q):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    q = opps.add_parser("list", help=_("list the opportunities you may see, newest first"))
    q.add_argument("--outcome", choices=StageOutcome.values)
    q.add_argument("--stage", metavar="CODE", help=_("a stage code (reserve, target, potential, opportunity …)"))
    q.add_argument("--limit", type=int, default=100)
    common(q)
    q.set_defaults(func=cmd_list)

    q = opps.add_parser("create", help=_("open an opportunity; prints its number"))
    q.add_argument("--customer", metavar="CODE", required=True, help=_("the customer's code (C00000001)"))
    q.add_argument("--name", required=True)
    q.add_argument("--stage", metavar="CODE", help=_("an open stage of the default pipeline (default: the first)"))
    q.add_argument("--line", action="append", metavar="PRODUCT_LINE_CODE=AMOUNT",
                   help=_("a line of the opportunity; repeat for more"))
    q.add_argument("--close", metavar="YYYY-MM-DD", help=_("the expected close date"))
    q.add_argument("--competitor")
    common(q)
    q.set_defaults(func=cmd_create)

    q = opps.add_parser("move", help=_("move an opportunity to another stage (lost needs --reason)"))
    q.add_argument("id", type=int, metavar="ID", help=_("the opportunity's number"))
    q.add_argument("stage", metavar="STAGE", help=_("the stage code (potential, won, lost …)"))
    q.add_argument("--reason", metavar="CODE", help=_("the reason for losing (price, competitor …)"))
    q.add_argument("--lost-note")
    q.add_argument("--note")
    common(q)
    q.set_defaults(func=cmd_move)

    from kehu.sales.forecast_cli import register as register_forecast

    register_forecast(sub)
