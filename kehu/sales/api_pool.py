"""/leads and /pool-settings: the lead pool (公海 / 线索池, kehu.sales.pool).

``GET /leads`` lists the customers in the pools the caller sees (the company pool and their
team's; managers their subtree's; head office and administrators all). The actions are
explicit POSTs: ``claim`` (409 ``already_claimed`` when someone took it first, 409
``claim_limit`` when the caller holds the most unconverted leads allowed), ``release`` (the
owner returns a customer with a reason), ``assign`` (managers), ``convert`` (409
``duplicates`` when the lead looks like a customer on file, unless ``force``). A customer in
no pool the caller sees is 404, as one that does not exist. No personal data is listed:
phone and e-mail are shown on the customer once claimed."""

import datetime as dt
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, ErrorOut, blankable
from kehu.api.pagination import CursorPagination, Tiered
from kehu.api.router import api, envelope
from kehu.customers.models import Customer, CustomerType, LifecycleStage, Region, Source
from kehu.org.models import Team, User
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import pool
from kehu.sales.pool_selectors import PoolFilters, pool_list

router = Router(tags=["lead pool"])
settings_router = Router(tags=["lead pool"])

CONFLICT = {409: ErrorOut}
ADMIN_READ_ERRORS = {**READ_ERRORS, 403: ErrorOut}


@api.exception_handler(pool.AlreadyClaimed)
def on_already_claimed(request, exc):
    return envelope(request, 409, "already_claimed", str(exc))


@api.exception_handler(pool.PoolLimitReached)
def on_claim_limit(request, exc):
    return envelope(request, 409, "claim_limit", str(exc))


@api.exception_handler(pool.LeadDuplicates)
def on_duplicates(request, exc):
    visible = [m["customer"].ref for m in exc.matches if m["visible"]]
    return envelope(request, 409, "duplicates", str(exc),
                    {"customer": [_("Looks like %(refs)s.") % {"refs": ", ".join(visible)}] if visible else
                     [_("Looks like a customer you may not see.")]})


class LeadOut(Schema):
    id: int
    ref: str
    name: str
    kind: CustomerType
    city: str
    province: str
    region: blankable(Region)
    industry: str
    source: blankable(Source)
    lifecycle_stage: LifecycleStage
    team_id: Optional[int] = Field(description="The team whose pool it is in; null: the company pool.")
    owner_id: Optional[int] = Field(description="Null while in the pool.")
    created_at: dt.datetime
    updated_at: dt.datetime


class LeadIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: CustomerType = CustomerType.ORGANIZATION
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    city: str = Field("", max_length=50)
    province: str = Field("", max_length=30)
    industry: str = Field("", max_length=60)
    source: blankable(Source) = ""
    remarks: str = Field("", max_length=2000)
    team_id: Optional[int] = Field(None, description="Put it in this team's pool (one you see); null: the "
                                                     "company pool.")


class LeadFilterIn(Schema):
    q: str = Field("", max_length=100, description="Name, code, city or industry.")
    pool: Literal["", "company", "team"] = Field("", description="company: no team; team: a team's pool.")
    team_id: Optional[int] = None
    stage: Optional[LifecycleStage] = None


class NoteIn(Schema):
    note: str = Field("", max_length=300)


class ReleaseIn(Schema):
    reason: str = Field(min_length=1, max_length=300, description="Why it goes back (required).")


class LeadAssignIn(Schema):
    owner_id: int
    note: str = Field("", max_length=300)


class ConvertIn(Schema):
    to_stage: Literal["target", "potential", "opportunity"] = "potential"
    force: bool = Field(False, description="Convert even when it looks like a customer on file.")


class PoolSettingsOut(Schema):
    claim_limit: int = Field(description="The most reserve-stage customers one salesperson may own; 0: no limit.")
    recycle_days_gold: int = Field(description="Days without activity before a gold customer returns; 0: never.")
    recycle_days_silver: int
    recycle_days_bronze: int
    recycle_days_do_not_serve: int
    recycle_days_none: int = Field(description="For customers without a value tier (every lead).")
    reminder_days: int = Field(description="The owner gets a task this many days before the return.")


class PoolSettingsIn(Schema):
    claim_limit: Optional[int] = Field(None, ge=0, le=100000)
    recycle_days_gold: Optional[int] = Field(None, ge=0, le=3650)
    recycle_days_silver: Optional[int] = Field(None, ge=0, le=3650)
    recycle_days_bronze: Optional[int] = Field(None, ge=0, le=3650)
    recycle_days_do_not_serve: Optional[int] = Field(None, ge=0, le=3650)
    recycle_days_none: Optional[int] = Field(None, ge=0, le=3650)
    reminder_days: Optional[int] = Field(None, ge=0, le=365)


def _pool_lead(request, lead_id: int) -> Customer:
    """The customer (not merged away) or 404; the services decide what the caller may do."""
    obj = Customer.objects.filter(pk=lead_id, merged_into__isnull=True).first()
    if obj is None:
        from django.http import Http404

        raise Http404
    return obj


def _lead(pk: int) -> Customer:
    return Customer.objects.get(pk=pk)


@router.get("", response={200: list[LeadOut], **READ_ERRORS}, url_name="lead-list",
            summary="List the customers in the lead pools you see, newest first")
@paginate(CursorPagination)
def list_leads(request, filters: Query[LeadFilterIn]):
    f = PoolFilters(q=filters.q, pool=filters.pool, team_id=filters.team_id, stage=filters.stage or "")
    return Tiered(pool_list(viewer=request.auth, filters=f), [Tier(Q(), ("-created_at", "-id"))])


@router.post("", response={201: LeadOut, **WRITE_ERRORS}, url_name="lead-create",
             summary="Add a lead (a reserve-stage customer) to the company pool or a team's pool")
def create_lead(request, payload: LeadIn):
    data = payload.model_dump()
    team_id = data.pop("team_id")
    team = None
    if team_id is not None:
        team = Team.objects.filter(pk=team_id).first()
        if team is None:
            raise ValidationError({"team_id": [_("No such team.")]})
    customer = pool.lead_create(actor=request.auth, data=data, team=team)
    return Status(201, _lead(customer.pk))


@router.post("/{int:lead_id}/claim", response={200: LeadOut, **WRITE_ERRORS, **CONFLICT}, url_name="lead-claim",
             summary="Claim a customer from a pool (409 when taken already or at your claim limit)")
def claim_lead(request, lead_id: int, payload: NoteIn):
    customer = pool.lead_claim(actor=request.auth, customer=_pool_lead(request, lead_id), note=payload.note)
    return _lead(customer.pk)


@router.post("/{int:lead_id}/release", response={200: LeadOut, **WRITE_ERRORS}, url_name="lead-release",
             summary="Return a customer you own to its team's pool, with the reason")
def release_lead(request, lead_id: int, payload: ReleaseIn):
    customer = policy_for(request.auth).get_visible(lead_id)
    customer = pool.lead_release(actor=request.auth, customer=customer, reason=payload.reason)
    return _lead(customer.pk)


@router.post("/{int:lead_id}/assign", response={200: LeadOut, **WRITE_ERRORS, **CONFLICT}, url_name="lead-assign",
             summary="Give a pool customer to a salesperson (managers and administrators)")
def assign_lead(request, lead_id: int, payload: LeadAssignIn):
    owner = User.objects.filter(pk=payload.owner_id, is_active=True).first()
    if owner is None:
        raise ValidationError({"owner_id": [_("No such user.")]})
    customer = _pool_lead(request, lead_id)
    if not policy_for(request.auth).may_assign_pool:
        raise PermissionDenied(_("Only managers and administrators give pool customers to others."))
    customer = pool.lead_assign(actor=request.auth, customer=customer, owner=owner, note=payload.note)
    return _lead(customer.pk)


@router.post("/{int:lead_id}/convert", response={200: LeadOut, **WRITE_ERRORS, **CONFLICT},
             url_name="lead-convert",
             summary="Convert a lead: claimed if in a pool, checked for duplicates, moved forward in its lifecycle")
def convert_lead(request, lead_id: int, payload: ConvertIn):
    customer = _pool_lead(request, lead_id)
    if customer.owner_id is None:
        pool.pool_customer(request.auth, customer)          # in a pool the caller sees, else 404
    else:
        customer = policy_for(request.auth).get_visible(lead_id)
    customer = pool.lead_convert(actor=request.auth, customer=customer, to_stage=payload.to_stage,
                                 force=payload.force)
    return _lead(customer.pk)


def _require_admin(request):
    if not policy_for(request.auth).is_admin:
        raise PermissionDenied(_("Only an administrator may change the lead pool settings."))


def _settings_out():
    row = pool.pool_settings()
    return {k: getattr(row, k) for k in pool.POOL_SETTINGS_FIELDS}


@settings_router.get("", response={200: PoolSettingsOut, **ADMIN_READ_ERRORS}, url_name="pool-settings",
                     summary="The lead pool's rules: claim limit, recycle days by value tier, reminder (administrators)")
def get_pool_settings(request):
    _require_admin(request)
    return _settings_out()


@settings_router.put("", response={200: PoolSettingsOut, **WRITE_ERRORS}, url_name="pool-settings-update",
                     summary="Change the lead pool's rules (administrators); fields left out stay")
def put_pool_settings(request, payload: PoolSettingsIn):
    _require_admin(request)
    data = {k: v for k, v in payload.model_dump().items() if v is not None}
    pool.pool_settings_save(actor=request.auth, data=data)
    return _settings_out()
