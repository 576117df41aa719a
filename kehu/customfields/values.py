"""Custom field values: the ONE validator every writer uses (services, forms,
API, import), their display, and the list filters by key.

Values are stored typed in the record's ``custom`` JSON object: text as a
string, a number as a JSON number (an integer when whole), a date as an ISO
string (``2026-03-01``, so that ranges compare in order), a choice as its
value code. An empty value is no key at all.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.db.models.fields.json import KT, KeyTransform
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from kehu.customfields.models import TEXT_VALUE_MAX, CustomFieldDefinition, Kind

NUMBER_MAX = Decimal("1e15")
NUMBER_PLACES = 6
FILTER_PREFIX = "cf_"


def definitions(record_type: str, *, active: bool | None = True) -> list[CustomFieldDefinition]:
    """The definitions of ``record_type`` in their order (only the active ones by default)."""
    qs = CustomFieldDefinition.objects.filter(record_type=record_type)
    if active is not None:
        qs = qs.filter(active=active)
    return list(qs.order_by("position", "id"))


def request_definitions(request, record_type: str) -> list[CustomFieldDefinition]:
    """:func:`definitions`, read once per request (a list page needs them for its filters,
    its filter form and its rows)."""
    if request is None:
        return definitions(record_type)
    cache = getattr(request, "_custom_field_defs", None)
    if cache is None:
        cache = request._custom_field_defs = {}
    if record_type not in cache:
        cache[record_type] = definitions(record_type)
    return cache[record_type]


def _error_key(key: str) -> str:
    return f"custom.{key}"


def parse_value(defn: CustomFieldDefinition, raw: Any) -> Any:
    """``raw`` (a form's or file's text, or an API's JSON value) as stored for ``defn``;
    ``None`` for empty. Raises ``ValidationError`` with the reason."""
    if raw is None:
        return None
    if isinstance(raw, str):
        if "\x00" in raw:
            raise ValidationError(_("Null characters are not allowed."))
        raw = raw.strip()
        if raw == "":
            return None
    if defn.kind == Kind.TEXT:
        if not isinstance(raw, str):
            raise ValidationError(_("Enter text."))
        if len(raw) > TEXT_VALUE_MAX:
            raise ValidationError(_("Use at most %(max)d characters.") % {"max": TEXT_VALUE_MAX})
        return raw
    if defn.kind == Kind.NUMBER:
        return _number(raw)
    if defn.kind == Kind.DATE:
        return _date(raw)
    if defn.kind == Kind.CHOICE:
        if not isinstance(raw, str):
            raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": _choice_list(defn)})
        for c in defn.choices or []:
            if raw in (c.get("value"), c.get("label_zh"), c.get("label_en")):
                return c["value"]
        raise ValidationError(_("Choose one of: %(choices)s.") % {"choices": _choice_list(defn)})
    raise ValidationError(_("Unknown field kind."))


def _choice_list(defn) -> str:
    return ", ".join(c.get("value", "") for c in defn.choices or [])


def _number(raw: Any) -> int | float:
    if isinstance(raw, bool):
        raise ValidationError(_("Enter a number."))
    try:
        value = Decimal(str(raw).replace(",", "").replace("，", "")) if not isinstance(raw, Decimal) else raw
    except (InvalidOperation, ValueError):
        raise ValidationError(_("Enter a number.")) from None
    if not value.is_finite():
        raise ValidationError(_("Enter a number."))
    if abs(value) >= NUMBER_MAX:
        raise ValidationError(_("This number is too large."))
    if value.as_tuple().exponent < -NUMBER_PLACES and value != value.quantize(Decimal(1).scaleb(-NUMBER_PLACES)):
        raise ValidationError(_("Use at most %(places)s decimal places.") % {"places": NUMBER_PLACES})
    if value == value.to_integral_value():
        return int(value)
    return float(value)


_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[T ].*)?$|^(\d{4})(\d{2})(\d{2})$")


def _date(raw: Any) -> str:
    """A date as ISO text, from a date, ``2024-03-01``, ``2024/3/1``, ``2024年3月1日`` or ``20240301``."""
    if isinstance(raw, dt.datetime):
        raw = raw.date()
    if isinstance(raw, dt.date):
        return raw.isoformat()
    if isinstance(raw, str):
        m = _DATE.match(raw.strip())
        if m:
            y, mo, d = (int(g) for g in (m.groups()[:3] if m.group(1) else m.groups()[3:]))
            try:
                return dt.date(y, mo, d).isoformat()
            except ValueError:
                pass
    raise ValidationError(_("Enter a valid date (YYYY-MM-DD)."))


def clean_custom_values(record_type: str, data: Any, *, current: Mapping | None = None, partial: bool = False,
                        defs: Iterable[CustomFieldDefinition] | None = None,
                        check_required: bool = True) -> dict:
    """The record's new ``custom`` object from ``data`` (key → raw value).

    ``partial`` (an API PATCH): the keys sent change, the others stay. Not
    partial (a form, a full write): the active fields take the values sent
    (a field left out is emptied); values of inactive fields are kept as they
    were. A required active field must end up with a value. Errors are field
    errors named ``custom.<key>``, all at once.
    """
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ValidationError({"custom": [_("Send a JSON object.")]})
    active = {d.key: d for d in (defs if defs is not None else definitions(record_type))}
    current = dict(current or {})
    out = current if partial else {k: v for k, v in current.items() if k not in active}
    errors: dict[str, list[str]] = {}
    for key, raw in data.items():
        defn = active.get(key)
        if defn is None:
            errors[_error_key(str(key)[:60])] = [_("Unknown custom field.")]
            continue
        try:
            value = parse_value(defn, raw)
        except ValidationError as exc:
            errors[_error_key(key)] = list(exc.messages)
            continue
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    if check_required:
        for key, defn in active.items():
            if defn.required and key not in out and _error_key(key) not in errors:
                errors[_error_key(key)] = [_("This field is required.")]
    if errors:
        raise ValidationError(errors)
    return out


def display_value(defn: CustomFieldDefinition, value: Any) -> str:
    """A stored value as the user reads it, in their language's formats."""
    if value is None or value == "":
        return ""
    if defn.kind == Kind.CHOICE:
        return defn.choice_label(value)
    if defn.kind == Kind.DATE:
        try:
            return date_format(dt.date.fromisoformat(value), "DATE_FORMAT")
        except (TypeError, ValueError):
            return str(value)
    if defn.kind == Kind.NUMBER:
        try:
            return number_format(Decimal(str(value)), use_l10n=True, force_grouping=True)
        except (InvalidOperation, ValueError):
            return str(value)
    return str(value)


def display_rows(record, defs: Iterable[CustomFieldDefinition]) -> list[tuple[CustomFieldDefinition, str]]:
    """``[(definition, shown value)]`` of the fields ``record`` holds a value for."""
    custom = getattr(record, "custom", None) or {}
    return [(d, display_value(d, custom[d.key])) for d in defs if custom.get(d.key) not in (None, "")]


def export_value(defn: CustomFieldDefinition, value: Any) -> Any:
    """A stored value for a CSV/xlsx cell: numbers stay numbers, a choice its code."""
    if value is None:
        return ""
    return value


# -- filters ---------------------------------------------------------------------------

@dataclass(frozen=True)
class CustomFilter:
    key: str
    kind: str
    op: str       # "eq", "contains", "min", "max"
    value: Any


def parse_filters(record_type: str, params: Mapping, defs: Iterable[CustomFieldDefinition] | None = None
                  ) -> list[CustomFilter]:
    """The custom field filters of a list's query string: ``cf_<key>=value``
    (text: contains; number, date, choice: equal) and ``cf_<key>__min`` /
    ``cf_<key>__max`` for numbers and dates. Values that do not parse are
    ignored, as the list's other filters ignore an unknown choice."""
    out = []
    for defn in (defs if defs is not None else definitions(record_type)):
        for suffix, op in (("", "eq"), ("__min", "min"), ("__max", "max")):
            if op != "eq" and defn.kind not in (Kind.NUMBER, Kind.DATE):
                continue
            raw = params.get(f"{FILTER_PREFIX}{defn.key}{suffix}")
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            try:
                value = parse_value(defn, str(raw)[:TEXT_VALUE_MAX])
            except ValidationError:
                continue
            if value is None:
                continue
            out.append(CustomFilter(defn.key, defn.kind,
                                    "contains" if (op == "eq" and defn.kind == Kind.TEXT) else op, value))
    return out


def apply_filters(qs, filters: Iterable[CustomFilter], *, field: str = "custom"):
    """``qs`` narrowed by ``filters``; key lookups that run the same on SQLite
    and PostgreSQL (the key is a transform, never parsed from a lookup path)."""
    for i, f in enumerate(filters):
        alias = f"_cf{i}"
        if f.op == "contains":
            qs = qs.alias(**{alias: KT(f"{field}__{f.key}")}).filter(**{f"{alias}__icontains": f.value})
        else:
            # JSON comparisons: numbers as numbers, ISO dates in order as text, choices equal
            lookup = {"eq": "exact", "min": "gte", "max": "lte"}[f.op]
            qs = qs.alias(**{alias: KeyTransform(f.key, field)}).filter(**{f"{alias}__{lookup}": f.value})
    return qs


def filter_query(filters: Iterable[CustomFilter]) -> dict[str, str]:
    """The filters back as query parameters (for links that keep them)."""
    out = {}
    for f in filters:
        suffix = {"eq": "", "contains": "", "min": "__min", "max": "__max"}[f.op]
        out[f"{FILTER_PREFIX}{f.key}{suffix}"] = str(f.value)
    return out


def filter_inputs(record_type: str, params: Mapping, defs=None) -> list[dict]:
    """The custom field filters a list offers, with the values of the query
    string, for ``customfields/_filters.html``."""
    out = []
    for defn in (defs if defs is not None else definitions(record_type)):
        name = FILTER_PREFIX + defn.key
        out.append({"defn": defn, "name": name, "kind": defn.kind, "value": params.get(name, "")[:TEXT_VALUE_MAX],
                    "min": params.get(name + "__min", "")[:40], "max": params.get(name + "__max", "")[:40],
                    "range": defn.kind in (Kind.NUMBER, Kind.DATE), "choices": defn.choice_options()})
    return out


def list_filtered(list_name: str, qs, request):
    """``qs`` (the rows of list ``list_name``) narrowed by the custom field filters of the
    request's query string, and whether any applied."""
    from kehu.customfields.registry import for_list

    rt = for_list(list_name)
    if rt is None:
        return qs, False
    filters = parse_filters(rt.key, request.GET, request_definitions(request, rt.key))
    return apply_filters(qs, filters), bool(filters)
