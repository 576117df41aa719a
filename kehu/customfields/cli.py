"""``kehu custom-fields list|add|deactivate``: custom field definitions from the shell.

``add`` and ``deactivate`` act as an administrator (``--as USERNAME``, default:
the first active administrator). Exit codes: 0 done; 1 refused (the reason is
printed); 2 bad arguments. ``list --json`` prints the definitions as JSON.
"""

from __future__ import annotations

import json
import sys

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


def _actor(username: str | None):
    from kehu.imports.cli import _actor as import_actor

    return import_actor(username)


def _errors(exc) -> str:
    if hasattr(exc, "message_dict"):
        return "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    return " ".join(getattr(exc, "messages", [str(exc)]))


def _list(args) -> int:
    from kehu.customfields.selectors import definition_list, value_count

    defs = list(definition_list(record_type=args.record_type, active=None if args.all else True))
    if args.json:
        print(json.dumps([{"record_type": d.record_type, "key": d.key, "label_zh": d.label_zh,
                           "label_en": d.label_en, "kind": d.kind, "choices": d.choices, "required": d.required,
                           "help_text": d.help_text, "position": d.position, "active": d.active,
                           "values": value_count(d)} for d in defs], ensure_ascii=False, indent=2))
        return 0
    if not defs:
        print(_("No custom fields."))
        return 0
    for d in defs:
        flags = [str(d.get_kind_display())]
        if d.required:
            flags.append(pgettext("custom field", "required"))
        if not d.active:
            flags.append(_("inactive"))
        print(f"{d.record_type}\t{d.key}\t{d.label_zh} / {d.label_en}\t{', '.join(flags)}\t"
              + _("%(count)d values") % {"count": value_count(d)})
    return 0


def _add(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.customfields.forms import parse_choices_text
    from kehu.customfields.services import definition_create

    actor = _actor(args.as_user)
    if actor is None:
        return 1
    data = {"record_type": args.record_type, "key": args.key, "label_zh": args.label_zh,
            "label_en": args.label_en or args.label_zh, "kind": args.kind, "required": args.required,
            "help_text": args.help or "", "position": args.position,
            "choices": parse_choices_text("\n".join(args.choice or []))}
    try:
        defn = definition_create(actor=actor, data=data)
    except (ValidationError, PermissionDenied) as exc:
        print(_("Refused: %(reason)s") % {"reason": _errors(exc)}, file=sys.stderr)
        return 1
    print(_("Custom field %(type)s.%(key)s created.") % {"type": defn.record_type, "key": defn.key})
    return 0


def _deactivate(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.customfields.models import CustomFieldDefinition
    from kehu.customfields.selectors import value_count
    from kehu.customfields.services import definition_deactivate

    actor = _actor(args.as_user)
    if actor is None:
        return 1
    defn = CustomFieldDefinition.objects.filter(record_type=args.record_type, key=args.key).first()
    if defn is None:
        print(_("No custom field %(type)s.%(key)s.") % {"type": args.record_type, "key": args.key}, file=sys.stderr)
        return 1
    try:
        definition_deactivate(actor=actor, definition=defn)
    except (ValidationError, PermissionDenied) as exc:
        print(_("Refused: %(reason)s") % {"reason": _errors(exc)}, file=sys.stderr)
        return 1
    print(_("Custom field %(type)s.%(key)s deactivated; %(count)d values are kept.") % {
        "type": defn.record_type, "key": defn.key, "count": value_count(defn)})
    return 0


def register(sub) -> None:
    from kehu.customfields import registry
    from kehu.customfields.models import Kind

    types = list(registry.RECORD_TYPES)
    p = sub.add_parser("custom-fields", help=_("list, add and deactivate custom fields"))
    psub = p.add_subparsers(dest="custom_fields_command", required=True)
    ls = psub.add_parser("list", help=_("list the custom fields"))
    ls.add_argument("--record-type", choices=types)
    ls.add_argument("--all", action="store_true", help=_("include inactive fields"))
    ls.add_argument("--json", action="store_true", help=_("print JSON"))
    ls.set_defaults(func=_list)
    a = psub.add_parser("add", help=_("define a custom field"))
    a.add_argument("record_type", choices=types)
    a.add_argument("key")
    a.add_argument("--label-zh", required=True)
    a.add_argument("--label-en", default="")
    a.add_argument("--kind", choices=list(Kind.values), default=Kind.TEXT)
    a.add_argument("--choice", action="append", metavar="VALUE[|中文|English]",
                   help=_("a choice (repeat for each)"))
    a.add_argument("--required", action="store_true")
    a.add_argument("--help-text", dest="help", default="")
    a.add_argument("--position", type=int, default=0)
    a.set_defaults(func=_add)
    d = psub.add_parser("deactivate", help=_("deactivate a custom field (its values are kept)"))
    d.add_argument("record_type", choices=types)
    d.add_argument("key")
    d.set_defaults(func=_deactivate)
    for q in (a, d):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first active administrator)"))
