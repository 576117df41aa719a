"""/contacts: people at organisation customers and their place in the buying decision (决策链)."""

import datetime as dt
from typing import Optional

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, api_field_names, blankable, not_found_field, partial_schema, sent_fields,
)
from kehu.api.pagination import CursorPagination
from kehu.customers.models import DecisionRole
from kehu.customers.selectors import contact_get, contact_list, customer_get
from kehu.customers.services import contact_create, contact_delete, contact_update
from kehu.privacy.masking import for_schema

router = Router(tags=["contacts"])


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    department: str
    decision_role: blankable(DecisionRole)
    reports_to_id: Optional[int]
    phone: str
    email: str
    birthday: Optional[dt.date]
    remarks: str
    created_at: dt.datetime
    updated_at: dt.datetime

    # Personal data as the caller may see it (kehu.org.policies, kehu.privacy.masking).
    @staticmethod
    def resolve_phone(obj, context) -> str:
        return for_schema(obj, context, "phone", customer=obj.customer)

    @staticmethod
    def resolve_email(obj, context) -> str:
        return for_schema(obj, context, "email", customer=obj.customer)


class ContactFields(Schema):
    name: str = Field(min_length=1, max_length=100)
    title: str = Field("", max_length=100)
    department: str = Field("", max_length=100)
    decision_role: blankable(DecisionRole) = ""
    reports_to_id: Optional[int] = Field(None, description="Another contact at the same customer.")
    phone: str = Field("", max_length=30)
    email: str = Field("", max_length=254)
    birthday: Optional[dt.date] = None
    remarks: str = ""


class ContactIn(ContactFields):
    customer_id: int


ContactPatchIn = partial_schema(ContactFields, "ContactPatchIn")


class ContactFilterIn(Schema):
    customer_id: Optional[int] = None


def _service_data(request, data: dict) -> dict:
    if "reports_to_id" in data:
        boss_id = data.pop("reports_to_id")
        boss = None
        if boss_id is not None:
            boss = contact_list(viewer=request.auth).filter(pk=boss_id).first()
            if boss is None:
                raise not_found_field("reports_to_id")
        data["reports_to"] = boss
    return data


@router.get("", response={200: list[ContactOut], **READ_ERRORS}, url_name="contact-list", summary="List contacts")
@paginate(CursorPagination)
def list_contacts(request, filters: Query[ContactFilterIn]):
    return contact_list(viewer=request.auth, customer_id=filters.customer_id).order_by("id")


@router.post("", response={201: ContactOut, **WRITE_ERRORS}, url_name="contact-create", summary="Add a contact")
def create_contact(request, payload: ContactIn):
    data = payload.model_dump(exclude_unset=True)
    customer = customer_get(viewer=request.auth, pk=data.pop("customer_id"))
    data = _service_data(request, data)
    with api_field_names({"reports_to": "reports_to_id"}):
        contact = contact_create(actor=request.auth, customer=customer, data=data)
    return Status(201, contact)


@router.get("/{int:contact_id}", response={200: ContactOut, **READ_ERRORS}, url_name="contact-detail",
            summary="Get a contact")
def get_contact(request, contact_id: int):
    return contact_get(viewer=request.auth, pk=contact_id)


@router.patch("/{int:contact_id}", response={200: ContactOut, **WRITE_ERRORS}, url_name="contact-update",
              summary="Change some fields of a contact")
def update_contact(request, contact_id: int, payload: ContactPatchIn):
    contact = contact_get(viewer=request.auth, pk=contact_id)
    data = _service_data(request, sent_fields(payload))
    with api_field_names({"reports_to": "reports_to_id"}):
        return contact_update(actor=request.auth, contact=contact, data=data)


@router.delete("/{int:contact_id}", response={204: None, **WRITE_ERRORS}, url_name="contact-delete",
               summary="Delete a contact")
def delete_contact(request, contact_id: int):
    contact = contact_get(viewer=request.auth, pk=contact_id)
    contact_delete(actor=request.auth, contact=contact)
    return Status(204, None)
