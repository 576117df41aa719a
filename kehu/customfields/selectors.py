"""Reads of custom field definitions."""

from __future__ import annotations

from django.db.models import QuerySet

from kehu.customfields import registry
from kehu.customfields.models import CustomFieldDefinition


def definition_list(*, record_type: str | None = None, active: bool | None = None) -> QuerySet:
    qs = CustomFieldDefinition.objects.all()
    if record_type:
        qs = qs.filter(record_type=record_type)
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("record_type", "position", "id")


def value_count(definition: CustomFieldDefinition) -> int:
    """How many records hold a value of ``definition`` (all records: the
    administrator deciding on a change must know all of them)."""
    model = registry.get(definition.record_type).model
    return model._default_manager.filter(custom__has_key=definition.key).count()
