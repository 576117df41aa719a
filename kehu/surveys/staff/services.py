"""Inviting employees to an employee survey's wave.

:func:`employees_invite` gives every active employee — active Kehu users
and active staff without a login (kehu.org.models.Employee), of the whole
company or of the teams named (with their subteams) — one invitation with
an unguessable personal link, and e-mails those not sent yet through the
survey's usual sending path (:func:`kehu.surveys.services.distribution.invitations_send`).
The invitation remembers who was invited (for reminders) and their team and
role (the groups of the results); the answers are never shown per person.
Running it again invites only those not invited yet.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record
from kehu.org.employees import surveyed_people
from kehu.org.models import Team
from kehu.surveys.models import Invitation, InvitationChannel, SurveyKind, Wave, WaveStatus
from kehu.surveys.services import distribution as dist


def employees_invite(*, actor, wave: Wave, teams: list[Team] | None = None, send: bool = True) -> dict:
    """Invite the employees of ``teams`` (all when None) to ``wave``; e-mail
    the new invitations when ``send`` and the wave is open.
    Returns ``{"invited", "already", "without_email", "sent", "failed"}``."""
    dist._require_runner(actor)
    if wave.survey.kind != SurveyKind.EMPLOYEE:
        raise ValidationError(_("Only the waves of an employee survey invite employees."))
    if wave.status == WaveStatus.CLOSED:
        raise ValidationError(_("The wave is closed; reopen it to add invitations."))
    people = surveyed_people(teams=teams or None)
    if not people:
        raise ValidationError(_("No active employee in these teams."))
    with transaction.atomic():
        taken_users = set(Invitation.objects.filter(wave=wave, employee__isnull=False)
                          .values_list("employee_id", flat=True))
        taken_staff = set(Invitation.objects.filter(wave=wave, staff__isnull=False).values_list("staff_id", flat=True))
        new = [p for p in people if (p.user_id and p.user_id not in taken_users)
               or (p.staff_id and p.staff_id not in taken_staff)]
        Invitation.objects.bulk_create([
            Invitation(wave=wave, employee_id=p.user_id, staff_id=p.staff_id, team_id=p.team_id,
                       position=p.position[:60], token=dist.new_token(), email=p.email,
                       channel=InvitationChannel.EMAIL if p.email else InvitationChannel.LINK,
                       language=p.language if p.language in ("zh-hans", "en") else "zh-hans")
            for p in new], batch_size=dist.BATCH)
        audit_record(actor=actor, action="survey.employees_invite", instance=wave,
                     summary=f"{wave.name}: {len(new)} invited"
                             + (f" ({', '.join(t.name for t in teams)})" if teams else ""))
    counts = {"invited": len(new), "already": len(people) - len(new),
              "without_email": sum(1 for p in new if not p.email), "sent": 0, "failed": 0}
    if send and dist.wave_accepts_answers(wave):
        sent = dist.invitations_send(actor=actor, wave=wave)
        counts["sent"], counts["failed"] = sent["sent"], sent["failed"]
    return counts
