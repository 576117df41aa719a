"""``kehu survey invite-partners CODE [--wave W] [--type T] [--partner CODE] [--send]``:
invite the partner users to a wave of a partner satisfaction survey, through the
same service as the wave page (:mod:`kehu.surveys.services.partners`).

Without ``--wave`` the survey's latest wave that is not closed. Acts as
``--as USERNAME`` (default: the first administrator). Exit codes: 0 done;
1 refused (not a partner survey, a closed wave, no right to run waves);
2 usage errors (no such survey, wave, partner or user).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def register(sub) -> None:
    from kehu.org.models import PartnerType

    p = sub.add_parser("invite-partners", help=_("invite the partner users to a wave of a partner survey"))
    p.add_argument("code", help=_("the survey's code"))
    p.add_argument("--wave", metavar="W", help=_("the wave's name or id (default: the latest wave not closed)"))
    p.add_argument("--type", dest="partner_type", default="", choices=["", *PartnerType.values], metavar="TYPE",
                   help=_("only the users of partners of this type (%(types)s)") % {
                       "types": ", ".join(PartnerType.values)})
    p.add_argument("--partner", metavar="CODE", help=_("only the users of this partner and the partners below it"))
    p.add_argument("--send", action="store_true", help=_("also email the invitations (the wave must be open)"))
    p.add_argument("--as", dest="as_user", metavar="USERNAME",
                   help=_("act as this user (default: the first administrator)"))
    p.set_defaults(func=_invite)


def _invite(args) -> int:
    from django.core.exceptions import PermissionDenied, ValidationError

    from kehu.org.models import Partner
    from kehu.surveys.cli_waves import _err, _refused, _send_invitations, _survey_and_actor, _wave
    from kehu.surveys.models import WaveStatus
    from kehu.surveys.services.partners import invitations_create_partners

    found = _survey_and_actor(args)
    if found is None:
        return 2
    survey, actor = found
    if args.wave:
        wave = _wave(survey, args.wave)
        if wave is None:
            return 2
    else:
        wave = survey.waves.exclude(status=WaveStatus.CLOSED).order_by("-created_at", "-id").first()
        if wave is None:
            _err(_("error: survey %(code)s has no wave that is not closed; create one with "
                   "`kehu survey wave create`") % {"code": survey.code})
            return 2
    partner = None
    if args.partner:
        partner = Partner.objects.filter(code=args.partner).first()
        if partner is None:
            _err(_("error: no partner with the code %(code)s") % {"code": args.partner})
            return 2
    try:
        done = invitations_create_partners(actor=actor, wave=wave, kind=args.partner_type, partner=partner)
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    print(ngettext("%(n)d partner user invited to wave %(wave)s.", "%(n)d partner users invited to wave %(wave)s.",
                   done.created) % {"n": done.created, "wave": wave.name})
    if done.already:
        print(ngettext("%(n)d partner user was invited before.", "%(n)d partner users were invited before.",
                       done.already) % {"n": done.already})
    if done.without_email:
        print(ngettext("%(n)d partner user has no email address: hand over their link or QR code.",
                       "%(n)d partner users have no email address: hand over their links or QR codes.",
                       done.without_email) % {"n": done.without_email})
    if args.send:
        return _send_invitations(actor, wave)
    return 0
