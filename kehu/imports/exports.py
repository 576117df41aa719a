"""Exporting customers and orders to CSV and .xlsx with the canonical import headers.

What a viewer exports is what the customer list shows them (phone, e-mail and
ID number masked where the list masks them): the rows come
from :func:`kehu.customers.selectors.customer_list` (the visibility policy
plus the list's filters), orders from the policy over order lines. Files are
produced row by row (``.iterator(chunk_size=2000)``): CSV streams straight
into the HTTP response or the file; .xlsx uses openpyxl's write-only mode.

CSV is UTF-8 with a byte-order mark so that Excel opens Chinese text
correctly, and the file imports again unchanged (same codes, same values).
The writers are the shared ones of :mod:`kehu.exports.writers` (formula
injection neutralised); every export is audited (:mod:`kehu.exports.audit`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterator

from django.db.models import F, Prefetch

from kehu.customers.models import Customer, Tag
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.exports.audit import audited_rows, export_audit_start
from kehu.exports.writers import write_csv, write_xlsx
from kehu.imports.columns import CUSTOMER_COLUMNS, ORDER_COLUMNS
from kehu.org.policies import policy_for
from kehu.privacy.masking import CUSTOMER_FIELDS, shown
from kehu.sales.models import OrderLine

CHUNK = 2000

CUSTOMER_HEADERS = [c.field for c in CUSTOMER_COLUMNS]
ORDER_HEADERS = [c.field for c in ORDER_COLUMNS]


def _cell(value) -> str | int | float | Decimal:
    """A value as the importer reads it back: yes/no, ISO dates; amounts stay
    ``Decimal`` (numbers, not text, in both formats)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _custom_keys(record_type: str) -> list[str]:
    """The active custom fields' keys: their columns follow the built-in ones (the key is the
    header, so the file imports again)."""
    from kehu.customfields.values import definitions

    return [d.key for d in definitions(record_type)]


def _custom_cells(record, keys: list[str]) -> list:
    custom = record.custom or {}
    return [_cell(custom.get(k)) for k in keys]


def customer_rows(*, viewer, filters: CustomerFilters | None = None) -> Iterator[list]:
    """The header, then one row per customer the viewer may see, in code order."""
    keys = _custom_keys("customer")
    yield CUSTOMER_HEADERS + keys
    qs = (customer_list(viewer=viewer, filters=filters).select_related("owner", "partner")
          .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
          .order_by("ref", "id"))
    getters = []
    for header in CUSTOMER_HEADERS:
        if header == "type":
            getters.append(lambda c: c.kind)
        elif header == "owner":
            getters.append(lambda c: c.owner.username if c.owner_id else "")
        elif header == "partner":
            getters.append(lambda c: c.partner.code if c.partner_id else "")
        elif header == "tags":
            getters.append(lambda c: ",".join(sorted(t.name for t in c.tags.all())))
        elif header in CUSTOMER_FIELDS:
            # personal data as the viewer may see it (kehu.org.policies, kehu.privacy.masking)
            getters.append(lambda c, h=header: shown(viewer=viewer, customer=c, field=h, value=getattr(c, h)))
        else:
            getters.append(lambda c, h=header: getattr(c, h))
    for customer in qs.iterator(chunk_size=CHUNK):
        yield [_cell(g(customer)) for g in getters] + _custom_cells(customer, keys)


def order_line_queryset(*, viewer, date_from=None, date_to=None, customer_id=None, ids=()):
    qs = policy_for(viewer).visible(OrderLine.objects.all(), prefix="order__customer__")
    if ids:
        qs = qs.filter(order_id__in=ids)  # a list's selection: only those the viewer may see
    if date_from:
        qs = qs.filter(order__order_date__gte=date_from)
    if date_to:
        qs = qs.filter(order__order_date__lte=date_to)
    if customer_id:
        qs = qs.filter(order__customer_id=customer_id)
    return qs.select_related("order", "order__customer", "product").order_by("order__ref", "id")


# Each order header's column, read as plain values (no model instances: a row costs a few
# microseconds, so the demo's 76,000 lines stream in seconds, not a minute).
ORDER_VALUE_FIELDS = {
    "customer_ref": "order__customer__ref", "customer_name": "order__customer__name", "order_ref": "order__ref",
    "order_date": "order__order_date", "amount": "amount", "product_ref": "product__ref",
    "description": "description", "serial_number": "serial_number", "quantity": "quantity", "cost": "cost",
    "status": "order__status", "currency": "order__currency", "payment_due_on": "order__payment_due_on",
    "remarks": "order__remarks", "partner": "order__partner__code", "partner_margin_pct": "order__partner_margin_pct",
}


def order_rows(*, viewer, date_from=None, date_to=None, customer_id=None, ids=()) -> Iterator[list]:
    """The header, then one row per order line of the orders the viewer may
    see (of ``ids`` only, when given: a list's selection). No ``cost`` column for a
    viewer who may not see the company's cost (a partner user: ``policy.may_see_cost``)."""
    keys = _custom_keys("order")
    headers = ORDER_HEADERS if policy_for(viewer).may_see_cost else [h for h in ORDER_HEADERS if h != "cost"]
    yield headers + keys
    qs = order_line_queryset(viewer=viewer, date_from=date_from, date_to=date_to, customer_id=customer_id, ids=ids)
    fields = [ORDER_VALUE_FIELDS[h] for h in headers]
    if keys:
        for values in qs.values_list(*fields, "order__custom").iterator(chunk_size=CHUNK):
            custom = values[-1] or {}
            yield [_cell(v) for v in values[:-1]] + [_cell(custom.get(k)) for k in keys]
    else:
        for values in qs.values_list(*fields).iterator(chunk_size=CHUNK):
            yield [_cell(v) for v in values]


INTERACTION_HEADERS = ["occurred_at", "customer_ref", "customer_name", "contact", "channel", "subject", "summary",
                       "logged_by", "next_step", "next_step_on"]
TASK_HEADERS = ["title", "description", "customer_ref", "customer_name", "partner_code", "due_on", "status", "source",
                "assigned_to", "created_at", "completed_at", "outcome"]


def interaction_rows(*, viewer, ids=(), channel: str = "", user_id=None, date_from=None,
                     date_to=None) -> Iterator[list]:
    """The header, then one row per interaction the viewer may see (of
    ``ids`` only, when given), newest first. Contacts are named, never with
    their phone or e-mail (personal data stays on the masked pages)."""
    from kehu.engagement.selectors import interaction_list

    yield INTERACTION_HEADERS
    qs = interaction_list(viewer=viewer, channel=channel)
    if ids:
        qs = qs.filter(pk__in=ids)
    if user_id:
        qs = qs.filter(user_id=user_id)
    if date_from:
        qs = qs.filter(occurred_at__date__gte=date_from)
    if date_to:
        qs = qs.filter(occurred_at__date__lte=date_to)
    for it in qs.order_by("-occurred_at", "-id").iterator(chunk_size=CHUNK):
        yield [_cell(v) for v in (
            it.occurred_at, it.customer.ref, it.customer.name, it.contact.name if it.contact_id else "",
            it.channel, it.subject, it.summary, it.user.username if it.user_id else "", it.next_step,
            it.next_step_on)]


def task_rows(*, viewer, ids=(), scope: str = "all", status: str = "all", source: str = "",
              due: str = "") -> Iterator[list]:
    """The header, then one row per task the viewer may see (of ``ids``
    only, when given), by due date."""
    from kehu.engagement.selectors import task_list

    yield TASK_HEADERS
    qs = task_list(viewer=viewer, scope=scope, status=status, source=source, due=due)
    if ids:
        qs = qs.filter(pk__in=ids)
    qs = qs.select_related("customer", "partner", "assigned_to").order_by(F("due_on").asc(nulls_last=True), "id")
    for t in qs.iterator(chunk_size=CHUNK):
        yield [_cell(v) for v in (
            t.title, t.description, t.customer.ref if t.customer_id else "", t.customer.name if t.customer_id else "",
            t.partner.code if t.partner_id else "", t.due_on, t.status, t.source, t.assigned_to.username if t.assigned_to_id else "", t.created_at,
            t.completed_at, t.outcome)]


def export_to_file(kind: str, path, *, viewer, filters: CustomerFilters | None = None, via: str = "cli",
                   **order_filters) -> int:
    """Export ``kind`` ("customers" or "orders") to ``path`` (.csv or .xlsx by
    its extension), audited; returns the number of data rows."""
    suffix = str(path).lower().rsplit(".", 1)[-1]
    if suffix not in ("csv", "xlsx"):
        raise ValueError(suffix)
    if kind == "customers":
        rows = customer_rows(viewer=viewer, filters=filters)
        audit_filters = dict(vars(filters)) if filters is not None else {}
    else:
        rows = order_rows(viewer=viewer, **order_filters)
        audit_filters = dict(order_filters)
    event = export_audit_start(actor=viewer, export=kind, fmt=suffix, via=via, filters=audit_filters)
    rows = audited_rows(rows, event)
    if suffix == "xlsx":
        return write_xlsx(rows, path, title=kind)
    return write_csv(rows, path)


__all__ = ["customer_rows", "order_rows", "interaction_rows", "task_rows", "export_to_file", "Customer"]
