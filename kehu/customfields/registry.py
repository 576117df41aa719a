"""The record types that carry custom fields.

A record type is a model with a ``custom`` JSONField (default ``dict``) whose
rows hang off a customer, so the visibility policy decides who sees their
values. A later record type (service cases, opportunities) adds itself with
one :func:`register` line here, plus the ``custom`` field on its model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils.translation import gettext_lazy


@dataclass(frozen=True)
class RecordType:
    key: str
    model_label: str          # "customers.Customer"
    label: Any                # translated, plural ("Customers")
    customer_prefix: str      # how the policy reaches the customer ("" for the customer itself)
    list_name: str = ""       # the list (kehu.web.lists) that filters by these fields

    @property
    def model(self):
        return apps.get_model(self.model_label)


RECORD_TYPES: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    RECORD_TYPES[record_type.key] = record_type
    return record_type


def get(key: str) -> RecordType:
    return RECORD_TYPES[key]


def for_list(list_name: str) -> RecordType | None:
    """The record type a list (kehu.web.lists) shows, if it carries custom fields."""
    return next((rt for rt in RECORD_TYPES.values() if rt.list_name == list_name), None)


def choices() -> list[tuple[str, Any]]:
    return [(rt.key, rt.label) for rt in RECORD_TYPES.values()]


register(RecordType("customer", "customers.Customer", gettext_lazy("Customers"), "", "customers"))
register(RecordType("order", "sales.Order", gettext_lazy("Orders"), "customer__", "orders"))
register(RecordType("interaction", "engagement.Interaction", gettext_lazy("Interactions"), "customer__",
                    "interactions"))
