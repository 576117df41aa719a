"""/interactions: logged touch points with their summaries (联系纪要)."""

import datetime as dt
from typing import Optional

from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, api_field_names, not_found_field, partial_schema, sent_fields,
)
from kehu.customfields.values import apply_filters, parse_filters
from kehu.customfields.api import CUSTOM_DESCRIPTION, CustomValuesIn, CustomValuesOut, custom_in_field
from kehu.api.pagination import CursorPagination
from kehu.customers.selectors import contact_list, customer_get
from kehu.engagement.models import Channel, Direction
from kehu.engagement.selectors import interaction_get, interaction_list
from kehu.engagement.services import interaction_delete, interaction_log, interaction_update
from kehu.validators import SUMMARY_MAX

router = Router(tags=["interactions"])


class InteractionOut(Schema):
    id: int
    customer_id: int
    contact_id: Optional[int]
    channel: Channel
    direction: Direction
    occurred_at: dt.datetime
    user_id: Optional[int] = Field(description="Who logged it.")
    participants: str
    subject: str
    summary: str
    next_step: str
    next_step_on: Optional[dt.date]
    custom: CustomValuesOut = Field(description=CUSTOM_DESCRIPTION)
    created_at: dt.datetime
    updated_at: dt.datetime


class InteractionFields(Schema):
    channel: Channel
    summary: str = Field(min_length=1, max_length=SUMMARY_MAX)
    direction: Direction = Direction.OUTBOUND
    occurred_at: Optional[dt.datetime] = Field(None, description="Defaults to now.")
    contact_id: Optional[int] = Field(None, description="A contact at the same customer.")
    participants: str = Field("", max_length=300)
    subject: str = Field("", max_length=200)
    next_step: str = Field("", max_length=300)
    next_step_on: Optional[dt.date] = None
    custom: CustomValuesIn = custom_in_field()


class InteractionIn(InteractionFields):
    customer_id: int


InteractionPatchIn = partial_schema(InteractionFields, "InteractionPatchIn")


class InteractionFilterIn(Schema):
    customer_id: Optional[int] = None
    channel: Optional[Channel] = None


def _service_data(request, data: dict) -> dict:
    if "contact_id" in data:
        contact_id = data.pop("contact_id")
        contact = None
        if contact_id is not None:
            contact = contact_list(viewer=request.auth).filter(pk=contact_id).first()
            if contact is None:
                raise not_found_field("contact_id")
        data["contact"] = contact
    if "occurred_at" in data and data["occurred_at"] is None:
        del data["occurred_at"]
    return data


@router.get("", response={200: list[InteractionOut], **READ_ERRORS}, url_name="interaction-list",
            summary="List interactions, newest first",
            description="Custom fields filter too: `cf_<key>=value`, `cf_<key>__min`, `cf_<key>__max`.")
@paginate(CursorPagination)
def list_interactions(request, filters: Query[InteractionFilterIn]):
    qs = interaction_list(viewer=request.auth, customer_id=filters.customer_id, channel=filters.channel or "")
    qs = apply_filters(qs, parse_filters("interaction", request.GET))
    return qs.order_by("-occurred_at", "-id")


@router.post("", response={201: InteractionOut, **WRITE_ERRORS}, url_name="interaction-create",
             summary="Log an interaction")
def create_interaction(request, payload: InteractionIn):
    data = payload.model_dump(exclude_unset=True)
    customer = customer_get(viewer=request.auth, pk=data.pop("customer_id"))
    data = _service_data(request, data)
    with api_field_names({"contact": "contact_id"}):
        interaction = interaction_log(actor=request.auth, customer=customer, data=data)
    return Status(201, interaction_get(viewer=request.auth, pk=interaction.pk))


@router.get("/{int:interaction_id}", response={200: InteractionOut, **READ_ERRORS},
            url_name="interaction-detail", summary="Get an interaction")
def get_interaction(request, interaction_id: int):
    return interaction_get(viewer=request.auth, pk=interaction_id)


@router.patch("/{int:interaction_id}", response={200: InteractionOut, **WRITE_ERRORS},
              url_name="interaction-update", summary="Change some fields of an interaction")
def update_interaction(request, interaction_id: int, payload: InteractionPatchIn):
    interaction = interaction_get(viewer=request.auth, pk=interaction_id)
    data = _service_data(request, sent_fields(payload))
    with api_field_names({"contact": "contact_id"}):
        interaction_update(actor=request.auth, interaction=interaction, data=data, custom_partial=True)
    return interaction_get(viewer=request.auth, pk=interaction_id)


@router.delete("/{int:interaction_id}", response={204: None, **WRITE_ERRORS}, url_name="interaction-delete",
               summary="Delete an interaction")
def delete_interaction(request, interaction_id: int):
    interaction = interaction_get(viewer=request.auth, pk=interaction_id)
    interaction_delete(actor=request.auth, interaction=interaction)
    return Status(204, None)
