"""/coupons: coupon kinds (definitions), the coupons issued, issuing, redeeming and voiding.

- ``GET /coupons/definitions`` (everyone signed in), ``POST`` and ``PATCH``
  (marketing and administrators); a kind's detail carries its figures over the
  coupons of the customers the caller sees.
- ``GET /coupons``: the coupons of the customers the caller sees; ``GET /coupons/{id}``.
- ``POST /coupons/issue``: to customers by id, or to a saved segment's members
  the caller sees (marketing and administrators). Nothing is sent.
- ``POST /coupons/redeem``: a code on an order; exactly once.
- ``POST /coupons/{id}/void``.
"""


import datetime as dt
from decimal import Decimal
from typing import Literal, Optional

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, Money, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.marketing.coupons import selectors
from kehu.marketing.coupons.models import (
    CODE_MAX, NAME_MAX, CodeMode, CouponKind, CouponSource, CouponStatus,
)
from kehu.marketing.coupons.services import (
    coupon_issue, coupon_redeem, coupon_void, coupons_notify, definition_create, definition_update,
)
from kehu.validators import REMARKS_MAX

router = Router(tags=["coupons"])


class CouponDefinitionOut(Schema):
    id: int
    ref: str
    name_zh: str
    name_en: str
    kind: CouponKind
    value: Money = Field(description="Yuan off (amount) or percent off (percentage).")
    min_spend: Money
    product_line_ids: list[int] = Field(description="Only these product lines count; empty: the whole order.")
    valid_from: Optional[dt.date]
    valid_until: Optional[dt.date]
    valid_days: Optional[int] = Field(description="Each coupon is valid this many days from its issue.")
    per_customer_limit: int
    total_quantity: Optional[int] = Field(description="At most this many coupons in all; null: no limit.")
    points_price: Optional[int] = Field(description="Points a member exchanges for one coupon; null: not for points.")
    code_mode: CodeMode
    shared_code: str
    collect_set_id: Optional[int]
    active: bool
    currency: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_product_line_ids(obj) -> list[int]:
        return sorted(line.pk for line in obj.product_lines.all())


class FiguresOut(Schema):
    issued: int = Field(description="Coupons issued and not void (customers the caller sees).")
    redeemed: int
    available: int
    expired: int
    void: int
    rate: Optional[float] = Field(description="Redeemed / issued × 100; null when none issued.")
    discount: Money = Field(description="Discount given on orders.")


class CouponDefinitionDetailOut(CouponDefinitionOut):
    figures: FiguresOut


class DefinitionFields(Schema):
    ref: str = Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
    name_zh: str = Field("", max_length=NAME_MAX, description="Either name may be empty, not both.")
    name_en: str = Field("", max_length=NAME_MAX)
    kind: CouponKind = CouponKind.AMOUNT
    value: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    min_spend: Decimal = Field(Decimal(0), ge=0, max_digits=16, decimal_places=2)
    product_line_ids: list[int] = Field(default_factory=list, max_length=200)
    valid_from: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    valid_days: Optional[int] = Field(None, ge=1, le=3650)
    per_customer_limit: int = Field(1, ge=1, le=1000)
    total_quantity: Optional[int] = Field(None, ge=1, le=2_000_000_000)
    points_price: Optional[int] = Field(None, ge=1, le=2_000_000_000)
    code_mode: CodeMode = CodeMode.UNIQUE
    shared_code: str = Field("", max_length=CODE_MAX)
    active: bool = True


DefinitionPatchIn = partial_schema(DefinitionFields, "CouponDefinitionPatchIn")


class CouponDefinitionFilterIn(Schema):
    q: str = Field("", max_length=100)
    kind: Optional[CouponKind] = None
    active: Optional[bool] = None


class RedemptionOut(Schema):
    id: int
    coupon_id: int
    order_id: Optional[int]
    order_ref: str
    eligible_amount: Money
    amount: Money = Field(description="The discount.")
    redeemed_by_id: Optional[int]
    redeemed_at: dt.datetime


class CouponOut(Schema):
    id: int
    code: str = Field(description="As printed (groups of four for generated codes).")
    definition_id: int
    definition_ref: str
    customer_id: int
    status: CouponStatus
    valid_from: Optional[dt.date]
    valid_until: Optional[dt.date]
    source: CouponSource
    source_id: Optional[int]
    issued_by_id: Optional[int]
    issued_at: dt.datetime
    voided_at: Optional[dt.datetime]
    void_reason: str
    redemption: Optional[RedemptionOut]

    @staticmethod
    def resolve_code(obj) -> str:
        return obj.display_code

    @staticmethod
    def resolve_definition_ref(obj) -> str:
        return obj.definition.ref

    @staticmethod
    def resolve_redemption(obj):
        return getattr(obj, "redemption", None)


class CouponFilterIn(Schema):
    status: Optional[CouponStatus] = None
    definition_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    customer_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    source: Optional[CouponSource] = None
    code: str = Field("", max_length=40)


class IssueIn(Schema):
    definition_id: int = Field(ge=1, le=2**63 - 1)
    customer_ids: list[int] = Field(default_factory=list, max_length=1000,
                                    description="Customers (by id) to issue one coupon each; or give segment_id.")
    segment_id: Optional[int] = Field(None, ge=1, le=2**63 - 1,
                                      description="A saved segment: its members the caller sees.")
    source: Literal["manual", "campaign", "care", "referral", "points", "import"] = "manual"
    source_id: Optional[int] = Field(None, ge=0, le=2**63 - 1)
    code: str = Field("", max_length=40, description="A given code, for one unique-code coupon only.")
    notify: bool = Field(False, description="E-mail each customer the code through the sending gate (consent, "
                                            "suppression list, frequency cap); held messages are logged.")


class IssueOut(Schema):
    issued: int
    skipped_customer_ids: list[int] = Field(description="Customers who already held the most of this kind.")
    coupons: list[CouponOut] = Field(description="The coupons issued (the first 1,000).")


class RedeemIn(Schema):
    order_id: int = Field(ge=1, le=2**63 - 1)
    code: str = Field(min_length=1, max_length=40)


class VoidIn(Schema):
    reason: str = Field("", max_length=REMARKS_MAX)


def _lines(ids):
    from kehu.sales.models import ProductLine

    ids = list(dict.fromkeys(ids))
    lines = list(ProductLine.objects.filter(pk__in=ids))
    if len(lines) != len(ids):
        raise ValidationError({"product_line_ids": [_("Unknown product line.")]})
    return lines


def _definition_out(request, pk):
    d = selectors.definition_get(viewer=request.auth, pk=pk)
    d.figures = selectors.definition_figures(viewer=request.auth, definition=d)
    return d


@router.get("/definitions", response={200: list[CouponDefinitionOut], **READ_ERRORS}, url_name="coupon-definition-list",
            summary="List coupon kinds, newest first")
@paginate(CursorPagination)
def list_definitions(request, filters: Query[CouponDefinitionFilterIn]):
    active = "" if filters.active is None else ("yes" if filters.active else "no")
    f = selectors.DefinitionFilters(q=filters.q, kind=filters.kind or "", active=active)
    return selectors.definition_list(viewer=request.auth, filters=f).prefetch_related("product_lines").order_by("-id")


@router.post("/definitions", response={201: CouponDefinitionDetailOut, **WRITE_ERRORS},
             url_name="coupon-definition-create", summary="Create a coupon kind (marketing, administrators)")
def create_definition(request, payload: DefinitionFields):
    data = payload.model_dump()
    lines = _lines(data.pop("product_line_ids"))
    d = definition_create(actor=request.auth, data=data, product_lines=lines)
    return Status(201, _definition_out(request, d.pk))


@router.get("/definitions/{int:definition_id}", response={200: CouponDefinitionDetailOut, **READ_ERRORS},
            url_name="coupon-definition-detail", summary="A coupon kind with its figures")
def get_definition(request, definition_id: int):
    return _definition_out(request, definition_id)


@router.patch("/definitions/{int:definition_id}", response={200: CouponDefinitionDetailOut, **WRITE_ERRORS},
              url_name="coupon-definition-update", summary="Change a coupon kind (marketing, administrators)")
def update_definition(request, definition_id: int, payload: DefinitionPatchIn):
    definition = selectors.definition_get(viewer=request.auth, pk=definition_id)
    data = sent_fields(payload)
    lines = _lines(data.pop("product_line_ids")) if "product_line_ids" in data else None
    definition_update(actor=request.auth, definition=definition, data=data, product_lines=lines)
    return _definition_out(request, definition_id)


@router.get("", response={200: list[CouponOut], **READ_ERRORS}, url_name="coupon-list",
            summary="List the coupons of the customers you see, newest first")
@paginate(CursorPagination)
def list_coupons(request, filters: Query[CouponFilterIn]):
    f = selectors.CouponFilters(q=filters.code, status=filters.status or "", definition_id=filters.definition_id,
                                customer_id=filters.customer_id, source=filters.source or "")
    return selectors.coupon_list(viewer=request.auth, filters=f).order_by("-id")


@router.get("/{int:coupon_id}", response={200: CouponOut, **READ_ERRORS}, url_name="coupon-detail",
            summary="A coupon")
def get_coupon(request, coupon_id: int):
    return selectors.coupon_get(viewer=request.auth, pk=coupon_id)


@router.post("/issue", response={201: IssueOut, **WRITE_ERRORS}, url_name="coupon-issue",
             summary="Issue coupons to customers or a segment's members (marketing, administrators)")
def issue(request, payload: IssueIn):
    """All or nothing under the quantity limit. Customers already holding the most
    coupons of the kind are refused (one customer) or skipped (a segment)."""
    from kehu.customers.selectors import customer_list
    from kehu.insights.segments import segment_get, segment_members

    definition = selectors.definition_get(viewer=request.auth, pk=payload.definition_id)
    if payload.segment_id is not None:
        if payload.customer_ids:
            raise ValidationError({"segment_id": [_("Give customers or a segment, not both.")]})
        segment = segment_get(viewer=request.auth, pk=payload.segment_id)
        customers = segment_members(segment=segment, viewer=request.auth).select_related(None).only("pk", "name")
        skip = True
    else:
        if not payload.customer_ids:
            raise ValidationError({"customer_ids": [_("Give customers or a segment.")]})
        ids = list(dict.fromkeys(payload.customer_ids))
        customers = list(customer_list(viewer=request.auth).filter(pk__in=ids).select_related(None).only("pk", "name"))
        if len(customers) != len(ids):
            from django.http import Http404

            raise Http404
        skip = False
    result = coupon_issue(actor=request.auth, definition=definition, customers=customers, source=payload.source,
                          source_id=payload.source_id, code=payload.code, skip_held=skip)
    if payload.notify:
        coupons_notify(coupons=result.coupons, actor=request.auth)
    coupons = list(selectors.coupon_list(viewer=request.auth)
                   .filter(pk__in=[c.pk for c in result.coupons[:1000]]).order_by("id"))
    return Status(201, {"issued": result.issued, "skipped_customer_ids": result.skipped, "coupons": coupons})


@router.post("/redeem", response={201: RedemptionOut, **WRITE_ERRORS}, url_name="coupon-redeem",
             summary="Redeem a coupon's code on an order (exactly once)")
def redeem(request, payload: RedeemIn):
    from kehu.sales.selectors import order_get

    order = order_get(viewer=request.auth, pk=payload.order_id)
    return Status(201, coupon_redeem(actor=request.auth, order=order, code=payload.code))


@router.post("/{int:coupon_id}/void", response={200: CouponOut, **WRITE_ERRORS}, url_name="coupon-void",
             summary="Void a coupon (marketing, administrators); a redeemed one cannot be voided")
def void(request, coupon_id: int, payload: VoidIn):
    coupon = selectors.coupon_get(viewer=request.auth, pk=coupon_id)
    coupon_void(actor=request.auth, coupon=coupon, reason=payload.reason)
    return selectors.coupon_get(viewer=request.auth, pk=coupon_id)
