"""Waves, invitations and responses through the API.

Waves are readable by every active user and run (created, changed, opened,
closed, sampled) by the survey designers. Invitations and responses are
customer data, scoped by ``org/policies.py``: a salesperson sees only their
own customers' invitations and answers; outside the scope a record answers
404. Recording a response (a phone interview, or answers collected elsewhere)
is for service agents, sales managers and administrators, for customers they
may see.
"""


import datetime as dt
from typing import Any, Literal, Optional, Union

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.customers.models import Customer
from kehu.org.policies import policy_for
from kehu.privacy.masking import for_schema
from kehu.surveys import answers as answers_mod
from kehu.surveys import selectors
from kehu.surveys import selectors_distribution as dsel
from kehu.surveys.models import (
    InvitationChannel, InvitationStatus, Response, ResponseSource, ResponseStatus, SurveyKind, WaveStatus,
)
from kehu.surveys.services import distribution as svc

survey_router = Router(tags=["survey waves"])
router = Router(tags=["survey waves"])
invitations_router = Router(tags=["survey waves"])
responses_router = Router(tags=["survey waves"])

Answer = Union[int, float, str, list[str], None]


# --------------------------------------------------------------------------
# Schemas
# --------------------------------------------------------------------------

class PopulationIn(Schema):
    segment_id: Optional[int] = Field(None, description="A saved segment (its members you may see).")
    filters: dict[str, Any] = Field({}, description="Customer filters: kind, stage, region, owner_id, team_id, "
                                                    "tag, tier (value tier of the latest analysis).")


class WaveOut(Schema):
    id: int
    survey_id: int
    name: str
    status: Literal[tuple(WaveStatus.values)]
    opens_on: Optional[dt.date]
    closes_on: Optional[dt.date]
    population: dict[str, Any]
    sample_design: dict[str, Any] = Field(description="Confidence, margin, proportion, size, strata, seed, "
                                                      "allocation per stratum, customers left out.")
    reminder_after_days: int
    max_reminders: int
    created_at: dt.datetime
    updated_at: dt.datetime


class WaveIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    opens_on: Optional[dt.date] = None
    closes_on: Optional[dt.date] = None
    population: PopulationIn = PopulationIn()
    reminder_after_days: int = Field(7, ge=1, le=365)
    max_reminders: int = Field(2, ge=0, le=10)


WavePatchIn = partial_schema(WaveIn, "WavePatchIn")


class SampleIn(Schema):
    confidence: float = Field(0.95, gt=0.5, lt=1)
    margin: float = Field(0.05, gt=0, lt=0.5, description="Margin of error as a fraction: 0.05 = ±5 points.")
    proportion: float = Field(0.5, gt=0, lt=1)
    size: Optional[int] = Field(None, ge=1, description="Empty: the calculator's size for the eligible population.")
    strata: Literal["", "region", "tier", "segment"] = ""
    strata_segments: list[int] = []
    seed: Optional[int] = Field(None, ge=0, le=2**63 - 1, description="Empty: drawn and recorded.")


class SampleOut(Schema):
    seed: int
    population: int = Field(description="Customers of the population you may see.")
    eligible: int
    excluded_recent: int = Field(description="Left out: invited within the survey's resurvey_days.")
    excluded_invited: int
    recommended: int
    size: int
    allocation: dict[str, int]
    stratum_sizes: dict[str, int]
    customer_ids: list[int] = Field(description="The first 100 sampled customers.")


class InvitationOut(Schema):
    id: int
    wave_id: int
    customer_id: Optional[int]
    customer_name: str
    partner_id: Optional[int] = Field(None, description="Partner surveys: the invited user's partner.")
    partner_user_id: Optional[int] = Field(None, description="Partner surveys: the partner user invited.")
    email: str
    language: str
    channel: Literal[tuple(InvitationChannel.values)]
    status: Literal[tuple(InvitationStatus.values)]
    stratum: str
    link: str = Field(description="The personal link (carries the token).")
    sent_at: Optional[dt.datetime]
    opened_at: Optional[dt.datetime]
    reminders_sent: int
    held_reason: str = Field(description="Why the last invitation or reminder was held back for want of consent "
                                         "(no_consent, withdrawn); empty when it was not.")
    held_at: Optional[dt.datetime]
    created_at: dt.datetime

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name if obj.customer_id else ""

    @staticmethod
    def resolve_email(obj, context) -> str:
        """The address as the caller may see it (kehu.privacy.masking)."""
        return for_schema(obj, context, "email", customer=obj.customer) if obj.customer_id else obj.email

    @staticmethod
    def resolve_link(obj):
        return svc.public_link(obj.token) if dsel.shows_link(obj) else ""


class PartnerInviteIn(Schema):
    type: str = Field("", description="Only the users of partners of this type (agent_l1, agent_l2, distributor, "
                                      "…); empty: every type.")
    partner_id: Optional[int] = Field(None, description="Only the users of this partner and the partners below it.")


class PartnerInviteOut(Schema):
    created: int = Field(description="Partner users invited now.")
    already: int = Field(description="Partner users this wave had invited before.")
    without_email: int = Field(description="Of those invited now, the ones without an email address.")


class InvitationFilterIn(Schema):
    status: str = ""
    q: str = ""
    stratum: str = ""


class ResponseOut(Schema):
    id: int
    wave_id: int
    invitation_id: Optional[int]
    customer_id: Optional[int]
    partner_id: Optional[int] = Field(None, description="Partner surveys: the partner the answers came from.")
    source: Literal[tuple(ResponseSource.values)]
    status: Literal[tuple(ResponseStatus.values)]
    language: str
    entered_by_id: Optional[int]
    submitted_at: Optional[dt.datetime]
    index: Optional[float] = Field(description="The respondent's weighted CSI, 0–100.")
    nps: Optional[int]
    satisfied: Optional[bool]
    answers: dict[str, Answer] = Field(description="Question code → answer.")

    @staticmethod
    def resolve_answers(obj):
        return answers_mod.answers_of(obj)


class ResponseFilterIn(Schema):
    status: str = ""
    source: str = ""


class ResponseIn(Schema):
    invitation_id: Optional[int] = Field(None, description="The invitation answered; or give customer_id.")
    customer_id: Optional[int] = Field(None, description="The customer interviewed (their invitation of the "
                                                         "wave, or a new one).")
    source: Literal["phone", "import"] = "phone"
    answers: dict[str, Answer] = Field(description="Question code → answer: 1–5, 0–10, 1–10, an option value, "
                                                   "a list of option values, or text.")
    submit: bool = Field(True, description="False saves the answers so far (partial).")
    submitted_at: Optional[dt.datetime] = None
    language: Literal["zh-hans", "en", ""] = ""


# --------------------------------------------------------------------------
# Waves
# --------------------------------------------------------------------------

def _survey(request, survey_id: int):
    return selectors.survey_get(viewer=request.auth, pk=survey_id)


def _wave(request, wave_id: int):
    return dsel.wave_get(viewer=request.auth, pk=wave_id)


@survey_router.get("/{int:survey_id}/waves", response={200: list[WaveOut], **READ_ERRORS},
                   url_name="survey-wave-list", summary="List a survey's waves")
@paginate(CursorPagination)
def list_waves(request, survey_id: int):
    survey = _survey(request, survey_id)
    return dsel.wave_list(viewer=request.auth, survey=survey).order_by("-id")


@survey_router.post("/{int:survey_id}/waves", response={201: WaveOut, **WRITE_ERRORS},
                    url_name="survey-wave-create", summary="Create a wave")
def create_wave(request, survey_id: int, payload: WaveIn):
    survey = _survey(request, survey_id)
    population = payload.population.dict()
    population = {"segment_id": population["segment_id"]} if population.get("segment_id") else {
        "filters": population.get("filters") or {}}
    wave = svc.wave_create(actor=request.auth, survey=survey, name=payload.name, opens_on=payload.opens_on,
                           closes_on=payload.closes_on, population=population,
                           reminder_after_days=payload.reminder_after_days, max_reminders=payload.max_reminders)
    return Status(201, wave)


@router.get("/{int:wave_id}", response={200: WaveOut, **READ_ERRORS}, url_name="wave-detail", summary="Get a wave")
def get_wave(request, wave_id: int):
    return _wave(request, wave_id)


@router.patch("/{int:wave_id}", response={200: WaveOut, **WRITE_ERRORS}, url_name="wave-update",
              summary="Change a wave's name, dates, reminders or population")
def update_wave(request, wave_id: int, payload: WavePatchIn):
    wave = _wave(request, wave_id)
    data = sent_fields(payload)
    if "population" in data:
        p = data["population"]
        data["population"] = {"segment_id": p["segment_id"]} if p.get("segment_id") else {
            "filters": p.get("filters") or {}}
    return svc.wave_update(actor=request.auth, wave=wave, data=data)


@router.post("/{int:wave_id}/open", response={200: WaveOut, **WRITE_ERRORS}, url_name="wave-open",
             summary="Open a wave for answers")
def open_wave(request, wave_id: int):
    return svc.wave_open(actor=request.auth, wave=_wave(request, wave_id))


@router.post("/{int:wave_id}/close", response={200: WaveOut, **WRITE_ERRORS}, url_name="wave-close",
             summary="Close a wave")
def close_wave(request, wave_id: int):
    return svc.wave_close(actor=request.auth, wave=_wave(request, wave_id))


def _design(payload: SampleIn) -> svc.SampleDesign:
    return svc.SampleDesign(confidence=payload.confidence, margin=payload.margin, proportion=payload.proportion,
                            size=payload.size, strata=payload.strata, strata_segments=payload.strata_segments,
                            seed=payload.seed)


def _sample_out(sample: svc.Sample) -> dict:
    return {"seed": sample.seed, "population": sample.population, "eligible": sample.eligible,
            "excluded_recent": sample.excluded_recent, "excluded_invited": sample.excluded_invited,
            "recommended": sample.recommended, "size": sample.size,
            "allocation": {str(k): v for k, v in sample.allocation.items()},
            "stratum_sizes": {str(k): v for k, v in sample.stratum_sizes.items()},
            "customer_ids": sample.ids[:100]}


@router.post("/{int:wave_id}/sample", response={200: SampleOut, **WRITE_ERRORS}, url_name="wave-sample",
             summary="Preview a sample (saves nothing)")
def preview_sample(request, wave_id: int, payload: SampleIn):
    wave = _wave(request, wave_id)
    if not svc.may_run_waves(request.auth):
        raise PermissionDenied
    return _sample_out(svc.sample_draw(wave=wave, viewer=request.auth, design=_design(payload)))


# --------------------------------------------------------------------------
# Invitations
# --------------------------------------------------------------------------

@router.get("/{int:wave_id}/invitations", response={200: list[InvitationOut], **READ_ERRORS},
            url_name="wave-invitation-list", summary="List a wave's invitations")
@paginate(CursorPagination)
def list_invitations(request, wave_id: int, filters: Query[InvitationFilterIn]):
    wave = _wave(request, wave_id)
    return dsel.invitation_list(viewer=request.auth, wave=wave, status=filters.status, q=filters.q.strip(),
                                stratum=filters.stratum).order_by("id")


@router.post("/{int:wave_id}/invitations", response={201: SampleOut, **WRITE_ERRORS},
             url_name="wave-invitation-create", summary="Draw the sample and create its invitations")
def create_invitations(request, wave_id: int, payload: SampleIn):
    wave = _wave(request, wave_id)
    if svc.wave_has_sample(wave):
        raise ValidationError(_("This wave already has its sample."))
    return Status(201, _sample_out(svc.invitations_create(actor=request.auth, wave=wave, design=_design(payload))))


@router.post("/{int:wave_id}/partner-invitations", response={201: PartnerInviteOut, **WRITE_ERRORS},
             url_name="wave-partner-invitation-create", summary="Invite the partner users (a partner survey)")
def create_partner_invitations(request, wave_id: int, payload: PartnerInviteIn):
    from kehu.org.models import Partner
    from kehu.surveys.services.partners import invitations_create_partners

    wave = _wave(request, wave_id)
    partner = None
    if payload.partner_id is not None:
        partner = Partner.objects.filter(pk=payload.partner_id).first()
        if partner is None:
            raise ValidationError({"partner_id": [_("No such partner.")]})
    done = invitations_create_partners(actor=request.auth, wave=wave, kind=payload.type.strip(), partner=partner)
    return Status(201, done.as_dict())


@invitations_router.get("/{int:invitation_id}", response={200: InvitationOut, **READ_ERRORS},
                        url_name="invitation-detail", summary="Get an invitation")
def get_invitation(request, invitation_id: int):
    return dsel.invitation_get(viewer=request.auth, pk=invitation_id)


# --------------------------------------------------------------------------
# Responses
# --------------------------------------------------------------------------

@router.get("/{int:wave_id}/responses", response={200: list[ResponseOut], **READ_ERRORS},
            url_name="wave-response-list", summary="List a wave's responses")
@paginate(CursorPagination)
def list_responses(request, wave_id: int, filters: Query[ResponseFilterIn]):
    wave = _wave(request, wave_id)
    return dsel.response_list(viewer=request.auth, wave=wave, status=filters.status,
                              source=filters.source).order_by("id")


@router.post("/{int:wave_id}/responses", response={201: ResponseOut, **WRITE_ERRORS},
             url_name="wave-response-create", summary="Record a response (phone interview or collected elsewhere)")
def create_response(request, wave_id: int, payload: ResponseIn):
    wave = _wave(request, wave_id)
    actor = request.auth
    if wave.survey.kind == SurveyKind.EMPLOYEE:
        # The answer would come back with its invitation, i.e. with the person: employees
        # answer through their personal links only (kehu/surveys/staff).
        raise ValidationError(_("Employees answer through their personal links only; their answers cannot "
                                "be recorded or read one by one."))
    # Outside the caller's scope is a 404 before anything else, as everywhere in the API.
    invitation = customer = None
    if payload.invitation_id:
        invitation = dsel.invitation_get(viewer=actor, pk=payload.invitation_id, wave=wave)
    elif payload.customer_id:
        customer = get_object_or_404(policy_for(actor).visible(Customer.objects.all()), pk=payload.customer_id)
    if not svc.may_enter_phone(actor):
        raise PermissionDenied(_("Only service agents, managers and administrators enter phone interviews."))
    if invitation is None and customer is None:
        raise ValidationError({"invitation_id": [_("Give an invitation or a customer.")]})
    if invitation is None:
        invitation = svc.phone_invitation(actor=actor, wave=wave, customer=customer)
    spec = answers_mod.survey_spec(wave.survey)
    unknown = [code for code in payload.answers if code not in spec.by_code]
    if unknown:
        raise ValidationError({f"answers.{code}": [_("No question has this code.")] for code in unknown})
    answers, errors = answers_mod.read_answers(spec, payload.answers, getlist=False)
    if errors:
        raise ValidationError({f"answers.{code}": [message] for code, message in errors.items()})
    try:
        if payload.source == "phone":
            response = svc.phone_response(actor=actor, invitation=invitation, answers=answers,
                                          submit=payload.submit, language=payload.language)
        else:
            response = svc.response_record(invitation=invitation, answers=answers, submit=payload.submit,
                                           source=ResponseSource.IMPORT, entered_by=actor,
                                           submitted_at=payload.submitted_at, language=payload.language,
                                           check_open=False)
    except svc.AlreadyCompleted:
        raise ValidationError({"invitation_id": [_("This respondent's answers are already recorded.")]}) from None
    except svc.WaveNotOpen:
        raise ValidationError(_("This wave does not accept answers now.")) from None
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise ValidationError({f"answers.{k}": v for k, v in exc.message_dict.items()}) from None
        raise
    return Status(201, Response.objects.get(pk=response.pk))


@responses_router.get("/{int:response_id}", response={200: ResponseOut, **READ_ERRORS},
                      url_name="response-detail", summary="Get a response with its answers")
def get_response(request, response_id: int):
    return dsel.response_get(viewer=request.auth, pk=response_id)
