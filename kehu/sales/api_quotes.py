"""/quotes: quotes (报价单).

A quote is visible exactly when its customer is (404 otherwise); it is changed by whoever
may change the customer and by its salesperson (403 otherwise; read-only roles always 403).
Only drafts are changed or deleted; every other step is an explicit action (submit,
approve, reject, send, accept, new-version). Every write takes the ``version`` the caller
read: a quote changed since answers 409 ``conflict``; an action its status does not allow
answers 409 ``not_allowed``."""

import datetime as dt
from typing import Literal, Optional

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import (
    READ_ERRORS, WRITE_ERRORS, ErrorOut, Money, Percent, Quantity, api_field_names, not_found_field, sent_fields,
)
from kehu.api.pagination import CursorPagination, Tiered
from kehu.api.router import api, envelope
from kehu.customers.selectors import customer_get
from kehu.org.models import User
from kehu.org.policies import policy_for
from kehu.pagination import Tier
from kehu.sales import quote_selectors as selectors
from kehu.sales.models import Opportunity, Product, QuoteStatus
from kehu.sales.quotes import (
    QuoteActionNotAllowed, QuoteConflict, quote_accept, quote_approve, quote_create, quote_delete, quote_new_version,
    quote_reject, quote_send, quote_submit, quote_update,
)
from kehu.validators import REMARKS_MAX

router = Router(tags=["quotes"])
CONFLICT = {409: ErrorOut}


@api.exception_handler(QuoteConflict)
def on_conflict(request, exc):
    return envelope(request, 409, "conflict", str(exc), {"version": [_("Now %(version)d.") % {
        "version": exc.quote.version}]})


@api.exception_handler(QuoteActionNotAllowed)
def on_not_allowed(request, exc):
    return envelope(request, 409, "not_allowed", str(exc))


class QuoteLineOut(Schema):
    id: int
    product_id: int
    product_ref: str
    product_name: str
    description: str
    quantity: Quantity
    unit_price: Money = Field(description="The list price (without VAT unless prices_include_tax).")
    discount: Percent
    vat_rate: Percent
    amount: Money = Field(description="Excl. VAT, rounded to the fen.")
    tax: Money = Field(description="amount × vat_rate, rounded to the fen.")
    total: Money = Field(description="Incl. VAT.")

    @staticmethod
    def resolve_product_ref(obj):
        return obj.product.ref

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name


class QuoteOut(Schema):
    id: int
    ref: str
    revision: int = Field(description="The quote's version: 1, 2, … (a new version keeps the number).")
    previous_id: Optional[int]
    customer_id: int
    opportunity_id: Optional[int]
    title: str
    status: QuoteStatus
    issued_on: dt.date
    valid_until: dt.date
    currency: str
    prices_include_tax: bool
    amount: Money = Field(description="The sum of the lines' amounts excl. VAT.")
    tax: Money = Field(description="The sum of the lines' VAT.")
    total: Money = Field(description="amount + tax.")
    terms: str
    owner_id: Optional[int]
    discount_ceiling: Optional[Percent] = Field(description="The customer's ceiling when it was submitted.")
    approved_by_id: Optional[int]
    approved_at: Optional[dt.datetime]
    approval_note: str
    sent_at: Optional[dt.datetime]
    decided_at: Optional[dt.datetime]
    order_id: Optional[int]
    version: int = Field(description="Send it back with a change; a quote changed since answers 409.")
    created_at: dt.datetime
    updated_at: dt.datetime


class QuoteDetailOut(QuoteOut):
    lines: list[QuoteLineOut]

    @staticmethod
    def resolve_lines(obj):
        return list(selectors.quote_lines(obj))


class QuoteLineIn(Schema):
    product_id: int
    quantity: Quantity = Field(gt=0)
    unit_price: Optional[Money] = Field(None, ge=0, description="Null: the product's list price.")
    discount: Percent = Field(0, description="Percent, 0–100.")
    vat_rate: Optional[Percent] = Field(None, description="Percent; null: the product line's (13 by default).")
    description: str = Field("", max_length=200)


class QuoteFields(Schema):
    title: str = Field("", max_length=200)
    opportunity_id: Optional[int] = Field(None, description="An opportunity of the same customer.")
    issued_on: Optional[dt.date] = Field(None, description="Default: today.")
    valid_until: Optional[dt.date] = Field(None, description="Default: 30 days after the quote date.")
    prices_include_tax: bool = False
    terms: str = Field("", max_length=REMARKS_MAX)
    owner_id: Optional[int] = Field(None, description="Default: you.")
    lines: list[QuoteLineIn] = Field([], max_length=200)


class QuoteIn(QuoteFields):
    customer_id: int


class QuotePatchIn(Schema):
    title: Optional[str] = Field(None, max_length=200)
    issued_on: Optional[dt.date] = None
    valid_until: Optional[dt.date] = None
    prices_include_tax: Optional[bool] = None
    terms: Optional[str] = Field(None, max_length=REMARKS_MAX)
    lines: Optional[list[QuoteLineIn]] = Field(None, max_length=200, description="Replace all the lines.")
    version: Optional[int] = Field(None, ge=1, description="Required: the version you read (409 when the quote "
                                                           "changed since).")


class ActionIn(Schema):
    version: Optional[int] = Field(None, ge=1, description="The version you read; 409 when it changed since.")
    note: str = Field("", max_length=REMARKS_MAX)


class QuoteFilterIn(Schema):
    status: Optional[QuoteStatus] = None
    customer_id: Optional[int] = None
    opportunity_id: Optional[int] = None
    owner_id: Optional[int] = None
    q: str = Field("", max_length=100, description="Number, subject or customer name.")


class PdfIn(Schema):
    lang: Literal["zh", "en"] = "zh"


NAMES = {"customer": "customer_id", "opportunity": "opportunity_id", "owner": "owner_id", "product": "product_id"}


def _lines(data):
    if data.get("lines") is None:
        return None
    out = []
    for i, ln in enumerate(data["lines"]):
        product = Product.objects.filter(pk=ln["product_id"]).first()
        if product is None:
            raise not_found_field(f"lines.{i}.product_id")
        out.append({**{k: v for k, v in ln.items() if k != "product_id"}, "product": product})
    return out


def _fields(request, data: dict, customer) -> dict:
    out = {}
    for k, v in data.items():
        if k == "opportunity_id":
            opp = None
            if v is not None:
                opp = policy_for(request.auth).visible_opportunities(Opportunity.objects.filter(pk=v)).first()
                if opp is None:
                    raise not_found_field("opportunity_id")
            out["opportunity"] = opp
        elif k == "owner_id":
            out["owner"] = None if v is None else (User.objects.filter(pk=v).first() or _raise(not_found_field(k)))
        elif k not in ("lines", "customer_id", "version"):
            out[k] = v
    return out


def _raise(exc):
    raise exc


def _detail(request, quote_id: int):
    return selectors.quote_get(viewer=request.auth, pk=quote_id)


def _require_change(request, quote):
    if not policy_for(request.auth).can_change_quote(quote):
        raise PermissionDenied(_("You may not change this quote."))


@router.get("", response={200: list[QuoteOut], **READ_ERRORS}, url_name="quote-list",
            summary="List quotes, newest first")
@paginate(CursorPagination)
def list_quotes(request, filters: Query[QuoteFilterIn]):
    f = selectors.QuoteFilters(**{k: v for k, v in filters.model_dump().items() if k != "status"},
                               status=filters.status or "")
    return Tiered(selectors.quote_list(viewer=request.auth, filters=f), [Tier(Q(), ("-created_at", "-id"))])


@router.post("", response={201: QuoteDetailOut, **WRITE_ERRORS}, url_name="quote-create",
             summary="Make a draft quote for a customer you may change")
def create_quote(request, payload: QuoteIn):
    data = payload.model_dump(exclude_unset=True)
    customer = customer_get(viewer=request.auth, pk=payload.customer_id)
    fields = _fields(request, data, customer)
    lines = _lines(data) or []
    with api_field_names(NAMES):
        quote = quote_create(actor=request.auth, customer=customer, data=fields, lines=lines)
    return Status(201, _detail(request, quote.pk))


@router.get("/{int:quote_id}", response={200: QuoteDetailOut, **READ_ERRORS}, url_name="quote-detail",
            summary="Get a quote with its lines")
def get_quote(request, quote_id: int):
    return _detail(request, quote_id)


@router.patch("/{int:quote_id}", response={200: QuoteDetailOut, **WRITE_ERRORS, **CONFLICT},
              url_name="quote-update", summary="Change a draft quote (send the version you read)")
def update_quote(request, quote_id: int, payload: QuotePatchIn):
    quote = _detail(request, quote_id)
    _require_change(request, quote)
    data = sent_fields(payload)
    version = data.pop("version", None)
    if version is None:   # checked after the permission: a PATCH {} is still a 403 to whoever may not change it
        raise ValidationError({"version": [_("This field is required.")]})
    for key in ("title", "terms", "prices_include_tax"):
        if key in data and data[key] is None:
            raise ValidationError({key: [_("This field cannot be null.")]})
    lines = _lines(data)
    fields = _fields(request, data, quote.customer)
    with api_field_names(NAMES):
        quote_update(actor=request.auth, quote=quote, data=fields, lines=lines, version=version)
    return _detail(request, quote_id)


@router.delete("/{int:quote_id}", response={204: None, **WRITE_ERRORS, **CONFLICT}, url_name="quote-delete",
               summary="Delete a draft quote")
def delete_quote(request, quote_id: int):
    quote = _detail(request, quote_id)
    _require_change(request, quote)
    quote_delete(actor=request.auth, quote=quote)
    return Status(204, None)


def _action(name, service, summary, *, approve=False):
    def endpoint(request, quote_id: int, payload: ActionIn):
        quote = _detail(request, quote_id)
        if not approve:
            _require_change(request, quote)
        kwargs = {"note": payload.note} if service in (quote_approve, quote_reject) else {}
        with api_field_names(NAMES):
            result = service(actor=request.auth, quote=quote, version=payload.version, **kwargs)
        return Status(201 if name == "new-version" else 200, _detail(request, result.pk))
    endpoint.__name__ = f"quote_{name.replace('-', '_')}"
    code = 201 if name == "new-version" else 200
    router.post(f"/{{int:quote_id}}/{name}", response={code: QuoteDetailOut, **WRITE_ERRORS, **CONFLICT},
                url_name=f"quote-{name}", summary=summary)(endpoint)


_action("submit", quote_submit, "Submit a draft: approved, or pending approval when a discount is above the "
                                "customer's ceiling")
_action("approve", quote_approve, "Approve a quote pending approval (sales managers over the customer, "
                                  "administrators)", approve=True)
_action("reject", quote_reject, "Pending approval: refuse it (back to draft); approved or sent: the customer "
                                "rejected it", approve=True)
_action("send", quote_send, "Mark an approved quote sent to the customer")
_action("accept", quote_accept, "The customer accepted: make the order, win the opportunity")
_action("new-version", quote_new_version, "Make the next version (a draft with the same lines); the old one "
                                          "is superseded")


@router.get("/{int:quote_id}/pdf", response={200: None, **READ_ERRORS}, url_name="quote-pdf",
            summary="The quote as PDF (lang zh or en) under the company's header",
            description="`application/pdf`, as a download (`Content-Disposition: attachment`).")
def quote_pdf_endpoint(request, quote_id: int, params: Query[PdfIn]):
    from kehu.sales.quote_pdf import quote_filename, quote_pdf

    quote = _detail(request, quote_id)
    pdf = quote_pdf(quote, language=params.lang)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{quote_filename(quote, params.lang)}"'
    return response
