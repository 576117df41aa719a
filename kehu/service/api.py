"""/cases: service requests and complaints (服务单 / 投诉单).

Visible are the cases of the customers the caller may see plus those assigned to
them or their team (404 otherwise); read-only roles get 403 on writes. Every write
that reads a case first takes the ``version`` the caller read: a case changed since
answers 409 ``conflict``, and a status move the flow does not allow from the case's
current status answers 409 ``transition_not_allowed``."""

import datetime as dt
from decimal import Decimal
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, File, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, ErrorOut, Money, api_field_names, blankable, not_found_field, partial_schema,
    sent_fields,
)
from kehu.api.pagination import CursorPagination, Tiered
from kehu.api.router import api, envelope
from kehu.customers.selectors import customer_get
from kehu.insights.models import ValueTier
from kehu.org.models import Team, User
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.service import selectors
from kehu.service.models import (
    CaseCategory, CaseChannel, CaseKind, CaseStatus, CauseCategory, CompensationKind, CustomerWant, EventKind,
    RepairResult, ReturnVisitChannel, ReturnVisitMode, ReturnVisitStatus, Step, Validity,
)
from kehu.kb.api import ArticleOut
from kehu.service.services import (
    CaseConflict, TransitionNotAllowed, allowed_transitions, case_assign, case_comment, case_create, case_draft_article,
    case_from_interaction, case_judge, case_step, case_transition, case_update, repair_create, repair_delete,
    repair_update, sla_policy_create, sla_policy_delete, sla_policy_update,
)
from kehu.service.sla import case_sla
from kehu.validators import REMARKS_MAX, SUMMARY_MAX

router = Router(tags=["cases"])
categories_router = Router(tags=["cases"])
sla_router = Router(tags=["cases"])

CONFLICT = {409: ErrorOut}


@api.exception_handler(CaseConflict)
def on_conflict(request, exc):
    return envelope(request, 409, "conflict", str(exc), {"version": [_("Now %(version)d.") % {
        "version": exc.case.version}]})


@api.exception_handler(TransitionNotAllowed)
def on_transition_not_allowed(request, exc):
    return envelope(request, 409, "transition_not_allowed", str(exc))


class StepOut(Schema):
    step: Step
    done: bool
    done_at: Optional[dt.datetime]
    done_by_id: Optional[int]
    note: str


class CaseOut(Schema):
    id: int
    ref: str = Field(description="Case number: CS + the day it was registered + 5 digits.")
    kind: CaseKind
    channel: CaseChannel
    status: CaseStatus
    severity: int = Field(description="1 (most severe) to 4.")
    customer_id: Optional[int]
    contact_id: Optional[int]
    caller_name: str
    caller_phone: str
    caller_email: str
    order_id: Optional[int]
    product_id: Optional[int]
    serial_number: str
    category_id: Optional[int]
    wants: blankable(CustomerWant) = Field(description="What the customer asks for.")
    subject: str
    description: str
    team_id: Optional[int]
    partner_id: Optional[int] = Field(description="The responsible partner (伙伴) the case is routed to.")
    assignee_id: Optional[int]
    created_by_id: Optional[int]
    validity: blankable(Validity) = Field(description="Complaints: '' (not judged), valid or invalid.")
    invalid_explanation: str
    cause_category: blankable(CauseCategory)
    root_cause: str
    resolution: str
    compensation_kind: blankable(CompensationKind)
    compensation_amount: Optional[Money]
    compensation_approved_by_id: Optional[int]
    source_interaction_id: Optional[int]
    version: int = Field(description="Send it back with a change; a case changed since answers 409.")
    first_response_due: Optional[dt.datetime]
    resolution_due: Optional[dt.datetime]
    first_responded_at: Optional[dt.datetime]
    resolved_at: Optional[dt.datetime]
    closed_at: Optional[dt.datetime]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def _personal(obj, context, field: str, kind: str) -> str:
        value = getattr(obj, field) or ""
        if not value or obj.customer_id is None:
            return value   # an unknown caller's case is seen only by those who work it
        request = (context or {}).get("request")
        viewer = getattr(request, "auth", None) or getattr(request, "user", None)
        from kehu.privacy.masking import shown

        return shown(viewer=viewer, customer=obj.customer, field=kind, value=value)

    @staticmethod
    def resolve_caller_phone(obj, context) -> str:
        return CaseOut._personal(obj, context, "caller_phone", "phone")

    @staticmethod
    def resolve_caller_email(obj, context) -> str:
        return CaseOut._personal(obj, context, "caller_email", "email")


class WarrantyOut(Schema):
    remedy: Literal["return", "exchange", "repair", "expired", "unknown"] = Field(
        description="What applies today under the 三包 rules: return (and exchange and free repair), exchange "
                    "(and free repair), free repair, expired (repairs are charged), unknown (no terms set).")
    in_warranty: bool
    purchased: dt.date = Field(description="The order's date.")
    warranty_until: Optional[dt.date] = Field(description="Last day of free repair; null: no warranty.")
    return_until: Optional[dt.date] = Field(description="Last day a defective item may be returned.")
    exchange_until: Optional[dt.date] = Field(description="Last day a defective item may be exchanged.")


class CaseDetailOut(CaseOut):
    warranty: Optional[WarrantyOut] = Field(
        description="The item's warranty today (from the order line the serial number or the order and product "
                    "name); null when no order is known.")
    steps: list[StepOut] = Field(description="Complaints: the six handling steps (LSPCAS); else empty.")
    allowed_transitions: list[CaseStatus] = Field(description="The statuses the case may move to now.")
    sla_status: Optional[Literal["ok", "warning", "breached"]] = Field(
        description="The service-level clock now (the first-response clock while nobody has answered, "
                    "else the resolution clock); null: no service level, or the case is not open.")
    sla_paused: bool = Field(description="The clock is stopped: the case waits for the customer.")

    @staticmethod
    def resolve_sla_status(obj):
        state = case_sla(obj)
        return state.status if state else None

    @staticmethod
    def resolve_warranty(obj):
        state = selectors.case_warranty(obj)
        if state is None:
            return None
        return {"remedy": state.remedy, "in_warranty": state.in_warranty, "purchased": state.purchased,
                "warranty_until": state.warranty_until, "return_until": state.return_until,
                "exchange_until": state.exchange_until}

    @staticmethod
    def resolve_sla_paused(obj):
        return bool(obj.sla_paused and obj.sla_paused[-1][1] is None)

    @staticmethod
    def resolve_steps(obj):
        return selectors.case_steps(obj)

    @staticmethod
    def resolve_allowed_transitions(obj):
        return list(allowed_transitions(obj))


class CaseFields(Schema):
    kind: CaseKind = CaseKind.SERVICE
    channel: CaseChannel = CaseChannel.API
    severity: int = Field(3, ge=1, le=4, description="1 (most severe) to 4.")
    customer_id: Optional[int] = Field(None, description="The customer; null for a caller not yet known.")
    contact_id: Optional[int] = None
    caller_name: str = Field("", max_length=100)
    caller_phone: str = Field("", max_length=30)
    caller_email: str = Field("", max_length=254)
    order_id: Optional[int] = None
    product_id: Optional[int] = None
    serial_number: str = Field("", max_length=100)
    category_id: Optional[int] = None
    wants: blankable(CustomerWant) = ""
    subject: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=SUMMARY_MAX)
    team_id: Optional[int] = None
    partner_id: Optional[int] = Field(None, description=(
        "The responsible partner; on a new case it defaults to the customer's partner (a partner user's own "
        "partner when the caller is not yet known)."))
    cause_category: blankable(CauseCategory) = ""
    root_cause: str = Field("", max_length=REMARKS_MAX)
    resolution: str = Field("", max_length=REMARKS_MAX)
    compensation_kind: blankable(CompensationKind) = ""
    compensation_amount: Optional[Money] = Field(None, ge=0)
    compensation_approved_by_id: Optional[int] = None


class CaseIn(CaseFields):
    assignee_id: Optional[int] = Field(None, description="Null: the unassigned queue.")


CasePatchFields = partial_schema(CaseFields, "CasePatchFields")


class CasePatchIn(CasePatchFields):
    version: Optional[int] = Field(None, ge=1, description="Required: the version you read (409 when the case "
                                                           "changed since).")


class TransitionIn(Schema):
    to: CaseStatus = Field(description="The new status; see allowed_transitions.")
    note: str = Field("", max_length=REMARKS_MAX)
    version: Optional[int] = Field(None, ge=1, description="The version you read; 409 when the case changed since.")


class ValidityIn(Schema):
    valid: bool
    explanation: str = Field("", max_length=REMARKS_MAX,
                             description="The explanation given to the customer; required when invalid.")
    version: Optional[int] = Field(None, ge=1)


class AssignIn(Schema):
    assignee_id: Optional[int] = Field(description="Null: nobody (the team's unassigned queue).")
    team_id: Optional[int] = None
    version: Optional[int] = Field(None, ge=1)


class StepIn(Schema):
    done: bool = True
    note: str = Field("", max_length=REMARKS_MAX)
    version: Optional[int] = Field(None, ge=1)


class CommentIn(Schema):
    note: str = Field(min_length=1, max_length=REMARKS_MAX)
    internal: bool = Field(False, description="An internal note among the company's people, never shown to partner "
                                              "users. A partner user sending true gets 422.")


class FromInteractionIn(Schema):
    interaction_id: int
    kind: Optional[CaseKind] = Field(None, description="Default: complaint for the complaint channel, else service.")
    severity: int = Field(3, ge=1, le=4)


class ReturnVisitOut(Schema):
    id: int
    number: int = Field(description="1 for the case's first return visit, 2 after it was reopened and resolved again, …")
    channel: ReturnVisitChannel
    status: ReturnVisitStatus
    survey_code: Optional[str] = Field(description="The survey sent (survey channel).")
    invitation_id: Optional[int]
    invitation_status: Optional[str] = Field(description="The survey invitation's status (sent, opened, answered, …).")
    response_id: Optional[int] = Field(description="The survey answer, once the customer has answered.")
    task_id: Optional[int] = Field(description="The phone task (phone channel).")
    fallback_reason: str = Field(description="Why a phone call instead of the survey (no consent, no e-mail, …).")
    score: Optional[float] = Field(description="0–100: the survey's index, or the score the customer gave.")
    note: str
    recorded_by_id: Optional[int]
    recorded_at: Optional[dt.datetime]
    escalated_to_id: Optional[int] = Field(description="Who a dissatisfied return visit was escalated to.")
    created_at: dt.datetime

    @staticmethod
    def resolve_survey_code(obj):
        return obj.invitation.wave.survey.code if obj.invitation_id else None

    @staticmethod
    def resolve_invitation_status(obj):
        return obj.invitation.status if obj.invitation_id else None

    @staticmethod
    def resolve_escalated_to_id(obj):
        return obj.escalation.recipient_id if obj.escalation_id else None


class ReturnVisitsOut(Schema):
    setting: ReturnVisitMode = Field(description="The return visit the settings give this kind of case on resolution.")
    waiting: Optional[ReturnVisitOut] = Field(description="The return visit waiting for its answer, if any.")
    visits: list[ReturnVisitOut] = Field(description="Every return visit of the case, latest first.")


class ReturnVisitStartIn(Schema):
    channel: ReturnVisitChannel = Field(description="survey (personal link; falls back to phone without consent "
                                                    "or an e-mail address) or phone (a task for an agent).")


class ReturnVisitResultIn(Schema):
    satisfied: bool
    note: str = Field("", max_length=REMARKS_MAX, description="Needed when the customer is not satisfied.")
    score: Optional[float] = Field(None, ge=0, le=100)
    version: Optional[int] = Field(None, ge=1, description="The version you read; 409 when the case changed since.")


class EventOut(Schema):
    id: int
    at: dt.datetime
    kind: EventKind
    actor_id: Optional[int]
    from_status: blankable(CaseStatus)
    to_status: blankable(CaseStatus)
    note: str
    internal: bool = Field(description="An internal note (a comment partner users never see).")


class CategoryOut(Schema):
    id: int
    code: str
    parent_id: Optional[int]
    name: str = Field(description="In the language of the request.")
    name_en: str
    name_zh: str


class CallerQueryIn(Schema):
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    name: str = Field("", max_length=100)


class CallerMatchOut(Schema):
    id: int
    ref: str
    name: str


class CaseFilterIn(Schema):
    queue: Literal["mine", "team", "unassigned", "breaching", "all"] = Field(
        "all", description="mine: assigned to you; team: your team's; unassigned: open and nobody's; "
                           "breaching: open and due within 4 hours or overdue; all: every case you see.")
    kind: Optional[CaseKind] = None
    status: Optional[Literal["open", "new", "accepted", "in_progress", "waiting", "resolved", "return_visited",
                             "closed"]] = None
    severity: Optional[int] = Field(None, ge=1, le=4)
    assignee_id: Optional[int] = None
    customer_id: Optional[int] = None
    category_id: Optional[int] = None
    partner_id: Optional[int] = Field(None, description="Cases routed to this partner.")
    channel: Optional[CaseChannel] = None
    q: str = Field("", max_length=100, description="Case number, subject, caller's phone or customer name.")


def _related(request, data: dict) -> dict:
    """Ids in the body → records the caller may use (422 naming the field otherwise)."""
    from kehu.customers.models import Contact
    from kehu.sales.models import Order, Product

    viewer = request.auth
    policy = policy_for(viewer)
    if "customer_id" in data:
        cid = data.pop("customer_id")
        if cid is None:
            data["customer"] = None
        else:
            data["customer"] = customer_get(viewer=viewer, pk=cid)   # 404 outside the caller's scope
    lookups = {
        "contact_id": ("contact", lambda pk: policy.visible(Contact.objects.all(), prefix="customer__").filter(
            pk=pk).first()),
        "order_id": ("order", lambda pk: policy.visible(Order.objects.all(), prefix="customer__").filter(
            pk=pk).first()),
        "product_id": ("product", lambda pk: Product.objects.filter(pk=pk).first()),
        "category_id": ("category", lambda pk: CaseCategory.objects.filter(pk=pk, active=True).first()),
        "team_id": ("team", lambda pk: Team.objects.filter(pk=pk).first()),
        "partner_id": ("partner", lambda pk: _partner_for(policy, pk)),
        "assignee_id": ("assignee", lambda pk: User.objects.filter(pk=pk, is_active=True).first()),
        "compensation_approved_by_id": ("compensation_approved_by",
                                        lambda pk: User.objects.filter(pk=pk, is_active=True).first()),
    }
    for key, (name, find) in lookups.items():
        if key in data:
            pk = data.pop(key)
            if pk is None:
                data[name] = None
                continue
            obj = find(pk)
            if obj is None:
                raise not_found_field(key)
            data[name] = obj
    return data


def _partner_for(policy, pk):
    from kehu.org.models import Partner

    return policy.partner_choices().filter(pk=pk).first() if policy.is_partner else Partner.objects.filter(
        pk=pk).first()


NAMES = {"partner": "partner_id", "customer": "customer_id", "contact": "contact_id", "order": "order_id", "product": "product_id",
         "category": "category_id", "team": "team_id", "assignee": "assignee_id",
         "compensation_approved_by": "compensation_approved_by_id", "source_interaction": "interaction_id"}


def _detail(request, case_id: int):
    return selectors.case_get(viewer=request.auth, pk=case_id)


@router.get("", response={200: list[CaseOut], **READ_ERRORS}, url_name="case-list",
            summary="List cases, newest first (queues: mine, team, unassigned, breaching)")
@paginate(CursorPagination)
def list_cases(request, filters: Query[CaseFilterIn]):
    f = selectors.CaseFilters(
        queue=filters.queue, kind=filters.kind or "", status=filters.status or "", severity=filters.severity,
        assignee_id=filters.assignee_id, customer_id=filters.customer_id, category_id=filters.category_id,
        partner_id=filters.partner_id, channel=filters.channel or "", q=filters.q)
    qs = selectors.case_list(viewer=request.auth, filters=f)
    return Tiered(qs, [Tier(Q(), ("-created_at", "-id"))])


@router.post("", response={201: CaseDetailOut, **WRITE_ERRORS}, url_name="case-create",
             summary="Register a case (about a customer you may see, or a caller not yet known)")
def create_case(request, payload: CaseIn):
    data = _related(request, payload.model_dump(exclude_unset=True))
    data.setdefault("channel", CaseChannel.API)
    with api_field_names(NAMES):
        case = case_create(actor=request.auth, data=data)
    return Status(201, _detail(request, case.pk))


@router.post("/from-interaction", response={201: CaseDetailOut, **WRITE_ERRORS}, url_name="case-from-interaction",
             summary="Make a case of an interaction (a complaint call, say), keeping the link")
def create_from_interaction(request, payload: FromInteractionIn):
    from kehu.engagement.selectors import interaction_get

    interaction = interaction_get(viewer=request.auth, pk=payload.interaction_id)
    data = {"severity": payload.severity}
    if payload.kind:
        data["kind"] = payload.kind
    with api_field_names(NAMES):
        case = case_from_interaction(actor=request.auth, interaction=interaction, data=data)
    return Status(201, _detail(request, case.pk))


@router.get("/caller-matches", response={200: list[CallerMatchOut], **READ_ERRORS}, url_name="case-caller-matches",
            summary="Customers a caller may be, by phone, e-mail or name (pinyin too)")
def caller_matches(request, filters: Query[CallerQueryIn]):
    return selectors.caller_matches(viewer=request.auth, phone=filters.phone, email=filters.email,
                                    name=filters.name)


@router.get("/{int:case_id}", response={200: CaseDetailOut, **READ_ERRORS}, url_name="case-detail",
            summary="Get a case with its handling steps and the moves allowed now")
def get_case(request, case_id: int):
    return _detail(request, case_id)


@router.patch("/{int:case_id}", response={200: CaseDetailOut, **WRITE_ERRORS, **CONFLICT}, url_name="case-update",
              summary="Change a case's details (send the version you read)")
def update_case(request, case_id: int, payload: CasePatchIn):
    case = _detail(request, case_id)
    if not policy_for(request.auth).can_change_case(case):
        raise PermissionDenied(_("You may not change this case."))
    data = sent_fields(payload)
    version = data.pop("version", None)
    if version is None:
        raise ValidationError({"version": [_("This field is required.")]})
    data = _related(request, data)
    with api_field_names(NAMES):
        case_update(actor=request.auth, case=case, data=data, version=version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/transitions", response={200: CaseDetailOut, **WRITE_ERRORS, **CONFLICT},
             url_name="case-transition",
             summary="Move a case to another status (409 when its current status does not allow it)")
def transition_case(request, case_id: int, payload: TransitionIn):
    case = _detail(request, case_id)
    with api_field_names({"to_status": "to"}):
        case_transition(actor=request.auth, case=case, to_status=payload.to, note=payload.note,
                        version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/validity", response={200: CaseDetailOut, **WRITE_ERRORS, **CONFLICT},
             url_name="case-validity", summary="Judge a complaint valid or invalid (受理)")
def judge_case(request, case_id: int, payload: ValidityIn):
    case = _detail(request, case_id)
    with api_field_names({"invalid_explanation": "explanation"}):
        case_judge(actor=request.auth, case=case, valid=payload.valid, explanation=payload.explanation,
                   version=payload.version)
    return _detail(request, case_id)


@router.post("/{int:case_id}/assign", response={200: CaseDetailOut, **WRITE_ERRORS, **CONFLICT},
             url_name="case-assign", summary="Give a case to someone (null: nobody) and optionally a team")
def assign_case(request, case_id: int, payload: AssignIn):
    case = _detail(request, case_id)
    data = _related(request, payload.model_dump(include={"assignee_id", "team_id"}))
    with api_field_names(NAMES):
        case_assign(actor=request.auth, case=case, assignee=data["assignee"], team=data["team"],
                    version=payload.version)
    return _detail(request, case_id)


@router.get("/{int:case_id}/steps", response={200: list[StepOut], **READ_ERRORS}, url_name="case-steps",
            summary="The six handling steps of a complaint (LSPCAS)")
def list_steps(request, case_id: int):
    return selectors.case_steps(_detail(request, case_id))


@router.put("/{int:case_id}/steps/{step}", response={200: StepOut, **WRITE_ERRORS, **CONFLICT},
            url_name="case-step", summary="Tick or untick one handling step, with its note")
def put_step(request, case_id: int, step: Step, payload: StepIn):
    case = _detail(request, case_id)
    return case_step(actor=request.auth, case=case, step=step, done=payload.done, note=payload.note,
                     version=payload.version)


@router.get("/{int:case_id}/events", response={200: list[EventOut], **READ_ERRORS}, url_name="case-events",
            summary="The case's timeline: registered, moves, assignments, steps and comments, oldest first")
def list_events(request, case_id: int):
    return list(selectors.case_events(_detail(request, case_id), viewer=request.auth))


@router.post("/{int:case_id}/comments", response={201: EventOut, **WRITE_ERRORS}, url_name="case-comment",
             summary="Comment on a case (its timeline)")
def add_comment(request, case_id: int, payload: CommentIn):
    case = _detail(request, case_id)
    return Status(201, case_comment(actor=request.auth, case=case, note=payload.note, internal=payload.internal))


@router.get("/{int:case_id}/articles", response={200: list[ArticleOut], **READ_ERRORS}, url_name="case-articles",
            summary="The published knowledge-base articles suggested for the case (as on the case page)")
def case_articles(request, case_id: int):
    from kehu.service.views import _suggested_articles

    case = _detail(request, case_id)
    return _suggested_articles(case, request.auth)


@router.post("/{int:case_id}/kb-draft", response={201: ArticleOut, **WRITE_ERRORS}, url_name="case-kb-draft",
             summary="Turn a resolved case into a draft knowledge-base article")
def draft_article(request, case_id: int):
    """The case's subject becomes the title, its description and resolution the body (in the
    caller's language), linked to the case's category; 422 unless the case is resolved and has a
    resolution, 403 for those who may not write knowledge-base articles."""
    case = _detail(request, case_id)
    return Status(201, case_draft_article(actor=request.auth, case=case))


def _visits(case):
    return list(case.return_visits.select_related("invitation__wave__survey", "escalation").order_by("-number"))


@router.get("/{int:case_id}/return-visit", response={200: ReturnVisitsOut, **READ_ERRORS},
            url_name="case-return-visit", summary="The case's return visits (回访) and what the settings give it")
def get_return_visit(request, case_id: int):
    from kehu.service.return_visits import service_settings

    case = _detail(request, case_id)
    visits = _visits(case)
    return {"setting": service_settings().mode_for(case.kind), "visits": visits,
            "waiting": next((v for v in visits if v.status == ReturnVisitStatus.WAITING), None)}


@router.post("/{int:case_id}/return-visit", response={201: ReturnVisitOut, **WRITE_ERRORS},
             url_name="case-return-visit-start",
             summary="Start a return visit of a resolved case: a survey with a personal link, or a phone task")
def start_return_visit(request, case_id: int, payload: ReturnVisitStartIn):
    """422 unless the case is resolved and has no return visit waiting; a survey the consent
    gate holds back (or without an e-mail address) becomes a phone task, and says why."""
    from kehu.service.return_visits import return_visit_start

    case = _detail(request, case_id)
    visit = return_visit_start(actor=request.auth, case=case, channel=payload.channel)
    return Status(201, next(v for v in _visits(case) if v.pk == visit.pk))


@router.post("/{int:case_id}/return-visit/result", response={200: ReturnVisitOut, **WRITE_ERRORS, **CONFLICT},
             url_name="case-return-visit-result",
             summary="Record the waiting return visit's result (satisfied closes the case, not satisfied reopens "
                     "and escalates it)")
def record_return_visit(request, case_id: int, payload: ReturnVisitResultIn):
    from kehu.service.return_visits import return_visit_record

    case = _detail(request, case_id)
    visit = return_visit_record(actor=request.auth, case=case, satisfied=payload.satisfied, note=payload.note,
                                score=payload.score, version=payload.version)
    return next(v for v in _visits(case) if v.pk == visit.pk)


# -- repair records ------------------------------------------------------------------------

class RepairOut(Schema):
    id: int
    case_id: int
    fault: str
    parts: str = Field(description="The parts used, one a line.")
    labour_hours: Money
    parts_cost: Money
    labour_cost: Money
    total: Money = Field(description="Parts cost + labour cost.")
    technician_id: Optional[int]
    visited_on: Optional[dt.date]
    revisited_on: Optional[dt.date]
    result: blankable(RepairResult) = Field(description="'' while the repair is not finished.")
    in_warranty: bool = Field(description="Free repair under the warranty.")
    charged: bool = Field(description="Charged to the customer (never when in warranty).")
    created_by_id: Optional[int]
    created_at: dt.datetime
    updated_at: dt.datetime


class RepairIn(Schema):
    fault: str = Field(min_length=1, max_length=REMARKS_MAX)
    parts: str = Field("", max_length=REMARKS_MAX)
    labour_hours: Money = Field(0, ge=0, le=99999)
    parts_cost: Money = Field(0, ge=0, le=9_999_999_999)
    labour_cost: Money = Field(0, ge=0, le=9_999_999_999)
    technician_id: Optional[int] = None
    visited_on: Optional[dt.date] = None
    revisited_on: Optional[dt.date] = None
    result: blankable(RepairResult) = ""
    in_warranty: Optional[bool] = Field(None, description="Default: what the case's warranty says today.")
    charged: Optional[bool] = Field(None, description="Default: not in warranty.")


RepairPatchIn = partial_schema(RepairIn, "RepairPatchIn")


def _repair_data(data: dict) -> dict:
    if "technician_id" in data:
        pk = data.pop("technician_id")
        data["technician"] = None
        if pk is not None:
            data["technician"] = User.objects.filter(pk=pk, is_active=True).first()
            if data["technician"] is None:
                raise not_found_field("technician_id")
    for key in ("in_warranty", "charged"):
        if key in data and data[key] is None:
            data.pop(key)
    for key in ("labour_hours", "parts_cost", "labour_cost"):
        if key in data and data[key] is not None:
            data[key] = Decimal(str(data[key]))
    return data


@router.get("/{int:case_id}/repairs", response={200: list[RepairOut], **READ_ERRORS}, url_name="case-repairs",
            summary="The repair records of a case, by first visit")
def list_repairs(request, case_id: int):
    return list(selectors.repair_list(_detail(request, case_id)))


@router.post("/{int:case_id}/repairs", response={201: RepairOut, **WRITE_ERRORS}, url_name="case-repair-create",
             summary="Record a repair on a case (fault, parts, labour, costs, technician, visits, result)")
def create_repair(request, case_id: int, payload: RepairIn):
    case = _detail(request, case_id)
    data = _repair_data(payload.model_dump(exclude_unset=True))
    with api_field_names({"technician": "technician_id"}):
        return Status(201, repair_create(actor=request.auth, case=case, data=data))


@router.patch("/{int:case_id}/repairs/{int:repair_id}", response={200: RepairOut, **WRITE_ERRORS},
              url_name="case-repair-update", summary="Change a repair record (the fields sent)")
def update_repair(request, case_id: int, repair_id: int, payload: RepairPatchIn):
    case = _detail(request, case_id)
    repair = selectors.repair_get(case, repair_id)
    data = _repair_data(sent_fields(payload))
    with api_field_names({"technician": "technician_id"}):
        return repair_update(actor=request.auth, repair=repair, data=data)


@router.delete("/{int:case_id}/repairs/{int:repair_id}", response={204: None, **WRITE_ERRORS},
               url_name="case-repair-delete", summary="Delete a repair record")
def delete_repair(request, case_id: int, repair_id: int):
    case = _detail(request, case_id)
    repair_delete(actor=request.auth, repair=selectors.repair_get(case, repair_id))
    return Status(204, None)


@categories_router.get("", response={200: list[CategoryOut], **READ_ERRORS}, url_name="case-category-list",
                       summary="The case categories (a tree: parents before their children)")
def list_categories(request):
    return selectors.categories()


# -- service-level policies (administrators) ---------------------------------------------------

class SlaPolicyOut(Schema):
    id: int
    kind: blankable(CaseKind) = Field(description="'' means any kind.")
    severity: Optional[int] = Field(description="1 (most severe) to 4; null means any severity.")
    tier: blankable(ValueTier) = Field(description="The customer's value tier in the latest analysis; '' any.")
    first_response_minutes: Optional[int] = Field(description="First response within this many minutes.")
    resolution_minutes: Optional[int] = Field(description="Resolution within this many minutes.")
    calendar_hours: bool = Field(description="Count every hour of every day instead of working hours.")
    created_at: dt.datetime
    updated_at: dt.datetime


class SlaPolicyIn(Schema):
    kind: blankable(CaseKind) = ""
    severity: Optional[int] = Field(None, ge=1, le=4)
    tier: blankable(ValueTier) = ""
    first_response_minutes: Optional[int] = Field(None, ge=1, le=10_000_000)
    resolution_minutes: Optional[int] = Field(None, ge=1, le=10_000_000)
    calendar_hours: bool = False


SlaPolicyPatchIn = partial_schema(SlaPolicyIn, "SlaPolicyPatchIn")


ADMIN_READ_ERRORS = {**READ_ERRORS, 403: ErrorOut}


@sla_router.get("", response={200: list[SlaPolicyOut], **ADMIN_READ_ERRORS}, url_name="sla-policy-list",
                summary="The service-level policies (administrators)")
def list_sla_policies(request):
    return list(selectors.sla_policy_list(viewer=request.auth))


@sla_router.post("", response={201: SlaPolicyOut, **WRITE_ERRORS}, url_name="sla-policy-create",
                 summary="Add a service-level policy (administrators)")
def create_sla_policy(request, payload: SlaPolicyIn):
    selectors.sla_policy_list(viewer=request.auth)
    return Status(201, sla_policy_create(actor=request.auth, data=payload.model_dump()))


@sla_router.get("/{int:policy_id}", response={200: SlaPolicyOut, **ADMIN_READ_ERRORS}, url_name="sla-policy-detail",
                summary="One service-level policy (administrators)")
def get_sla_policy(request, policy_id: int):
    return selectors.sla_policy_get(viewer=request.auth, pk=policy_id)


@sla_router.patch("/{int:policy_id}", response={200: SlaPolicyOut, **WRITE_ERRORS},
                  url_name="sla-policy-update", summary="Change a service-level policy (administrators)")
def update_sla_policy(request, policy_id: int, payload: SlaPolicyPatchIn):
    policy = selectors.sla_policy_get(viewer=request.auth, pk=policy_id)
    return sla_policy_update(actor=request.auth, policy=policy, data=sent_fields(payload))


@sla_router.delete("/{int:policy_id}", response={204: None, **WRITE_ERRORS}, url_name="sla-policy-delete",
                   summary="Delete a service-level policy (administrators)")
def delete_sla_policy(request, policy_id: int):
    policy = selectors.sla_policy_get(viewer=request.auth, pk=policy_id)
    sla_policy_delete(actor=request.auth, policy=policy)
    return Status(204, None)


# -- attachments ------------------------------------------------------------------------------------

class CaseAttachmentOut(Schema):
    id: int
    case_id: int
    name: str = Field(description="The file name as uploaded.")
    size: int = Field(description="Bytes.")
    content_type: str
    uploaded_by: Optional[str] = Field(None, description="The uploader's user name; null: sent with the public form.")
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_uploaded_by(obj):
        return obj.uploaded_by.username if obj.uploaded_by_id else None

    @staticmethod
    def resolve_download_url(obj):
        return f"/api/v1/cases/{obj.case_id}/attachments/{obj.pk}"


@router.get("/{int:case_id}/attachments", response={200: list[CaseAttachmentOut], **READ_ERRORS},
            url_name="case-attachments", summary="The files attached to a case (newest first)")
def list_attachments(request, case_id: int):
    case = _detail(request, case_id)
    return list(selectors.case_attachments(viewer=request.auth, case=case))


@router.post("/{int:case_id}/attachments", response={201: CaseAttachmentOut, **WRITE_ERRORS},
             url_name="case-attachment-upload", summary="Attach a file to a case (shown on its timeline)",
             description="multipart/form-data, field `file`. Refused with 422 and a field error on `file`: "
                         "larger than KEHU_ATTACHMENT_MAX_MB, an extension outside the allow-list, or content "
                         "that does not match its extension (a renamed program, HTML, SVG).")
def upload_attachment(request, case_id: int, file: File[UploadedFile]):
    from kehu.service.services import case_attachment_upload

    case = _detail(request, case_id)
    return Status(201, case_attachment_upload(actor=request.auth, case=case, upload=file))


@router.get("/{int:case_id}/attachments/{int:att_id}", response={200: None, **READ_ERRORS},
            url_name="case-attachment-download", summary="Download a case's attachment (audited)",
            description="The file's bytes, always as a download (`Content-Disposition: attachment`, "
                        "`X-Content-Type-Options: nosniff`).")
def download_attachment(request, case_id: int, att_id: int):
    from django.http import FileResponse, Http404

    from kehu.service.services import case_attachment_open

    attachment = selectors.case_attachment_get(viewer=request.auth, case_pk=case_id, pk=att_id)
    try:
        handle = case_attachment_open(actor=request.auth, attachment=attachment)
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@router.delete("/{int:case_id}/attachments/{int:att_id}", response={204: None, **WRITE_ERRORS},
               url_name="case-attachment-delete", summary="Delete a case's attachment (on its timeline, audited)")
def delete_attachment(request, case_id: int, att_id: int):
    from kehu.service.services import case_attachment_delete

    attachment = selectors.case_attachment_get(viewer=request.auth, case_pk=case_id, pk=att_id)
    case_attachment_delete(actor=request.auth, attachment=attachment)
    return Status(204, None)


# -- public-form links (administrators) ---------------------------------------------------------------

intake_router = Router(tags=["cases"])


class IntakeLinkOut(Schema):
    id: int
    slug: str = Field(description="The last part of the form's address: /service/form/{slug}/.")
    name: str
    product_line_id: Optional[int]
    team_id: Optional[int] = Field(description="The service centre whose queue receives the cases.")
    active: bool
    url: str = Field(description="The form's public address (KEHU_PUBLIC_URL), also in the QR code.")
    created_at: dt.datetime

    @staticmethod
    def resolve_url(obj):
        from kehu.service.views_intake import form_url

        return form_url(obj)


class IntakeLinkIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    slug: str = Field("", max_length=40, description="Empty: made from the name plus six random characters.")
    product_line_id: Optional[int] = None
    team_id: Optional[int] = None


@intake_router.get("", response={200: list[IntakeLinkOut], **ADMIN_READ_ERRORS}, url_name="intake-link-list",
                   summary="The public service form's links (administrators)")
def list_intake_links(request):
    return list(selectors.intake_link_list(viewer=request.auth).order_by("-active", "name", "id")[:1000])


@intake_router.post("", response={201: IntakeLinkOut, **WRITE_ERRORS}, url_name="intake-link-create",
                    summary="Add a public service form link (administrators)")
def create_intake_link(request, payload: IntakeLinkIn):
    from kehu.sales.models import ProductLine
    from kehu.service.intake import intake_link_create

    selectors.intake_link_list(viewer=request.auth)
    data = {"name": payload.name, "slug": payload.slug}
    if payload.product_line_id is not None:
        data["product_line"] = ProductLine.objects.filter(pk=payload.product_line_id).first()
        if data["product_line"] is None:
            raise not_found_field("product_line_id")
    if payload.team_id is not None:
        data["team"] = Team.objects.filter(pk=payload.team_id).first()
        if data["team"] is None:
            raise not_found_field("team_id")
    with api_field_names({"product_line": "product_line_id", "team": "team_id"}):
        return Status(201, intake_link_create(actor=request.auth, data=data))


@intake_router.get("/{int:link_id}", response={200: IntakeLinkOut, **ADMIN_READ_ERRORS}, url_name="intake-link-detail",
                   summary="One public service form link (administrators)")
def get_intake_link(request, link_id: int):
    return selectors.intake_link_get(viewer=request.auth, pk=link_id)


@intake_router.post("/{int:link_id}/deactivate", response={200: IntakeLinkOut, **WRITE_ERRORS},
                    url_name="intake-link-deactivate",
                    summary="Deactivate a public service form link: its form no longer accepts requests")
def deactivate_intake_link(request, link_id: int):
    from kehu.service.intake import intake_link_deactivate

    link = selectors.intake_link_get(viewer=request.auth, pk=link_id)
    return intake_link_deactivate(actor=request.auth, link=link)


# -- service analytics (服务分析) -------------------------------------------------

class AnalyticsQueryIn(Schema):
    date_from: Optional[dt.date] = Field(None, alias="from", description="First day (default: 12 months back).")
    date_to: Optional[dt.date] = Field(None, alias="to", description="Last day, included (default: today).")
    team_id: Optional[int] = Field(None, description="Cases of this team and its sub-teams.")
    kind: Optional[CaseKind] = None
    line_id: Optional[int] = Field(None, description="Cases (and orders) of this product line.")
    follow_up_days: int = Field(180, ge=7, le=730, description="Follow-up period of the recovery test.")


class SeriesOut(Schema):
    key: Optional[str]
    label: str
    total: int
    months: dict[str, int]


class ComplianceOut(Schema):
    met: int
    late: int
    rate: Optional[float]


class SlaKindOut(Schema):
    key: str
    label: str
    first_response: ComplianceOut
    resolution: ComplianceOut


class SlaOut(Schema):
    first_response: ComplianceOut
    resolution: ComplianceOut
    by_kind: list[SlaKindOut]


class MonthRateOut(Schema):
    month: str
    complaints: int
    orders: int
    rate: Optional[float]


class PerThousandOut(Schema):
    complaints: int
    orders: int
    rate: Optional[float]
    months: list[MonthRateOut]


class BucketOut(Schema):
    key: str
    label: str
    count: int


class BacklogOut(Schema):
    total: int
    oldest: Optional[dt.datetime]
    buckets: list[BucketOut]


class CauseOut(Schema):
    cause: str
    category_id: Optional[int]
    label: str
    count: int
    share: float
    cumulative: float
    vital: bool


class ParetoOut(Schema):
    vital_share: Optional[float]
    causes: int
    rows: list[CauseOut]


class RecoveryCostOut(Schema):
    compensation: Money
    complainants: int
    kept: int
    kept_rate: Optional[float]
    revenue_kept: Money
    revenue_per_yuan: Optional[float]


class RepeatRowOut(Schema):
    customer_id: int
    name: str
    complaints: int
    visible: bool


class RepeatOut(Schema):
    total: int
    page: int
    pages: int
    rows: list[RepeatRowOut]


class PerformanceOut(Schema):
    key: int
    label: str
    cases: int
    resolved: int
    median_hours: Optional[float]
    first_response: ComplianceOut
    resolution: ComplianceOut


class LineRateOut(Schema):
    key: int
    label: str
    complaints: int
    orders: int
    rate: Optional[float]


class RecoveryTestOut(Schema):
    available: bool
    follow_up_days: int
    recovered: int = 0
    comparable: int = 0
    unmatched: int = 0
    in_follow_up: int
    no_tier: int
    repurchase: Optional[dict] = None
    satisfaction: Optional[dict] = None
    supported: Optional[bool] = None
    explanation: list[str]


class AnalyticsOut(Schema):
    date_from: dt.date = Field(..., alias="from")
    date_to: dt.date = Field(..., alias="to")
    total: int
    complaints: int
    volume: dict[str, list[SeriesOut]]
    per_1000_orders: PerThousandOut
    sla: SlaOut
    backlog: BacklogOut
    pareto: ParetoOut
    recovery_cost: RecoveryCostOut
    repeat_complainers: RepeatOut
    teams: list[PerformanceOut]
    agents: list[PerformanceOut]
    product_lines: list[LineRateOut]
    recovery: RecoveryTestOut


def _plain(value):
    import dataclasses
    import math

    if dataclasses.is_dataclass(value):
        return {k: _plain(v) for k, v in dataclasses.asdict(value).items()}
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def analytics_payload(report: dict) -> dict:
    """The figures of :func:`kehu.service.analytics.service_report` as plain JSON-ready data."""
    rec = report["recovery"]
    res = rec.get("result")
    f = report["filters"]
    volume = {k: [{**s, "key": None if s["key"] in (None, "") else str(s["key"]), "label": str(s["label"])}
                  for s in v] for k, v in report["volume"].items()}
    return {
        "from": f.date_from, "to": f.date_to, "total": report["total"], "complaints": report["complaints"],
        "volume": volume, "per_1000_orders": report["per_1000_orders"], "sla": report["sla"],
        "backlog": report["backlog"], "pareto": report["pareto"], "recovery_cost": report["recovery_cost"],
        "repeat_complainers": report["repeat"], "teams": report["teams"], "agents": report["agents"],
        "product_lines": report["product_lines"],
        "recovery": {"available": rec["available"], "follow_up_days": rec["follow_up_days"],
                     "in_follow_up": rec["in_follow_up"], "no_tier": rec["no_tier"],
                     "recovered": res.n_recovered if res else 0, "comparable": res.n_comparable if res else 0,
                     "unmatched": res.n_unmatched if res else 0,
                     "repurchase": {k: _plain(v) for k, v in _plain(res.repurchase).items()}
                     if res and res.repurchase else None,
                     "satisfaction": _plain(res.satisfaction) if res and res.satisfaction else None,
                     "supported": rec.get("supported"),
                     "explanation": [str(x) for x in rec.get("explanation") or [rec.get("reason", "")]]},
    }


@router.get("/analytics", response={200: AnalyticsOut, **READ_ERRORS}, url_name="case-analytics",
            summary="Service analytics: volumes, SLA compliance, backlog, cause Pareto, recovery test",
            by_alias=True)
def case_analytics(request, query: Query[AnalyticsQueryIn]):
    from kehu.service.analytics import AnalyticsFilters, service_report
    from kehu.service.forms import MAX_RANGE_DAYS

    base = AnalyticsFilters.default()
    a = query.date_from or (AnalyticsFilters.default(today=query.date_to).date_from if query.date_to
                            else base.date_from)
    b = query.date_to or max(a, base.date_to)
    if b < a:
        raise ValidationError({"to": _("The end of the range must not be before its start.")})
    if (b - a).days > MAX_RANGE_DAYS:
        raise ValidationError({"to": _("The range may span five years at most.")})
    f = AnalyticsFilters(date_from=a, date_to=b, team_id=query.team_id, kind=query.kind or "",
                         line_id=query.line_id, follow_up_days=query.follow_up_days)
    return analytics_payload(service_report(viewer=request.auth, filters=f))


# -- service settings (the return visit of each kind of case) -------------------------------

settings_router = Router(tags=["cases"])


class ServiceSettingsOut(Schema):
    return_visits: dict[str, ReturnVisitMode] = Field(
        description="The return visit a resolved case of each kind gets: none, survey or phone.")
    return_visit_survey_id: Optional[int] = Field(
        description="The survey sent; null: the one made from the shipped template complaint-return-visit.")


class ServiceSettingsIn(Schema):
    return_visits: dict[CaseKind, ReturnVisitMode] = Field(
        default_factory=dict, description="Kinds not named keep their current setting.")
    return_visit_survey_id: Optional[int] = None


def _settings_out():
    from kehu.service.return_visits import service_settings

    row = service_settings()
    return {"return_visits": {kind: row.mode_for(kind) for kind in CaseKind.values},
            "return_visit_survey_id": row.return_visit_survey_id}


def _require_settings_admin(request) -> None:
    if not policy_for(request.auth).is_admin:
        raise PermissionDenied(_("Only an administrator may change the service settings."))


@settings_router.get("", response={200: ServiceSettingsOut, **ADMIN_READ_ERRORS}, url_name="service-settings",
                     summary="The service settings: which return visit each kind of case gets (administrators)")
def get_service_settings(request):
    _require_settings_admin(request)
    return _settings_out()


@settings_router.put("", response={200: ServiceSettingsOut, **WRITE_ERRORS}, url_name="service-settings-update",
                     summary="Change the service settings (administrators)")
def put_service_settings(request, payload: ServiceSettingsIn):
    from kehu.service.return_visits import service_settings_save
    from kehu.surveys.models import Survey

    _require_settings_admin(request)
    survey = None
    if payload.return_visit_survey_id is not None:
        survey = Survey.objects.filter(pk=payload.return_visit_survey_id).first()
        if survey is None:
            raise ValidationError({"return_visit_survey_id": _("No such survey.")})
    modes = _settings_out()["return_visits"]
    modes.update({str(k.value if hasattr(k, "value") else k): str(v.value if hasattr(v, "value") else v)
                  for k, v in payload.return_visits.items()})
    service_settings_save(actor=request.auth, return_visits=modes, survey=survey)
    return _settings_out()
