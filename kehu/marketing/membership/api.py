"""/members and /points: membership (会员) and the points ledger (积分).

A membership is visible exactly when its customer is (404 otherwise). Enrolling
and redeeming are for whoever may change the customer, and for marketing and
administrators on the customers they see; bonuses and corrections for
marketing and administrators only (403 otherwise). A use of points larger
than the balance answers 422 with a field error on ``points``."""


import datetime as dt
from typing import Any, Literal, Optional

from django.core.exceptions import ValidationError
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, Money, api_field_names, not_found_field
from kehu.api.pagination import CursorPagination
from kehu.customers.selectors import customer_get
from kehu.marketing.membership import selectors, services
from kehu.marketing.membership.models import EntryKind, EventKind, MembershipStatus, PointsEntry, Tier

router = Router(tags=["membership"])
points_router = Router(tags=["membership"])


class TierOut(Schema):
    id: int
    code: str
    name_zh: str
    name_en: str
    rank: int
    threshold: Money
    earn_multiplier: str

    @staticmethod
    def resolve_earn_multiplier(obj) -> str:
        return str(obj.earn_multiplier)


class MembershipOut(Schema):
    id: int
    number: str = Field(description="Member number: M + the customer's id, 8 digits.")
    customer_id: int
    customer_name: str
    tier: str = Field(description="The tier's code (standard, silver, gold, diamond by default).")
    tier_name: str
    tier_since: dt.date
    joined_on: dt.date
    expires_on: dt.date
    auto_renew: bool
    status: MembershipStatus

    @staticmethod
    def resolve_customer_name(obj) -> str:
        return obj.customer.name

    @staticmethod
    def resolve_tier(obj) -> str:
        return obj.tier.code

    @staticmethod
    def resolve_tier_name(obj) -> str:
        return obj.tier.name


class MemberEventOut(Schema):
    kind: EventKind
    on: dt.date
    from_tier: Optional[str]
    to_tier: Optional[str]
    reason: str
    notice_pending: bool

    @staticmethod
    def resolve_from_tier(obj):
        return obj.from_tier.code if obj.from_tier_id else None

    @staticmethod
    def resolve_to_tier(obj):
        return obj.to_tier.code if obj.to_tier_id else None


class MemberDetailOut(MembershipOut):
    balance: int = Field(description="The sum of the member's ledger entries; never negative.")
    expiring_points: int = Field(description="Points that expire within 90 days.")
    expiring_from: Optional[dt.date]
    events: list[MemberEventOut] = Field(alias="recent_events")


class MemberFilterIn(Schema):
    tier: str = Field("", max_length=30, description="A tier's code.")
    status: Optional[MembershipStatus] = None
    q: str = Field("", max_length=100, description="Member number, customer code or part of the name.")
    customer_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)


class EnrolIn(Schema):
    customer_id: int = Field(ge=1, le=2**63 - 1)
    tier: Optional[str] = Field(None, max_length=30, description="A tier's code; the lowest tier when omitted "
                                                                  "(a higher one: marketing and administrators).")
    joined_on: Optional[dt.date] = Field(None, description="Today when omitted.")
    auto_renew: bool = True


class MemberPatchIn(Schema):
    auto_renew: Optional[bool] = None
    status: Optional[MembershipStatus] = None
    tier: Optional[str] = Field(None, max_length=30, description="Set the tier by hand (marketing, administrators).")
    reason: str = Field("", max_length=200)


class EntryOut(Schema):
    id: int
    member_id: int
    kind: EntryKind
    points: int = Field(description="Positive: points added; negative: points used or expired.")
    remaining: int = Field(description="Of a positive entry, the points not yet used or expired.")
    date: dt.date
    expires_on: Optional[dt.date]
    order_id: Optional[int]
    reason: str
    source: str
    actor_id: Optional[int]

    @staticmethod
    def resolve_member_id(obj) -> int:
        return obj.membership_id

    @staticmethod
    def resolve_date(obj) -> dt.date:
        return obj.entry_date


class StatementEntryOut(EntryOut):
    balance: int = Field(description="The balance after this entry.")


class EntryFilterIn(Schema):
    member_id: Optional[int] = Field(None, ge=1, le=2**63 - 1)
    kind: Optional[EntryKind] = None
    date_from: Optional[dt.date] = Field(None, alias="from")
    date_to: Optional[dt.date] = Field(None, alias="to")


class PeriodIn(Schema):
    date_from: Optional[dt.date] = Field(None, alias="from")
    date_to: Optional[dt.date] = Field(None, alias="to")


class EntryIn(Schema):
    member_id: int = Field(ge=1, le=2**63 - 1)
    kind: Literal["bonus", "correct", "redeem"] = Field(
        description="bonus (marketing, administrators; positive), correct (marketing, administrators; either "
                    "sign), redeem (positive: the points taken)")
    points: int = Field(ge=-services.MAX_POINTS, le=services.MAX_POINTS)
    reason: str = Field(min_length=1, max_length=200)
    source: str = Field("", max_length=60, description="What the entry is for, e.g. coupon:CODE.")
    date: Optional[dt.date] = Field(None, description="Today when omitted.")


class MemberExchangeIn(Schema):
    coupon_kind_id: int = Field(ge=1, le=2**63 - 1, description="A coupon kind (coupon definition) with a points "
                                                                 "price.")


class MemberExchangeOut(Schema):
    entry: EntryOut = Field(description="The redemption: the points taken.")
    coupon_id: int
    coupon_code: str
    balance: int = Field(description="The balance after the exchange.")


class BalanceOut(Schema):
    member_id: int
    number: str
    balance: int
    expiring_points: int
    expiring_from: Optional[dt.date]


class StatementPagination(CursorPagination):
    """Cursor pages of a statement, each entry with the balance after it."""

    def paginate_queryset(self, queryset, pagination, request, **params: Any) -> Any:
        out = super().paginate_queryset(queryset, pagination, request, **params)
        items = out["items"]
        if items:
            period = params.get("period")
            selectors.with_running_balance(items[0].membership_id, items, at_start=out["prev_cursor"] is None and not (
                period is not None and period.date_from))
        return out


def _member(request, member_id: int):
    return selectors.member_get(viewer=request.auth, pk=member_id)


def _detail(request, member_id: int):
    m = _member(request, member_id)
    m.balance = services.points_balance(m)
    m.expiring_points, m.expiring_from = selectors.expiring_soon(m, on=timezone.localdate())
    m.recent_events = list(selectors.member_events(membership=m))
    return m


def _tier(code: str | None, field: str = "tier") -> Tier | None:
    if not code:
        return None
    tier = Tier.objects.filter(code=code).first()
    if tier is None:
        raise not_found_field(field)
    return tier


@router.get("", response={200: list[MembershipOut], **READ_ERRORS}, url_name="member-list",
            summary="List the members of the customers you may see, newest first")
@paginate(CursorPagination)
def list_members(request, filters: Query[MemberFilterIn]):
    qs = selectors.member_list(viewer=request.auth, filters=selectors.MemberFilters(
        tier=filters.tier, status=filters.status or "", q=filters.q, customer_id=filters.customer_id))
    return qs.order_by("-id")


@router.post("", response={201: MemberDetailOut, **WRITE_ERRORS}, url_name="member-enrol",
             summary="Enrol a customer as a member")
def enrol_member(request, payload: EnrolIn):
    customer = customer_get(viewer=request.auth, pk=payload.customer_id)
    tier = _tier(payload.tier)
    with api_field_names({"customer": "customer_id"}):
        m = services.member_enrol(actor=request.auth, customer=customer, tier=tier, joined_on=payload.joined_on,
                                  auto_renew=payload.auto_renew)
    return Status(201, _detail(request, m.pk))


@router.get("/{int:member_id}", response={200: MemberDetailOut, **READ_ERRORS}, url_name="member-detail",
            summary="A member: tier, term, balance, points expiring soon and recent events")
def get_member(request, member_id: int):
    return _detail(request, member_id)


@router.patch("/{int:member_id}", response={200: MemberDetailOut, **WRITE_ERRORS}, url_name="member-update",
              summary="Change renewal, status or (marketing, administrators) the tier")
def update_member(request, member_id: int, payload: MemberPatchIn):
    m = _member(request, member_id)
    services.member_update(actor=request.auth, membership=m, auto_renew=payload.auto_renew,
                           status=payload.status, tier=_tier(payload.tier), reason=payload.reason)
    return _detail(request, member_id)


@router.get("/{int:member_id}/statement", response={200: list[StatementEntryOut], **READ_ERRORS},
            url_name="member-statement", summary="The member's statement: entries of a period in date order, "
                                                 "each with the balance after it")
@paginate(StatementPagination)
def member_statement(request, member_id: int, period: Query[PeriodIn]):
    m = _member(request, member_id)
    return selectors.statement_entries(membership=m, date_from=period.date_from, date_to=period.date_to)


@router.post("/{int:member_id}/exchange", response={201: MemberExchangeOut, **WRITE_ERRORS},
             url_name="member-exchange", summary="Exchange the member's points for a coupon of a kind with a points "
                                                 "price (both or neither; 422 when the points do not suffice)")
def exchange_points(request, member_id: int, payload: MemberExchangeIn):
    from kehu.marketing.coupons import selectors as coupon_selectors

    m = _member(request, member_id)
    definition = coupon_selectors.definition_list(viewer=request.auth).filter(pk=payload.coupon_kind_id).first()
    if definition is None:
        raise not_found_field("coupon_kind_id")
    with api_field_names({"definition": "coupon_kind_id"}):
        entry, coupon = services.points_exchange(actor=request.auth, membership=m, definition=definition)
    return Status(201, {"entry": PointsEntry.objects.get(pk=entry.pk), "coupon_id": coupon.pk,
                        "coupon_code": coupon.display_code, "balance": services.points_balance(m)})


@points_router.get("", response={200: list[EntryOut], **READ_ERRORS}, url_name="points-list",
                   summary="Ledger entries of the members you may see, newest first")
@paginate(CursorPagination)
def list_entries(request, filters: Query[EntryFilterIn]):
    qs = selectors.entries_visible(viewer=request.auth)
    if filters.member_id:
        qs = qs.filter(membership_id=filters.member_id)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    if filters.date_from:
        qs = qs.filter(entry_date__gte=filters.date_from)
    if filters.date_to:
        qs = qs.filter(entry_date__lte=filters.date_to)
    return qs.order_by("-entry_date", "-id")


@points_router.post("", response={201: EntryOut, **WRITE_ERRORS}, url_name="points-create",
                    summary="Add a ledger entry: a bonus, a correction or a redemption")
def create_entry(request, payload: EntryIn):
    m = _member(request, payload.member_id)
    kwargs = dict(actor=request.auth, membership=m, points=payload.points, reason=payload.reason.strip(),
                  on=payload.date, source=payload.source)
    if not payload.reason.strip():
        raise ValidationError({"reason": [_blank()]})
    if payload.kind == "bonus":
        entry = services.points_bonus(**kwargs)
    elif payload.kind == "correct":
        entry = services.points_correct(**kwargs)
    else:
        entry = services.points_redeem(**kwargs)
    return Status(201, PointsEntry.objects.get(pk=entry.pk))


def _blank() -> str:
    from django.utils.translation import gettext as _

    return _("This field cannot be blank.")


@points_router.get("/balance/{int:member_id}", response={200: BalanceOut, **READ_ERRORS}, url_name="points-balance",
                   summary="A member's balance and the points expiring within 90 days")
def balance(request, member_id: int):
    m = _member(request, member_id)
    expiring, first = selectors.expiring_soon(m, on=timezone.localdate())
    return {"member_id": m.pk, "number": m.number, "balance": services.points_balance(m),
            "expiring_points": expiring, "expiring_from": first}
