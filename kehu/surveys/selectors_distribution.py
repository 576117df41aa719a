"""Reads of waves, invitations and responses, scoped by the visibility policy.

Waves themselves (name, dates, status, sample design) are readable by every
active user, like the questionnaire. Invitations and responses are customer
data: a viewer sees those of the customers ``org/policies.py`` lets them see
(a salesperson their own customers', a manager their team subtree's, head
office and analysts all). Outside that scope a record answers 404, as if it
did not exist. A partner survey's invitations (partner users, no customer) are
seen by those who read partner satisfaction (``may_read_partner_satisfaction``)
and by those who run waves.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from kehu.org.policies import policy_for
from kehu.surveys.models import Invitation, InvitationStatus, Response, ResponseStatus, Survey, SurveyKind, Wave
from kehu.surveys.selectors import may_design_surveys, may_view_surveys

STATUS_ORDER = [s for s, _label in InvitationStatus.choices]


def wave_list(*, viewer, survey: Survey) -> QuerySet:
    """The waves of ``survey`` with ``invitation_count`` and ``complete_count``, newest first."""
    if not may_view_surveys(viewer):
        return Wave.objects.none()
    return (Wave.objects.filter(survey=survey)
            .annotate(invitation_count=Count("invitations", distinct=True),
                      complete_count=Count("responses", filter=Q(responses__status=ResponseStatus.COMPLETE),
                                           distinct=True))
            .order_by("-created_at", "-id"))


def wave_get(*, viewer, pk, survey: Survey | None = None) -> Wave:
    if not may_view_surveys(viewer):
        raise Http404
    qs = Wave.objects.select_related("survey", "created_by")
    if survey is not None:
        qs = qs.filter(survey=survey)
    try:
        return qs.get(pk=int(pk))
    except (Wave.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def invitation_list(*, viewer, wave: Wave, status: str = "", q: str = "", stratum: str = "") -> QuerySet:
    """The invitations of ``wave`` whose customers ``viewer`` may see. Unordered."""
    if not may_view_surveys(viewer):
        return Invitation.objects.none()
    if wave.survey.kind == SurveyKind.PARTNER:
        qs = Invitation.objects.filter(wave=wave) if may_see_partner_invitations(viewer) else Invitation.objects.none()
    else:
        qs = policy_for(viewer).visible(Invitation.objects.filter(wave=wave), prefix="customer__")
    if status in InvitationStatus.values:
        qs = qs.filter(status=status)
    if stratum:
        qs = qs.filter(stratum=stratum)
    if q:
        q = q.strip()
        qs = qs.filter(Q(customer__name__icontains=q) | Q(customer__ref=q) | Q(email__istartswith=q)
                       | Q(partner__name__icontains=q))
    return qs.select_related("customer", "wave__survey", "employee", "staff", "partner", "partner_user")


def may_see_partner_invitations(viewer) -> bool:
    """Who sees the invitations of a partner survey's waves: the readers of
    partner satisfaction and the runners of waves."""
    return policy_for(viewer).may_read_partner_satisfaction or may_design_surveys(viewer)


def invitation_counts(*, viewer, wave: Wave) -> dict:
    """Status → number of the invitations ``viewer`` sees, every status present (0 when none), plus ``total``."""
    rows = dict(invitation_list(viewer=viewer, wave=wave).order_by().values_list("status")
                .annotate(n=Count("id")).values_list("status", "n"))
    out = {s: rows.get(s, 0) for s in STATUS_ORDER}
    out["total"] = sum(rows.values())
    return out


def held_counts(*, viewer, wave: Wave) -> list[tuple[str, str, int]]:
    """``(reason, label, n)`` of the invitations ``viewer`` sees whose last
    invitation or reminder the consent gate held back (kehu.privacy.consent)."""
    from kehu.surveys.models import HoldReason

    rows = dict(invitation_list(viewer=viewer, wave=wave).exclude(held_reason="").order_by()
                .values_list("held_reason").annotate(n=Count("id")).values_list("held_reason", "n"))
    return [(r, label, rows[r]) for r, label in HoldReason.choices if rows.get(r)]


def invitation_get(*, viewer, pk, wave: Wave | None = None) -> Invitation:
    if not may_view_surveys(viewer):
        raise Http404
    # An employee's invitation is never shown on its own (its answers are anonymous:
    # kehu/surveys/staff); the wave's list and counts are all there is.
    qs = Invitation.objects.select_related("customer", "wave__survey").exclude(wave__survey__kind=SurveyKind.EMPLOYEE)
    partner = qs.filter(pk=pk, wave__survey__kind=SurveyKind.PARTNER).exists() if str(pk).isdigit() else False
    if partner:
        if not may_see_partner_invitations(viewer):
            raise Http404
    else:
        qs = policy_for(viewer).visible(qs, prefix="customer__")
    if wave is not None:
        qs = qs.filter(wave=wave)
    try:
        return qs.get(pk=int(pk))
    except (Invitation.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


def response_list(*, viewer, wave: Wave | None = None, survey: Survey | None = None, status: str = "",
                  source: str = "") -> QuerySet:
    """Responses whose customers ``viewer`` may see — never those of an employee survey,
    which are anonymous and read only as aggregates (kehu/surveys/staff). Unordered."""
    if not may_view_surveys(viewer):
        return Response.objects.none()
    qs = policy_for(viewer).visible(Response.objects.exclude(wave__survey__kind=SurveyKind.EMPLOYEE),
                                     prefix="customer__")
    if wave is not None:
        qs = qs.filter(wave=wave)
    if survey is not None:
        qs = qs.filter(wave__survey=survey)
    if status in ResponseStatus.values:
        qs = qs.filter(status=status)
    if source:
        qs = qs.filter(source=source)
    return qs.select_related("customer", "wave", "entered_by")


def response_get(*, viewer, pk) -> Response:
    try:
        return response_list(viewer=viewer).get(pk=int(pk))
    except (Response.DoesNotExist, TypeError, ValueError):
        raise Http404 from None


#: An employee's link is shown (to hand it over) only until it is opened: after that, whoever
#: holds it could read the saved half of an anonymous questionnaire (kehu/surveys/staff).
LINK_SHOWN_UNTIL_OPENED = {InvitationStatus.PENDING, InvitationStatus.SENT, InvitationStatus.FAILED,
                           InvitationStatus.HELD}


def shows_link(invitation: Invitation) -> bool:
    """Whether pages, exports and the API show ``invitation``'s personal link."""
    if invitation.wave.survey.kind != SurveyKind.EMPLOYEE:
        return True
    return invitation.status in LINK_SHOWN_UNTIL_OPENED

