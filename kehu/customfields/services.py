"""Writes to custom field definitions: administrators only, atomic, validated, audited."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.audit.services import audit_record, diff, snapshot
from kehu.customfields import registry
from kehu.customfields.models import CHOICES_MAX, KEY_PATTERN, CustomFieldDefinition, Kind
from kehu.customfields.selectors import value_count
from kehu.org.policies import policy_for

DEFINITION_FIELDS = {"record_type", "key", "label_zh", "label_en", "kind", "choices", "required", "help_text",
                     "position", "active"}
CHANGEABLE_FIELDS = DEFINITION_FIELDS - {"record_type", "key"}
CHOICE_VALUE = re.compile(r"^[^\x00]{1,60}$")


def _require_admin(actor) -> None:
    if not policy_for(actor).is_admin:
        raise PermissionDenied(_("Only administrators may manage custom fields."))


def clean_choices(raw: Any) -> list[dict]:
    """Choices as ``[{value, label_zh, label_en}]`` from a list of such objects
    or of plain strings; each value once."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list):
        raise ValidationError({"choices": [_("Give the choices as a list.")]})
    if len(raw) > CHOICES_MAX:
        raise ValidationError({"choices": [_("Give at most %(max)d choices.") % {"max": CHOICES_MAX}]})
    out, seen = [], set()
    for item in raw:
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict):
            raise ValidationError({"choices": [_("Each choice is a text or an object with value, label_zh and "
                                                 "label_en.")]})
        value = str(item.get("value") or "").strip()
        zh = str(item.get("label_zh") or "").strip()[:60]
        en = str(item.get("label_en") or "").strip()[:60]
        if not value or not CHOICE_VALUE.match(value) or "\x00" in zh + en:
            raise ValidationError({"choices": [_("Each choice needs a value of at most 60 characters.")]})
        if value in seen:
            raise ValidationError({"choices": [_("The choice “%(value)s” is listed twice.") % {"value": value}]})
        seen.add(value)
        out.append({"value": value, "label_zh": zh or value, "label_en": en or value})
    return out


def _validate(defn: CustomFieldDefinition) -> None:
    defn.label_zh = (defn.label_zh or "").strip()
    defn.label_en = (defn.label_en or "").strip()
    defn.help_text = (defn.help_text or "").strip()
    if defn.record_type not in registry.RECORD_TYPES:
        raise ValidationError({"record_type": [_("Choose a record type.")]})
    if not re.match(KEY_PATTERN, defn.key or ""):
        raise ValidationError({"key": [_("Use lower-case letters, digits and single underscores, starting with a "
                                         "letter (for example credit_days).")]})
    defn.choices = clean_choices(defn.choices)
    if defn.kind == Kind.CHOICE and not defn.choices:
        raise ValidationError({"choices": [_("A choice field needs at least one choice.")]})
    if defn.kind != Kind.CHOICE and defn.choices:
        raise ValidationError({"choices": [_("Only a choice field has choices.")]})
    defn.full_clean()


def definition_create(*, actor, data: dict[str, Any]) -> CustomFieldDefinition:
    """Define a custom field. ``data``: record_type, key, label_zh, label_en,
    kind, choices, required, help_text, position, active."""
    _require_admin(actor)
    unknown = set(data) - DEFINITION_FIELDS
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    defn = CustomFieldDefinition(**data)
    defn.key = (defn.key or "").strip()
    with transaction.atomic():
        if CustomFieldDefinition.objects.filter(record_type=defn.record_type, key=defn.key).exists():
            raise ValidationError({"key": [_("This record type already has a field with this key.")]})
        _validate(defn)
        defn.save()
        audit_record(actor=actor, action="create", instance=defn, changes=snapshot(defn), summary=defn.key)
    return defn


def definition_update(*, actor, definition: CustomFieldDefinition, data: dict[str, Any]) -> CustomFieldDefinition:
    """Change a definition. The key and record type never change; the kind
    changes only while no record holds a value; a choice still in use cannot
    be removed."""
    _require_admin(actor)
    unknown = set(data) - DEFINITION_FIELDS
    if unknown:
        raise ValidationError({k: [_("Unknown field.")] for k in unknown})
    errors = {}
    for name in ("record_type", "key"):
        if name in data and data[name] != getattr(definition, name):
            errors[name] = [_("This cannot be changed; define a new field instead.")]
    if errors:
        raise ValidationError(errors)
    before = snapshot(definition)
    old_kind, old_values = definition.kind, {c["value"] for c in definition.choices or []}
    for name, value in data.items():
        setattr(definition, name, value)
    with transaction.atomic():
        if definition.kind != old_kind:
            held = value_count(definition)
            if held:
                raise ValidationError({"kind": [_(
                    "%(count)d records hold a value of this field: its kind cannot change. Define a new field "
                    "instead.") % {"count": held}]})
        _validate(definition)
        if definition.kind == Kind.CHOICE and old_kind == Kind.CHOICE:
            removed = old_values - {c["value"] for c in definition.choices}
            model = registry.get(definition.record_type).model
            for value in sorted(removed):
                if model._default_manager.filter(**{f"custom__{definition.key}": value}).exists():
                    raise ValidationError({"choices": [_(
                        "Records still hold the choice “%(value)s”; change them before removing it.") % {
                        "value": value}]})
        definition.save()
        changes = diff(before, snapshot(definition))
        if changes:
            audit_record(actor=actor, action="update", instance=definition, changes=changes, summary=definition.key)
    return definition


def definition_deactivate(*, actor, definition: CustomFieldDefinition) -> CustomFieldDefinition:
    """Hide a field from forms, lists and imports; the values stay stored."""
    return definition_update(actor=actor, definition=definition, data={"active": False})


def definition_delete(*, actor, definition: CustomFieldDefinition) -> int:
    """Delete a definition and the values records hold for it; returns how many
    records lost a value."""
    _require_admin(actor)
    model = registry.get(definition.record_type).model
    key = definition.key
    with transaction.atomic():
        cleared = 0
        holders = model._default_manager.filter(custom__has_key=key).only("pk", "custom")
        for record in holders.iterator(chunk_size=500):
            custom = dict(record.custom or {})
            custom.pop(key, None)
            model._default_manager.filter(pk=record.pk).update(custom=custom)
            cleared += 1
        audit_record(actor=actor, action="delete", instance=definition,
                     changes={**snapshot(definition), "values_cleared": cleared}, summary=key)
        definition.delete()
    return cleared
