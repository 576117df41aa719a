"""Partner satisfaction (渠道伙伴满意度): inviting the users of the channel's
partners (role ``partner``, ``User.partner``) to a wave of a partner survey.

Each active partner user of an active partner gets one personal invitation
(the same unguessable token and e-mail as a customer's: sent by
:func:`kehu.surveys.services.distribution.invitations_send`, reminded by the
hourly job). The invitation names the user and their partner; the response
copies the partner (:func:`~kehu.surveys.services.distribution.response_record`),
so results break down by partner type, level and partner
(:mod:`kehu.surveys.analysis`). Partner answers are not anonymous.

Who may invite: those who run waves (the survey designers), as for customers.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.org.models import Partner, PartnerType, Role, User
from kehu.surveys.models import Invitation, InvitationChannel, SurveyKind, Wave, WaveStatus
from kehu.surveys.services.distribution import BATCH, _require_runner, new_token


@dataclass
class PartnerInvitations:
    """What :func:`invitations_create_partners` did."""

    created: int = 0
    already: int = 0  # partner users this wave had invited before
    without_email: int = 0  # of the created, those with no address (their link is handed over instead)

    def as_dict(self) -> dict:
        return {"created": self.created, "already": self.already, "without_email": self.without_email}


def partner_users(*, kind: str = "", partner: Partner | None = None) -> QuerySet:
    """The partner users a partner survey reaches: active users with the role
    ``partner`` of active partners, of one partner type when ``kind`` is given,
    of ``partner`` and the partners below it when ``partner`` is given."""
    qs = User.objects.filter(role=Role.PARTNER, is_active=True, partner__isnull=False, partner__is_active=True)
    if kind:
        qs = qs.filter(partner__kind=kind)
    if partner is not None:
        qs = qs.filter(partner__path__startswith=partner.path)
    return qs


def _check(wave: Wave, kind: str) -> None:
    if wave.survey.kind != SurveyKind.PARTNER:
        raise ValidationError(_("Only a partner survey's waves invite partner users."))
    if wave.status == WaveStatus.CLOSED:
        raise ValidationError(_("The wave is closed; reopen it to add invitations."))
    if kind and kind not in PartnerType.values:
        raise ValidationError({"kind": [_("Unknown partner type %(value)s.") % {"value": kind}]})


def invitations_create_partners(*, actor, wave: Wave, kind: str = "", partner: Partner | None = None,
                                check: bool = True) -> PartnerInvitations:
    """One invitation per partner user of ``wave``'s reach (:func:`partner_users`)
    not invited to this wave yet, with the user's e-mail and language. Running
    it again invites only the partner users added since. ``check=False``: the
    demo, which has no acting user."""
    if check:
        _require_runner(actor)
    _check(wave, kind)
    users = list(partner_users(kind=kind, partner=partner).select_related("partner").order_by("id"))
    invited = set(wave.invitations.filter(partner_user__isnull=False).values_list("partner_user_id", flat=True))
    todo = [u for u in users if u.pk not in invited]
    out = PartnerInvitations(already=len(users) - len(todo))
    with transaction.atomic():
        rows = [Invitation(wave=wave, partner_user=u, partner=u.partner, token=new_token(), email=u.email or "",
                           channel=InvitationChannel.EMAIL if u.email else InvitationChannel.LINK,
                           language="en" if (u.language or "").startswith("en") else "zh-hans",
                           stratum=u.partner.kind)
                for u in todo]
        Invitation.objects.bulk_create(rows, batch_size=BATCH)
        out.created = len(rows)
        out.without_email = sum(1 for r in rows if not r.email)
        if rows and actor is not None:
            audit_record(actor=actor, action="survey.invite_partners", instance=wave,
                         summary=f"{wave.name}: {out.created} partner users")
    return out
