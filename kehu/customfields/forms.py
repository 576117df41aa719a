"""Custom fields in the records' forms, and the administrators' definition form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kehu.customfields import registry
from kehu.customfields.models import KEY_MAX, TEXT_VALUE_MAX, CustomFieldDefinition, Kind
from kehu.customfields.values import definitions

PREFIX = "cf_"


def form_field(defn: CustomFieldDefinition) -> forms.Field:
    """The input of one custom field. Values are parsed by the one validator
    (:func:`kehu.customfields.values.clean_custom_values`) in the service, so
    every field here is text; only the widget differs."""
    common = dict(label=defn.label, required=defn.required, help_text=defn.help_text)
    if defn.kind == Kind.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + defn.choice_options(), **common)
    if defn.kind == Kind.NUMBER:
        return forms.CharField(max_length=40, widget=forms.NumberInput(attrs={"step": "any"}), **common)
    if defn.kind == Kind.DATE:
        return forms.CharField(max_length=10, widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.CharField(max_length=TEXT_VALUE_MAX, **common)


def attach(form: forms.BaseForm, record_type: str, instance=None) -> list[CustomFieldDefinition]:
    """Add the active custom fields of ``record_type`` to ``form`` (``cf_<key>``),
    filled from ``instance.custom``."""
    defs = definitions(record_type)
    custom = (getattr(instance, "custom", None) or {}) if instance is not None else {}
    for defn in defs:
        field = form_field(defn)
        value = custom.get(defn.key)
        if value is not None:
            field.initial = str(value)
        form.fields[PREFIX + defn.key] = field
    form.custom_defs = defs
    return defs


def values(form: forms.BaseForm) -> dict:
    """The custom fields' raw values of a valid form, by key."""
    return {d.key: form.cleaned_data.get(PREFIX + d.key, "") for d in getattr(form, "custom_defs", [])}


def changed(form: forms.BaseForm) -> bool:
    return any(PREFIX + d.key in form.changed_data for d in getattr(form, "custom_defs", []))


def field_name(error_key: str) -> str:
    """``custom.<key>`` (a service's error) → the form's ``cf_<key>``."""
    return PREFIX + error_key[len("custom."):] if error_key.startswith("custom.") else error_key


def choices_text(choices: list[dict]) -> str:
    return "\n".join(" | ".join((c["value"], c.get("label_zh", ""), c.get("label_en", ""))) for c in choices or [])


def parse_choices_text(text: str) -> list[dict]:
    out = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in line.replace("｜", "|").split("|")]
        if not parts or not parts[0]:
            continue
        out.append({"value": parts[0], "label_zh": parts[1] if len(parts) > 1 else "",
                    "label_en": parts[2] if len(parts) > 2 else ""})
    return out


class DefinitionForm(forms.Form):
    record_type = forms.ChoiceField(label=_("Record type"), choices=registry.choices)
    key = forms.CharField(label=_("Key"), max_length=KEY_MAX, help_text=_(
        "Lower-case letters, digits and single underscores, for example credit_days. Imports, exports and the API "
        "use it; it cannot be changed later."))
    label_zh = forms.CharField(label=_("Label (Chinese)"), max_length=60)
    label_en = forms.CharField(label=_("Label (English)"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    choices = forms.CharField(
        label=_("Choices"), required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("For a choice field: one choice a line, as value | 中文 | English (the labels are optional)."))
    required = forms.BooleanField(label=_("Required"), required=False)
    help_text = forms.CharField(label=_("Help text"), max_length=200, required=False)
    position = forms.IntegerField(label=pgettext_lazy("position", "Order"), min_value=0, max_value=10000, initial=0)

    def __init__(self, *args, definition: CustomFieldDefinition | None = None, **kwargs):
        if definition is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "record_type": definition.record_type, "key": definition.key, "label_zh": definition.label_zh,
                "label_en": definition.label_en, "kind": definition.kind,
                "choices": choices_text(definition.choices), "required": definition.required,
                "help_text": definition.help_text, "position": definition.position}
        super().__init__(*args, **kwargs)
        if definition is not None:
            for name in ("record_type", "key"):
                self.fields[name].disabled = True
            self.fields["key"].help_text = _("The key cannot be changed.")

    def service_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["choices"] = parse_choices_text(data.get("choices", ""))
        return data
