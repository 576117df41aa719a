"""Keyset (cursor) pagination for every API list.

``?limit=`` (1–200, default 50) and ``?cursor=`` (opaque, from the previous
answer). The answer is ``{"items": [...], "next_cursor": ..., "prev_cursor": ...}``.

The view returns its queryset already ordered (``.order_by(...)``) by
concrete, non-null columns (``id`` is appended as a tie-breaker when the
ordering does not end in it), or a :class:`Tiered` queryset to be listed
tier by tier (searches). One query fetches ``limit + 1`` rows starting
after the cursor's key, so a page deep in a million rows costs what the
first page costs, and there is never a ``COUNT(*)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, List, Optional

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Schema
from ninja.pagination import PaginationBase

from kehu.pagination import InvalidCursor, Tier, decode_tiered_cursor, tiered_keyset_page

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_INT_MAX = 2**63 - 1


def _invalid_cursor() -> ValidationError:
    return ValidationError({"cursor": [_("This cursor is not valid; start again without one.")]})


def _ordering(queryset: QuerySet) -> list[str]:
    """The queryset's ordering as field names, ending in a unique ``id``."""
    model = queryset.model
    ordering = [str(o) for o in queryset.query.order_by] or list(model._meta.ordering)
    names = []
    for item in ordering:
        name = item.lstrip("-")
        if name == "pk":
            name = model._meta.pk.name
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            raise TypeError(f"cannot page {model.__name__} by {item!r}") from None
        if field.is_relation or field.null:
            raise TypeError(f"cannot page {model.__name__} by {item!r}: use a concrete, non-null column")
        names.append(("-" if item.startswith("-") else "") + name)
    pk = model._meta.pk.name
    if not names or names[-1].lstrip("-") != pk:
        desc = bool(names) and names[-1].startswith("-")
        names.append(("-" if desc else "") + pk)
    return names


def _value_fits(field: models.Field, value: Any) -> bool:
    """Whether a decoded cursor value has the type of the column it is compared to."""
    if isinstance(field, (models.AutoField, models.IntegerField)):
        return isinstance(value, int) and not isinstance(value, bool) and -_INT_MAX <= value <= _INT_MAX
    if isinstance(field, models.DateTimeField):
        return isinstance(value, dt.datetime) and value.tzinfo is not None
    if isinstance(field, models.DateField):
        return isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    if isinstance(field, models.DecimalField):
        return isinstance(value, Decimal) and value.is_finite()
    if isinstance(field, models.FloatField):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < float("inf")
    if isinstance(field, (models.CharField, models.TextField)):
        return isinstance(value, str) and "\x00" not in value
    if isinstance(field, models.BooleanField):
        return isinstance(value, bool)
    return False


def _check_cursor(queryset: QuerySet, tiers: list[Tier], cursor: str) -> None:
    try:
        values, _direction, tier = decode_tiered_cursor(cursor)
    except InvalidCursor:
        raise _invalid_cursor() from None
    if tier >= len(tiers):
        raise _invalid_cursor()
    ordering = tiers[tier].ordering
    if len(values) != len(ordering):
        raise _invalid_cursor()
    for name, value in zip(ordering, values):
        if not _value_fits(queryset.model._meta.get_field(name.lstrip("-")), value):
            raise _invalid_cursor()


@dataclass
class Tiered:
    """What a list endpoint returns to be paged tier by tier (a search:
    :func:`kehu.customers.selectors.customer_listing`) instead of in its
    queryset's ordering. Every tier's ordering ends in ``id``."""

    queryset: QuerySet
    tiers: list[Tier]


class CursorPagination(PaginationBase):
    """django-ninja pagination class over :func:`kehu.pagination.keyset_page`."""

    class Input(Schema):
        limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="Items per page (1–200).")
        cursor: Optional[str] = Field(
            None, max_length=2000,
            description="`next_cursor` or `prev_cursor` of an earlier page; omit for the first page.",
        )

    class Output(Schema):
        items: List[Any]
        next_cursor: Optional[str] = Field(description="Cursor of the next page; null on the last page.")
        prev_cursor: Optional[str] = Field(description="Cursor of the previous page; null on the first page.")

    items_attribute = "items"

    def paginate_queryset(self, queryset, pagination: Input, request, **params: Any) -> Any:
        if isinstance(queryset, Tiered):
            queryset, tiers = queryset.queryset, queryset.tiers
        else:
            tiers = [Tier(Q(), tuple(_ordering(queryset)))]
        if pagination.cursor:
            _check_cursor(queryset, tiers, pagination.cursor)
        page = tiered_keyset_page(queryset, tiers=tiers, cursor=pagination.cursor or None,
                                  page_size=pagination.limit)
        return {"items": page.items, "next_cursor": page.next_cursor, "prev_cursor": page.prev_cursor}
