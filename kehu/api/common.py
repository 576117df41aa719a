"""Pieces every API router shares: the error schema, money and choice types,
partial-update schemas and the mapping of service field names to API names."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import types
from decimal import Decimal
from typing import Annotated, Any, Literal, Optional, Union, get_args, get_origin

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, PlainSerializer, WithJsonSchema, create_model
from pydantic_core import PydanticCustomError


class ErrorBody(Schema):
    code: str = Field(description="Machine-readable: validation_error, not_found, forbidden, unauthorized, ...")
    message: str = Field(description="Human-readable, in the user's language.")
    fields: Optional[dict[str, list[str]]] = Field(None, description="Field errors, by field name.")


class ErrorOut(Schema):
    error: ErrorBody


# The error answers every endpoint may give (documented in the OpenAPI). 400 (a NUL
# character, a body that is not JSON), 413 (a body too large) and 414 (a URL too long)
# can come from kehu.web.request_guard before any endpoint runs.
READ_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 414: ErrorOut, 422: ErrorOut}
WRITE_ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 413: ErrorOut, 414: ErrorOut,
                422: ErrorOut}


def _no_offset(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise PydanticCustomError("time_offset", _("Give the time of day without a UTC offset (HH:MM or HH:MM:SS), "
                                                   "in the company's time zone."))
    return value


# A time of day as people plan it (a visit at 14:30), in the company's time zone: "14:30:00+08:00"
# is refused (422), not stored as an instant the databases cannot keep in a time column.
LocalTime = Annotated[dt.time, AfterValidator(_no_offset)]

CENT = Decimal("0.01")
MILLI = Decimal("0.001")


def _money_str(value) -> str:
    return str(Decimal(str(value)).quantize(CENT))


def _quantity_str(value) -> str:
    return str(Decimal(str(value)).quantize(MILLI))


# Money travels as a decimal string ("1234.50"): no float rounding on either side.
Money = Annotated[
    Decimal,
    Field(max_digits=16, decimal_places=2),
    PlainSerializer(_money_str, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "format": "decimal", "pattern": r"^-?\d+(\.\d{1,2})?$",
                    "examples": ["1234.50"]}, mode="serialization"),
]
Quantity = Annotated[
    Decimal,
    Field(max_digits=14, decimal_places=3),
    PlainSerializer(_quantity_str, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["2.500"]}, mode="serialization"),
]
Percent = Annotated[
    Decimal,
    Field(max_digits=5, decimal_places=2, ge=0, le=100),
    PlainSerializer(_money_str, return_type=str, when_used="always"),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["35.00"]}, mode="serialization"),
]


def cost_shown(context, value):
    """``value`` (the company's cost, or a margin computed from it) as the API caller
    (``context["request"].auth``) may see it: ``None`` for one who may not (a partner
    user, :attr:`kehu.org.policies.CustomerPolicy.may_see_cost`)."""
    from kehu.org.policies import policy_for

    request = (context or {}).get("request")
    viewer = getattr(request, "auth", None) or getattr(request, "user", None)
    return value if policy_for(viewer).may_see_cost else None


def blankable(choices) -> Any:
    """The values of a TextChoices enum, or blank (``""``) as the model allows."""
    return Literal[tuple(choices.values) + ("",)]


def _refuse_null(value):
    if value is None:
        raise PydanticCustomError("null_forbidden", "This field cannot be null.")
    return value


def _drop_default(schema: dict) -> None:
    # A PATCH field that is left out is left alone: it has no default, and null is not a value.
    schema.pop("default", None)


def partial_schema(schema: type[Schema], name: str, *, exclude: tuple[str, ...] = ()) -> type[Schema]:
    """The PATCH form of ``schema``: every field optional; only the fields sent
    are changed. The field's constraints (lengths, bounds) are kept. ``null``
    is accepted only where ``schema`` accepts it: elsewhere it is a 422 ("This
    field cannot be null"), and the published schema does not allow it."""
    fields = {}
    nullable = set()
    for fname, info in schema.model_fields.items():
        if fname in exclude:
            continue
        ann = info.annotation
        metadata = tuple(info.metadata)
        desc = info.description
        if _allows_none(ann):
            nullable.add(fname)
            full = Annotated[(ann, *metadata)] if metadata else ann
            fields[fname] = (full, Field(None, description=desc))
        else:
            full = Annotated[(ann, *metadata, BeforeValidator(_refuse_null))]
            fields[fname] = (full, Field(None, description=desc, json_schema_extra=_drop_default))
    model = create_model(name, __base__=Schema, **fields)
    model.__nullable__ = frozenset(nullable)
    return model


def _allows_none(ann) -> bool:
    if ann is None or ann is type(None):
        return True
    origin = get_origin(ann)
    if origin is Annotated:
        return _allows_none(get_args(ann)[0])
    if origin in (Union, types.UnionType):
        return any(_allows_none(a) for a in get_args(ann))
    return False


def sent_fields(payload: Schema) -> dict[str, Any]:
    """The fields the client sent (PATCH semantics), with explicit ``null``
    refused where the field may not be empty."""
    data = payload.model_dump(exclude_unset=True)
    nullable = getattr(type(payload), "__nullable__", None)
    if nullable is not None:
        bad = {k: [_("This field cannot be null.")] for k, v in data.items() if v is None and k not in nullable}
        if bad:
            raise ValidationError(bad)
    return data


_LINE_KEY = re.compile(r"^lines\.(\d+)\.(.+)$")


@contextlib.contextmanager
def api_field_names(mapping: dict[str, str]):
    """Re-raise service ``ValidationError``s with the API's field names
    (``owner`` → ``owner_id``; order lines numbered from 0 as in the body)."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        renamed = {}
        for key, errors in exc.error_dict.items():
            m = _LINE_KEY.match(key)
            if m:
                key = f"lines.{int(m.group(1)) - 1}.{mapping.get(m.group(2), m.group(2))}"
            else:
                key = mapping.get(key, key)
            renamed.setdefault(key, []).extend(errors)
        raise ValidationError(renamed) from None


def not_found_field(field: str) -> ValidationError:
    return ValidationError({field: [_("No such record, or you may not see it.")]})
