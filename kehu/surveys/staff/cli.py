"""``kehu survey invite-employees`` and ``kehu survey staff-results``:

    kehu survey invite-employees CODE [--wave W] [--team NAME ...] [--no-send] [--as USERNAME]
    kehu survey staff-results CODE [--wave W] [--customers] [--json] [--export FILE.csv|.xlsx] [--as USERNAME]

``invite-employees`` gives every active employee (Kehu users and imported
staff without a login; ``--team`` for some teams with their subteams) an
anonymous personal link in the wave (default: the survey's latest wave that
is not closed) and e-mails it when the wave is open. ``staff-results``
prints the results by team and role (``--customers``: staff beside
customers per team, with the correlation), small groups suppressed.
Exit codes: 0 done; 1 refused; 2 usage errors.
"""

from __future__ import annotations

import json
import sys

from django.utils.translation import gettext as _


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def register(sub) -> None:
    inv = sub.add_parser("invite-employees", help=_("invite every active employee to an employee survey's wave "
                                                    "with an anonymous personal link"))
    inv.add_argument("code", help=_("the survey's code"))
    inv.add_argument("--wave", help=_("the wave's name or id (default: the latest wave not closed)"))
    inv.add_argument("--team", action="append", default=[], metavar="NAME",
                     help=_("only this team and its subteams (a name or a path Head office/East); repeatable"))
    inv.add_argument("--no-send", dest="send", action="store_false", help=_("create the links, send no e-mail"))
    inv.add_argument("--as", dest="as_user", metavar="USERNAME",
                     help=_("act as this user (default: the first administrator)"))
    inv.set_defaults(func=_invite)

    res = sub.add_parser("staff-results", help=_("employee results by team and role, small groups suppressed"))
    res.add_argument("code", help=_("the survey's code"))
    res.add_argument("--wave", help=_("the wave's name or id (default: the latest with responses)"))
    res.add_argument("--customers", action="store_true",
                     help=_("staff beside customers per team, with the correlation across teams"))
    res.add_argument("--json", action="store_true", help=_("print JSON"))
    res.add_argument("--export", metavar="FILE", help=_("write the tables to FILE.csv or FILE.xlsx"))
    res.add_argument("--as", dest="as_user", metavar="USERNAME",
                     help=_("act as this user (default: the first administrator)"))
    res.set_defaults(func=_results)


def _survey_actor(args):
    from kehu.imports.cli import _actor
    from kehu.surveys.models import Survey, SurveyKind

    survey = Survey.objects.filter(code=args.code).first()
    if survey is None:
        _err(_("error: no survey with the code %(code)s") % {"code": args.code})
        return None
    if survey.kind != SurveyKind.EMPLOYEE:
        _err(_("error: %(code)s is not an employee survey") % {"code": args.code})
        return None
    actor = _actor(args.as_user)
    return None if actor is None else (survey, actor)


def _invite(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.org.employees import team_by_name
    from kehu.surveys.analysis import wave_get
    from kehu.surveys.models import Wave, WaveStatus
    from kehu.surveys.staff.services import employees_invite

    found = _survey_actor(args)
    if found is None:
        return 2
    survey, actor = found
    if args.wave:
        wave = wave_get(survey, args.wave)
    else:
        wave = Wave.objects.filter(survey=survey).exclude(status=WaveStatus.CLOSED).order_by("-created_at",
                                                                                               "-id").first()
    if wave is None:
        _err(_("error: survey %(code)s has no such wave (create one with `kehu survey wave create`)")
             % {"code": survey.code})
        return 2
    try:
        teams = [team_by_name(name) for name in args.team]
    except ValidationError as exc:
        for message in exc.messages:
            _err(_("error: %(error)s") % {"error": message})
        return 2
    try:
        counts = employees_invite(actor=actor, wave=wave, teams=teams or None, send=args.send)
    except (PermissionDenied, ValidationError) as exc:
        for message in (exc.messages if isinstance(exc, ValidationError) else [str(exc)]):
            _err(_("refused: %(error)s") % {"error": message})
        return 1
    print(_("%(wave)s: %(invited)d employees invited (%(already)d had been already), %(sent)d e-mails sent, "
            "%(failed)d failed, %(without)d without an e-mail address") % {
        "wave": wave.name, "invited": counts["invited"], "already": counts["already"], "sent": counts["sent"],
        "failed": counts["failed"], "without": counts["without_email"]})
    return 0


def _results(args) -> int:
    from kehu.org.policies import policy_for
    from kehu.surveys.analysis import default_wave, wave_get
    from kehu.surveys.staff import results

    found = _survey_actor(args)
    if found is None:
        return 2
    survey, actor = found
    if not policy_for(actor).may_see_employee_results:
        _err(_("refused: %(user)s may not read employee results") % {"user": actor.username})
        return 1
    wave = wave_get(survey, args.wave) if args.wave else default_wave(survey)
    if wave is None:
        _err(_("error: survey %(code)s has no such wave with responses") % {"code": survey.code})
        return 2
    if args.export:
        from kehu.exports.audit import export_audit_finish, export_audit_start
        from kehu.exports.writers import csv_sections, write_csv, write_xlsx_sheets
        from kehu.surveys.staff.views import export_tables

        fmt = args.export.lower().rsplit(".", 1)[-1]
        if fmt not in ("csv", "xlsx"):
            _err(_("error: the file name must end in .csv or .xlsx"))
            return 2
        tables = export_tables(viewer=actor, wave=wave)
        event = export_audit_start(actor=actor, export="employee_results", fmt=fmt, via="cli", filters={},
                                   object_id=survey.pk)
        if fmt == "xlsx":
            write_xlsx_sheets(((title, [header, *rows]) for title, header, rows in tables), args.export)
        else:
            write_csv(csv_sections(tables), args.export)
        export_audit_finish(event, rows=sum(len(rows) for _t, _h, rows in tables))
        print(_("wrote %(file)s") % {"file": args.export})
        return 0
    data = results.staff_and_customers(viewer=actor, wave=wave) if args.customers \
        else results.team_role_results(viewer=actor, wave=wave)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return 0
    if args.customers:
        print(_("%(wave)s: staff and customers per team, %(start)s – %(end)s") % {
            "wave": wave.name, "start": data["period"][0], "end": data["period"][1]})
        for row in data["rows"]:
            staff = "—" if row["suppressed"] or row["staff_index"] is None else f"{row['staff_index']:.1f}"
            cust = "—" if row["customer_index"] is None else f"{row['customer_index']:.1f}"
            print(f"  {'  ' * row['depth']}{row['label']}: {_('staff')} {staff}  {_('customers')} {cust}")
        c = data["correlations"].get("customer_index") or {}
        if c.get("r") is not None:
            print(_("r = %(r).2f over %(n)d teams") % {"r": c["r"], "n": c["n"]}
                  + (_(", 95%% interval %(low).2f to %(high).2f") % {"low": c["ci_low"], "high": c["ci_high"]}
                     if c.get("ci_low") is not None else ""))
        return 0
    print(_("%(wave)s: anonymity threshold %(n)d respondents") % {"wave": wave.name, "n": data["threshold"]})
    for group in ([data["total"]] if data["total"] else []) + data["teams"] + data["roles"]:
        figure = _("not shown") if group["suppressed"] else f"{group['index']} (n = {group['n']})"
        print(f"  {'  ' * group.get('depth', 0)}{group['label']}: {figure}")
    return 0
