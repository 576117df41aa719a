"""Exporting customers and orders to CSV and .xlsx with the canonical import headers.

What a viewer exports is what the customer list shows them (phone, e-mail and
ID number masked where the list masks them): the rows come
from :func:`kehu.customers.selectors.customer_list` (the visibility policy
plus the list's filters), orders from the policy over order lines. Files are
produced row by row (``.iterator(chunk_size=2000)``): CSV streams straight
into the HTTP response or the file; .xlsx uses openpyxl's write-only mode.

CSV is UTF-8 with a byte-order mark so that Excel opens Chinese text
correctly, and the file imports again unchanged (same codes, same values).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from typing import Iterable, Iterator

from django.db.models import Prefetch

from kehu.customers.models import Customer, Tag
from kehu.customers.selectors import CustomerFilters, customer_list
from kehu.imports.columns import CUSTOMER_COLUMNS, ORDER_COLUMNS
from kehu.org.policies import policy_for
from kehu.privacy.masking import CUSTOMER_FIELDS, shown
from kehu.sales.models import OrderLine

CHUNK = 2000
BOM = "\ufeff"

CUSTOMER_HEADERS = [c.field for c in CUSTOMER_COLUMNS]
ORDER_HEADERS = [c.field for c in ORDER_COLUMNS]


def _cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def customer_rows(*, viewer, filters: CustomerFilters | None = None) -> Iterator[list]:
    """The header, then one row per customer the viewer may see, in code order."""
    yield CUSTOMER_HEADERS
    qs = (customer_list(viewer=viewer, filters=filters)
          .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
          .order_by("ref", "id"))
    getters = []
    for header in CUSTOMER_HEADERS:
        if header == "type":
            getters.append(lambda c: c.kind)
        elif header == "owner":
            getters.append(lambda c: c.owner.username if c.owner_id else "")
        elif header == "tags":
            getters.append(lambda c: ",".join(sorted(t.name for t in c.tags.all())))
        elif header in CUSTOMER_FIELDS:
            # personal data as the viewer may see it (kehu.org.policies, kehu.privacy.masking)
            getters.append(lambda c, h=header: shown(viewer=viewer, customer=c, field=h, value=getattr(c, h)))
        else:
            getters.append(lambda c, h=header: getattr(c, h))
    for customer in qs.iterator(chunk_size=CHUNK):
        yield [_cell(g(customer)) for g in getters]


def order_line_queryset(*, viewer, date_from=None, date_to=None, customer_id=None):
    qs = policy_for(viewer).visible(OrderLine.objects.all(), prefix="order__customer__")
    if date_from:
        qs = qs.filter(order__order_date__gte=date_from)
    if date_to:
        qs = qs.filter(order__order_date__lte=date_to)
    if customer_id:
        qs = qs.filter(order__customer_id=customer_id)
    return qs.select_related("order", "order__customer", "product").order_by("order__ref", "id")


def order_rows(*, viewer, date_from=None, date_to=None, customer_id=None) -> Iterator[list]:
    """The header, then one row per order line of the orders the viewer may see."""
    yield ORDER_HEADERS
    qs = order_line_queryset(viewer=viewer, date_from=date_from, date_to=date_to, customer_id=customer_id)
    for line in qs.iterator(chunk_size=CHUNK):
        order = line.order
        values = {
            "customer_ref": order.customer.ref, "customer_name": order.customer.name, "order_ref": order.ref,
            "order_date": order.order_date, "amount": line.amount, "product_ref": line.product.ref if line.product_id else "",
            "description": line.description, "quantity": line.quantity, "cost": line.cost, "status": order.status,
            "currency": order.currency, "payment_due_on": order.payment_due_on, "remarks": order.remarks,
        }
        yield [_cell(values[h]) for h in ORDER_HEADERS]


class _Echo:
    def write(self, value):
        return value


def csv_chunks(rows: Iterable[list], *, bom: bool = True) -> Iterator[str]:
    """CSV text, a few hundred rows at a time, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    buffer = [BOM] if bom else []
    for row in rows:
        buffer.append(writer.writerow(row))
        if len(buffer) >= 500:
            yield "".join(buffer)
            buffer = []
    if buffer:
        yield "".join(buffer)


def write_csv(rows: Iterable[list], path) -> int:
    """Write rows to ``path`` as UTF-8 CSV with a BOM; returns the number of data rows."""
    count = -1
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        for row in rows:
            writer.writerow(row)
            count += 1
    return max(count, 0)


def write_xlsx(rows: Iterable[list], target, *, title: str = "Sheet1") -> int:
    """Write rows to ``target`` (a path or a binary file) as .xlsx; returns the number of data rows.

    Every value is written as text except numbers that are amounts, so phone
    numbers and codes keep their leading zeros.
    """
    import openpyxl

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(title=title)
    count = -1
    for row in rows:
        ws.append([v if isinstance(v, (int, float)) else ("" if v is None else str(v)) for v in row])
        count += 1
    wb.save(target)
    return max(count, 0)


def export_to_file(kind: str, path, *, viewer, filters: CustomerFilters | None = None, **order_filters) -> int:
    """Export ``kind`` ("customers" or "orders") to ``path`` (.csv or .xlsx by its extension)."""
    rows = customer_rows(viewer=viewer, filters=filters) if kind == "customers" else order_rows(viewer=viewer, **order_filters)
    suffix = str(path).lower().rsplit(".", 1)[-1]
    if suffix == "xlsx":
        return write_xlsx(rows, path, title=kind)
    if suffix == "csv":
        return write_csv(rows, path)
    raise ValueError(suffix)


__all__ = ["customer_rows", "order_rows", "csv_chunks", "write_csv", "write_xlsx", "export_to_file", "Customer"]
