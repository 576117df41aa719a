"""/orders: orders with their lines and payments (回款)."""

import datetime as dt
from decimal import Decimal
from typing import Optional

from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, Money, Quantity, api_field_names, cost_shown, not_found_field, partial_schema,
    sent_fields,
)
from kehu.customfields.values import apply_filters, parse_filters
from kehu.customfields.api import CUSTOM_DESCRIPTION, CustomValuesIn, CustomValuesOut, custom_in_field
from kehu.api.pagination import CursorPagination
from kehu.customers.selectors import customer_get
from kehu.org.policies import policy_for
from kehu.sales.models import Order, OrderApproval, OrderStatus
from kehu.sales.selectors import order_get, order_list, product_list
from kehu.api.common import ErrorOut
from kehu.api.router import api, envelope
from kehu.sales.services import (
    ApprovalNotPending, order_approve, order_create, order_delete, order_reject, order_update, order_warnings,
    payment_record,
)

router = Router(tags=["orders"])


class OrderLineOut(Schema):
    id: int
    product_id: Optional[int]
    description: str
    serial_number: str = Field(description="Serial number of the item, or the heat number (炉号) of steel.")
    quantity: Quantity
    unit_price: Money
    amount: Money
    cost: Optional[Money] = Field(description="Null for a partner user (the company's cost is not theirs).")

    @staticmethod
    def resolve_cost(obj, context):
        return cost_shown(context, obj.cost)


class PaymentOut(Schema):
    id: int
    order_id: int
    amount: Money
    received_on: dt.date
    method: str
    reference: str
    created_at: dt.datetime


class OrderSummaryOut(Schema):
    id: int
    ref: str = Field(description="Order number.")
    customer_id: int
    order_date: dt.date
    status: OrderStatus
    currency: str
    amount: Money
    cost: Optional[Money] = Field(description="Null for a partner user (the company's cost is not theirs).")
    gross_margin: Optional[Money] = Field(description="Amount − cost; null for a partner user.")
    paid_amount: Money
    outstanding: Money
    payment_due_on: Optional[dt.date]
    salesperson_id: Optional[int]
    partner_id: Optional[int] = Field(description="Sold through this partner (伙伴).")
    partner_margin_pct: Optional[Decimal] = Field(description="The partner's margin in percent of the amount; "
                                                              "the partner's price is the amount less it.")
    remarks: str
    custom: CustomValuesOut = Field(description=CUSTOM_DESCRIPTION)
    approval: OrderApproval = Field(description="not_needed, or pending (over the credit limit or overdue "
                                                "payments: a manager approves or rejects), approved, rejected.")
    approval_reason: str = Field(description="Why the order needs approval.")
    approval_by_id: Optional[int]
    approval_at: Optional[dt.datetime]
    approval_note: str
    created_at: dt.datetime
    updated_at: dt.datetime

    # The company's cost and margin as the caller may see them (kehu.org.policies: may_see_cost).
    @staticmethod
    def resolve_cost(obj, context):
        return cost_shown(context, obj.cost)

    @staticmethod
    def resolve_gross_margin(obj, context):
        return cost_shown(context, obj.gross_margin)


class OrderOut(OrderSummaryOut):
    lines: list[OrderLineOut]
    payments: list[PaymentOut]
    warnings: list[str] = Field(description="What is accepted but worth a look, in the caller's language: "
                                            "waiting for approval; lines (or the order) sold below cost "
                                            "(not to a partner user).")

    @staticmethod
    def resolve_warnings(obj, context) -> list[str]:
        request = (context or {}).get("request")
        return order_warnings(obj, viewer=getattr(request, "auth", None))

    @staticmethod
    def resolve_lines(obj):
        return list(obj.lines.all())

    @staticmethod
    def resolve_payments(obj):
        return list(obj.payments.all())


class OrderLineIn(Schema):
    product_id: Optional[int] = Field(None, description="Prices and cost default to the product's.")
    description: str = Field("", max_length=200)
    serial_number: str = Field("", max_length=100, description="Serial number of the item, or the heat number "
                                                               "(炉号) of steel; a case finds the line by it.")
    quantity: Quantity = Field(Decimal("1"), gt=0)
    unit_price: Optional[Money] = Field(None, ge=0, description="Defaults to amount / quantity, or the list price.")
    amount: Optional[Money] = Field(None, ge=0, description="Defaults to quantity × unit price.")
    cost: Optional[Money] = Field(None, ge=0, description="Total cost of the line; defaults to quantity × the "
                                                         "product's unit cost. Partner users send no cost (422).")
    unit_cost: Optional[Money] = Field(None, ge=0, description="Used when cost is not given; not by partner users.")


class OrderFields(Schema):
    order_date: dt.date
    ref: str = Field("", max_length=60, description="Order number; generated (SO000000001, ...) when empty.")
    status: OrderStatus = OrderStatus.CONFIRMED
    currency: str = Field("CNY", min_length=3, max_length=3)
    payment_due_on: Optional[dt.date] = None
    salesperson_id: Optional[int] = None
    partner_id: Optional[int] = Field(None, description=(
        "Sold through this partner; defaults to the customer's partner. A partner user's orders are their "
        "partner's, at its margin (they send neither)."))
    partner_margin_pct: Optional[Decimal] = Field(None, ge=0, le=100, max_digits=5, decimal_places=2,
                                                  description="Defaults to the partner's margin.")
    remarks: str = Field("", max_length=Order._meta.get_field("remarks").max_length)
    lines: list[OrderLineIn] = Field(min_length=1, max_length=1000)
    custom: CustomValuesIn = custom_in_field()


class OrderIn(OrderFields):
    customer_id: int


OrderPatchIn = partial_schema(OrderFields, "OrderPatchIn")


class OrderApprovalIn(Schema):
    note: str = Field("", max_length=Order._meta.get_field("approval_note").max_length,
                      description="Why; required to reject.")


@api.exception_handler(ApprovalNotPending)
def on_not_pending(request, exc):
    return envelope(request, 409, "not_pending", str(exc))


class PaymentIn(Schema):
    amount: Money = Field(gt=0)
    received_on: Optional[dt.date] = Field(None, description="Defaults to today.")
    method: str = Field("", max_length=30)
    reference: str = Field("", max_length=60)


class OrderFilterIn(Schema):
    customer_id: Optional[int] = None
    date_from: Optional[dt.date] = Field(None, description="Orders on or after this date.")
    date_to: Optional[dt.date] = Field(None, description="Orders on or before this date.")


def _service_data(request, data: dict) -> tuple[dict, list[dict] | None]:
    lines = data.pop("lines", None)
    if "salesperson_id" in data:
        sp_id = data.pop("salesperson_id")
        salesperson = None
        if sp_id is not None:
            salesperson = policy_for(request.auth).assignable_users().filter(pk=sp_id).first()
            if salesperson is None:
                raise not_found_field("salesperson_id")
        data["salesperson"] = salesperson
    if "partner_id" in data:
        from kehu.org.models import Partner

        partner_id = data.pop("partner_id")
        data["partner"] = None if partner_id is None else Partner.objects.filter(pk=partner_id).first()
        if partner_id is not None and data["partner"] is None:
            raise not_found_field("partner_id")
    if lines is not None:
        product_ids = {ln["product_id"] for ln in lines if ln.get("product_id") is not None}
        products = {p.pk: p for p in product_list().filter(pk__in=product_ids)}
        built = []
        for i, ln in enumerate(lines):
            ln = {k: v for k, v in ln.items() if v is not None}
            product_id = ln.pop("product_id", None)
            if product_id is not None:
                if product_id not in products:
                    raise not_found_field(f"lines.{i}.product_id")
                ln["product"] = products[product_id]
            built.append(ln)
        lines = built
    return data, lines


def _order_detail(request, order_id: int):
    return order_get(viewer=request.auth, pk=order_id)


@router.get("", response={200: list[OrderSummaryOut], **READ_ERRORS}, url_name="order-list",
            summary="List orders, newest first",
            description="Custom fields filter too: `cf_<key>=value`, `cf_<key>__min`, `cf_<key>__max`.")
@paginate(CursorPagination)
def list_orders(request, filters: Query[OrderFilterIn]):
    qs = order_list(viewer=request.auth, customer_id=filters.customer_id,
                    date_from=filters.date_from, date_to=filters.date_to)
    qs = apply_filters(qs, parse_filters("order", request.GET))
    return qs.order_by("-order_date", "-id")


@router.post("", response={201: OrderOut, **WRITE_ERRORS}, url_name="order-create",
             summary="Create an order with its lines")
def create_order(request, payload: OrderIn):
    data = payload.model_dump(exclude_unset=True)
    data["lines"] = payload.model_dump()["lines"]
    customer = customer_get(viewer=request.auth, pk=data.pop("customer_id"))
    data, lines = _service_data(request, data)
    with api_field_names({"salesperson": "salesperson_id", "partner": "partner_id"}):
        order = order_create(actor=request.auth, customer=customer, data=data, lines=lines)
    return Status(201, _order_detail(request, order.pk))


@router.get("/{int:order_id}", response={200: OrderOut, **READ_ERRORS}, url_name="order-detail",
            summary="Get an order with its lines and payments")
def get_order(request, order_id: int):
    return _order_detail(request, order_id)


@router.patch("/{int:order_id}", response={200: OrderOut, **WRITE_ERRORS}, url_name="order-update",
              summary="Change some fields of an order; `lines`, when sent, replace all lines")
def update_order(request, order_id: int, payload: OrderPatchIn):
    order = order_get(viewer=request.auth, pk=order_id)
    data = sent_fields(payload)
    if data.get("lines") is not None:
        data["lines"] = payload.model_dump()["lines"]
    data, lines = _service_data(request, data)
    with api_field_names({"salesperson": "salesperson_id", "partner": "partner_id"}):
        order_update(actor=request.auth, order=order, data=data, lines=lines, custom_partial=True)
    return _order_detail(request, order_id)


@router.delete("/{int:order_id}", response={204: None, **WRITE_ERRORS}, url_name="order-delete",
               summary="Delete an order")
def delete_order(request, order_id: int):
    order = order_get(viewer=request.auth, pk=order_id)
    order_delete(actor=request.auth, order=order)
    return Status(204, None)


@router.get("/{int:order_id}/payments", response={200: list[PaymentOut], **READ_ERRORS},
            url_name="order-payment-list", summary="List the payments of an order")
@paginate(CursorPagination)
def list_payments(request, order_id: int):
    order = order_get(viewer=request.auth, pk=order_id)
    return order.payments.all().order_by("-received_on", "-id")


@router.post("/{int:order_id}/payments", response={201: PaymentOut, **WRITE_ERRORS},
             url_name="order-payment-create", summary="Record a payment received (回款)")
def create_payment(request, order_id: int, payload: PaymentIn):
    order = order_get(viewer=request.auth, pk=order_id)
    payment = payment_record(
        actor=request.auth, order=order, amount=payload.amount,
        received_on=payload.received_on or timezone.localdate(),
        method=payload.method, reference=payload.reference,
    )
    return Status(201, payment)


@router.post("/{int:order_id}/approve", response={200: OrderOut, **WRITE_ERRORS, 409: ErrorOut},
             url_name="order-approve",
             summary="Approve an order waiting for approval (sales managers of the customer's team, administrators)")
def approve_order(request, order_id: int, payload: OrderApprovalIn):
    order = order_get(viewer=request.auth, pk=order_id)
    order_approve(actor=request.auth, order=order, note=payload.note)
    return _order_detail(request, order_id)


@router.post("/{int:order_id}/reject", response={200: OrderOut, **WRITE_ERRORS, 409: ErrorOut},
             url_name="order-reject",
             summary="Reject an order waiting for approval, saying why; the order is cancelled")
def reject_order(request, order_id: int, payload: OrderApprovalIn):
    order = order_get(viewer=request.auth, pk=order_id)
    order_reject(actor=request.auth, order=order, note=payload.note)
    return _order_detail(request, order_id)
