"""``kehu createuser``, ``kehu team create`` and ``kehu token create``."""

from __future__ import annotations

import getpass
import sys

from django.utils.translation import gettext as _


def _createuser(args) -> int:
    from django.core.exceptions import ValidationError

    from kehu.org.models import Team
    from kehu.org.services import user_create

    team = None
    if args.team:
        team = Team.objects.filter(name=args.team).first()
        if team is None:
            print(_("error: no team named %(team)r") % {"team": args.team}, file=sys.stderr)
            return 2
    partner = None
    if getattr(args, "partner", None):
        from kehu.org.models import Partner

        partner = Partner.objects.filter(code=args.partner).first()
        if partner is None:
            print(_("error: no partner with the code %(code)r") % {"code": args.partner}, file=sys.stderr)
            return 2
    password = args.password
    if password is None and sys.stdin.isatty():
        password = getpass.getpass(_("Password: "))
    try:
        user = user_create(username=args.username, password=password, role=args.role, team=team,
                           display_name=args.name or "", email=args.email or "",
                           is_superuser=args.role == "admin", partner=partner)
    except ValidationError as exc:
        from django.core.exceptions import FieldDoesNotExist

        from kehu.org.models import User

        for field, errors in exc.message_dict.items():
            try:  # the field's name in the user's language ("密码", not "password")
                label = str(User._meta.get_field(field).verbose_name)
            except FieldDoesNotExist:
                label = field
            print(_("error: %(field)s: %(errors)s") % {"field": label, "errors": " ".join(errors)}, file=sys.stderr)
        return 2
    print(_("created user %(username)s (%(role)s)") % {"username": user.username, "role": user.role})
    return 0


def _token_create(args) -> int:
    from kehu.org.models import User
    from kehu.org.services import token_create

    user = User.objects.filter(username=args.username).first()
    if user is None:
        print(_("error: no user named %(username)r") % {"username": args.username}, file=sys.stderr)
        return 2
    _token, raw = token_create(user=user, name=args.name or "cli")
    print(raw)
    return 0


def _team_create(args) -> int:
    from django.core.exceptions import ValidationError

    from kehu.org.models import Team
    from kehu.org.services import team_create

    if args.parent:
        parents = list(Team.objects.filter(name=args.parent)[:2])
        if not parents:
            print(_("error: no team named %(team)r") % {"team": args.parent}, file=sys.stderr)
            return 2
        if len(parents) > 1:
            print(_("error: more than one team is named %(team)r") % {"team": args.parent}, file=sys.stderr)
            return 2
        parent = parents[0]
    else:  # under the head office; the first team is the head office
        parent = Team.objects.filter(parent__isnull=True).order_by("pk").first()
    try:
        team = team_create(name=args.name, parent=parent)
    except ValidationError as exc:
        print(_("error: %(errors)s") % {"errors": " ".join(exc.messages)}, file=sys.stderr)
        return 2
    if parent is None:
        print(_("created team %(team)s (the head office)") % {"team": team.name})
    else:
        print(_("created team %(team)s under %(parent)s") % {"team": team.name, "parent": parent.name})
    return 0


def register(sub) -> None:
    from kehu.org.models import Role

    p = sub.add_parser("createuser", help=_("create a user with a role and team"))
    p.add_argument("username")
    p.add_argument("--role", default="salesperson", choices=list(Role.values))
    p.add_argument("--team", help=_("team name"))
    p.add_argument("--password", help=_("password (asked for when omitted on a terminal)"))
    p.add_argument("--name", help=_("display name"))
    p.add_argument("--email")
    p.add_argument("--partner", metavar="CODE", help=_("the partner's code (for --role partner)"))
    p.set_defaults(func=_createuser)

    tm = sub.add_parser("team", help=_("teams"))
    tmsub = tm.add_subparsers(dest="team_command", required=True)
    c = tmsub.add_parser("create", help=_("create a team (under the head office unless --parent says otherwise)"))
    c.add_argument("name")
    c.add_argument("--parent", help=_("the name of the team above it"))
    c.set_defaults(func=_team_create)

    t = sub.add_parser("token", help=_("API tokens"))
    tsub = t.add_subparsers(dest="token_command", required=True)
    c = tsub.add_parser("create", help=_("create an API token for USERNAME and print it"))
    c.add_argument("username")
    c.add_argument("--name", help=_("a label for the token"))
    c.set_defaults(func=_token_create)
