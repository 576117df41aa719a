"""``kehu opportunities list|create|move|funnel|pipelines list|pipelines add-stage``.

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


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def cmd_funnel(args) -> int:
    import json

    from kehu.sales.funnel_selectors import FunnelFilters, funnel_report, report_dict

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        start, end = _date(args.date_from), _date(args.date_to)
    except ValueError:
        print(_("error: %(error)s") % {"error": _("Give dates as YYYY-MM-DD.")}, file=sys.stderr)
        return 2
    if start and end and start > end:
        print(_("error: %(error)s") % {"error": _("The end is before the start.")}, file=sys.stderr)
        return 1
    report = funnel_report(viewer=actor, filters=FunnelFilters(date_from=start, date_to=end,
                                                               pipeline_id=args.pipeline, by=args.by or ""))
    data = report_dict(report)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0

    def pct(x):
        return "-" if x is None else f"{x * 100:.1f}%"

    def num(x):
        return "-" if x is None else f"{x:.1f}"

    print(_("%(total)d opportunities: %(open)d open, %(won)d won, %(lost)d lost; win rate %(rate)s; "
            "average cycle %(cycle)s days") % {"total": data["total"], "open": data["open"], "won": data["won"],
                                               "lost": data["lost"], "rate": pct(data["win_rate"]),
                                               "cycle": num(data["avg_cycle_days"])})
    print("\t".join([_("stage"), _("reached"), _("to next"), _("days")]))
    for r in data["stages"]:
        print("\t".join([r["name"], str(r["reached"]), pct(r["conversion"]), num(r["avg_days"])]))
    if data["breakdown"]:
        print()
        print("\t".join([args.by, _("opportunities"), _("won"), _("lost"), _("win rate"), _("cycle")]))
        for g in data["breakdown"]:
            print("\t".join([g["label"], str(g["total"]), str(g["won"]), str(g["lost"]), pct(g["win_rate"]),
                             num(g["avg_cycle_days"])]))
    return 0


def cmd_pipelines_list(args) -> int:
    from kehu.sales.models import Pipeline

    for p in Pipeline.objects.select_related("product_line").prefetch_related("stages").order_by("-is_default", "id"):
        flags = [f for f, on in (("default", p.is_default), ("inactive", not p.active)) if on]
        print("\t".join([str(p.pk), p.name, str(p.product_line or "-"), ",".join(flags) or "-"]))
        for s in sorted(p.stages.all(), key=lambda s: (s.position, s.pk)):
            print("\t".join(["", str(s.pk), s.code, s.name, f"{s.probability}%", s.outcome,
                             "" if s.active else "inactive"]).rstrip())
    return 0


def cmd_pipelines_add_stage(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.sales.models import Pipeline
    from kehu.sales.pipeline_settings import stage_add

    actor = _actor(args)
    if actor is None:
        return 2
    pipeline = Pipeline.objects.filter(pk=args.pipeline).first()
    if pipeline is None:
        print(_("error: %(error)s") % {"error": _("No pipeline %(id)s.") % {"id": args.pipeline}}, file=sys.stderr)
        return 2
    data = {"name_zh": args.name_zh, "name_en": args.name_en, "outcome": args.outcome,
            "probability": args.probability, "position": args.position}
    if args.code:
        data["code"] = args.code
    try:
        stage = stage_add(actor=actor, pipeline=pipeline, data=data)
    except (ValidationError, PermissionDenied) as exc:
        return _fail(exc)
    print(f"{stage.pk}\t{stage.code}\t{stage.probability}%\t{stage.outcome}")
    return 0


def register(sub) -> None:
    from kehu.sales.models import StageOutcome

    p = sub.add_parser("opportunities", help=_("sales opportunities (商机): list, create, move, funnel"))
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

    q = opps.add_parser("funnel", help=_("the funnel: conversion, days in stage, win rate, cycle length"))
    q.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help=_("created on or after"))
    q.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help=_("created on or before"))
    q.add_argument("--pipeline", type=int, metavar="ID", help=_("default: the default pipeline"))
    q.add_argument("--by", choices=["owner", "team", "line", "source"])
    q.add_argument("--json", action="store_true")
    common(q)
    q.set_defaults(func=cmd_funnel)

    q = opps.add_parser("pipelines", help=_("the pipelines and their stages (administrators change them)"))
    pipes = q.add_subparsers(dest="pipelines_command", required=True)
    r = pipes.add_parser("list", help=_("every pipeline with its stages"))
    r.set_defaults(func=cmd_pipelines_list)
    r = pipes.add_parser("add-stage", help=_("add a stage to a pipeline; prints its number"))
    r.add_argument("pipeline", type=int, metavar="PIPELINE_ID")
    r.add_argument("--name-zh", required=True)
    r.add_argument("--name-en", required=True)
    r.add_argument("--code", help=_("default: from the English name"))
    r.add_argument("--outcome", choices=StageOutcome.values, default="open")
    r.add_argument("--probability", type=int, help=_("the default probability, in per cent"))
    r.add_argument("--position", type=int, help=_("default: after the last stage"))
    common(r)
    r.set_defaults(func=cmd_pipelines_add_stage)
