"""/campaigns: campaigns with control groups (营销活动, kehu.marketing.campaigns).

- ``GET /campaigns`` every campaign (everyone signed in reads them); ``POST /campaigns``
  creates a draft (marketing and administrators: 403 for others);
- ``GET /campaigns/{id}``, ``PATCH /campaigns/{id}`` (a draft or scheduled campaign whose
  audience is not yet selected);
- ``POST /campaigns/{id}/send`` sends by the worker, or with ``dry_run`` counts the audience,
  the control group and the coupons without writing anything;
- ``POST /campaigns/{id}/cancel``;
- ``GET /campaigns/{id}/results`` reach, clicks, redemptions, responders, revenue, cost, ROI
  and the lift over the control group with confidence intervals, by value tier and variant;
- ``GET /campaigns/{id}/members`` the members whose customers the caller may see;
- ``GET|POST /campaigns/{id}/costs`` the cost lines.
"""

import datetime as dt
import math
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, Money, not_found_field, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination, Tiered
from kehu.marketing.outreach.models import Channel
from kehu.pagination import Tier

from . import selectors, services
from .models import AudienceKind, CampaignKind, CampaignStatus, CostCategory

router = Router(tags=["campaigns"])
ID = Field(ge=1, le=2**63 - 1)


class CampaignVariantOut(Schema):
    id: int
    label: str
    template_id: int
    share: int


class CampaignVariantIn(Schema):
    label: str = Field(min_length=1, max_length=20)
    template_id: int = ID
    share: int = Field(1, ge=1, le=100)


class CampaignOut(Schema):
    id: int
    code: str
    name: str
    goal: str
    kind: CampaignKind
    channel: Channel
    status: CampaignStatus
    offer_id: Optional[int] = Field(description="The coupon kind each treated customer gets; null: no offer.")
    target_url: str
    starts_at: Optional[dt.datetime]
    ends_on: Optional[dt.date]
    attribution_days: int
    control_share: float = Field(description="The share held out as the control group, 0 to 0.9.")
    budget: Money
    cost_per_message: str
    audience_kind: AudienceKind
    segment_id: Optional[int]
    rule: dict
    winback_min_value: Optional[Money]
    winback_top: Optional[int]
    gain_top: Optional[int]
    seed: int = Field(description="The seed of the control group's random draw (recorded for audit).")
    audience_at: Optional[dt.datetime]
    sent_at: Optional[dt.datetime]
    progress: int
    stage: str
    error: str
    variants: list[CampaignVariantOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_variants(obj):
        return list(obj.variants.all())

    @staticmethod
    def resolve_control_share(obj):
        return float(obj.control_share)

    @staticmethod
    def resolve_cost_per_message(obj):
        return str(obj.cost_per_message)


class CampaignIn(Schema):
    code: str = Field("", max_length=40, description="Empty: the next number (C2026-001).")
    name: str = Field(min_length=1, max_length=120)
    goal: str = Field("", max_length=5000)
    kind: CampaignKind = CampaignKind.MARKETING
    channel: Channel = Channel.EMAIL
    offer_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    target_url: str = Field("", max_length=500)
    starts_at: Optional[dt.datetime] = None
    ends_on: Optional[dt.date] = None
    attribution_days: int = Field(30, ge=1, le=365)
    control_share: float = Field(0.1, ge=0, le=0.9)
    budget: Money = Field(0, ge=0)
    audience_kind: AudienceKind = AudienceKind.SEGMENT
    segment_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    rule: dict = Field(default_factory=dict, description="The shape of a segment's rule: "
                                                         "{\"customer\": {...}, \"score\": {\"tier\": [...]}}.")
    winback_min_value: Optional[Money] = Field(None, ge=0)
    winback_top: Optional[int] = Field(None, ge=1, le=10_000_000)
    gain_top: Optional[int] = Field(None, ge=1, le=10_000_000)
    variants: list[CampaignVariantIn] = Field(default_factory=list, max_length=10)


CampaignPatchIn = partial_schema(CampaignIn, "CampaignPatchIn")


class CampaignFilterIn(Schema):
    status: Optional[CampaignStatus] = None


class CampaignSendIn(Schema):
    dry_run: bool = False


class CampaignTierCount(Schema):
    tier: str
    audience: int
    control: int


class CampaignSendOut(Schema):
    audience: int
    control: int
    treated: int
    coupons: int
    by_tier: list[CampaignTierCount]
    status: CampaignStatus
    dry_run: bool


class CampaignLiftOut(Schema):
    stratum: str
    n_treated: int
    n_control: int
    rate_treated: Optional[float]
    rate_control: Optional[float]
    difference: Optional[float] = Field(description="Incremental response rate, treated minus control.")
    ci_low: Optional[float]
    ci_high: Optional[float]
    p_value: Optional[float]
    incremental_revenue: Optional[float]
    incremental_revenue_low: Optional[float]
    incremental_revenue_high: Optional[float]
    reason: str = Field(description="Why a figure cannot be estimated (no_control, too_few, …); empty when it can.")


class CampaignVariantResultOut(Schema):
    label: str
    n: int
    responders: int
    rate: Optional[float]
    low: Optional[float] = Field(description="Wilson interval.")
    high: Optional[float]


class CampaignHeldOut(Schema):
    reason: str
    label: str
    count: int


class CampaignResultsOut(Schema):
    audience: int
    treated: int
    control: int
    reach: int = Field(description="Messages sent.")
    held: list[CampaignHeldOut]
    clicks: int
    redemptions: int
    responders_treated: int
    responders_control: int
    rate_treated: Optional[float]
    rate_control: Optional[float]
    revenue: Money
    revenue_control: Money
    cost: Money
    budget: Money
    incremental_revenue: Optional[float]
    roi: Optional[float] = Field(description="(incremental revenue − cost) / cost.")
    roi_low: Optional[float]
    roi_high: Optional[float]
    level: float
    pooled: Optional[CampaignLiftOut]
    by_tier: list[CampaignLiftOut]
    variants: list[CampaignVariantResultOut]
    variant_difference: Optional[float]
    variant_difference_low: Optional[float]
    variant_difference_high: Optional[float]
    in_words: str


class CampaignMemberOut(Schema):
    id: int
    customer_id: int
    customer_name: str
    control: bool
    variant: Optional[str]
    stratum: str
    message_id: Optional[int]
    clicked_at: Optional[dt.datetime]
    coupon_id: Optional[int]
    responded: bool
    revenue: Money

    @staticmethod
    def resolve_customer_name(obj):
        return obj.customer.name

    @staticmethod
    def resolve_variant(obj):
        return obj.variant.label if obj.variant else None


class CampaignMemberFilterIn(Schema):
    group: Optional[Literal["treated", "control"]] = None


class CampaignCostOut(Schema):
    id: int
    category: CostCategory
    planned: Money
    actual: Money
    note: str


class CampaignCostIn(Schema):
    category: CostCategory = CostCategory.OTHER
    planned: Money = Field(0, ge=0, le=10**11)
    actual: Money = Field(0, ge=0, le=10**11)
    note: str = Field("", max_length=200)


def _manager(request) -> None:
    if not services.may_manage(request.auth):
        raise PermissionDenied(_("Only marketing and administrators may manage campaigns."))


def _data(data: dict) -> tuple[dict, list | None]:
    from kehu.insights.models import Segment
    from kehu.marketing.coupons.models import CouponDefinition

    out = dict(data)
    variants = out.pop("variants", None)
    if "offer_id" in out:
        oid = out.pop("offer_id")
        out["offer"] = None
        if oid is not None:
            out["offer"] = CouponDefinition.objects.filter(pk=oid).first()
            if out["offer"] is None:
                raise not_found_field("offer_id")
    if "segment_id" in out:
        sid = out.pop("segment_id")
        out["segment"] = None
        if sid is not None:
            out["segment"] = Segment.objects.filter(pk=sid).first()
            if out["segment"] is None:
                raise not_found_field("segment_id")
    if "control_share" in out and out["control_share"] is not None:
        from decimal import Decimal

        out["control_share"] = Decimal(str(round(out["control_share"], 3)))
    if variants is not None:
        variants = [{"label": v.get("label", ""), "template": str(v.get("template_id", "")),
                     "share": v.get("share", 1)} for v in variants]
    return out, variants


def _f(x):
    return None if x is None or (isinstance(x, float) and not math.isfinite(x)) else float(x)


def _lift_out(s) -> dict:
    r, y = s.response, s.revenue
    return {"stratum": str(s.stratum), "n_treated": r.n_treated, "n_control": r.n_control,
            "rate_treated": _f(r.rate_treated), "rate_control": _f(r.rate_control), "difference": _f(r.difference),
            "ci_low": _f(r.ci_low), "ci_high": _f(r.ci_high), "p_value": _f(r.p_value),
            "incremental_revenue": _f(y.incremental_revenue) if y else None,
            "incremental_revenue_low": _f(y.incremental_revenue_low) if y else None,
            "incremental_revenue_high": _f(y.incremental_revenue_high) if y else None,
            "reason": r.reason or (y.reason if y else "")}


def results_payload(campaign) -> dict:
    res = selectors.results(campaign=campaign)
    words = selectors.in_words(res)
    lift = res["lift"]
    d = res["variant_difference"] or {}
    return {
        **{k: res[k] for k in ("audience", "treated", "control", "reach", "clicks", "redemptions", "responders_treated",
                               "responders_control", "revenue", "revenue_control", "cost", "budget", "level")},
        "held": [{"reason": r, "label": label, "count": n} for r, label, n in res["held"]],
        "rate_treated": _f(res["rate_treated"]), "rate_control": _f(res["rate_control"]),
        "incremental_revenue": _f(res["incremental_revenue"]), "roi": _f(res["roi"]),
        "roi_low": _f(res["roi_low"]), "roi_high": _f(res["roi_high"]),
        "pooled": _lift_out(lift.pooled) if lift else None,
        "by_tier": [_lift_out(s) for s in res["by_tier"]],
        "variants": [{k: (_f(v[k]) if k in ("rate", "low", "high") else v[k])
                      for k in ("label", "n", "responders", "rate", "low", "high")} for v in res["variants"]],
        "variant_difference": _f(d.get("difference")), "variant_difference_low": _f(d.get("low")),
        "variant_difference_high": _f(d.get("high")),
        "in_words": " ".join(w for w in (words["response"], words["revenue"]) if w),
    }


@router.get("", response={200: list[CampaignOut], **READ_ERRORS}, url_name="campaign-list",
            summary="List the campaigns, latest first")
@paginate(CursorPagination)
def list_campaigns(request, filters: Query[CampaignFilterIn]):
    return Tiered(selectors.campaign_list(viewer=request.auth, status=filters.status or "")
                  .prefetch_related("variants"), [Tier(Q(), ("-id",))])


@router.post("", response={201: CampaignOut, **WRITE_ERRORS}, url_name="campaign-create",
             summary="Create a draft campaign (marketing, administrators)")
def create_campaign(request, payload: CampaignIn):
    _manager(request)
    data, variants = _data(payload.model_dump())
    c = services.campaign_create(actor=request.auth, data=data, variants=variants or [])
    return Status(201, selectors.campaign_get(viewer=request.auth, pk=c.pk))


@router.get("/{int:campaign_id}", response={200: CampaignOut, **READ_ERRORS}, url_name="campaign-detail",
            summary="Get a campaign")
def get_campaign(request, campaign_id: int):
    return selectors.campaign_get(viewer=request.auth, pk=campaign_id)


@router.patch("/{int:campaign_id}", response={200: CampaignOut, **WRITE_ERRORS}, url_name="campaign-update",
              summary="Change a campaign before it is sent")
def update_campaign(request, campaign_id: int, payload: CampaignPatchIn):
    _manager(request)
    c = selectors.campaign_get(viewer=request.auth, pk=campaign_id)
    data, variants = _data(sent_fields(payload))
    services.campaign_update(actor=request.auth, campaign=c, data=data, variants=variants)
    return selectors.campaign_get(viewer=request.auth, pk=campaign_id)


@router.post("/{int:campaign_id}/send", response={200: CampaignSendOut, **WRITE_ERRORS}, url_name="campaign-send",
             summary="Send the campaign by the background worker, or count what would be sent (dry_run)")
def send_campaign(request, campaign_id: int, payload: CampaignSendIn):
    _manager(request)
    c = selectors.campaign_get(viewer=request.auth, pk=campaign_id)
    counts = services.campaign_send(actor=request.auth, campaign=c, dry_run=payload.dry_run)
    c.refresh_from_db(fields=["status"])
    return {**counts, "by_tier": [{"tier": t, **row} for t, row in counts["by_tier"].items()],
            "status": c.status, "dry_run": payload.dry_run}


@router.post("/{int:campaign_id}/cancel", response={200: CampaignOut, **WRITE_ERRORS}, url_name="campaign-cancel",
             summary="Cancel a campaign before or while it is sent")
def cancel_campaign(request, campaign_id: int):
    _manager(request)
    c = selectors.campaign_get(viewer=request.auth, pk=campaign_id)
    services.campaign_cancel(actor=request.auth, campaign=c)
    return selectors.campaign_get(viewer=request.auth, pk=campaign_id)


@router.get("/{int:campaign_id}/results", response={200: CampaignResultsOut, **READ_ERRORS},
            url_name="campaign-results", summary="The campaign's results and its lift over the control group")
def campaign_results(request, campaign_id: int):
    return results_payload(selectors.campaign_get(viewer=request.auth, pk=campaign_id))


@router.get("/{int:campaign_id}/members", response={200: list[CampaignMemberOut], **READ_ERRORS},
            url_name="campaign-members", summary="The campaign's members whose customers you may see")
@paginate(CursorPagination)
def campaign_members(request, campaign_id: int, filters: Query[CampaignMemberFilterIn]):
    c = selectors.campaign_get(viewer=request.auth, pk=campaign_id)
    return Tiered(selectors.member_list(viewer=request.auth, campaign=c, group=filters.group or ""),
                  [Tier(Q(), ("id",))])


@router.get("/{int:campaign_id}/costs", response={200: list[CampaignCostOut], **READ_ERRORS},
            url_name="campaign-costs", summary="The campaign's cost lines")
def campaign_costs(request, campaign_id: int):
    return list(selectors.campaign_get(viewer=request.auth, pk=campaign_id).costs.all())


@router.post("/{int:campaign_id}/costs", response={201: CampaignCostOut, **WRITE_ERRORS},
             url_name="campaign-cost-add", summary="Add a cost line (planned and actual amounts)")
def add_cost(request, campaign_id: int, payload: CampaignCostIn):
    _manager(request)
    c = selectors.campaign_get(viewer=request.auth, pk=campaign_id)
    return Status(201, services.cost_add(actor=request.auth, campaign=c, data=payload.model_dump()))
