"""``kehu survey wave list|create|open|send|close`` and ``kehu survey weights``:
running a survey without the browser, through the same services as its pages.

    kehu survey wave create CODE NAME [--opens DATE] [--closes DATE] [--segment ID | --filter KEY=VALUE ...]
                                      [--sample N | --draw] [--confidence C] [--margin M] [--strata S] [--seed S]
    kehu survey wave open CODE WAVE [--send]
    kehu survey wave send CODE WAVE
    kehu survey wave close CODE WAVE
    kehu survey wave list CODE
    kehu survey weights CODE [--indicator CODE] [--entropy --wave WAVE] [--json]

Every command acts as ``--as USERNAME`` (default: the first administrator),
with that user's permissions. Exit codes: 0 done; 1 refused (the service's
message: a closed wave, an empty sample, …); 2 usage errors (no such survey,
wave, indicator or user; a malformed date or filter).
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def register(sub) -> None:
    wave = sub.add_parser("wave", help=_("survey waves: list, create (and draw the sample), open, send, close"))
    wsub = wave.add_subparsers(dest="wave_command", metavar="SUBCOMMAND")
    wave.set_defaults(func=lambda args: wave.print_help() or 2)

    ls = wsub.add_parser("list", help=_("the survey's waves with their status, invitations and responses"))
    ls.add_argument("code", help=_("the survey's code"))
    ls.add_argument("--json", action="store_true", help=_("print the waves as JSON"))
    ls.set_defaults(func=_list)

    create = wsub.add_parser("create", help=_("create a wave and, with --sample or --draw, invite its sample"))
    create.add_argument("code", help=_("the survey's code"))
    create.add_argument("name", help=_("the wave's name, e.g. 2026 Q4"))
    create.add_argument("--opens", metavar="DATE", type=_date, help=_("first day answers are taken (YYYY-MM-DD)"))
    create.add_argument("--closes", metavar="DATE", type=_date, help=_("last day answers are taken (YYYY-MM-DD)"))
    create.add_argument("--remind-after", dest="remind_after", type=int, default=7, metavar="DAYS",
                        help=_("days before a reminder (default 7)"))
    create.add_argument("--max-reminders", dest="max_reminders", type=int, default=2, metavar="N",
                        help=_("reminders per invitation (default 2)"))
    who = create.add_mutually_exclusive_group()
    who.add_argument("--segment", type=int, metavar="ID", help=_("survey the customers of this saved segment"))
    who.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                     help=_("a population filter (kind, stage, region, owner_id, team_id, tag, tier); repeatable"))
    size = create.add_mutually_exclusive_group()
    size.add_argument("--sample", type=int, metavar="N", help=_("draw a random sample of N customers and invite them"))
    size.add_argument("--draw", action="store_true",
                      help=_("draw the sample size the calculator recommends and invite them"))
    create.add_argument("--confidence", type=float, default=0.95, help=_("confidence level (default 0.95)"))
    create.add_argument("--margin", type=float, default=0.05, help=_("margin of error (default 0.05)"))
    create.add_argument("--strata", choices=("region", "tier"), default="",
                        help=_("stratify the sample (proportional allocation)"))
    create.add_argument("--seed", type=int, help=_("the sample's random seed (default: a new one, printed)"))
    create.set_defaults(func=_create)

    for name, helptext, func in (("open", _("open a wave for answers"), _open),
                                 ("send", _("email the invitations not sent yet"), _send),
                                 ("close", _("close a wave: its links then say the survey is closed"), _close)):
        p = wsub.add_parser(name, help=helptext)
        p.add_argument("code", help=_("the survey's code"))
        p.add_argument("wave", help=_("the wave's name or id"))
        if name == "open":
            p.add_argument("--send", action="store_true", help=_("also email the invitations"))
        p.set_defaults(func=func)

    for p in (ls, create, *[wsub.choices[n] for n in ("open", "send", "close")]):
        p.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first administrator)"))

    weights = sub.add_parser("weights", help=_("show the indicator weights (AHP consistency ratio included), or set "
                                               "them by the entropy method from a wave's answers"))
    weights.add_argument("code", help=_("the survey's code"))
    weights.add_argument("--indicator", metavar="CODE",
                         help=_("only this parent indicator (default: every indicator with sub-indicators)"))
    weights.add_argument("--entropy", action="store_true",
                         help=_("set the weights of the sub-indicators by the entropy method (needs --wave)"))
    weights.add_argument("--wave", metavar="W", help=_("the wave whose complete answers the entropy weights use"))
    weights.add_argument("--json", action="store_true", help=_("print the weights as JSON (unrounded)"))
    weights.add_argument("--as", dest="as_user", metavar="USERNAME",
                         help=_("act as this user (default: the first administrator)"))
    weights.set_defaults(func=_weights)


def _date(value: str) -> dt.date:
    import argparse

    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("%(value)r is not a date (YYYY-MM-DD)") % {"value": value}) from None


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _survey_and_actor(args):
    from kehu.imports.cli import _actor
    from kehu.surveys.models import Survey

    survey = Survey.objects.filter(code=args.code).first()
    if survey is None:
        _err(_("error: no survey with the code %(code)s") % {"code": args.code})
        return None
    actor = _actor(args.as_user)
    if actor is None:
        return None
    return survey, actor


def _wave(survey, ref: str):
    from kehu.surveys.analysis import wave_get

    wave = wave_get(survey, ref)
    if wave is None:
        _err(_("error: survey %(code)s has no wave %(wave)s") % {"code": survey.code, "wave": ref})
    return wave


def _wave_and_actor(args):
    """The wave ``args.wave`` of survey ``args.code`` and the acting user, or None (the error printed)."""
    found = _survey_and_actor(args)
    if found is None:
        return None
    survey, actor = found
    wave = _wave(survey, args.wave)
    return None if wave is None else (wave, actor)


def _refused(exc) -> int:
    from django.core.exceptions import ValidationError

    messages = exc.messages if isinstance(exc, ValidationError) else [str(exc)]
    for message in messages:
        _err(_("error: %(error)s") % {"error": message})
    return 1


def _population(args) -> dict | None:
    if args.segment:
        return {"segment_id": args.segment}
    filters = {}
    for item in args.filter:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            _err(_("error: --filter takes KEY=VALUE, e.g. region=north; got %(item)r") % {"item": item})
            return None
        filters[key.strip()] = value.strip()
    return {"filters": filters}


def _create(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.db import transaction

    from kehu.surveys.services import distribution as svc

    found = _survey_and_actor(args)
    if found is None:
        return 2
    survey, actor = found
    population = _population(args)
    if population is None:
        return 2
    try:
        with transaction.atomic():  # a sample that cannot be drawn leaves no wave behind
            wave = svc.wave_create(actor=actor, survey=survey, name=args.name, opens_on=args.opens,
                                   closes_on=args.closes, population=population,
                                   reminder_after_days=args.remind_after, max_reminders=args.max_reminders)
            sample = None
            if args.sample is not None or args.draw:
                design = svc.SampleDesign(confidence=args.confidence, margin=args.margin, size=args.sample,
                                          strata=args.strata, seed=args.seed).clean()
                sample = svc.invitations_create(actor=actor, wave=wave, design=design)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    print(_("Wave %(wave)s of survey %(code)s created (id %(id)d, planned).") % {
        "wave": wave.name, "code": survey.code, "id": wave.pk})
    if sample is not None:
        print(ngettext("%(n)d customer invited of %(eligible)d eligible (recommended %(recommended)d, seed %(seed)d).",
                       "%(n)d customers invited of %(eligible)d eligible (recommended %(recommended)d, seed %(seed)d).",
                       sample.size) % {"n": sample.size, "eligible": sample.eligible,
                                       "recommended": sample.recommended, "seed": sample.seed})
    return 0


def _open(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.surveys.services import distribution as svc

    found = _wave_and_actor(args)
    if found is None:
        return 2
    wave, actor = found
    try:
        svc.wave_open(actor=actor, wave=wave)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    print(_("Wave %(wave)s is open.") % {"wave": wave.name})
    if args.send:
        return _send_invitations(actor, wave)
    return 0


def _send_invitations(actor, wave) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.surveys.services import distribution as svc

    try:
        counts = svc.invitations_send(actor=actor, wave=wave)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    print(ngettext("%(n)d invitation sent.", "%(n)d invitations sent.", counts["sent"]) % {"n": counts["sent"]})
    if counts.get("held"):
        print(ngettext("%(n)d invitation held back: the customer has not consented to e-mail (the next send tries "
                       "again).",
                       "%(n)d invitations held back: the customers have not consented to e-mail (the next send tries "
                       "again).", counts["held"]) % {"n": counts["held"]})
    if counts.get("without_email"):
        print(ngettext("%(n)d invitation has no e-mail address (give its link or call).",
                       "%(n)d invitations have no e-mail address (give their links or call).",
                       counts["without_email"]) % {"n": counts["without_email"]})
    if counts.get("failed"):
        _err(ngettext("%(n)d could not be delivered.", "%(n)d could not be delivered.", counts["failed"])
             % {"n": counts["failed"]})
        return 1
    return 0


def _send(args) -> int:
    found = _wave_and_actor(args)
    if found is None:
        return 2
    wave, actor = found
    return _send_invitations(actor, wave)


def _close(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.surveys.services import distribution as svc

    found = _wave_and_actor(args)
    if found is None:
        return 2
    wave, actor = found
    try:
        svc.wave_close(actor=actor, wave=wave)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    print(_("Wave %(wave)s is closed (last day %(day)s).") % {"wave": wave.name, "day": wave.closes_on})
    return 0


def _list(args) -> int:
    from django.db.models import Count, Q

    from kehu.surveys.models import ResponseStatus

    found = _survey_and_actor(args)
    if found is None:
        return 2
    survey, _actor = found
    waves = (survey.waves.order_by("created_at", "id")
             .annotate(invited=Count("invitations", distinct=True),
                       complete=Count("responses", filter=Q(responses__status=ResponseStatus.COMPLETE),
                                      distinct=True)))
    rows = [{"id": w.pk, "name": w.name, "status": w.status,
             "opens_on": w.opens_on.isoformat() if w.opens_on else None,
             "closes_on": w.closes_on.isoformat() if w.closes_on else None,
             "invitations": w.invited, "responses": w.complete,
             "planned_size": (w.sample_design or {}).get("size")} for w in waves]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(_("Survey %(code)s has no waves yet; `kehu survey wave create` makes one.") % {"code": survey.code})
        return 0
    print(f"{'id':>5} {_('Wave'):<24} {_('Status'):<8} {_('Opens'):<10} {_('Closes'):<10} "
          f"{_('Invited'):>8} {_('Responses'):>9}")
    for r in rows:
        print(f"{r['id']:>5} {r['name'][:24]:<24} {r['status']:<8} {r['opens_on'] or '—':<10} "
              f"{r['closes_on'] or '—':<10} {r['invitations']:>8} {r['responses']:>9}")
    return 0


def _weights(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils import translation

    from kehu.surveys.analysis import weights_part
    from kehu.surveys.services.definitions import weights_set_entropy

    found = _survey_and_actor(args)
    if found is None:
        return 2
    survey, actor = found
    parents = weights_part(survey, translation.get_language())
    if args.indicator:
        parents = [p for p in parents if p["indicator"] == args.indicator]
        if not parents:
            _err(_("error: survey %(code)s has no indicator %(indicator)s with sub-indicators")
                 % {"code": survey.code, "indicator": args.indicator})
            return 2
    if args.entropy:
        if not args.wave:
            _err(_("error: --entropy needs --wave W: the wave whose answers weigh the indicators"))
            return 2
        wave = _wave(survey, args.wave)
        if wave is None:
            return 2
        indicators = {i.code: i for i in survey.indicators.filter(code__in=[p["indicator"] for p in parents])}
        try:
            for p in parents:
                weights_set_entropy(actor=actor, parent=indicators[p["indicator"]], wave=wave)
        except (ValidationError, PermissionDenied) as exc:
            return _refused(exc)
        codes = {p["indicator"] for p in parents}
        parents = [p for p in weights_part(survey, translation.get_language()) if p["indicator"] in codes]
    if args.json:
        print(json.dumps(parents, ensure_ascii=False, indent=2))
        return 0
    for p in parents:
        print(f"{p['name']} ({p['indicator']}): {p['method']}")
        for code, weight in p["weights"].items():
            print(f"  {code:<24} {weight:.4f}")
        if p.get("ahp"):
            a = p["ahp"]
            print("  " + _("λmax %(lambda_max).4f, CI %(ci).4f, RI %(ri).2f, CR %(cr).4f (%(verdict)s)") % {
                "lambda_max": a["lambda_max"], "ci": a["ci"], "ri": a["ri"], "cr": a["cr"],
                "verdict": _("consistent") if a["consistent"] else _("not consistent")})
        if p.get("entropy"):
            e = p["entropy"]
            print("  " + _("entropy weights from wave %(wave)s, %(n)d complete responses") % {
                "wave": e["wave"], "n": e["respondents"]})
    return 0
