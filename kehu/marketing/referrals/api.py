"""/referrals: referrals (转介绍, kehu.marketing.referrals).

- ``GET /referrals``: the referrals where the caller sees the referrer or the referred customer
  (the other one's name only when they see it too);
- ``POST /referrals``: record a referral by hand (who may change the referred customer, or marketing);
- ``GET /referrals/{id}``;
- ``POST /referrals/codes``: a customer's referral code and link (made on demand);
- ``GET /referrals/value/{customer_id}``: a customer's referral value and relationship value;
- ``GET /referrals/leaderboard``: the top referrers the caller sees;
- ``GET|PATCH /referrals/rule``: the reward rule (everyone reads; marketing and administrators change).
"""

import datetime as dt
from decimal import Decimal
from typing import Optional

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, not_found_field, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.customers.models import Customer
from kehu.org.policies import policy_for

from . import selectors, services
from .models import ReferralChannel, ReferralRule, ReferralStatus, RewardKind

router = Router(tags=["referrals"])
ID = Field(ge=1, le=2**63 - 1)


class ReferralOut(Schema):
    id: int
    referrer_id: int
    referrer_name: Optional[str] = Field(description="Null when the caller does not see the referrer.")
    referred_id: int
    referred_name: Optional[str] = Field(description="Null when the caller does not see the referred customer.")
    code: str
    channel: ReferralChannel
    status: ReferralStatus
    created_at: dt.datetime
    qualified_at: Optional[dt.datetime]
    order_id: Optional[int] = Field(description="The referred customer's first order paid in full.")
    rewarded_at: Optional[dt.datetime]
    reward_kind: str = Field(description="points, coupon, or empty before the reward.")
    reward_points: Optional[int]
    coupon_id: Optional[int]
    notice_id: Optional[int] = Field(description="The reward notice in the message log (sent or held by the gate).")
    note: str

    @staticmethod
    def resolve_referrer_name(obj):
        return obj.referrer.name if getattr(obj, "referrer_visible", False) else None

    @staticmethod
    def resolve_referred_name(obj):
        return obj.referred.name if getattr(obj, "referred_visible", False) else None


class ReferralIn(Schema):
    referrer_id: int = ID
    referred_id: int = ID
    note: str = Field("", max_length=300)


class ReferralFilterIn(Schema):
    status: Optional[ReferralStatus] = None
    referrer_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    referred_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)


class ReferralCodeIn(Schema):
    customer_id: int = ID


class ReferralCodeOut(Schema):
    customer_id: int
    code: str
    link: str


class ReferralValueOut(Schema):
    customer_id: int
    referred: int = Field(description="Customers this customer referred.")
    rewarded: int
    revenue: Decimal = Field(description="The referred customers' revenue to date (orders not cancelled).")
    predicted: Decimal = Field(description="Their predicted lifetime value in their latest value analysis.")
    referral_value: Decimal = Field(description="revenue + predicted.")
    clv: Optional[Decimal] = Field(description="This customer's own predicted lifetime value (latest analysis).")
    relationship_value: Decimal = Field(description="clv (0 when none) + referral_value.")
    referred_by_id: Optional[int] = Field(description="Who referred this customer (null: nobody, or not visible).")


class ReferralLeaderOut(Schema):
    customer_id: int
    name: str
    referred: int
    rewarded: int
    referral_value: Decimal


class ReferralRuleOut(Schema):
    active: bool
    reward_kind: RewardKind
    points: int
    coupon_definition_id: Optional[int]
    notice_template_id: Optional[int]
    updated_at: dt.datetime


class ReferralRulePatchIn(Schema):
    active: Optional[bool] = None
    reward_kind: Optional[RewardKind] = None
    points: Optional[int] = Field(None, ge=0, le=10**9)
    coupon_definition_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    notice_template_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)


def _visible_customer(request, pk: int, field: str) -> Customer:
    customer = policy_for(request.auth).visible(Customer.objects.filter(merged_into__isnull=True)).filter(pk=pk).first()
    if customer is None:
        raise not_found_field(field)
    return customer


@router.get("", response={200: list[ReferralOut], **READ_ERRORS}, url_name="referral-list",
            summary="The referrals of the customers you may see")
@paginate(CursorPagination)
def list_referrals(request, filters: Query[ReferralFilterIn]):
    return selectors.referral_list(viewer=request.auth, status=filters.status or "",
                                   referrer_id=filters.referrer_id, referred_id=filters.referred_id)


@router.post("", response={201: ReferralOut, **WRITE_ERRORS}, url_name="referral-create",
             summary="Record a referral by hand (an existing customer, referred once)")
def create_referral(request, payload: ReferralIn):
    referrer = _visible_customer(request, payload.referrer_id, "referrer_id")
    referred = _visible_customer(request, payload.referred_id, "referred_id")
    referral = services.referral_create(actor=request.auth, referrer=referrer, referred=referred, note=payload.note)
    return Status(201, selectors.referral_get(viewer=request.auth, pk=referral.pk))


@router.get("/leaderboard", response={200: list[ReferralLeaderOut], **READ_ERRORS}, url_name="referral-leaderboard",
            summary="The top referrers you may see: customers referred and referral value")
def leaderboard(request, limit: int = Query(20, ge=1, le=100)):
    return [{"customer_id": r["customer_id"], "name": r["name"], "referred": r.get("referred", 0),
             "rewarded": r.get("rewarded", 0), "referral_value": r.get("value", Decimal(0))}
            for r in selectors.leaderboard(viewer=request.auth, limit=limit)]


@router.post("/codes", response={200: ReferralCodeOut, **WRITE_ERRORS}, url_name="referral-code",
             summary="A customer's referral code and link (made on demand)")
def customer_code(request, payload: ReferralCodeIn):
    customer = _visible_customer(request, payload.customer_id, "customer_id")
    code = services.code_for(customer, actor=request.auth)
    return {"customer_id": customer.pk, "code": code.code, "link": services.referral_link(code)}


@router.get("/value/{int:customer_id}", response={200: ReferralValueOut, **READ_ERRORS}, url_name="referral-value",
            summary="A customer's referral value and relationship value (predicted lifetime value + referral value)")
def customer_value(request, customer_id: int):
    customer = policy_for(request.auth).visible(Customer.objects.all()).filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    s = selectors.customer_summary(viewer=request.auth, customer=customer)
    clv = selectors.own_clv(customer, request.auth)
    by = s.referred_by
    return {"customer_id": customer.pk, "referred": s.count, "rewarded": len(s.rewarded), "revenue": s.revenue,
            "predicted": s.predicted, "referral_value": s.value, "clv": clv,
            "relationship_value": (clv or Decimal(0)) + s.value,
            "referred_by_id": by.referrer_id if by is not None and by.referrer_visible else None}


@router.get("/rule", response={200: ReferralRuleOut, **READ_ERRORS}, url_name="referral-rule",
            summary="The referral reward rule")
def get_rule(request):
    return ReferralRule.current()


@router.patch("/rule", response={200: ReferralRuleOut, **WRITE_ERRORS}, url_name="referral-rule-update",
              summary="Change the referral reward rule (marketing, administrators)")
def update_rule(request, payload: ReferralRulePatchIn):
    from kehu.marketing.coupons.models import CouponDefinition
    from kehu.marketing.outreach.models import MessageTemplate

    if not services.may_manage(request.auth):
        raise PermissionDenied(_("Only marketing and administrators may change the referral reward rule."))
    data = sent_fields(payload)
    for key, model, field in (("coupon_definition_id", CouponDefinition, "coupon_definition"),
                              ("notice_template_id", MessageTemplate, "notice_template")):
        if key in data:
            pk = data.pop(key)
            data[field] = None
            if pk is not None:
                data[field] = model.objects.filter(pk=pk).first()
                if data[field] is None:
                    raise not_found_field(key)
    for key in ("active", "reward_kind", "points"):
        if key in data and data[key] is None:
            data.pop(key)
    return services.rule_update(actor=request.auth, data=data)


@router.get("/{int:referral_id}", response={200: ReferralOut, **READ_ERRORS}, url_name="referral-detail",
            summary="Get a referral")
def get_referral(request, referral_id: int):
    return selectors.referral_get(viewer=request.auth, pk=referral_id)
