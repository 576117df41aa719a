"""``kehu privacy export|erase|purge``: personal information from the command line.

- ``kehu privacy export CUSTOMER_CODE OUT`` writes the zip of everything Kehu
  holds about one customer (``index.html`` to read, ``data.json``);
- ``kehu privacy erase CUSTOMER_CODE --reason TEXT [--yes]`` erases their
  personal data (irreversible: without ``--yes`` it asks for the code again);
- ``kehu privacy purge [--dry-run]`` applies the retention rules now.

Each acts as ``--as USERNAME`` (default: the first active administrator),
through the same services, permissions and audit as the browser and the API.
"""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _


def _customer(actor, code: str):
    from kehu.customers.models import Customer
    from kehu.org.policies import policy_for

    customer = policy_for(actor).visible(Customer.objects.filter(ref=code.strip())).first()
    if customer is None:
        print(_("error: no customer with the code %(code)s") % {"code": code}, file=sys.stderr)
    return customer


def _errors(exc) -> str:
    return "; ".join(getattr(exc, "messages", None) or [str(exc)])


def _export(args) -> int:
    from pathlib import Path

    from django.core.exceptions import PermissionDenied

    from kehu.imports.cli import _actor
    from kehu.privacy.services import personal_data_export

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    customer = _customer(actor, args.code)
    if customer is None:
        return 1
    try:
        name, data = personal_data_export(actor=actor, customer_id=customer.pk)
    except PermissionDenied as exc:
        print(_("error: %(message)s") % {"message": _errors(exc)}, file=sys.stderr)
        return 1
    out = Path(args.out)
    if out.is_dir():
        out = out / name
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(_("error: cannot write %(file)s: %(reason)s") % {"file": out, "reason": exc.strerror},
              file=sys.stderr)
        return 1
    print(_("wrote the personal data of %(code)s to %(file)s") % {"code": customer.ref, "file": out})
    return 0


def _erase(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.imports.cli import _actor
    from kehu.privacy.services import customer_erase

    actor = _actor(args.as_user)
    if actor is None:
        return 2
    customer = _customer(actor, args.code)
    if customer is None:
        return 1
    if not args.yes:
        print(_("This erases the personal data of %(name)s (%(code)s) for good; orders are kept.")
              % {"name": customer.name, "code": customer.ref})
        try:
            typed = input(_("Type the customer code to confirm: "))
        except EOFError:
            typed = ""
        if typed.strip().upper() != customer.ref.upper():
            print(_("error: not confirmed; nothing was erased (pass --yes to skip the question)"), file=sys.stderr)
            return 1
    try:
        result = customer_erase(actor=actor, customer_id=customer.pk, reason=args.reason or "")
    except (PermissionDenied, ValidationError) as exc:
        print(_("error: %(message)s") % {"message": _errors(exc)}, file=sys.stderr)
        return 1
    print(_("erased the personal data of %(code)s: %(fields)s field(s), %(contacts)s contact(s), "
            "%(interactions)s interaction(s), %(answers)s survey answer(s)")
          % {"code": customer.ref, "fields": len(result.fields), "contacts": result.contacts,
             "interactions": result.interactions, "answers": result.answers})
    return 0


def _purge(args) -> int:
    from kehu.imports.cli import _actor
    from kehu.privacy.services import retention_purge

    actor = _actor(args.as_user) if args.as_user else None
    if args.as_user and actor is None:
        return 2
    result = retention_purge(actor=actor, dry_run=args.dry_run)
    if result.interactions_before is None and result.answers_before is None:
        print(_("No retention rule is set (KEHU_RETAIN_INTERACTIONS_DAYS, KEHU_RETAIN_SURVEY_ANSWERS_DAYS): "
                "everything is kept."))
        return 0
    text = (_("would delete %(i)s interaction(s) and anonymise %(r)s survey response(s)") if args.dry_run
            else _("deleted %(i)s interaction(s) and anonymised %(r)s survey response(s)"))
    print(text % {"i": result.interactions, "r": result.responses})
    return 0


def register(sub) -> None:
    p = sub.add_parser("privacy", help=_("personal information: export or erase one customer's data, "
                                         "apply the retention rules"))
    psub = p.add_subparsers(dest="action", required=True, metavar="{export,erase,purge}")
    e = psub.add_parser("export", help=_("write everything Kehu holds about one customer to a zip file"))
    e.add_argument("code", metavar="CUSTOMER_CODE")
    e.add_argument("out", metavar="OUT", help=_("the zip file to write, or a directory"))
    e.set_defaults(func=_export)
    r = psub.add_parser("erase", help=_("erase one customer's personal data (irreversible; orders are kept)"))
    r.add_argument("code", metavar="CUSTOMER_CODE")
    r.add_argument("--reason", required=True, help=_("why (recorded in the audit)"))
    r.add_argument("--yes", action="store_true", help=_("do not ask for the code again"))
    r.set_defaults(func=_erase)
    g = psub.add_parser("purge", help=_("delete or anonymise interactions and survey answers past their retention"))
    g.add_argument("--dry-run", action="store_true", help=_("count only, change nothing"))
    g.set_defaults(func=_purge)
    for q in (e, r, g):
        q.add_argument("--as", dest="as_user", metavar="USERNAME",
                       help=_("act as this user (default: the first active administrator)"))
