"""/customers/{id}/personal-data: reveal, export and erasure of one person's data."""

from __future__ import annotations

from typing import Any, Literal, Optional

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, ErrorOut
from kehu.privacy import services

router = Router(tags=["personal data"])


class RevealIn(Schema):
    field: Literal["phone", "email", "id_number"]
    contact_id: Optional[int] = Field(None, description="A contact of the customer; the customer itself when empty.")


class RevealOut(Schema):
    field: str
    value: str


class ExportOut(Schema):
    customer_id: int
    ref: str
    data: dict[str, Any] = Field(description="Profile, tags, anniversaries, contacts, interactions, tasks, orders, "
                                             "survey invitations and answers, consent and its history, audit.")


class EraseIn(Schema):
    reason: str = Field(min_length=1, max_length=services.REASON_MAX, description="Why (for the audit).")
    confirm: str = Field(max_length=40, description="The customer's code, typed again: erasure is irreversible.")


class EraseOut(Schema):
    customer_id: int
    ref: str
    fields: list[str]
    contacts: int
    anniversaries: int
    interactions: int
    tasks: int
    answers: int
    invitations: int
    audit_events: int
    attachments: int = 0


@router.post("/{int:customer_id}/personal-data/reveal", response={200: RevealOut, **WRITE_ERRORS},
             url_name="personal-data-reveal", summary="Reveal one masked value (audited)")
def reveal(request, customer_id: int, payload: RevealIn):
    value = services.personal_data_reveal(actor=request.auth, customer_id=customer_id, field=payload.field,
                                          contact_id=payload.contact_id)
    return {"field": payload.field, "value": value}


@router.get("/{int:customer_id}/personal-data", response={200: ExportOut, 403: ErrorOut, **READ_ERRORS},
            url_name="personal-data-export", summary="Everything Kehu holds about one customer (audited)")
def export(request, customer_id: int):
    customer, data = services.personal_data_collect(actor=request.auth, customer_id=customer_id)
    return {"customer_id": customer.pk, "ref": customer.ref, "data": data}


@router.post("/{int:customer_id}/personal-data/erase", response={200: EraseOut, **WRITE_ERRORS},
             url_name="personal-data-erase", summary="Erase one customer's personal data (irreversible, audited)")
def erase(request, customer_id: int, payload: EraseIn):
    from kehu.org.policies import policy_for

    from django.core.exceptions import PermissionDenied

    policy = policy_for(request.auth)
    customer = policy.get_visible(customer_id)
    if not policy.may_erase_personal_data:
        raise PermissionDenied(_("Only administrators and head-office managers erase personal data."))
    if payload.confirm.strip().upper() != customer.ref.upper():
        raise ValidationError({"confirm": [_("Type the customer code %(ref)s exactly.") % {"ref": customer.ref}]})
    result = services.customer_erase(actor=request.auth, customer_id=customer.pk, reason=payload.reason)
    return {"customer_id": customer.pk, "ref": customer.ref, **result.as_dict()}
