"""``kehu unlock`` and ``kehu totp disable``."""

from __future__ import annotations

import sys

from django.utils.translation import gettext as _


def _unlock(args) -> int:
    from django.core.exceptions import ValidationError

    from kehu.accounts.services import login_unlock

    if not args.username and not args.address:
        print(_("error: give a USERNAME or --address"), file=sys.stderr)
        return 2
    try:
        removed = login_unlock(actor=None, username=args.username or "", address=args.address or "")
    except ValidationError as exc:
        print(_("error: %(message)s") % {"message": " ".join(exc.messages)}, file=sys.stderr)
        return 2
    print(_("unlocked %(what)s (%(count)d failure records removed)")
          % {"what": args.username or args.address, "count": removed})
    return 0


def _totp_disable(args) -> int:
    from kehu.accounts.services import totp_disable
    from kehu.org.models import User

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(_("error: no user named %(username)r") % {"username": args.username}, file=sys.stderr)
        return 2
    if totp_disable(user=user, actor=None):
        print(_("two-step sign-in is off for %(username)s") % {"username": user.username})
    else:
        print(_("two-step sign-in was not on for %(username)s") % {"username": user.username})
    return 0


def register(sub) -> None:
    p = sub.add_parser("unlock", help=_("lift a login lockout of an account or an address"))
    p.add_argument("username", nargs="?", help=_("the account to unlock"))
    p.add_argument("--address", help=_("the address (IP) to unlock"))
    p.set_defaults(func=_unlock)

    t = sub.add_parser("totp", help=_("two-step sign-in"))
    tsub = t.add_subparsers(dest="totp_command", required=True)
    d = tsub.add_parser("disable", help=_("turn two-step sign-in off for USERNAME (a lost phone)"))
    d.add_argument("username")
    d.set_defaults(func=_totp_disable)
