"""/customers: the customer profiles (客户档案)."""

import datetime as dt
from typing import Annotated, Literal, Optional

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.anniversaries import AnniversaryOut
from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, Money, Percent, api_field_names, blankable, not_found_field,
    partial_schema, sent_fields,
)
from kehu.api.pagination import CursorPagination, Tiered
from kehu.customers.models import (
    CompanySize, CustomerType, Gender, Importance, LifecycleStage, LoyaltyLevel, PreferredChannel, Region,
    RelationshipLevel, Source, UsageRate, UserStatus,
)
from kehu.customers.selectors import SORTS, CustomerFilters, customer_get, customer_listing
from kehu.customers.services import customer_create, customer_delete, customer_update
from kehu.customfields.values import parse_filters
from kehu.customfields.api import CUSTOM_DESCRIPTION, CustomValuesIn, CustomValuesOut, custom_in_field
from kehu.org.models import User
from kehu.privacy.masking import for_schema
from kehu.validators import REMARKS_MAX, TAG_LENGTH_MAX, TAGS_PER_CUSTOMER_MAX

router = Router(tags=["customers"])

CustomerSort = Literal[tuple(SORTS)]  # type: ignore[valid-type]


class UserRef(Schema):
    id: int
    username: str
    name: str

    @staticmethod
    def resolve_name(obj) -> str:
        return str(obj)


class CustomerOut(Schema):
    id: int
    ref: str = Field(description="Customer code (客户编号).")
    kind: CustomerType
    name: str
    phone: str
    email: str
    website: str
    address: str
    region: blankable(Region)
    province: str
    city: str
    city_tier: Optional[int]
    industry: str
    size: blankable(CompanySize)
    annual_budget: Optional[Money]
    share_of_wallet: Optional[Percent]
    strategic_importance: blankable(Importance)
    gender: blankable(Gender)
    age_band: str
    occupation: str
    income_band: str
    education: str
    preferred_channel: blankable(PreferredChannel)
    birthday: Optional[dt.date]
    id_number: str = Field(description="ID number (身份证号); masked unless the caller may see it in full.")
    lifestyle: str
    personality: str
    usage_rate: blankable(UsageRate)
    benefit_sought: str
    user_status: blankable(UserStatus)
    loyalty_level: blankable(LoyaltyLevel)
    attitude: str
    source: blankable(Source)
    lifecycle_stage: LifecycleStage
    relationship_level: blankable(RelationshipLevel)
    owner: Optional[UserRef]
    team_id: Optional[int]
    partner_id: Optional[int] = Field(description="The partner (agent, distributor…) that serves the customer.")
    tags: list[str]
    preferences: str
    remarks: str
    consent_marketing: bool
    consent_data_processing: bool
    opt_out_email: bool = Field(description="Opted out of e-mail: nothing is e-mailed to the customer.")
    opt_out_sms: bool = Field(description="Opted out of SMS: no text message is sent to the customer.")
    consent_updated_at: Optional[dt.datetime]
    custom: CustomValuesOut = Field(description=CUSTOM_DESCRIPTION)
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_tags(obj) -> list[str]:
        return sorted(t.name for t in obj.tags.all())

    # Personal data as the caller may see it (kehu.org.policies, kehu.privacy.masking).
    @staticmethod
    def resolve_phone(obj, context) -> str:
        return for_schema(obj, context, "phone")

    @staticmethod
    def resolve_email(obj, context) -> str:
        return for_schema(obj, context, "email")

    @staticmethod
    def resolve_id_number(obj, context) -> str:
        return for_schema(obj, context, "id_number")


class CustomerDetailOut(CustomerOut):
    """One customer with what the list leaves out: its anniversaries."""

    anniversaries: list[AnniversaryOut] = Field(description="Dates to remember, by date; change them under "
                                                            "/customers/{customer_id}/anniversaries.")

    @staticmethod
    def resolve_anniversaries(obj):
        return list(obj.anniversaries.order_by("date", "id"))


class CustomerIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: CustomerType = CustomerType.ORGANIZATION
    ref: str = Field("", max_length=40, description="Customer code; generated (C00000001, ...) when empty.")
    phone: str = Field("", max_length=30, description=(
        "A Chinese mobile (13800138000), a landline with its area code (010-12345678, 0755-1234567, an extension "
        "after it), a 400/800 number, or + and the country code; spaces and dashes are ignored."))
    email: str = Field("", max_length=254)
    website: str = Field("", max_length=200, description="http:// or https:// address, or just the host.")
    address: str = Field("", max_length=300)
    region: blankable(Region) = ""
    province: str = Field("", max_length=30)
    city: str = Field("", max_length=50)
    city_tier: Optional[int] = Field(None, ge=1, le=9)
    industry: str = Field("", max_length=60)
    size: blankable(CompanySize) = ""
    annual_budget: Optional[Money] = Field(None, ge=0)
    share_of_wallet: Optional[Percent] = None
    strategic_importance: blankable(Importance) = ""
    gender: blankable(Gender) = ""
    age_band: str = Field("", max_length=20)
    occupation: str = Field("", max_length=60)
    income_band: str = Field("", max_length=30)
    education: str = Field("", max_length=30)
    preferred_channel: blankable(PreferredChannel) = ""
    birthday: Optional[dt.date] = Field(None, description="Not in the future.")
    id_number: str = Field("", max_length=30)
    lifestyle: str = Field("", max_length=60)
    personality: str = Field("", max_length=60)
    usage_rate: blankable(UsageRate) = ""
    benefit_sought: str = Field("", max_length=60)
    user_status: blankable(UserStatus) = ""
    loyalty_level: blankable(LoyaltyLevel) = ""
    attitude: str = Field("", max_length=20)
    source: blankable(Source) = ""
    lifecycle_stage: LifecycleStage = LifecycleStage.RESERVE
    relationship_level: blankable(RelationshipLevel) = ""
    owner_id: Optional[int] = Field(None, description="The owner (负责人); defaults to the caller.")
    partner_id: Optional[int] = Field(None, description=(
        "The partner that serves the customer (伙伴); a partner user's customers are their partner's (or a "
        "sub-partner's) and get its channel manager as owner."))
    tags: Optional[list[Annotated[str, Field(max_length=TAG_LENGTH_MAX)]]] = Field(
        None, max_length=TAGS_PER_CUSTOMER_MAX,
        description=f"Tag names (at most {TAGS_PER_CUSTOMER_MAX}, each at most {TAG_LENGTH_MAX} characters); "
                    "replaces the customer's tags.")
    preferences: str = Field("", max_length=REMARKS_MAX)
    remarks: str = Field("", max_length=REMARKS_MAX)
    consent_marketing: bool = False
    consent_data_processing: bool = False
    opt_out_email: bool = False
    opt_out_sms: bool = False
    custom: CustomValuesIn = custom_in_field()


CustomerPatchIn = partial_schema(CustomerIn, "CustomerPatchIn")


class CustomerFilterIn(Schema):
    q: str = Field("", max_length=100, description="Prefix of the name, its pinyin or initials, phone or email; or the exact code.")
    kind: Optional[CustomerType] = None
    stage: Optional[LifecycleStage] = None
    region: Optional[Region] = None
    owner_id: Optional[int] = None
    team_id: Optional[int] = None
    partner_id: Optional[int] = None
    tag: str = Field("", max_length=50)
    city: str = Field("", max_length=50)
    usage_rate: Optional[UsageRate] = None
    user_status: Optional[UserStatus] = None
    loyalty_level: Optional[LoyaltyLevel] = None
    preferred_channel: Optional[PreferredChannel] = None
    sort: CustomerSort = Field("name", description=(
        "Order of the list; `-` for descending. `name` lists by pinyin. A search (`q`) in the default order lists "
        "the best matches first: the exact code, then pinyin initials, full pinyin and name prefixes (or phone, "
        "or e-mail prefixes), each group in its own key's order."))


def _owner(owner_id: int) -> User:
    """The user named by ``owner_id``; whether the caller may assign
    customers to them is the service's decision."""
    owner = User.objects.filter(pk=owner_id, is_active=True).first()
    if owner is None:
        raise not_found_field("owner_id")
    return owner


def _service_data(data: dict) -> tuple[dict, list[str] | None]:
    tags = data.pop("tags", None)
    if "owner_id" in data:
        owner_id = data.pop("owner_id")
        if owner_id is None:
            raise ValidationError({"owner_id": [_("A customer must have an owner.")]})
        data["owner"] = _owner(owner_id)
    if "partner_id" in data:
        partner_id = data.pop("partner_id")
        data["partner"] = None if partner_id is None else _partner(partner_id)
    return data, tags


def _partner(partner_id: int):
    """The partner named by ``partner_id`` (whether the caller may name it: the service)."""
    from kehu.org.models import Partner

    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None:
        raise not_found_field("partner_id")
    return partner


@router.get("", response={200: list[CustomerOut], **READ_ERRORS}, url_name="customer-list",
            summary="List customers",
            description="Custom fields filter too: `cf_<key>=value` (text: contains; others: equal), "
                        "`cf_<key>__min` / `cf_<key>__max` for numbers and dates.")
@paginate(CursorPagination)
def list_customers(request, filters: Query[CustomerFilterIn]):
    f = CustomerFilters(
        q=filters.q, kind=filters.kind or "", stage=filters.stage or "", region=filters.region or "",
        owner_id=filters.owner_id, team_id=filters.team_id, partner_id=filters.partner_id, tag=filters.tag,
        city=filters.city,
        usage_rate=filters.usage_rate or "", user_status=filters.user_status or "",
        loyalty_level=filters.loyalty_level or "", preferred_channel=filters.preferred_channel or "",
        custom=tuple(parse_filters("customer", request.GET)),
    )
    listing = customer_listing(viewer=request.auth, filters=f, sort=filters.sort)
    return Tiered(listing.base.prefetch_related("tags"), listing.tiers)


@router.post("", response={201: CustomerDetailOut, **WRITE_ERRORS}, url_name="customer-create",
             summary="Create a customer")
def create_customer(request, payload: CustomerIn):
    data, tags = _service_data(payload.model_dump(exclude_unset=True))
    with api_field_names({"owner": "owner_id", "partner": "partner_id"}):
        customer = customer_create(actor=request.auth, data=data, tags=tags)
    return Status(201, customer)


@router.get("/{int:customer_id}", response={200: CustomerDetailOut, **READ_ERRORS}, url_name="customer-detail",
            summary="Get a customer")
def get_customer(request, customer_id: int):
    return customer_get(viewer=request.auth, pk=customer_id)


@router.patch("/{int:customer_id}", response={200: CustomerDetailOut, **WRITE_ERRORS}, url_name="customer-update",
              summary="Change some fields of a customer")
def update_customer(request, customer_id: int, payload: CustomerPatchIn):
    customer = customer_get(viewer=request.auth, pk=customer_id)
    data, tags = _service_data(sent_fields(payload))
    with api_field_names({"owner": "owner_id", "partner": "partner_id"}):
        return customer_update(actor=request.auth, customer=customer, data=data, tags=tags, custom_partial=True)


@router.delete("/{int:customer_id}", response={204: None, **WRITE_ERRORS}, url_name="customer-delete",
               summary="Delete a customer without orders")
def delete_customer(request, customer_id: int):
    customer = customer_get(viewer=request.auth, pk=customer_id)
    customer_delete(actor=request.auth, customer=customer)
    return Status(204, None)
