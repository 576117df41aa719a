"""/visits: planned visits (拜访计划).

Visible are the caller's own visits, their team subtree's for managers, all for
those who see every customer — never visits to customers the caller may not see
(404 otherwise). Moving, doing, skipping and checking in are for the visit's
salesperson and whoever may change its customer (403 for the others); a visit
already done or skipped answers 422 on ``status``. ``POST /visits/plan`` plans a
week (managers and administrators)."""


import datetime as dt
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.analytics.visit_plan import week_start
from kehu.api.common import READ_ERRORS, WRITE_ERRORS, LocalTime, api_field_names, not_found_field
from kehu.api.pagination import CursorPagination, Tiered
from kehu.customers.models import Contact
from kehu.customers.selectors import customer_get
from kehu.engagement import selectors
from kehu.engagement.models import VisitMode, VisitReason, VisitSource, VisitStatus
from kehu.engagement.visits import (
    plan_week, visit_check_in, visit_create, visit_done, visit_evidence, visit_move, visit_skip,
)
from kehu.org.models import User
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.validators import REMARKS_MAX, SUMMARY_MAX

router = Router(tags=["visits"])

WEEK_PATTERN = r"^\d{4}-[Ww]\d{2}$"


class VisitOut(Schema):
    id: int
    salesperson_id: int
    customer_id: int
    customer_name: str
    contact_ids: list[int]
    planned_on: dt.date
    planned_time: Optional[dt.time]
    week: str = Field(description="ISO week, e.g. 2026-W50.")
    purpose: str
    mode: VisitMode
    reason: VisitReason
    evidence: str = Field(description="Why, with its evidence, in the language of the request.")
    priority: float
    status: VisitStatus
    source: VisitSource
    skip_reason: str
    result: str
    done_at: Optional[dt.datetime]
    interaction_id: Optional[int] = Field(description="The interaction on the customer's timeline, once done.")
    checked_in_at: Optional[dt.datetime]
    check_in_latitude: Optional[float]
    check_in_longitude: Optional[float]
    check_in_accuracy: Optional[float] = Field(description="Metres, as the browser reported it.")
    check_in_distance: Optional[float] = Field(description="Metres to the customer's coordinates; null when the "
                                                           "customer has none or no location was sent.")

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_contact_ids(obj):
        return sorted(c.pk for c in obj.contacts.all())

    @staticmethod
    def resolve_evidence(obj):
        return visit_evidence(obj)

    @staticmethod
    def resolve_check_in_latitude(obj):
        return None if obj.check_in_latitude is None else float(obj.check_in_latitude)

    @staticmethod
    def resolve_check_in_longitude(obj):
        return None if obj.check_in_longitude is None else float(obj.check_in_longitude)


class VisitFilterIn(Schema):
    salesperson_id: Optional[int] = None
    team_id: Optional[int] = Field(None, description="Visits of the people in this team's subtree.")
    customer_id: Optional[int] = None
    status: Optional[Literal["open", "planned", "done", "skipped", "moved"]] = None
    reason: Optional[VisitReason] = None
    week: Optional[str] = Field(None, pattern=WEEK_PATTERN)
    date_from: Optional[dt.date] = None
    date_to: Optional[dt.date] = None
    checked_in: Optional[bool] = None


class VisitIn(Schema):
    customer_id: int
    salesperson_id: Optional[int] = Field(None, description="Default: you. Managers may plan for their team.")
    contact_ids: list[int] = Field(default_factory=list, max_length=50)
    planned_on: dt.date
    planned_time: Optional[LocalTime] = None
    purpose: str = Field("", max_length=REMARKS_MAX)
    mode: VisitMode = VisitMode.VISIT


class VisitMoveIn(Schema):
    planned_on: Optional[dt.date] = Field(None, description="Required: the new day.")
    planned_time: Optional[LocalTime] = None


class DoneIn(Schema):
    result: str = Field(min_length=1, max_length=SUMMARY_MAX)


class SkipIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


class CheckInIn(Schema):
    latitude: Optional[float] = Field(None, ge=-90, le=90, description="Only with the salesperson's permission.")
    longitude: Optional[float] = Field(None, ge=-180, le=180)
    accuracy: Optional[float] = Field(None, ge=0, le=1_000_000, description="Metres.")


class PlanIn(Schema):
    week: str = Field(pattern=WEEK_PATTERN, description="ISO week, e.g. 2026-W50.")
    salesperson_ids: Optional[list[int]] = Field(None, max_length=1000,
                                                 description="Default: everyone in your scope who owns customers.")
    dry_run: bool = False


class PlannedLineOut(Schema):
    salesperson_id: int
    customer_id: int
    planned_on: dt.date
    reason: VisitReason
    priority: float


class PlanOut(Schema):
    week: str
    dry_run: bool
    planned: int
    visits: list[PlannedLineOut]


def _detail(request, visit_id: int):
    return selectors.visit_get(viewer=request.auth, pk=visit_id)


@router.get("", response={200: list[VisitOut], **READ_ERRORS}, url_name="visit-list",
            summary="List planned visits you may see, by date")
@paginate(CursorPagination)
def list_visits(request, filters: Query[VisitFilterIn]):
    f = selectors.VisitFilters(
        salesperson_id=filters.salesperson_id, team_id=filters.team_id, customer_id=filters.customer_id,
        status=filters.status or "", reason=filters.reason or "", week=(filters.week or "").upper(),
        date_from=filters.date_from, date_to=filters.date_to, checked_in=filters.checked_in)
    qs = selectors.visit_list(viewer=request.auth, filters=f).prefetch_related("contacts")
    return Tiered(qs, [Tier(Q(), ("planned_on", "id"))])


@router.post("", response={201: VisitOut, **WRITE_ERRORS}, url_name="visit-create",
             summary="Plan a visit by hand (the five elements: when, what, who, how; why is 'manual')")
def create_visit(request, payload: VisitIn):
    customer = customer_get(viewer=request.auth, pk=payload.customer_id)
    salesperson = None
    if payload.salesperson_id is not None:
        salesperson = User.objects.filter(pk=payload.salesperson_id, is_active=True).first()
        if salesperson is None:
            raise not_found_field("salesperson_id")
    contacts = list(Contact.objects.filter(pk__in=payload.contact_ids, customer=customer))
    if len(contacts) != len(set(payload.contact_ids)):
        raise ValidationError({"contact_ids": [_("This contact works at another customer.")]})
    data = {"planned_on": payload.planned_on, "planned_time": payload.planned_time, "purpose": payload.purpose,
            "mode": payload.mode, "contacts": contacts, "salesperson": salesperson}
    with api_field_names({"salesperson": "salesperson_id", "contacts": "contact_ids"}):
        visit = visit_create(actor=request.auth, customer=customer, data=data)
    return Status(201, _detail(request, visit.pk))


class FeedOut(Schema):
    url: str = Field(description="The personal iCalendar feed of your planned visits: a secret address, no login.")


def _feed(request, regenerate: bool) -> dict:
    from django.urls import reverse

    from kehu.engagement.visits import feed_token

    token = feed_token(user=request.auth, regenerate=regenerate)
    return {"url": request.build_absolute_uri(reverse("visit_feed", args=[token]))}


@router.get("/feed", response={200: FeedOut, **READ_ERRORS}, url_name="visit-feed",
            summary="The address of your calendar feed (made on first use)")
def get_visit_feed(request):
    return _feed(request, regenerate=False)


@router.post("/feed/renew", response={200: FeedOut, **WRITE_ERRORS}, url_name="visit-feed-renew",
             summary="A new address for your calendar feed; the old one stops working")
def renew_visit_feed(request):
    return _feed(request, regenerate=True)


@router.post("/plan", response={200: PlanOut, **WRITE_ERRORS}, url_name="visit-plan",
             summary="Plan a week of visits for the salespeople in your scope (managers, administrators)")
def plan_visits(request, payload: PlanIn):
    policy = policy_for(request.auth)
    if not policy.may_plan_visits:
        raise PermissionDenied(_("Only managers and administrators plan weeks of visits."))
    try:
        week_start(payload.week)
    except ValueError:
        raise ValidationError({"week": [_("Enter an ISO week such as 2026-W50.")]}) from None
    people = policy.assignable_users()
    if payload.salesperson_ids is not None:
        people = people.filter(pk__in=payload.salesperson_ids)
    plan = plan_week(payload.week.upper(), users=list(people), dry_run=payload.dry_run, actor=request.auth)
    lines = [{"salesperson_id": person.pk, "customer_id": line.customer.pk, "planned_on": line.day,
              "reason": line.reason, "priority": line.priority} for person, ls in plan.items() for line in ls]
    return {"week": payload.week.upper(), "dry_run": payload.dry_run, "planned": len(lines), "visits": lines}


@router.get("/{int:visit_id}", response={200: VisitOut, **READ_ERRORS}, url_name="visit-detail",
            summary="Get a planned visit")
def get_visit(request, visit_id: int):
    return _detail(request, visit_id)


@router.patch("/{int:visit_id}", response={200: VisitOut, **WRITE_ERRORS}, url_name="visit-move",
              summary="Move an open visit to another day (and time)")
def move_visit(request, visit_id: int, payload: VisitMoveIn):
    visit = _detail(request, visit_id)
    if not policy_for(request.auth).can_change_visit(visit):
        raise PermissionDenied(_("You may not change this visit."))
    visit_move(actor=request.auth, visit=visit, planned_on=payload.planned_on, planned_time=payload.planned_time)
    return _detail(request, visit_id)


@router.post("/{int:visit_id}/done", response={200: VisitOut, **WRITE_ERRORS}, url_name="visit-done",
             summary="Record a visit as done with its result (an interaction on the customer's timeline)")
def done_visit(request, visit_id: int, payload: DoneIn):
    visit = _detail(request, visit_id)
    visit_done(actor=request.auth, visit=visit, result=payload.result)
    return _detail(request, visit_id)


@router.post("/{int:visit_id}/skip", response={200: VisitOut, **WRITE_ERRORS}, url_name="visit-skip",
             summary="Skip an open visit, with the reason")
def skip_visit(request, visit_id: int, payload: SkipIn):
    visit = _detail(request, visit_id)
    with api_field_names({"skip_reason": "reason"}):
        visit_skip(actor=request.auth, visit=visit, reason=payload.reason)
    return _detail(request, visit_id)


@router.post("/{int:visit_id}/check-in", response={200: VisitOut, **WRITE_ERRORS}, url_name="visit-check-in",
             summary="Check in on a visit: the time, and the location only when sent (with permission)")
def check_in_visit(request, visit_id: int, payload: CheckInIn):
    visit = _detail(request, visit_id)
    visit_check_in(actor=request.auth, visit=visit, latitude=payload.latitude, longitude=payload.longitude,
                   accuracy=payload.accuracy)
    return _detail(request, visit_id)
