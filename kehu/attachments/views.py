"""The Attachments section of the customer 360, interaction and order pages:
upload (htmx or a plain form), download, delete with confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kehu.attachments import selectors, services
from kehu.attachments.filetypes import allowed_extensions, max_bytes
from kehu.attachments.models import KINDS
from kehu.org.policies import policy_for


def record_url(kind: str, customer, record) -> str:
    if kind == "interaction":
        return reverse("interaction_edit", args=[record.pk])
    if kind == "order":
        return reverse("order_detail", args=[record.pk])
    return reverse("customer_detail", args=[customer.pk]) + "#attachments"


def upload_section(*, attachments, upload_url: str, download_url, delete_url, can_change: bool, errors=None,
                   testid: str = "attachments", input_id: str = "attachment-file", public_upload: bool = False,
                   **extra) -> dict:
    """The context of the Attachments section (``attachments/_section.html``), for any record
    that has attachments: each attachment gets its ``download_url`` and ``delete_url``
    (``download_url(a)``, ``delete_url(a)``); ``public_upload`` names uploads without a user
    as the public form's."""
    attachments = list(attachments)
    for a in attachments:
        a.download_url, a.delete_url = download_url(a), delete_url(a)
    return {"section": {
        "attachments": attachments, "upload_url": upload_url, "can_change": can_change, "errors": errors or [],
        "testid": testid, "input_id": input_id, "public_upload": public_upload,
        "accept": ",".join("." + e for e in allowed_extensions()), "max_mb": max_bytes() // (1024 * 1024),
        **extra}}


def section_context(*, viewer, kind: str, customer, record=None, errors=None, can_change=None) -> dict:
    """The section's context; ``can_change`` when the page already knows it (one query fewer)."""
    filters = {"customer": customer} if kind == "customer" else {kind: record}
    if can_change is None:
        can_change = policy_for(viewer).can_change(customer)
    return upload_section(
        attachments=selectors.attachment_list(viewer=viewer, **filters),
        upload_url=reverse("attachment_section", args=[kind, (record or customer).pk]),
        download_url=lambda a: reverse("attachment_download", args=[a.pk]),
        delete_url=lambda a: reverse("attachment_delete", args=[a.pk]),
        can_change=can_change, errors=errors, input_id=f"attachment-file-{kind}",
        back=record_url(kind, customer, record))


@login_required
@require_http_methods(["GET", "POST"])
def section(request, kind, pk):
    """GET: the section (for htmx); POST: upload one or more files, then the section again."""
    if kind not in KINDS:
        raise Http404
    customer, interaction, order = selectors.record_get(viewer=request.user, kind=kind, pk=pk)
    record = interaction or order
    errors = []
    if request.method == "POST":
        if not policy_for(request.user).can_change(customer):
            raise PermissionDenied
        files = request.FILES.getlist("file")
        if not files:
            errors.append(_("Choose a file to upload."))
        for upload in files:
            try:
                services.attachment_upload(actor=request.user, customer=customer, upload=upload,
                                           interaction=interaction, order=order)
            except ValidationError as exc:
                for message in exc.message_dict.get("file", exc.messages):
                    errors.append(f"{upload.name}: {message}")
        if not request.htmx:
            if errors:
                for e in errors:
                    messages.error(request, e)
            else:
                messages.success(request, _("File attached."))
            return redirect(record_url(kind, customer, record))
    context = section_context(viewer=request.user, kind=kind, customer=customer, record=record, errors=errors)
    return render(request, "attachments/_section.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
def download(request, pk):
    attachment = selectors.attachment_get(viewer=request.user, pk=pk)
    try:
        handle = services.attachment_open(actor=request.user, attachment=attachment)
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type or "application/octet-stream")
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def delete(request, pk):
    attachment = selectors.attachment_get(viewer=request.user, pk=pk)
    customer = attachment.customer
    if not policy_for(request.user).can_change(customer):
        raise PermissionDenied
    kind = attachment.kind
    record = attachment.interaction or attachment.order
    if request.method == "POST":
        services.attachment_delete(actor=request.user, attachment=attachment)
        if request.htmx:
            return render(request, "attachments/_section.html",
                          section_context(viewer=request.user, kind=kind, customer=customer, record=record))
        messages.success(request, _("Attachment deleted."))
        return redirect(record_url(kind, customer, record))
    return render(request, "attachments/delete.html", {
        "title": _("Delete the attachment %(name)s") % {"name": attachment.name},
        "attachment": attachment, "back": record_url(kind, customer, record),
    })
