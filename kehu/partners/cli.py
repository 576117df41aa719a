"""``kehu partner create CODE NAME [--type T] [--parent CODE] [--manager USERNAME] [--margin PCT]``
and ``kehu partner check [--date YYYY-MM-DD]`` (the partners behind their targets get a task,
kehu/partners/followup.py; the nightly job does the same).

``kehu import partners FILE`` is with the other imports (kehu/imports/cli.py) and a partner
user is ``kehu createuser USERNAME --role partner --partner CODE`` (kehu/org/cli.py)."""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _


def _partner_create(args) -> int:
    from django.core.exceptions import ValidationError

    from kehu.org.models import Partner, User
    from kehu.org.partners import partner_create

    parent = None
    if args.parent:
        parent = Partner.objects.filter(code=args.parent).first()
        if parent is None:
            print(_("error: no partner with the code %(code)r") % {"code": args.parent}, file=sys.stderr)
            return 2
    data = {"code": args.code, "name": args.name, "kind": args.type}
    if args.manager:
        manager = User.objects.filter(username=args.manager, is_active=True).first()
        if manager is None:
            print(_("error: no user named %(username)r") % {"username": args.manager}, file=sys.stderr)
            return 2
        data["manager"] = manager
    if args.margin is not None:
        try:
            data["margin_pct"] = Decimal(args.margin)
        except InvalidOperation:
            print(_("error: the margin must be a number of percent, such as 12.5"), file=sys.stderr)
            return 2
    try:
        partner = partner_create(data=data, parent=parent)
    except ValidationError as exc:
        from kehu.partners.imports import _label

        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                print(_("error: %(field)s: %(errors)s") % {"field": _label(field), "errors": " ".join(errors)},
                      file=sys.stderr)
        else:
            print(_("error: %(errors)s") % {"errors": " ".join(exc.messages)}, file=sys.stderr)
        return 2
    print(_("created partner %(code)s %(name)s (level %(level)s)") % {
        "code": partner.code, "name": partner.name, "level": partner.level})
    return 0


def _partner_check(args) -> int:
    import datetime as dt

    from kehu.partners.followup import partner_check

    day = None
    if args.date:
        try:
            day = dt.date.fromisoformat(args.date)
        except ValueError:
            print(_("error: %(errors)s") % {"errors": _("Give dates as YYYY-MM-DD.")}, file=sys.stderr)
            return 2
    result = partner_check(day=day)
    print(_("%(day)s: %(checked)s targets checked, %(behind)s partners behind (%(codes)s), "
            "%(created)s new tasks") % {"day": result.day.isoformat(), "checked": result.checked,
                                         "behind": len(result.behind), "codes": ", ".join(result.behind) or "—",
                                         "created": result.created})
    return 0


def register(sub) -> None:
    from kehu.org.models import PartnerType

    p = sub.add_parser("partner", help=_("partners of the channel"))
    psub = p.add_subparsers(dest="partner_command", required=True)
    c = psub.add_parser("create", help=_("create a partner (below --parent, or a partner of the company itself)"))
    c.add_argument("code")
    c.add_argument("name")
    c.add_argument("--type", default=PartnerType.AGENT_L1, choices=list(PartnerType.values))
    c.add_argument("--parent", metavar="CODE", help=_("the code of the partner above it"))
    c.add_argument("--manager", metavar="USERNAME", help=_("the channel manager's username"))
    c.add_argument("--margin", metavar="PCT", help=_("the partner's margin in percent"))
    c.set_defaults(func=_partner_create)
    k = psub.add_parser("check", help=_("give the partners behind their targets a task for their channel manager"))
    k.add_argument("--date", metavar="YYYY-MM-DD", help=_("the day to check (default: today)"))
    k.set_defaults(func=_partner_check)
