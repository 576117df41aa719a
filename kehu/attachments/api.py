"""Attachments over the API: list and upload (multipart) per record, metadata,
download and delete per attachment."""

from __future__ import annotations

import datetime as dt
from typing import Optional

from django.http import FileResponse, Http404
from ninja import Field, File, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from kehu.api.common import READ_ERRORS, WRITE_ERRORS, ErrorOut
from kehu.attachments import selectors, services

router = Router(tags=["attachments"])


class AttachmentOut(Schema):
    id: int
    name: str = Field(description="The file name as uploaded.")
    size: int = Field(description="Bytes.")
    content_type: str
    record: str = Field(description="customer, interaction or order: what the file is attached to.")
    customer_id: int
    interaction_id: Optional[int] = None
    order_id: Optional[int] = None
    uploaded_by: Optional[str] = Field(None, description="The uploader's user name.")
    created_at: dt.datetime
    download_url: str

    @staticmethod
    def resolve_record(obj):
        return obj.kind

    @staticmethod
    def resolve_uploaded_by(obj):
        return obj.uploaded_by.username if obj.uploaded_by_id else None

    @staticmethod
    def resolve_download_url(obj):
        return f"/api/v1/attachments/{obj.pk}/download"


def _list(request, kind, pk):
    customer, interaction, order = selectors.record_get(viewer=request.auth, kind=kind, pk=pk)
    filters = {"customer": customer} if kind == "customer" else {kind: interaction or order}
    return list(selectors.attachment_list(viewer=request.auth, **filters))


def _upload(request, kind, pk, file):
    customer, interaction, order = selectors.record_get(viewer=request.auth, kind=kind, pk=pk)
    attachment = services.attachment_upload(actor=request.auth, customer=customer, upload=file,
                                            interaction=interaction, order=order)
    return Status(201, attachment)


LIST_DOC = "The files attached to this record (newest first)."
UPLOAD_DOC = ("Attach one file (multipart/form-data, field `file`). Refused with 422 and a field error on `file`: "
              "larger than KEHU_ATTACHMENT_MAX_MB, an extension outside the allow-list, or content that does not "
              "match its extension (a renamed program, HTML, SVG).")


@router.get("/customers/{int:pk}/attachments", response={200: list[AttachmentOut], **READ_ERRORS},
            url_name="customer-attachments", summary="A customer's attachments", description=LIST_DOC)
def customer_list(request, pk: int):
    return _list(request, "customer", pk)


@router.post("/customers/{int:pk}/attachments", response={201: AttachmentOut, **WRITE_ERRORS},
             url_name="customer-attachment-upload", summary="Attach a file to a customer", description=UPLOAD_DOC)
def customer_upload(request, pk: int, file: File[UploadedFile]):
    return _upload(request, "customer", pk, file)


@router.get("/interactions/{int:pk}/attachments", response={200: list[AttachmentOut], **READ_ERRORS},
            url_name="interaction-attachments", summary="An interaction's attachments", description=LIST_DOC)
def interaction_list(request, pk: int):
    return _list(request, "interaction", pk)


@router.post("/interactions/{int:pk}/attachments", response={201: AttachmentOut, **WRITE_ERRORS},
             url_name="interaction-attachment-upload", summary="Attach a file to an interaction",
             description=UPLOAD_DOC)
def interaction_upload(request, pk: int, file: File[UploadedFile]):
    return _upload(request, "interaction", pk, file)


@router.get("/orders/{int:pk}/attachments", response={200: list[AttachmentOut], **READ_ERRORS},
            url_name="order-attachments", summary="An order's attachments", description=LIST_DOC)
def order_list(request, pk: int):
    return _list(request, "order", pk)


@router.post("/orders/{int:pk}/attachments", response={201: AttachmentOut, **WRITE_ERRORS},
             url_name="order-attachment-upload", summary="Attach a file to an order", description=UPLOAD_DOC)
def order_upload(request, pk: int, file: File[UploadedFile]):
    return _upload(request, "order", pk, file)


@router.get("/attachments/{int:pk}", response={200: AttachmentOut, **READ_ERRORS}, url_name="attachment",
            summary="One attachment's details")
def detail(request, pk: int):
    return selectors.attachment_get(viewer=request.auth, pk=pk)


@router.get("/attachments/{int:pk}/download", response={200: None, **READ_ERRORS}, url_name="attachment-download",
            summary="Download the file (audited)",
            description="The file's bytes, always as a download (`Content-Disposition: attachment`, "
                        "`X-Content-Type-Options: nosniff`).")
def download(request, pk: int):
    attachment = selectors.attachment_get(viewer=request.auth, pk=pk)
    try:
        handle = services.attachment_open(actor=request.auth, attachment=attachment)
    except OSError:
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@router.delete("/attachments/{int:pk}", response={204: None, 403: ErrorOut, **READ_ERRORS},
               url_name="attachment-delete", summary="Delete an attachment (audited)")
def delete(request, pk: int):
    attachment = selectors.attachment_get(viewer=request.auth, pk=pk)
    services.attachment_delete(actor=request.auth, attachment=attachment)
    return Status(204, None)
