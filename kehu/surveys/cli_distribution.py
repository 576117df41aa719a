"""``kehu survey import-responses CODE FILE`` and ``kehu survey remind``.

Exit codes: 0 done; 1 the file has errors (nothing written, unless
``--skip-bad``), or the survey cannot take answers; 2 usage errors (no such
file, survey, wave or user).
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def register(sub) -> None:
    imp = sub.add_parser("import-responses", help=_("import answers from a CSV or .xlsx file into a wave"))
    imp.add_argument("code", help=_("the survey's code"))
    imp.add_argument("file", help=_("the file (.csv or .xlsx): a column token or customer, one column per question code"))
    imp.add_argument("--wave", metavar="W", help=_("the wave's name or id (default: the newest open wave, "
                                                  "else the newest wave)"))
    imp.add_argument("--skip-bad", dest="skip_bad", action="store_true",
                     help=_("import the good rows and list the bad ones (default: any error imports nothing)"))
    imp.add_argument("--dry-run", dest="dry_run", action="store_true", help=_("check the file, write nothing"))
    imp.add_argument("--as", dest="as_user", metavar="USERNAME",
                     help=_("the user recorded as importing (default: the first administrator)"))
    imp.set_defaults(func=_import)

    remind = sub.add_parser("remind", help=_("email the survey reminders that are due"))
    remind.add_argument("--dry-run", dest="dry_run", action="store_true", help=_("only count the reminders due"))
    remind.set_defaults(func=_remind)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def find_wave(survey, ref: str | None):
    from kehu.surveys.models import Wave, WaveStatus

    waves = Wave.objects.filter(survey=survey)
    if ref:
        wave = waves.filter(name=ref).first()
        if wave is None and ref.isdigit():
            wave = waves.filter(pk=int(ref)).first()
        return wave
    return (waves.filter(status=WaveStatus.OPEN).order_by("-created_at", "-id").first()
            or waves.order_by("-created_at", "-id").first())


def _import(args) -> int:
    from pathlib import Path

    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.surveys.cli_definitions import _actor
    from kehu.surveys.models import Survey
    from kehu.surveys.services.import_answers import import_responses

    survey = Survey.objects.filter(code=args.code).first()
    if survey is None:
        _err(_("error: no survey with the code %(code)r") % {"code": args.code})
        return 2
    wave = find_wave(survey, args.wave)
    if wave is None:
        _err(_("error: the survey %(code)s has no wave %(wave)s") % {"code": survey.code, "wave": args.wave or ""})
        return 2
    if not Path(args.file).is_file():
        _err(_("error: no such file: %(path)s") % {"path": args.file})
        return 2
    actor = _actor(args.as_user)
    if actor is None:
        return 2
    try:
        result = import_responses(actor=actor, wave=wave, path=args.file, skip_bad=args.skip_bad,
                                  dry_run=args.dry_run)
    except ValidationError as exc:
        for message in exc.messages:
            _err(f"{args.file}: {message}")
        return 1
    except PermissionDenied as exc:
        _err(_("error: %(error)s") % {"error": exc})
        return 1
    for issue in result.errors:
        _err(f"{args.file}: {issue}")
    if result.written:
        print(ngettext("%(n)s response imported into %(wave)s.", "%(n)s responses imported into %(wave)s.",
                       result.imported) % {"n": result.imported, "wave": wave.name})
        if result.errors:
            print(ngettext("%(n)s row skipped.", "%(n)s rows skipped.", result.bad_lines) % {"n": result.bad_lines})
        return 0
    if result.errors:
        print(ngettext("%(n)s row has errors: nothing imported.", "%(n)s rows have errors: nothing imported.",
                       result.bad_lines) % {"n": result.bad_lines}, file=sys.stderr)
        return 1
    print(ngettext("%(n)s row checked, no errors.", "%(n)s rows checked, no errors.", len(result.good))
          % {"n": len(result.good)})
    return 0


def _remind(args) -> int:
    from kehu.surveys.services.distribution import reminders_due, reminders_send

    if args.dry_run:
        n = len(reminders_due())
        print(ngettext("%(n)s reminder is due.", "%(n)s reminders are due.", n) % {"n": n})
        return 0
    counts = reminders_send()
    print(ngettext("%(n)s reminder sent.", "%(n)s reminders sent.", counts["sent"]) % {"n": counts["sent"]})
    if counts.get("held"):
        print(ngettext("%(n)s reminder held back: the customer has not consented to be contacted.",
                       "%(n)s reminders held back: the customers have not consented to be contacted.",
                       counts["held"]) % {"n": counts["held"]})
    if counts["failed"]:
        print(ngettext("%(n)s could not be delivered.", "%(n)s could not be delivered.", counts["failed"])
              % {"n": counts["failed"]}, file=sys.stderr)
    return 0
