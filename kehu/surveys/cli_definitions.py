"""``kehu survey load FILE``, ``kehu survey export CODE FILE`` and
``kehu survey templates``: survey definitions as YAML or JSON files
(docs/surveys.md has the format).

Exit codes: 0 done; 1 the file is not a valid definition (every problem is
printed as ``FILE: line 12, questions[3].kind: …``) or the survey cannot be
changed; 2 usage errors (no such file, survey or user).
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.utils.translation import gettext as _


def register(sub) -> None:
    load = sub.add_parser("load", help=_("create a survey from a YAML or JSON definition (or a shipped template)"))
    load.add_argument("file", nargs="?", help=_("the definition file (.yaml, .yml or .json)"))
    load.add_argument("--template", metavar="NAME", help=_("start from a shipped template instead of a file "
                                                           "(see `kehu survey templates`)"))
    load.add_argument("--code", help=_("the new survey's code (default: the code in the file)"))
    load.add_argument("--replace", action="store_true",
                      help=_("replace the definition of the existing draft survey with this code"))
    load.add_argument("--as", dest="as_user", metavar="USERNAME",
                      help=_("the user recorded as making the change (default: the first administrator)"))
    load.set_defaults(func=_load)

    export = sub.add_parser("export", help=_("write a survey's definition to a YAML or JSON file"))
    export.add_argument("code", help=_("the survey's code"))
    export.add_argument("file", help=_("the file to write (.json for JSON, else YAML); - for standard output"))
    export.add_argument("--format", choices=("yaml", "json"), help=_("the format (default: from the file name)"))
    export.set_defaults(func=_export)

    templates = sub.add_parser("templates", help=_("list the survey templates shipped with Kehu"))
    templates.set_defaults(func=_templates)


def _err(message: str) -> None:
    print(message, file=sys.stderr)


def _actor(username: str | None):
    from kehu.imports.cli import _actor as import_actor

    return import_actor(username)


def _load(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.surveys import definitions as defs
    from kehu.surveys.models import Survey
    from kehu.surveys.services.definitions import survey_create_from_definition, survey_replace_definition

    if bool(args.file) == bool(args.template):
        _err(_("error: give a definition FILE or --template NAME (one of them)"))
        return 2
    if args.template:
        template = defs.library_template(args.template)
        if template is None:
            _err(_("error: no template named %(name)r; `kehu survey templates` lists them") % {"name": args.template})
            return 2
        definition, source = template.definition, f"template:{args.template}"
        label = args.template
    else:
        path = Path(args.file)
        if not path.is_file():
            _err(_("error: no such file: %(file)s") % {"file": args.file})
            return 2
        try:
            definition = defs.load_file(path)
        except defs.DefinitionError as exc:
            for problem in exc.problems:
                _err(f"{path}: {problem}")
            _err(_("%(file)s was not loaded: fix the problems above and try again.") % {"file": path})
            return 1
        source, label = f"file:{path.name}", str(path)
    actor = _actor(args.as_user)
    if actor is None:
        return 2
    code = args.code or definition["code"]
    try:
        if args.replace:
            survey = Survey.objects.filter(code=code).first()
            if survey is None:
                _err(_("error: no survey with the code %(code)s to replace") % {"code": code})
                return 2
            survey_replace_definition(actor=actor, survey=survey, definition=definition)
            verb = _("Replaced the definition of survey %(code)s from %(source)s")
        else:
            survey = survey_create_from_definition(actor=actor, definition=definition, code=code, source=source)
            verb = _("Created survey %(code)s from %(source)s")
    except PermissionDenied as exc:
        _err(_("error: %(message)s") % {"message": str(exc) or _("you may not do this")})
        return 2
    except ValidationError as exc:
        for field, messages in (exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]):
            for message in messages:
                _err(f"{field}: {message}" if field and field != "__all__" else message)
        return 1
    print(verb % {"code": survey.code, "source": label})
    print(_("%(questions)d questions, %(indicators)d indicators, %(constructs)d constructs; status: %(status)s.") % {
        "questions": survey.questions.count(), "indicators": survey.indicators.count(),
        "constructs": survey.constructs.count(), "status": survey.get_status_display()})
    return 0


def _export(args) -> int:
    from kehu.surveys import definitions as defs
    from kehu.surveys.models import Survey
    from kehu.surveys.selectors import survey_definition

    survey = Survey.objects.filter(code=args.code).first()
    if survey is None:
        _err(_("error: no survey with the code %(code)s") % {"code": args.code})
        return 2
    fmt = args.format or ("yaml" if args.file == "-" else defs.format_for(args.file))
    text = defs.dump(survey_definition(survey), fmt)
    if args.file == "-":
        sys.stdout.write(text)
        return 0
    try:
        Path(args.file).write_text(text, encoding="utf-8")
    except OSError as exc:
        _err(_("error: cannot write %(file)s: %(error)s") % {"file": args.file, "error": exc.strerror or exc})
        return 2
    print(_("Wrote survey %(code)s to %(file)s.") % {"code": survey.code, "file": args.file})
    return 0


def _templates(args) -> int:
    from kehu.surveys import definitions as defs
    from kehu.surveys import texts

    for template in defs.library_templates():
        print(f"{template.name:<24} {texts.pick(template.title)}")
        print(f"{'':<24} {template.path}")
    return 0
