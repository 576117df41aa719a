"""/care: the care calendar (kehu.marketing.care).

- ``/care/rules``: the care rules; everyone signed in reads them, marketing and
  administrators write them (403 for others);
- ``GET /care/moments``: the moments the daily run made, of the customers the caller may see;
- ``POST /care/moments/mark``: mark a moment done or skipped (whoever may change the customer);
- ``GET /care/calendar``: the caller's moments due in a week (made or not yet made);
- ``POST /care/run``: a dry run of the daily run for a date (administrators): the counts per rule.
"""

import datetime as dt
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, not_found_field, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.marketing.permissions import require_marketing
from kehu.org.policies import policy_for

from . import selectors, services
from .models import CareChannel, CareKind, MomentStatus

router = Router(tags=["care"])
ID = Field(ge=1, le=2**63 - 1)


class CareRuleOut(Schema):
    id: int
    name_zh: str
    name_en: str
    kind: CareKind
    channel: CareChannel
    template_id: Optional[int]
    lead_days: int
    days_after: int
    day_of_month: int
    holiday: str = Field(description="spring_festival, dragon_boat or mid_autumn for a holiday rule; else empty.")
    owner_id: Optional[int] = Field(description="Who acts; null: the customer's owner.")
    segment_id: Optional[int] = Field(description="Only the members of this saved segment; null: everyone.")
    active: bool
    purpose: str = Field(description="The gate's purpose of its messages: service or marketing.")
    last_run_on: Optional[dt.date]
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_purpose(obj):
        return services.purpose_of(obj)


class RuleIn(Schema):
    name_zh: str = Field(min_length=1, max_length=100)
    name_en: str = Field("", max_length=100)
    kind: CareKind
    channel: CareChannel
    template_id: Optional[int] = Field(None, ge=1, le=2**63 - 1,
                                       description="A message template of the channel (required but for task).")
    lead_days: int = Field(0, ge=0, le=365)
    days_after: int = Field(3, ge=0, le=365)
    day_of_month: int = Field(1, ge=1, le=31)
    holiday: Literal["", "spring_festival", "dragon_boat", "mid_autumn"] = ""
    owner_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    segment_id: Optional[int] = Field(None, ge=1, le=2**63 - 1,
                                      description="A saved segment (kehu.insights); null: every customer.")
    active: bool = True


RulePatchIn = partial_schema(RuleIn, "CareRulePatchIn")


class MomentOut(Schema):
    id: int
    rule_id: int
    customer_id: int
    occasion: dt.date
    due_on: dt.date
    key: str
    status: MomentStatus
    message_id: Optional[int]
    task_id: Optional[int]


class MomentFilterIn(Schema):
    rule_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    customer_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    status: Optional[MomentStatus] = None
    due_from: Optional[dt.date] = None
    due_to: Optional[dt.date] = None


class MarkIn(Schema):
    rule_id: int = ID
    customer_id: int = ID
    occasion: dt.date
    status: Literal["done", "skipped"]


class CalendarItemOut(Schema):
    key: str
    rule_id: int
    customer_id: int
    customer_name: str
    occasion: dt.date
    due_on: dt.date
    status: str = Field(description="upcoming (not yet made by the daily run) or the moment's status.")
    moment_id: Optional[int]


class CalendarOut(Schema):
    start: dt.date
    end: dt.date
    items: list[CalendarItemOut]
    truncated: bool


class CareRunIn(Schema):
    date: Optional[dt.date] = Field(None, description="Default: today in the company's zone.")


class RunRuleOut(Schema):
    rule_id: int
    created: int = Field(description="Moments the run would make.")
    to_send: int = 0
    task: int = 0


def _rule_data(request, data: dict) -> dict:
    from kehu.marketing.outreach.models import MessageTemplate
    from kehu.org.models import User

    out = dict(data)
    if "template_id" in out:
        tid = out.pop("template_id")
        out["template"] = None
        if tid is not None:
            out["template"] = MessageTemplate.objects.filter(pk=tid).first()
            if out["template"] is None:
                raise not_found_field("template_id")
    if "owner_id" in out:
        uid = out.pop("owner_id")
        out["owner"] = None
        if uid is not None:
            out["owner"] = User.objects.filter(pk=uid, is_active=True).first()
            if out["owner"] is None:
                raise not_found_field("owner_id")
    if "segment_id" in out:
        from kehu.insights.models import Segment

        sid = out.pop("segment_id")
        out["segment"] = None
        if sid is not None:
            out["segment"] = Segment.objects.filter(pk=sid).first()
            if out["segment"] is None:
                raise not_found_field("segment_id")
    return out


@router.get("/rules", response={200: list[CareRuleOut], **READ_ERRORS}, url_name="care-rule-list",
            summary="List the care rules")
@paginate(CursorPagination)
def list_rules(request):
    return selectors.rule_list()


@router.post("/rules", response={201: CareRuleOut, **WRITE_ERRORS}, url_name="care-rule-create",
             summary="Add a care rule (marketing, administrators)")
def create_rule(request, payload: RuleIn):
    require_marketing(request.auth)
    return Status(201, services.rule_create(actor=request.auth, data=_rule_data(request, payload.model_dump())))


@router.get("/rules/{int:rule_id}", response={200: CareRuleOut, **READ_ERRORS}, url_name="care-rule-detail",
            summary="Get a care rule")
def get_rule(request, rule_id: int):
    return selectors.rule_get(rule_id)


@router.patch("/rules/{int:rule_id}", response={200: CareRuleOut, **WRITE_ERRORS}, url_name="care-rule-update",
              summary="Change a care rule")
def update_rule(request, rule_id: int, payload: RulePatchIn):
    require_marketing(request.auth)
    rule = selectors.rule_get(rule_id)
    return services.rule_update(actor=request.auth, rule=rule, data=_rule_data(request, sent_fields(payload)))


@router.delete("/rules/{int:rule_id}", response={204: None, **WRITE_ERRORS}, url_name="care-rule-delete",
               summary="Delete a care rule and its moments (the message log keeps the messages)")
def delete_rule(request, rule_id: int):
    require_marketing(request.auth)
    services.rule_delete(actor=request.auth, rule=selectors.rule_get(rule_id))
    return Status(204, None)


@router.get("/moments", response={200: list[MomentOut], **READ_ERRORS}, url_name="care-moment-list",
            summary="The care moments of the customers you may see, by due date")
@paginate(CursorPagination)
def list_moments(request, filters: Query[MomentFilterIn]):
    return selectors.moment_list(viewer=request.auth, rule_id=filters.rule_id, customer_id=filters.customer_id,
                                 status=filters.status or "", due_from=filters.due_from, due_to=filters.due_to)


@router.post("/moments/mark", response={200: MomentOut, **WRITE_ERRORS}, url_name="care-moment-mark",
             summary="Mark a care moment done or skipped (made now if the daily run has not yet)")
def mark_moment(request, payload: MarkIn):
    from kehu.customers.models import Customer

    rule = selectors.CareRule.objects.filter(pk=payload.rule_id).first()
    if rule is None:
        raise not_found_field("rule_id")
    customer = policy_for(request.auth).visible(Customer.objects.all()).filter(pk=payload.customer_id).first()
    if customer is None:
        raise not_found_field("customer_id")
    return services.moment_mark(actor=request.auth, rule=rule, customer=customer, occasion=payload.occasion,
                                status=payload.status)


@router.get("/calendar", response={200: CalendarOut, **READ_ERRORS}, url_name="care-calendar",
            summary="Your care moments due in a week (Monday to Sunday), made or not yet made")
def calendar(request, start: Optional[dt.date] = Query(None, description="A day of the week; default today.")):
    day = start or services.today_local()
    monday = day - dt.timedelta(days=day.weekday())
    end = monday + dt.timedelta(days=6)
    items, truncated = selectors.upcoming(viewer=request.auth, start=monday, end=end)
    return {"start": monday, "end": end, "truncated": truncated,
            "items": [{"key": u.key, "rule_id": u.rule.pk, "customer_id": u.customer_id,
                       "customer_name": u.customer_name, "occasion": u.occasion, "due_on": u.due_on,
                       "status": u.status, "moment_id": u.moment_id} for u in items]}


@router.post("/run", response={200: list[RunRuleOut], **WRITE_ERRORS}, url_name="care-run",
             summary="A dry run of the daily care run for a date (administrators): what it would make")
def dry_run(request, payload: CareRunIn):
    if not policy_for(request.auth).is_admin:
        raise PermissionDenied(_("Only administrators may run the care calendar."))
    counts = services.care_run(date=payload.date, dry_run=True)
    return [{"rule_id": pk, "created": c.get("created", 0), "to_send": c.get("to_send", 0),
             "task": c.get("task", 0)} for pk, c in counts.items()]
