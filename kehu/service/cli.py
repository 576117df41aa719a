"""``kehu cases list|create|transition|import|sla-check|report|intake-links|return-visits`` and
``kehu warranty show|set``.

Exit codes: 0 done; 1 refused (bad rows of an import without --skip-bad, a move
the case's status does not allow, invalid input — each reason printed); 2 usage
errors (unknown user, file, case or customer).
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


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


def cmd_list(args) -> int:
    from kehu.service.selectors import CaseFilters, case_list

    actor = _actor(args)
    if actor is None:
        return 2
    rows = case_list(viewer=actor, filters=CaseFilters(queue=args.queue, status=args.status or "",
                                                       kind=args.kind or "")).order_by("-created_at", "-id")
    for c in rows[:args.limit]:
        print("\t".join([c.ref, c.get_kind_display(), c.get_status_display(), str(c.severity),
                         c.who or "-", str(c.assignee or "-"), c.subject]))
    return 0


def cmd_create(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.org.policies import policy_for
    from kehu.service.services import case_create

    actor = _actor(args)
    if actor is None:
        return 2
    data = {"subject": args.subject, "kind": args.kind, "channel": args.channel, "severity": args.severity,
            "description": args.description or "", "caller_name": args.caller_name or "",
            "caller_phone": args.caller_phone or ""}
    if args.customer:
        customer = policy_for(actor).visible().filter(ref=args.customer.upper()).first()
        if customer is None:
            print(_("error: no customer %(code)s that you may see") % {"code": args.customer}, file=sys.stderr)
            return 2
        data["customer"] = customer
    try:
        case = case_create(actor=actor, data=data)
    except (ValidationError, PermissionDenied) as exc:
        for m in _errors(exc):
            print(_("error: %(error)s") % {"error": m}, file=sys.stderr)
        return 1
    print(case.ref)
    return 0


def cmd_transition(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import Http404

    from kehu.service.selectors import case_by_ref
    from kehu.service.services import CaseConflict, TransitionNotAllowed, case_transition

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        case = case_by_ref(viewer=actor, ref=args.ref)
    except Http404:
        print(_("error: no case %(ref)s that you may see") % {"ref": args.ref}, file=sys.stderr)
        return 2
    try:
        case_transition(actor=actor, case=case, to_status=args.status, note=args.note or "")
    except (ValidationError, PermissionDenied, TransitionNotAllowed, CaseConflict) as exc:
        for m in _errors(exc):
            print(_("error: %(error)s") % {"error": m}, file=sys.stderr)
        return 1
    print(f"{case.ref}\t{case.get_status_display()}")
    return 0


def cmd_import(args) -> int:
    from django.core.exceptions import PermissionDenied

    from kehu.service.imports import CaseImportUsageError, import_cases

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        report = import_cases(actor=actor, path=args.file, skip_bad=args.skip_bad)
    except (CaseImportUsageError, PermissionDenied) as exc:
        print(_("error: %(error)s") % {"error": exc}, file=sys.stderr)
        return 2
    if report.unknown:
        print(_("note: columns ignored: %(columns)s") % {"columns": ", ".join(report.unknown)}, file=sys.stderr)
    for line in report.errors[:200]:
        print(line, file=sys.stderr)
    bad = ngettext("%(count)d error", "%(count)d errors", len(report.errors)) % {"count": len(report.errors)}
    if report.refused:
        print(_("refused: %(bad)s in %(rows)d rows; nothing written. Fix them, or use --skip-bad to import the "
                "good rows.") % {"bad": bad, "rows": report.rows_read}, file=sys.stderr)
        return 1
    print(_("imported %(created)d of %(rows)d rows; %(bad)s") % {
        "created": len(report.created), "rows": report.rows_read, "bad": bad})
    return 0


def cmd_sla_check(args) -> int:
    from kehu.service.sla import parse_now, sla_check

    try:
        now = parse_now(args.now) if args.now else None
    except ValueError:
        print(_("--now must be a date and time like 2026-10-10T17:30 (ISO 8601)."), file=sys.stderr)
        return 2
    actions = sla_check(now=now, dry_run=args.dry_run)
    for a in actions:
        print(a.line())
    warned = sum(1 for a in actions if a.kind == "warning")
    escalated = len(actions) - warned
    if args.dry_run:
        print(_("Dry run: %(warned)d warnings and %(escalated)d escalation steps would be taken; nothing written.")
              % {"warned": warned, "escalated": escalated})
    else:
        print(_("%(warned)d warnings and %(escalated)d escalation steps taken.")
              % {"warned": warned, "escalated": escalated})
    return 0


def cmd_intake_links(args) -> int:
    """``kehu cases intake-links list|add|deactivate`` (administrators)."""
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.service.intake import intake_link_create, intake_link_deactivate
    from kehu.service.selectors import intake_link_list
    from kehu.service.views_intake import form_url

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        links = intake_link_list(viewer=actor)
        if args.links_command == "list":
            for link in links.order_by("-active", "name", "id"):
                print("\t".join([link.slug, link.name, _("active") if link.active else _("inactive"),
                                 str(link.product_line or "-"), str(link.team or "-"), form_url(link)]))
            return 0
        if args.links_command == "add":
            from kehu.org.models import Team
            from kehu.sales.models import ProductLine

            data = {"name": args.name, "slug": args.slug or ""}
            if args.product_line:
                data["product_line"] = ProductLine.objects.filter(name=args.product_line).first()
                if data["product_line"] is None:
                    print(_("error: no product line %(name)s") % {"name": args.product_line}, file=sys.stderr)
                    return 2
            if args.team:
                data["team"] = Team.objects.filter(name=args.team).first()
                if data["team"] is None:
                    print(_("error: no team %(name)s") % {"name": args.team}, file=sys.stderr)
                    return 2
            link = intake_link_create(actor=actor, data=data)
            print(f"{link.slug}\t{form_url(link)}")
            return 0
        link = links.filter(slug=args.slug).first()
        if link is None:
            print(_("error: no link %(slug)s") % {"slug": args.slug}, file=sys.stderr)
            return 2
        intake_link_deactivate(actor=actor, link=link)
        print(_("%(slug)s deactivated") % {"slug": link.slug})
        return 0
    except (ValidationError, PermissionDenied) as exc:
        for m in _errors(exc):
            print(_("error: %(error)s") % {"error": m}, file=sys.stderr)
        return 1


def cmd_return_visits(args) -> int:
    from kehu.service.selectors import return_visits_waiting

    actor = _actor(args)
    if actor is None:
        return 2
    rows = list(return_visits_waiting(viewer=actor, due=args.due)[:args.limit])
    for v in rows:
        if v.task_id:
            who = str(v.task.assigned_to or "-")
            when = v.task.due_on.isoformat() if v.task.due_on else "-"
        else:
            who = v.invitation.email if v.invitation_id else "-"
            when = v.invitation.get_status_display() if v.invitation_id else "-"
        print("\t".join([v.case.ref, v.get_channel_display(), timezone_date(v.created_at), who, when,
                         v.case.subject]))
    print(ngettext("%(count)d return visit waiting.", "%(count)d return visits waiting.", len(rows))
          % {"count": len(rows)})
    return 0


def timezone_date(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d")


def _term(value: str):
    """A term on the command line: a whole number ≥ 0, or ``none`` (not set)."""
    import argparse

    if value.strip().lower() in ("none", "-", ""):
        return None
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("a whole number ≥ 0, or none")) from None
    if number < 0:
        raise argparse.ArgumentTypeError(_("a whole number ≥ 0, or none"))
    return number


def _shown(value) -> str:
    return "-" if value is None else str(value)


def cmd_warranty_show(args) -> int:
    from kehu.sales.models import ProductLine

    lines = ProductLine.objects.order_by("code")
    if args.line:
        lines = lines.filter(code__iexact=args.line)
        if not lines.exists():
            print(_("error: no product line with the code %(code)s") % {"code": args.line}, file=sys.stderr)
            return 2
    print("\t".join([_("code"), _("name"), _("warranty (months)"), _("return within (days)"),
                     _("exchange within (days)")]))
    for ln in lines:
        print("\t".join([ln.code, ln.name, _shown(ln.warranty_months), _shown(ln.return_days),
                         _shown(ln.exchange_days)]))
    return 0


def cmd_warranty_set(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.sales.models import ProductLine
    from kehu.sales.services import product_line_set_warranty

    actor = _actor(args)
    if actor is None:
        return 2
    line = ProductLine.objects.filter(code__iexact=args.line).first()
    if line is None:
        print(_("error: no product line with the code %(code)s") % {"code": args.line}, file=sys.stderr)
        return 2
    data = {k: getattr(args, k) for k in ("warranty_months", "return_days", "exchange_days")
            if getattr(args, k) is not _UNSET}
    if not data:
        print(_("error: give --months, --return-days or --exchange-days"), file=sys.stderr)
        return 2
    try:
        product_line_set_warranty(actor=actor, line=line, data=data)
    except (ValidationError, PermissionDenied) as exc:
        for message in _errors(exc):
            print(_("error: %(message)s") % {"message": message}, file=sys.stderr)
        return 1
    print(_("%(code)s: warranty %(months)s months, return within %(ret)s days, exchange within %(exch)s days.")
          % {"code": line.code, "months": _shown(line.warranty_months), "ret": _shown(line.return_days),
             "exch": _shown(line.exchange_days)})
    return 0


_UNSET = object()


def cmd_report(args) -> int:
    """Print the key figures of the service analytics; with ``--pdf OUT`` write the PDF too."""
    import datetime as dt
    from pathlib import Path

    from django.utils import translation

    from kehu.exports.audit import export_audit_finish, export_audit_start
    from kehu.service.analytics import AnalyticsFilters, service_report

    actor = _actor(args)
    if actor is None:
        return 2
    try:
        a, b = dt.date.fromisoformat(args.date_from), dt.date.fromisoformat(args.date_to)
    except ValueError:
        print(_("error: dates are written YYYY-MM-DD"), file=sys.stderr)
        return 2
    if b < a:
        print(_("error: the end of the range must not be before its start"), file=sys.stderr)
        return 2
    team_id = line_id = None
    if args.team:
        from kehu.org.models import Team

        team = Team.objects.filter(name=args.team).first()
        if team is None:
            print(_("error: no team %(name)s") % {"name": args.team}, file=sys.stderr)
            return 2
        team_id = team.pk
    if args.line:
        from kehu.sales.models import ProductLine

        line = ProductLine.objects.filter(code__iexact=args.line).first()
        if line is None:
            print(_("error: no product line with the code %(code)s") % {"code": args.line}, file=sys.stderr)
            return 2
        line_id = line.pk
    f = AnalyticsFilters(date_from=a, date_to=b, kind=args.kind or "", follow_up_days=args.follow_up,
                         team_id=team_id, line_id=line_id)
    r = service_report(viewer=actor, filters=f)

    def pct(x):
        return "—" if x is None else f"{100 * x:.1f}%"

    per = r["per_1000_orders"]
    rows = [
        (_("Range"), f"{a} – {b}"),
        (_("Cases registered"), str(r["total"])),
        (_("Complaints"), str(r["complaints"])),
        (_("Complaints per 1,000 orders"), "—" if per["rate"] is None else f"{per['rate']:.1f}"),
        (_("First response compliance"), pct(r["sla"]["first_response"]["rate"])),
        (_("Resolution compliance"), pct(r["sla"]["resolution"]["rate"])),
        (_("Open cases now"), str(r["backlog"]["total"])),
        (_("Causes making %(share)s of complaints") % {"share": "80%"}, pct(r["pareto"]["vital_share"])),
        (_("Compensation paid on complaints"), f"¥{r['recovery_cost']['compensation']:.2f}"),
        (_("Revenue of the customers kept"), f"¥{r['recovery_cost']['revenue_kept']:.2f}"),
        (_("Repeat complainers"), str(r["repeat"]["total"])),
    ]
    width = max(len(k) for k, _v in rows)
    for k, v in rows:
        print(f"{k.ljust(width)}  {v}")
    for p in r["pareto"]["rows"][:5]:
        print(f"  {'*' if p['vital'] else ' '} {p['label']}: {p['count']} ({100 * p['cumulative']:.0f}%)")
    print(_("The service-recovery paradox:"))
    for line in r["recovery"].get("explanation") or [r["recovery"].get("reason", "")]:
        print(f"  {line}")
    if args.pdf:
        from kehu.service.report import report_pdf

        event = export_audit_start(actor=actor, export="case_report", fmt="pdf", via="cli", filters=f.as_params())
        pdf = report_pdf(viewer=actor, filters=f, language=translation.get_language() or "en")
        Path(args.pdf).write_bytes(pdf)
        export_audit_finish(event, rows=None)
        print(_("PDF written to %(path)s") % {"path": args.pdf})
    return 0


def register(sub) -> None:
    from kehu.service.models import CaseChannel, CaseKind, CaseStatus

    p = sub.add_parser("cases", help=_("service requests and complaints: list, create, move, import"))
    cases = p.add_subparsers(dest="cases_command", required=True)

    def common(q):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    q = cases.add_parser("list", help=_("list the cases you may see, newest first"))
    q.add_argument("--queue", choices=["mine", "team", "unassigned", "breaching", "all"], default="all")
    q.add_argument("--status", choices=["open", *CaseStatus.values])
    q.add_argument("--kind", choices=CaseKind.values)
    q.add_argument("--limit", type=int, default=100)
    common(q)
    q.set_defaults(func=cmd_list)

    q = cases.add_parser("create", help=_("register a case; prints its number"))
    q.add_argument("--subject", required=True)
    q.add_argument("--customer", metavar="CODE", help=_("the customer's code (C00000001)"))
    q.add_argument("--kind", choices=CaseKind.values, default=CaseKind.COMPLAINT)
    q.add_argument("--channel", choices=CaseChannel.values, default=CaseChannel.HOTLINE)
    q.add_argument("--severity", type=int, default=3, choices=[1, 2, 3, 4])
    q.add_argument("--description")
    q.add_argument("--caller-name")
    q.add_argument("--caller-phone")
    common(q)
    q.set_defaults(func=cmd_create)

    q = cases.add_parser("transition", help=_("move a case to another status"))
    q.add_argument("ref", metavar="CASE", help=_("the case number (CS2026120500001)"))
    q.add_argument("status", choices=CaseStatus.values)
    q.add_argument("--note")
    common(q)
    q.set_defaults(func=cmd_transition)

    q = cases.add_parser("sla-check", help=_("take the service-level warnings and escalations due now"))
    q.add_argument("--now", metavar="DATETIME", help=_("check as at this time (ISO 8601; default: now)"))
    q.add_argument("--dry-run", action="store_true", help=_("print what would be done, write nothing"))
    q.set_defaults(func=cmd_sla_check)

    q = cases.add_parser("return-visits", help=_("list the return visits waiting for their answer, oldest first"))
    q.add_argument("--due", action="store_true",
                   help=_("only those to act on now: phone calls due today or earlier, surveys unanswered for a "
                          "week"))
    q.add_argument("--limit", type=int, default=200)
    common(q)
    q.set_defaults(func=cmd_return_visits)
    q = cases.add_parser("report", help=_("print the key figures of the service analytics; --pdf writes the report"))
    q.add_argument("--from", dest="date_from", required=True, metavar="DATE", help=_("first day (YYYY-MM-DD)"))
    q.add_argument("--to", dest="date_to", required=True, metavar="DATE", help=_("last day, included (YYYY-MM-DD)"))
    q.add_argument("--kind", choices=CaseKind.values)
    q.add_argument("--team", metavar="NAME", help=_("only the cases of this team and its sub-teams"))
    q.add_argument("--line", metavar="CODE", help=_("only the cases (and orders) of this product line"))
    q.add_argument("--follow-up", type=int, default=180, metavar="DAYS",
                   help=_("follow-up period of the recovery test (default 180 days)"))
    q.add_argument("--pdf", metavar="OUT", help=_("write the PDF report to this file"))
    common(q)
    q.set_defaults(func=cmd_report)

    q = cases.add_parser("import", help=_("import cases from CSV or .xlsx (English or Chinese headers)"))
    q.add_argument("file")
    q.add_argument("--skip-bad", action="store_true",
                   help=_("import the good rows and report the bad ones (default: all or nothing)"))
    common(q)
    q.set_defaults(func=cmd_import)

    q = cases.add_parser("intake-links", help=_("the public service form's links and QR codes (administrators)"))
    links = q.add_subparsers(dest="links_command", required=True)
    r = links.add_parser("list", help=_("list the links with their addresses"))
    common(r)
    r.set_defaults(func=cmd_intake_links)
    r = links.add_parser("add", help=_("add a link; prints its code and address"))
    r.add_argument("name")
    r.add_argument("--slug", help=_("the address code (default: made from the name)"))
    r.add_argument("--product-line", metavar="NAME", help=_("the product line's name"))
    r.add_argument("--team", metavar="NAME", help=_("the service centre (team) whose queue receives the cases"))
    common(r)
    r.set_defaults(func=cmd_intake_links)
    r = links.add_parser("deactivate", help=_("stop a link's form from accepting requests"))
    r.add_argument("slug", metavar="CODE")
    common(r)
    r.set_defaults(func=cmd_intake_links)

    p = sub.add_parser("warranty", help=_("warranty terms (三包) of the product lines: show, set"))
    warranty = p.add_subparsers(dest="warranty_command", required=True)
    q = warranty.add_parser("show", help=_("print the warranty terms of every product line (or of one)"))
    q.add_argument("line", nargs="?", metavar="LINE", help=_("a product line's code"))
    q.set_defaults(func=cmd_warranty_show)
    q = warranty.add_parser("set", help=_("set a product line's warranty terms (none: not set; 0: none)"))
    q.add_argument("line", metavar="LINE", help=_("a product line's code"))
    q.add_argument("--months", dest="warranty_months", type=_term, default=_UNSET,
                   help=_("free repair for this many months after the purchase"))
    q.add_argument("--return-days", dest="return_days", type=_term, default=_UNSET,
                   help=_("return for a defect within this many days"))
    q.add_argument("--exchange-days", dest="exchange_days", type=_term, default=_UNSET,
                   help=_("exchange for a defect within this many days"))
    common(q)
    q.set_defaults(func=cmd_warranty_set)
