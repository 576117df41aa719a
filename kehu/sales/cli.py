"""``kehu opportunities list|create|move|funnel``, ``kehu opportunities pipelines
list|add-stage|edit-stage|activate-stage|deactivate-stage|delete-stage``, ``kehu opportunities
lost-reasons list|add|edit|activate|deactivate``, ``kehu xsell rules``, ``kehu pool recycle`` and
``kehu pool settings show|set``.

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


def _error(message: str, code: int = 2) -> int:
    """Print ``message`` as the command's error; returns ``code`` to exit with."""
    print(_("error: %(error)s") % {"error": message}, file=sys.stderr)
    return code


def _fail(exc) -> int:
    for m in _errors(exc):
        _error(m)
    return 1


def _need_one_of(options) -> int:
    return _error(_("give at least one of %(options)s") % {"options": ", ".join(options)})


def _one(queryset, message: str, **lookup):
    """The object of ``queryset`` matching ``lookup``; None, after printing ``message`` as
    the error, when there is none (the caller exits 2)."""
    found = queryset.filter(**lookup).first()
    if found is None:
        _error(message)
    return found


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
            return _error(_("expected close: give a date as YYYY-MM-DD"))
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


def _when(text: str):
    """``--now``: an ISO date or date and time; a naive one is in the server's time zone."""
    from django.utils import timezone

    value = dt.datetime.fromisoformat(text)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


def cmd_pool_recycle(args) -> int:
    from kehu.sales.pool import pool_recycle

    try:
        now = _when(args.now) if args.now else None
    except ValueError:
        print(_("error: --now takes a date and time such as 2026-12-05T09:00"), file=sys.stderr)
        return 2
    report = pool_recycle(now=now, dry_run=args.dry_run)
    verb = _("would return") if report.dry_run else _("returned")
    for r in report.returned:
        print("\t".join([verb, r["ref"], r["name"], r["owner"] or "-", r["tier"],
                         r["last_activity"].date().isoformat()]))
    verb = _("would remind") if report.dry_run else _("reminded")
    for r in report.reminded:
        print("\t".join([verb, r["ref"], r["name"], r["owner"] or "-", r["tier"],
                         r["return_at"].date().isoformat()]))
    text = (_("dry run, nothing changed: %(returned)d customers would go back to the pool, %(reminded)d owners "
              "would be reminded") if report.dry_run else
            _("%(returned)d customers went back to the pool, %(reminded)d owners reminded"))
    print(text % {"returned": len(report.returned), "reminded": len(report.reminded)})
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
        return _error(_("Give dates as YYYY-MM-DD."))
    if start and end and start > end:
        return _error(_("The end is before the start."), 1)
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
        return _error(_("No pipeline %(id)s.") % {"id": args.pipeline})
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


def _stage_line(stage) -> str:
    return "\t".join([str(stage.pk), stage.code, f"{stage.probability}%", stage.outcome,
                      "" if stage.active else "inactive"]).rstrip()


STAGE_OPTIONS = ("name_zh", "name_en", "code", "probability", "position", "outcome")


def cmd_pipelines_stage(args) -> int:
    """``edit-stage``, ``activate-stage``, ``deactivate-stage`` and ``delete-stage``: the rules
    (one won stage, a stage in use is not deleted …) are kehu/sales/pipeline_settings.py's."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.sales.models import Stage
    from kehu.sales.pipeline_settings import StageInUse, stage_delete, stage_update

    actor = _actor(args)
    if actor is None:
        return 2
    stage = _one(Stage.objects.select_related("pipeline"), _("No stage %(id)s.") % {"id": args.stage}, pk=args.stage)
    if stage is None:
        return 2
    action = args.pipelines_command
    if action == "edit-stage":
        data = {k: getattr(args, k) for k in STAGE_OPTIONS if getattr(args, k) is not None}
        if not data:
            return _need_one_of("--" + k.replace("_", "-") for k in STAGE_OPTIONS)
    else:
        data = {"active": action == "activate-stage"}
    try:
        if action == "delete-stage":
            pk = stage.pk
            stage_delete(actor=actor, stage=stage)
            print(_("stage %(id)s deleted") % {"id": pk})
            return 0
        stage_update(actor=actor, stage=stage, data=data)
    except (ValidationError, PermissionDenied, StageInUse) as exc:
        return _fail(exc)
    print(_stage_line(stage))
    return 0


def _reason_line(reason) -> str:
    return "\t".join([str(reason.pk), reason.code, reason.name_zh, reason.name_en, str(reason.position),
                      "" if reason.active else "inactive"]).rstrip()


def cmd_lost_reasons(args) -> int:
    """``kehu opportunities lost-reasons list|add|edit|activate|deactivate``."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.sales.models import LostReason
    from kehu.sales.pipeline_settings import lost_reason_create, lost_reason_update

    action = args.reasons_command
    if action == "list":
        for reason in LostReason.objects.order_by("-active", "position", "code"):
            print(_reason_line(reason))
        return 0
    actor = _actor(args)
    if actor is None:
        return 2
    data = {k: getattr(args, k, None) for k in ("name_zh", "name_en", "position")}
    data = {k: v for k, v in data.items() if v is not None}
    try:
        if action == "add":
            if args.new_code:
                data["code"] = args.new_code
            reason = lost_reason_create(actor=actor, data=data)
        else:
            reason = _one(LostReason.objects, _("No reason for losing %(code)s.") % {"code": args.code},
                          code=args.code)
            if reason is None:
                return 2
            if action == "edit":
                if args.new_code:
                    data["code"] = args.new_code
                if not data:
                    return _need_one_of(("--name-zh", "--name-en", "--position", "--code"))
            else:
                data = {"active": action == "activate"}
            reason = lost_reason_update(actor=actor, reason=reason, data=data)
    except (ValidationError, PermissionDenied) as exc:
        return _fail(exc)
    print(_reason_line(reason))
    return 0


# -- kehu pool settings show|set -------------------------------------------------------------


def _pool_option(field: str) -> str:
    """The option of a pool setting: ``recycle_days_gold`` → ``--days-gold``."""
    return "--" + field.removeprefix("recycle_").replace("_", "-")


def _print_pool_settings(row, as_json: bool) -> None:
    import json

    from kehu.sales.pool import POOL_SETTINGS_FIELDS

    values = {k: getattr(row, k) for k in POOL_SETTINGS_FIELDS}
    if as_json:
        print(json.dumps(values, indent=2))
        return
    for k in POOL_SETTINGS_FIELDS:
        print("\t".join([_pool_option(k), str(values[k]), str(row._meta.get_field(k).verbose_name)]))


def cmd_pool_settings_show(args) -> int:
    from kehu.org.policies import policy_for
    from kehu.sales.pool import pool_settings

    actor = _actor(args)
    if actor is None:
        return 2
    if not policy_for(actor).is_admin:
        return _error(_("Only an administrator may see the lead pool settings."), 1)
    _print_pool_settings(pool_settings(), args.json)
    return 0


def cmd_pool_settings_set(args) -> int:
    """Change the settings given; validation errors are printed per option."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.sales.pool import POOL_SETTINGS_FIELDS, pool_settings_save

    actor = _actor(args)
    if actor is None:
        return 2
    data = {k: getattr(args, k) for k in POOL_SETTINGS_FIELDS if getattr(args, k) is not None}
    if not data:
        return _need_one_of(_pool_option(k) for k in POOL_SETTINGS_FIELDS)
    try:
        row = pool_settings_save(actor=actor, data=data)
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            return _fail(exc)
        for field, messages in exc.message_dict.items():
            name = _pool_option(field) if field in POOL_SETTINGS_FIELDS else field
            for m in messages:
                _error(f"{name}: {m}")
        return 1
    except PermissionDenied as exc:
        return _fail(exc)
    _print_pool_settings(row, args.json)
    return 0


def register(sub) -> None:
    from kehu.sales.models import StageOutcome

    p = sub.add_parser("pool", help=_("the lead pool (公海): recycle unworked customers"))
    pools = p.add_subparsers(dest="pool_command", required=True)
    q = pools.add_parser("recycle", help=_("return to their team's pool the customers nobody worked for the days "
                                           "of their value tier, and remind owners before; prints each"))
    q.add_argument("--now", metavar="DATETIME", help=_("act as if it were this time (default: now)"))
    q.add_argument("--dry-run", action="store_true", help=_("only print what would happen"))
    q.set_defaults(func=cmd_pool_recycle)

    def common(q):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    q = pools.add_parser("settings", help=_("the lead pool's rules: claim limit, days before a customer goes back "
                                            "to the pool by value tier, reminder (administrators)"))
    settings = q.add_subparsers(dest="pool_settings_command", required=True)
    r = settings.add_parser("show", help=_("print the lead pool settings"))
    r.add_argument("--json", action="store_true", help=_("print JSON"))
    common(r)
    r.set_defaults(func=cmd_pool_settings_show)
    r = settings.add_parser("set", help=_("change the settings given (0 days: never; claim limit 0: no limit); "
                                          "prints them all"))
    from kehu.sales.models import PoolSettings
    from kehu.sales.pool import POOL_SETTINGS_FIELDS

    for field in POOL_SETTINGS_FIELDS:
        r.add_argument(_pool_option(field), dest=field, type=int, metavar="N",
                       help=str(PoolSettings._meta.get_field(field).verbose_name))
    r.add_argument("--json", action="store_true", help=_("print JSON"))
    common(r)
    r.set_defaults(func=cmd_pool_settings_set)

    p = sub.add_parser("opportunities", help=_("sales opportunities (商机): list, create, move, funnel"))
    opps = p.add_subparsers(dest="opportunities_command", required=True)

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
    r = pipes.add_parser("edit-stage", help=_("change a stage's names, code, probability, position or outcome"))
    r.add_argument("stage", type=int, metavar="STAGE_ID", help=_("the stage's number (see pipelines list)"))
    r.add_argument("--name-zh")
    r.add_argument("--name-en")
    r.add_argument("--code")
    r.add_argument("--probability", type=int, help=_("the default probability, in per cent"))
    r.add_argument("--position", type=int)
    r.add_argument("--outcome", choices=StageOutcome.values)
    common(r)
    r.set_defaults(func=cmd_pipelines_stage)
    for name, text in (("activate-stage", _("let opportunities move into a stage again")),
                       ("deactivate-stage", _("let no opportunity move into a stage (one in use is not deleted "
                                              "but deactivated)")),
                       ("delete-stage", _("delete a stage no opportunity ever was in"))):
        r = pipes.add_parser(name, help=text)
        r.add_argument("stage", type=int, metavar="STAGE_ID", help=_("the stage's number (see pipelines list)"))
        common(r)
        r.set_defaults(func=cmd_pipelines_stage)

    q = opps.add_parser("lost-reasons", help=_("the reasons for losing an opportunity (administrators change them)"))
    reasons = q.add_subparsers(dest="reasons_command", required=True)
    r = reasons.add_parser("list", help=_("every reason for losing, the inactive ones last"))
    r.set_defaults(func=cmd_lost_reasons)
    r = reasons.add_parser("add", help=_("add a reason for losing"))
    r.add_argument("--name-zh", required=True)
    r.add_argument("--name-en", required=True)
    r.add_argument("--code", dest="new_code", help=_("default: from the English name"))
    r.add_argument("--position", type=int, help=_("default: after the last one"))
    common(r)
    r.set_defaults(func=cmd_lost_reasons)
    r = reasons.add_parser("edit", help=_("change a reason's names, code or position"))
    r.add_argument("code", metavar="CODE")
    r.add_argument("--name-zh")
    r.add_argument("--name-en")
    r.add_argument("--code", dest="new_code", help=_("a new code"))
    r.add_argument("--position", type=int)
    common(r)
    r.set_defaults(func=cmd_lost_reasons)
    for name, text in (("activate", _("offer a reason for losing again")),
                       ("deactivate", _("offer a reason for losing no more (opportunities lost for it keep it)"))):
        r = reasons.add_parser(name, help=text)
        r.add_argument("code", metavar="CODE")
        common(r)
        r.set_defaults(func=cmd_lost_reasons)
    register_xsell(sub)
    from kehu.sales.forecast_cli import register as register_forecast

    register_forecast(sub)


# -- kehu xsell rules ---------------------------------------------------------------------------


def _rule_dict(r) -> dict:
    return {"level": r.level, "antecedent": r.antecedent_label, "consequent": r.consequent_label,
            "antecedent_ids": r.antecedent, "consequent_ids": r.consequent, "orders": r.count,
            "support": round(r.support, 6), "confidence": round(r.confidence, 6), "lift": round(r.lift, 6)}


def cmd_xsell_rules(args) -> int:
    """Compute the association rules and peer shares now (as the daily job does) and print
    the rules, strongest lift first."""
    import json

    from django.core.exceptions import PermissionDenied

    from kehu.org.policies import policy_for
    from kehu.sales.xsell import associations_compute
    from kehu.sales.xsell_selectors import association_rule_list

    actor = _actor(args)
    if actor is None:
        return 2
    if not policy_for(actor).may_read_associations:
        return _error(_("only administrators, analysts and sales managers may compute the association rules"), 1)
    for name in ("min_support", "min_confidence"):
        value = getattr(args, name)
        if value is not None and not 0 <= value <= 1:
            return _error(_("%(name)s must be between 0 and 1") % {"name": "--" + name.replace("_", "-")})
    if args.min_lift is not None and args.min_lift < 0:
        return _error(_("--min-lift must not be negative"))
    run = associations_compute(actor=actor, trigger="command", min_support=args.min_support or None,
                               min_confidence=args.min_confidence, min_lift=args.min_lift, months=args.months)
    try:
        rules = list(association_rule_list(viewer=actor, run=run, level=args.level or "")
                     .order_by("-lift", "-confidence", "id")[:args.limit])
    except PermissionDenied:  # pragma: no cover - checked above
        return 1
    if args.json:
        print(json.dumps({"run": run.pk, "orders": run.baskets, "customers": run.customers,
                          "min_support": run.min_support, "min_confidence": run.min_confidence,
                          "min_lift": run.min_lift, "rules": [_rule_dict(r) for r in rules]},
                         ensure_ascii=False, indent=1))
        return 0
    print(_("%(orders)s orders of %(customers)s customers; %(rules)s rules shown") % {
        "orders": run.baskets, "customers": run.customers, "rules": len(rules)})
    for r in rules:
        print("\t".join([r.level, f"{r.antecedent_label} => {r.consequent_label}", f"{r.support:.3f}",
                         f"{r.confidence:.3f}", f"{r.lift:.2f}", str(r.count)]))
    return 0


def register_xsell(sub) -> None:
    from kehu.sales.models import RuleLevel

    p = sub.add_parser("xsell", help=_("cross-selling: what is bought together (association rules)"))
    x = p.add_subparsers(dest="xsell_command", required=True)
    q = x.add_parser("rules", help=_("compute the association rules now and print them, strongest lift first"))
    q.add_argument("--min-support", type=float, metavar="SHARE", help=_("share of orders, 0–1 (default 0.01)"))
    q.add_argument("--min-confidence", type=float, metavar="SHARE", help=_("0–1 (default 0.2)"))
    q.add_argument("--min-lift", type=float, metavar="LIFT", help=_("default 1.1"))
    q.add_argument("--months", type=int, metavar="N", help=_("orders of the last N months (default 24)"))
    q.add_argument("--level", choices=RuleLevel.values, help=_("products or product lines (default both)"))
    q.add_argument("--limit", type=int, default=50)
    q.add_argument("--json", action="store_true", help=_("print JSON"))
    q.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help=_("act as this user (default: the first administrator)"))
    q.set_defaults(func=cmd_xsell_rules)
