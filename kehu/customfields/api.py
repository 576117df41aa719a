"""/custom-fields: the definitions (administrators change them, everyone reads
those of the record types they work with); ``CustomValuesIn``/``CustomValuesOut``,
the ``custom`` object of the records' schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, Optional, Union

from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, partial_schema, sent_fields
from kehu.customfields import registry
from kehu.customfields.models import KEY_MAX, CustomFieldDefinition, Kind
from kehu.customfields.selectors import definition_list, value_count
from kehu.customfields.services import definition_create, definition_delete, definition_update

router = Router(tags=["custom fields"])

RecordTypeName = Literal[tuple(registry.RECORD_TYPES)]  # type: ignore[valid-type]

CUSTOM_DESCRIPTION = (
    "Custom field values by key (GET /api/v1/custom-fields): text as a string, a number as a number, a date as "
    "YYYY-MM-DD, a choice as its value. On PATCH only the keys sent change; null or \"\" empties a field. An "
    "invalid value is a 422 naming `custom.<key>`.")

CustomValuesIn = dict[str, Union[int, float, str, None]]
CustomValuesOut = dict[str, Any]


def custom_in_field():
    return Field(default_factory=dict, description=CUSTOM_DESCRIPTION, max_length=200)


class ChoiceSchema(Schema):
    value: str = Field(min_length=1, max_length=60)
    label_zh: str = Field("", max_length=60)
    label_en: str = Field("", max_length=60)


class DefinitionOut(Schema):
    id: int
    record_type: str
    key: str
    label_zh: str
    label_en: str
    kind: Kind
    choices: list[ChoiceSchema]
    required: bool
    help_text: str
    position: int
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class DefinitionDetailOut(DefinitionOut):
    value_count: int = Field(description="How many records hold a value of this field.")

    @staticmethod
    def resolve_value_count(obj) -> int:
        return value_count(obj)


class DefinitionChange(Schema):
    label_zh: str = Field(min_length=1, max_length=60)
    label_en: str = Field(min_length=1, max_length=60)
    kind: Kind = Kind.TEXT
    choices: list[ChoiceSchema] = Field(default_factory=list, max_length=100)
    required: bool = False
    help_text: str = Field("", max_length=200)
    position: int = Field(0, ge=0, le=10000)
    active: bool = True


class DefinitionIn(DefinitionChange):
    record_type: RecordTypeName
    key: str = Field(min_length=1, max_length=KEY_MAX, description="Lower-case letters, digits and single "
                                                                   "underscores; fixed once created.")


DefinitionPatchIn = partial_schema(DefinitionChange, "CustomFieldPatchIn")


class DefinitionFilterIn(Schema):
    record_type: Optional[RecordTypeName] = None
    active: Optional[bool] = None


def _get(pk: int) -> CustomFieldDefinition:
    return get_object_or_404(CustomFieldDefinition, pk=pk)


@router.get("", response={200: list[DefinitionOut], **READ_ERRORS}, url_name="custom-field-list",
            summary="List custom field definitions")
def list_definitions(request, filters: Query[DefinitionFilterIn]):
    # Definitions are not customer data: every signed-in user works with the
    # same forms, lists and imports, so everyone may read them.
    return list(definition_list(record_type=filters.record_type, active=filters.active))


@router.post("", response={201: DefinitionDetailOut, **WRITE_ERRORS}, url_name="custom-field-create",
             summary="Define a custom field (administrators)")
def create_definition(request, payload: DefinitionIn):
    defn = definition_create(actor=request.auth, data=payload.model_dump())
    return Status(201, defn)


@router.get("/{int:field_id}", response={200: DefinitionDetailOut, **READ_ERRORS}, url_name="custom-field-detail",
            summary="Get a custom field definition")
def get_definition(request, field_id: int):
    return _get(field_id)


@router.patch("/{int:field_id}", response={200: DefinitionDetailOut, **WRITE_ERRORS},
              url_name="custom-field-update", summary="Change a custom field (administrators)")
def update_definition(request, field_id: int, payload: DefinitionPatchIn):
    defn = _get(field_id)
    return definition_update(actor=request.auth, definition=defn, data=sent_fields(payload))


@router.delete("/{int:field_id}", response={204: None, **WRITE_ERRORS}, url_name="custom-field-delete",
               summary="Delete a custom field and its values (administrators)")
def delete_definition(request, field_id: int):
    definition_delete(actor=request.auth, definition=_get(field_id))
    return Status(204, None)
