"""/products and /product-lines: the catalogue, shared by the whole company.

Everyone may read it; administrators and sales managers change it (the
services decide, and refuse others with 403).
"""

import datetime as dt
from decimal import Decimal
from typing import Optional

from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, Money, api_field_names, cost_shown, not_found_field, partial_schema, sent_fields,
)
from kehu.api.pagination import CursorPagination
from kehu.sales.selectors import product_line_list, product_list
from kehu.sales.services import (
    product_create, product_delete, product_line_create, product_line_rename, product_line_set_warranty,
    product_update,
)

router = Router(tags=["products"])
lines_router = Router(tags=["product lines"])


WARRANTY_MONTHS = "Free repair for this many months after the purchase; 0: no warranty; null: not set."
RETURN_DAYS = "Return for a defect within this many days after the purchase; 0: no return; null: not set."
EXCHANGE_DAYS = "Exchange for a defect within this many days after the purchase; 0: no exchange; null: not set."


class WarrantyTermsOut(Schema):
    warranty_months: Optional[int] = Field(description=WARRANTY_MONTHS)
    return_days: Optional[int] = Field(description=RETURN_DAYS)
    exchange_days: Optional[int] = Field(description=EXCHANGE_DAYS)


class WarrantyTermsIn(Schema):
    warranty_months: Optional[int] = Field(None, ge=0, le=600, description=WARRANTY_MONTHS)
    return_days: Optional[int] = Field(None, ge=0, le=3650, description=RETURN_DAYS)
    exchange_days: Optional[int] = Field(None, ge=0, le=3650, description=EXCHANGE_DAYS)


class ProductLineWarrantyOut(WarrantyTermsOut):
    id: int
    code: str
    name: str


class ProductLineOut(Schema):
    id: int
    code: str
    name: str
    warranty_months: Optional[int] = Field(description=WARRANTY_MONTHS)
    return_days: Optional[int] = Field(description=RETURN_DAYS)
    exchange_days: Optional[int] = Field(description=EXCHANGE_DAYS)
    created_at: dt.datetime
    updated_at: dt.datetime


class ProductLineIn(Schema):
    code: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=100)


ProductLineRenameIn = partial_schema(ProductLineIn, "ProductLineRenameIn", exclude=("code",))


class ProductOut(Schema):
    id: int
    ref: str = Field(description="Product code.")
    name: str
    line_id: Optional[int]
    unit: str
    unit_price: Money
    unit_cost: Optional[Money] = Field(description="Null for a partner user (the company's cost is not theirs).")
    active: bool
    warranty_months: Optional[int] = Field(description="The product's own warranty, overriding its line's; "
                                                        "null: the line's.")
    return_days: Optional[int] = Field(description="The product's own return period; null: the line's.")
    exchange_days: Optional[int] = Field(description="The product's own exchange period; null: the line's.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_unit_cost(obj, context):
        return cost_shown(context, obj.unit_cost)


class ProductIn(Schema):
    ref: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1, max_length=200)
    line_id: Optional[int] = None
    unit: str = Field("", max_length=20)
    unit_price: Money = Field(Decimal("0"), ge=0)
    unit_cost: Money = Field(Decimal("0"), ge=0)
    active: bool = True
    warranty_months: Optional[int] = Field(None, ge=0, le=600, description="Overrides the line's; null: the line's.")
    return_days: Optional[int] = Field(None, ge=0, le=3650, description="Overrides the line's; null: the line's.")
    exchange_days: Optional[int] = Field(None, ge=0, le=3650, description="Overrides the line's; null: the line's.")


ProductPatchIn = partial_schema(ProductIn, "ProductPatchIn")


class ProductFilterIn(Schema):
    q: str = Field("", max_length=100, description="Part of the name, or the start of the code.")
    line_id: Optional[int] = None
    active: Optional[bool] = None


def _get_product(product_id: int):
    product = product_list().filter(pk=product_id).first()
    if product is None:
        raise Http404
    return product


def _get_product_line(line_id: int):
    line = product_line_list().filter(pk=line_id).first()
    if line is None:
        raise Http404
    return line


def _service_data(data: dict) -> dict:
    if "line_id" in data:
        line_id = data.pop("line_id")
        line = None
        if line_id is not None:
            line = product_line_list().filter(pk=line_id).first()
            if line is None:
                raise not_found_field("line_id")
        data["line"] = line
    return data


@router.get("", response={200: list[ProductOut], **READ_ERRORS}, url_name="product-list", summary="List products")
@paginate(CursorPagination)
def list_products(request, filters: Query[ProductFilterIn]):
    return product_list(q=filters.q.strip(), line_id=filters.line_id, active=filters.active).order_by("name", "id")


@router.post("", response={201: ProductOut, **WRITE_ERRORS}, url_name="product-create", summary="Add a product")
def create_product(request, payload: ProductIn):
    data = _service_data(payload.model_dump(exclude_unset=True))
    with api_field_names({"line": "line_id"}):
        return Status(201, product_create(actor=request.auth, data=data))


@router.get("/{int:product_id}", response={200: ProductOut, **READ_ERRORS}, url_name="product-detail",
            summary="Get a product")
def get_product(request, product_id: int):
    return _get_product(product_id)


@router.patch("/{int:product_id}", response={200: ProductOut, **WRITE_ERRORS}, url_name="product-update",
              summary="Change some fields of a product")
def update_product(request, product_id: int, payload: ProductPatchIn):
    product = _get_product(product_id)
    data = _service_data(sent_fields(payload))
    with api_field_names({"line": "line_id"}):
        return product_update(actor=request.auth, product=product, data=data)


@router.delete("/{int:product_id}", response={204: None, **WRITE_ERRORS}, url_name="product-delete",
               summary="Delete a product that was never ordered")
def delete_product(request, product_id: int):
    product_delete(actor=request.auth, product=_get_product(product_id))
    return Status(204, None)


@lines_router.get("", response={200: list[ProductLineOut], **READ_ERRORS}, url_name="product-line-list",
                  summary="List product lines")
@paginate(CursorPagination)
def list_product_lines(request):
    return product_line_list().order_by("name", "id")


@lines_router.post("", response={201: ProductLineOut, **WRITE_ERRORS}, url_name="product-line-create",
                   summary="Add a product line")
def create_product_line(request, payload: ProductLineIn):
    return Status(201, product_line_create(actor=request.auth, code=payload.code, name=payload.name))


@lines_router.get("/{int:line_id}", response={200: ProductLineOut, **READ_ERRORS}, url_name="product-line-detail",
                  summary="Get a product line")
def get_product_line(request, line_id: int):
    return _get_product_line(line_id)


@lines_router.patch("/{int:line_id}", response={200: ProductLineOut, **WRITE_ERRORS}, url_name="product-line-update",
                    summary="Rename a product line (its code stays)")
def rename_product_line(request, line_id: int, payload: ProductLineRenameIn):
    line = _get_product_line(line_id)
    # Without a name the line stays as it is, but the caller's right to change it is still checked.
    return product_line_rename(actor=request.auth, line=line, name=sent_fields(payload).get("name", line.name))


WarrantyTermsPatchIn = partial_schema(WarrantyTermsIn, "WarrantyTermsPatchIn")


@lines_router.get("/{int:line_id}/warranty", response={200: ProductLineWarrantyOut, **READ_ERRORS},
                  url_name="product-line-warranty", summary="The warranty terms (三包) of a product line")
def get_product_line_warranty(request, line_id: int):
    return _get_product_line(line_id)


@lines_router.patch("/{int:line_id}/warranty", response={200: ProductLineWarrantyOut, **WRITE_ERRORS},
                    url_name="product-line-warranty-update",
                    summary="Change the warranty terms (三包) of a product line (the terms sent)")
def update_product_line_warranty(request, line_id: int, payload: WarrantyTermsPatchIn):
    """Each term a whole number ≥ 0 or null (not set); 0 means none. Administrators and
    sales managers only (403 for others)."""
    line = _get_product_line(line_id)
    return product_line_set_warranty(actor=request.auth, line=line, data=sent_fields(payload))
