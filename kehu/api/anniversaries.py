"""/customers/{customer_id}/anniversaries: a customer's dates to remember (纪念日).

They belong to one customer, like an order's payments, so they live under
it; the customer's detail lists them too.
"""

import datetime as dt

from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, partial_schema, sent_fields
from kehu.api.pagination import CursorPagination
from kehu.customers.selectors import anniversary_get, anniversary_list, customer_get
from kehu.customers.services import anniversary_create, anniversary_delete, anniversary_update

router = Router(tags=["anniversaries"])


class AnniversaryOut(Schema):
    id: int
    customer_id: int
    label: str = Field(description="The occasion: company founding day, wedding anniversary, first order ...")
    date: dt.date


class AnniversaryIn(Schema):
    label: str = Field(min_length=1, max_length=60, description="The occasion (纪念日名称).")
    date: dt.date


AnniversaryPatchIn = partial_schema(AnniversaryIn, "AnniversaryPatchIn")


@router.get("/{int:customer_id}/anniversaries", response={200: list[AnniversaryOut], **READ_ERRORS},
            url_name="customer-anniversary-list", summary="List a customer's anniversaries, by date")
@paginate(CursorPagination)
def list_anniversaries(request, customer_id: int):
    customer = customer_get(viewer=request.auth, pk=customer_id)
    return anniversary_list(viewer=request.auth, customer_id=customer.pk).order_by("date", "id")


@router.post("/{int:customer_id}/anniversaries", response={201: AnniversaryOut, **WRITE_ERRORS},
             url_name="customer-anniversary-create", summary="Add an anniversary to a customer")
def create_anniversary(request, customer_id: int, payload: AnniversaryIn):
    customer = customer_get(viewer=request.auth, pk=customer_id)
    return Status(201, anniversary_create(actor=request.auth, customer=customer, data=payload.model_dump()))


@router.get("/{int:customer_id}/anniversaries/{int:anniversary_id}", response={200: AnniversaryOut, **READ_ERRORS},
            url_name="customer-anniversary-detail", summary="Get an anniversary")
def get_anniversary(request, customer_id: int, anniversary_id: int):
    return anniversary_get(viewer=request.auth, pk=anniversary_id, customer_id=customer_id)


@router.patch("/{int:customer_id}/anniversaries/{int:anniversary_id}",
              response={200: AnniversaryOut, **WRITE_ERRORS}, url_name="customer-anniversary-update",
              summary="Change an anniversary's occasion or date")
def update_anniversary(request, customer_id: int, anniversary_id: int, payload: AnniversaryPatchIn):
    anniversary = anniversary_get(viewer=request.auth, pk=anniversary_id, customer_id=customer_id)
    return anniversary_update(actor=request.auth, anniversary=anniversary, data=sent_fields(payload))


@router.delete("/{int:customer_id}/anniversaries/{int:anniversary_id}", response={204: None, **WRITE_ERRORS},
               url_name="customer-anniversary-delete", summary="Delete an anniversary")
def delete_anniversary(request, customer_id: int, anniversary_id: int):
    anniversary = anniversary_get(viewer=request.auth, pk=anniversary_id, customer_id=customer_id)
    anniversary_delete(actor=request.auth, anniversary=anniversary)
    return Status(204, None)
