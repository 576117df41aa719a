"""/key-account-plans: key-account plans (大客户计划) with their yearly targets, and the
plan against the actual.

Visible are the plans of the customers the caller may see (404 otherwise); whoever may
change the customer writes them (403 otherwise; read-only roles always 403). Activating
a second plan for a customer answers 409 ``plan_conflict``."""

import datetime as dt
from decimal import Decimal
from typing import Optional

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, ErrorOut, Money, Quantity, api_field_names, not_found_field, partial_schema,
    sent_fields,
)
from kehu.api.pagination import CursorPagination, Tiered
from kehu.api.router import api, envelope
from kehu.customers.models import DecisionRole
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import key_account_selectors as selectors
from kehu.sales.key_accounts import PlanConflict, plan_create, plan_delete, plan_set_targets, plan_update
from kehu.sales.models import KeyAccountStatus
from kehu.validators import REMARKS_MAX

router = Router(tags=["key accounts"])
CONFLICT = {409: ErrorOut}


@api.exception_handler(PlanConflict)
def on_plan_conflict(request, exc):
    return envelope(request, 409, "plan_conflict", str(exc), {"status": [str(exc)]})


class KeyAccountTerms(Schema):
    payment_days: Optional[int] = Field(None, ge=0, le=3650, description="Payment terms in days; 0: cash in "
                                                                         "advance; null: the tier's.")
    credit_limit: Optional[Money] = Field(None, ge=0, description="The most the customer may owe; null: the tier's.")
    discount_ceiling: Optional[Decimal] = Field(None, ge=0, le=100, description="Percent; null: the tier's.")
    training: str = Field("", max_length=500)
    staff_support: str = Field("", max_length=500)
    authority: str = Field("", max_length=500)
    rewards: str = Field("", max_length=500)


class KeyAccountTargetIn(Schema):
    year: int = Field(ge=2000, le=2100, description="One of the plan's three years.")
    volume: Quantity = Field(Decimal("0"), ge=0, description="Tonnes, or the quantity in the products' units.")
    revenue: Money = Field(Decimal("0"), ge=0)
    cost: Money = Field(Decimal("0"), ge=0)
    profit: Optional[Money] = Field(None, description="Null: revenue − cost.")


class KeyAccountTargetOut(Schema):
    year: int
    volume: Quantity
    revenue: Money
    cost: Money
    profit: Money


class KeyAccountMeasureOut(Schema):
    target: Decimal
    actual: Decimal
    difference: Decimal = Field(description="actual − target")
    attainment: Optional[Decimal] = Field(description="actual ÷ target in percent; null for a target of 0.")


class KeyAccountYearOut(Schema):
    year: int
    volume: KeyAccountMeasureOut
    revenue: KeyAccountMeasureOut
    cost: KeyAccountMeasureOut
    profit: KeyAccountMeasureOut


class DecisionChainContactOut(Schema):
    contact_id: int
    name: str
    title: str
    role: DecisionRole

    @staticmethod
    def resolve_contact_id(obj):
        return obj.pk

    @staticmethod
    def resolve_role(obj):
        return obj.decision_role


class KeyAccountPlanOut(Schema):
    id: int
    customer_id: int
    name: str
    status: KeyAccountStatus
    start_year: int
    years: list[int]
    strengths: str
    weaknesses: str
    opportunities: str
    threats: str
    salesperson_id: Optional[int]
    manager_id: Optional[int]
    sponsor_id: Optional[int]
    terms: dict = Field(description="The terms that override the tier's (only those set).")
    created_at: dt.datetime
    updated_at: dt.datetime


class KeyAccountPlanDetailOut(KeyAccountPlanOut):
    targets: list[KeyAccountTargetOut]
    decision_chain: list[DecisionChainContactOut] = Field(description="The customer's contacts with a role in the "
                                                              "buying decision (kept on the contacts).")
    report: list[KeyAccountYearOut] = Field(description="Targets against the actual orders, year by year.")

    @staticmethod
    def resolve_targets(obj):
        return selectors.plan_targets(obj)

    @staticmethod
    def resolve_decision_chain(obj):
        return selectors.decision_chain(obj.customer)

    @staticmethod
    def resolve_report(obj):
        return selectors.plan_report(obj)


class KeyAccountPlanFields(Schema):
    name: str = Field("", max_length=200, description="Empty: “Key-account plan” and its years.")
    status: KeyAccountStatus = KeyAccountStatus.DRAFT
    start_year: int = Field(ge=2000, le=2098, description="The plan covers this year and the two after it.")
    strengths: str = Field("", max_length=REMARKS_MAX)
    weaknesses: str = Field("", max_length=REMARKS_MAX)
    opportunities: str = Field("", max_length=REMARKS_MAX)
    threats: str = Field("", max_length=REMARKS_MAX)
    salesperson_id: Optional[int] = None
    manager_id: Optional[int] = None
    sponsor_id: Optional[int] = None
    terms: KeyAccountTerms = Field(default_factory=KeyAccountTerms)


class KeyAccountPlanIn(KeyAccountPlanFields):
    customer_id: int
    targets: list[KeyAccountTargetIn] = Field([], max_length=3)


KeyAccountPlanPatch = partial_schema(KeyAccountPlanFields, "KeyAccountPlanPatchIn")


class KeyAccountTargetsIn(Schema):
    targets: list[KeyAccountTargetIn] = Field(max_length=3, description="Replace all the plan's targets.")


class KeyAccountPlanFilterIn(Schema):
    customer_id: Optional[int] = None
    status: Optional[KeyAccountStatus] = None
    year: Optional[int] = Field(None, ge=2000, le=2100, description="Plans whose three years include it.")
    q: str = Field("", max_length=100, description="Plan or customer name contains.")


NAMES = {"salesperson": "salesperson_id", "manager": "manager_id", "sponsor": "sponsor_id"}


def _data(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if key in ("salesperson_id", "manager_id", "sponsor_id"):
            user = None
            if value is not None:
                user = User.objects.filter(pk=value).first()
                if user is None:
                    raise not_found_field(key)
            out[key[:-3]] = user
        elif key == "terms":
            out["terms"] = {k: (float(v) if isinstance(v, Decimal) else v) for k, v in (value or {}).items()}
        elif key not in ("customer_id", "targets"):
            out[key] = value
    return out


def _detail(request, plan_id: int):
    return selectors.plan_get(viewer=request.auth, pk=plan_id)


def _require_change(request, plan) -> None:
    if not policy_for(request.auth).can_change_key_account_plan(plan):
        raise PermissionDenied(_("You may not change this customer."))


@router.get("", response={200: list[KeyAccountPlanOut], **READ_ERRORS}, url_name="key-account-plan-list",
            summary="List key-account plans, latest years first")
@paginate(CursorPagination)
def list_plans(request, filters: Query[KeyAccountPlanFilterIn]):
    qs = selectors.plan_list(viewer=request.auth, filters=selectors.PlanFilters(
        status=filters.status or "", year=filters.year, q=filters.q))
    if filters.customer_id:
        qs = qs.filter(customer_id=filters.customer_id)
    return Tiered(qs, [Tier(Q(), ("-start_year", "-id"))])


@router.post("", response={201: KeyAccountPlanDetailOut, **WRITE_ERRORS, **CONFLICT}, url_name="key-account-plan-create",
             summary="Start a key-account plan for a customer you may change")
def create_plan(request, payload: KeyAccountPlanIn):
    data = payload.model_dump()
    customer = customer_get(viewer=request.auth, pk=data["customer_id"])
    targets = [t for t in data.get("targets") or []]
    with api_field_names(NAMES):
        plan = plan_create(actor=request.auth, customer=customer, data=_data(data), targets=targets)
    return Status(201, _detail(request, plan.pk))


@router.get("/{int:plan_id}", response={200: KeyAccountPlanDetailOut, **READ_ERRORS}, url_name="key-account-plan-detail",
            summary="Get a plan with its targets, decision chain and targets against actual")
def get_plan(request, plan_id: int):
    return _detail(request, plan_id)


@router.patch("/{int:plan_id}", response={200: KeyAccountPlanDetailOut, **WRITE_ERRORS, **CONFLICT},
              url_name="key-account-plan-update", summary="Change some fields of a plan")
def update_plan(request, plan_id: int, payload: KeyAccountPlanPatch):
    plan = _detail(request, plan_id)
    _require_change(request, plan)
    with api_field_names(NAMES):
        plan_update(actor=request.auth, plan=plan, data=_data(sent_fields(payload)))
    return _detail(request, plan_id)


@router.delete("/{int:plan_id}", response={204: None, **WRITE_ERRORS}, url_name="key-account-plan-delete",
               summary="Delete a plan with its targets")
def delete_plan(request, plan_id: int):
    plan = _detail(request, plan_id)
    _require_change(request, plan)
    plan_delete(actor=request.auth, plan=plan)
    return Status(204, None)


@router.get("/{int:plan_id}/targets", response={200: list[KeyAccountTargetOut], **READ_ERRORS},
            url_name="key-account-target-list", summary="The plan's targets by year")
def list_targets(request, plan_id: int):
    return selectors.plan_targets(_detail(request, plan_id))


@router.put("/{int:plan_id}/targets", response={200: list[KeyAccountTargetOut], **WRITE_ERRORS},
            url_name="key-account-target-set", summary="Replace the plan's targets (one per year of the plan)")
def set_targets(request, plan_id: int, payload: KeyAccountTargetsIn):
    plan = _detail(request, plan_id)
    _require_change(request, plan)
    plan_set_targets(actor=request.auth, plan=plan, targets=payload.model_dump()["targets"])
    return selectors.plan_targets(plan)
