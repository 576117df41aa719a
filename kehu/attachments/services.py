"""Writes of attachments: upload, delete, and the audited opening for download."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.attachments.filetypes import SNIFF_BYTES, check_file
from kehu.attachments.models import Attachment
from kehu.audit.services import audit_record
from kehu.org.policies import policy_for


def _clean_name(name: str) -> str:
    # Browsers may send a path (C:\Users\...\a.pdf); keep the last part, no control characters.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>').strip() or "file"
    if len(name) > 200:
        stem, _dot, ext = name.rpartition(".")
        name = stem[: 190] + "." + ext[:9] if stem else name[:200]
    return name


def checked_upload(upload, *, limit: int | None = None) -> tuple[str, str]:
    """``(clean file name, content type)`` of a Django ``UploadedFile`` that may be
    stored, or ``ValidationError`` on ``file`` (too large, a type outside the
    allow-list, content that does not match its name). For every model that
    keeps files (also the cases' attachments, kehu/service)."""
    name = _clean_name(getattr(upload, "name", "") or "")
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    kind = check_file(name=name, size=upload.size, head=head, limit=limit)
    return name, kind.content_type


def attachment_upload(*, actor, customer, upload, interaction=None, order=None) -> Attachment:
    """Attach ``upload`` (a Django ``UploadedFile``) to ``customer`` or to one of
    its interactions or orders. Checked for size and type (:mod:`kehu.attachments.filetypes`);
    the actor must be allowed to change the customer."""
    if not policy_for(actor).can_change(customer):
        raise PermissionDenied(_("You may not change this customer."))
    for record in (interaction, order):
        if record is not None and record.customer_id != customer.pk:
            raise PermissionDenied(_("You may not change this customer."))
    name, content_type = checked_upload(upload)
    attachment = Attachment(customer=customer, interaction=interaction, order=order, name=name, size=upload.size,
                            content_type=content_type, uploaded_by=actor)
    with transaction.atomic():
        attachment.file.save(name, upload, save=False)
        try:
            attachment.full_clean()
            attachment.save()
            audit_record(actor=actor, action="attachment.upload", instance=attachment, customer_id=customer.pk,
                         summary=name, changes={"name": name, "size": upload.size, "record": attachment.kind,
                                                "record_id": (interaction or order or customer).pk})
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


def attachment_delete(*, actor, attachment: Attachment) -> None:
    """Delete the attachment and its stored file; the actor must be allowed to change the customer."""
    if not policy_for(actor).can_change(attachment.customer):
        raise PermissionDenied(_("You may not change this customer."))
    with transaction.atomic():
        audit_record(actor=actor, action="attachment.delete", instance=attachment,
                     customer_id=attachment.customer_id, summary=attachment.name,
                     changes={"name": attachment.name, "size": attachment.size, "record": attachment.kind})
        path = attachment.file.name
        storage = attachment.file.storage
        attachment.delete()
        transaction.on_commit(lambda: storage.delete(path))


def attachment_open(*, actor, attachment: Attachment):
    """The stored file, opened for reading; the download is audited. The
    caller has fetched ``attachment`` through :func:`kehu.attachments.selectors.attachment_get`."""
    audit_record(actor=actor, action="attachment.download", instance=attachment,
                 customer_id=attachment.customer_id, summary=attachment.name)
    return attachment.file.open("rb")


def attachments_delete(*, queryset) -> int:
    """Delete the attachments of ``queryset`` and, once the transaction
    commits, their stored files. For the services that delete or erase the
    records files hang on (customer, interaction, order, erasure, retention):
    the database cascade alone would leave the files behind. The caller checks
    the rights and writes the audit record. Any model with a ``file`` field
    (the cases' :class:`~kehu.service.models.CaseAttachment` too)."""
    from django.core.files.storage import default_storage

    model = queryset.model
    rows = list(queryset.values_list("pk", "file"))
    if not rows:
        return 0
    ids = [pk for pk, _f in rows]
    for start in range(0, len(ids), 2000):
        model.objects.filter(pk__in=ids[start:start + 2000]).delete()
    paths = [f for _pk, f in rows if f]

    def _remove_files():
        for path in paths:
            default_storage.delete(path)

    transaction.on_commit(_remove_files)
    return len(rows)
