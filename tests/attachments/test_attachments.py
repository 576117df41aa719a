"""Attachments: type and size checks, the pages' section, download visibility
and headers, delete, the audit, merge and erasure."""

import io
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from kehu.attachments.filetypes import check_file
from kehu.attachments.models import Attachment
from kehu.attachments.services import attachment_upload
from kehu.audit.models import AuditEvent
from kehu.customers.services import customer_merge
from kehu.privacy.services import customer_erase
from tests.factories import PDF_BYTES, AttachmentFactory, CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def refusal(name, content):
    with pytest.raises(ValidationError) as exc:
        check_file(name=name, size=len(content), head=content[:4096])
    return " ".join(exc.value.message_dict["file"])


# -- what may be attached ------------------------------------------------------

@pytest.mark.parametrize("name,content", [
    ("合同.pdf", PDF_BYTES), ("photo.PNG", PNG), ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 20),
    ("offer.docx", docx_bytes()), ("bundle.zip", docx_bytes()), ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 8),
    ("list.csv", "名称,金额\n北方钢铁,100\n".encode()), ("list.csv", "名称,金额\n".encode("gb18030")),
    ("notes.txt", b"Call back on Monday."),
])
def test_allowed_files_pass(name, content):
    assert check_file(name=name, size=len(content), head=content[:4096]).content_type


def test_refusals_say_why():
    assert "not a .pdf file" in refusal("invoice.pdf", EXE) or "Programs" in refusal("invoice.pdf", EXE)
    assert "Programs and scripts cannot be attached." == refusal("invoice.pdf", EXE)       # a disguised .exe
    assert "Programs and scripts cannot be attached." == refusal("readme.txt", b"#!/bin/sh\nrm -rf /\n")
    assert "cannot be attached. Allowed:" in refusal("setup.exe", EXE)
    assert "cannot be attached. Allowed:" in refusal("logo.svg", b"<svg onload=alert(1)>")
    assert "cannot be attached. Allowed:" in refusal("page.html", b"<html></html>")
    assert "not a .txt file" in refusal("page.txt", b"<!DOCTYPE html><script>alert(1)</script>")
    assert "not a .csv file" in refusal("x.csv", b"a,b\n<svg onload=alert(1)>\n")
    assert "not a .png file" in refusal("photo.png", PDF_BYTES)
    assert "not a .docx file" in refusal("offer.docx", PDF_BYTES)
    assert "not a .txt file" in refusal("data.txt", b"\x00\x01\x02binary")
    assert "empty" in refusal("empty.pdf", b"")


def test_too_big(settings):
    settings.KEHU_ATTACHMENT_MAX_MB = 1
    content = PDF_BYTES + b"0" * (1024 * 1024)
    assert refusal("big.pdf", content) == "The file is too large: at most 1 MB."
    assert check_file(name="ok.pdf", size=1024 * 1024, head=PDF_BYTES)


def test_refusal_in_chinese():
    with translation.override("zh-hans"):
        message = refusal("invoice.pdf", EXE)
    assert message == "不能上传程序或脚本。"


# -- services ----------------------------------------------------------------

def test_upload_stores_under_a_random_name_and_audits(org, customers, media):
    a = attachment_upload(actor=org.users.sales_n1, customer=customers.n1,
                          upload=SimpleUploadedFile("..\\..\\报价单.pdf", PDF_BYTES))
    assert a.name == "报价单.pdf" and a.size == len(PDF_BYTES) and a.content_type == "application/pdf"
    assert a.file.name.startswith("attachments/") and "报价单" not in a.file.name
    assert (media / a.file.name).read_bytes() == PDF_BYTES
    ev = AuditEvent.objects.get(action="attachment.upload")
    assert ev.customer_id == customers.n1.pk and ev.actor == org.users.sales_n1 and ev.summary == "报价单.pdf"


def test_upload_needs_the_change_scope(org, customers):
    with pytest.raises(PermissionDenied):
        attachment_upload(actor=org.users.analyst, customer=customers.n1,
                          upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    with pytest.raises(PermissionDenied):
        attachment_upload(actor=org.users.sales_n1, customer=customers.e1,
                          upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    other = InteractionFactory(customer=customers.e1)
    with pytest.raises(PermissionDenied):   # a record of another customer
        attachment_upload(actor=org.users.sales_n1, customer=customers.n1, interaction=other,
                          upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    assert not Attachment.objects.exists()


def test_merge_moves_attachments(org, customers):
    drop = CustomerFactory(name="北方钢铁 (重复)", owner=org.users.sales_n1)
    a = AttachmentFactory(customer=drop)
    customer_merge(actor=org.users.sales_n1, keep=customers.n1, drop=drop)
    a.refresh_from_db()
    assert a.customer_id == customers.n1.pk
    assert AuditEvent.objects.get(action="merge").changes["moved"]["attachments.Attachment.customer"] == {"moved": 1}


def test_erasure_deletes_attachments_and_their_files(org, customers, media, django_capture_on_commit_callbacks):
    a = AttachmentFactory(customer=customers.n1)
    b = AttachmentFactory(customer=customers.n1, order=OrderFactory(customer=customers.n1), name="po.pdf")
    keep = AttachmentFactory(customer=customers.e1)
    with django_capture_on_commit_callbacks(execute=True):
        result = customer_erase(actor=org.users.admin, customer_id=customers.n1.pk, reason="The person asked")
    assert result.attachments == 2
    assert list(Attachment.objects.values_list("pk", flat=True)) == [keep.pk]
    assert not (media / a.file.name).exists() and not (media / b.file.name).exists()
    assert (media / keep.file.name).exists()


# -- pages ---------------------------------------------------------------------

def test_sections_on_the_three_pages(client_for, org, customers):
    interaction = InteractionFactory(customer=customers.n1)
    order = OrderFactory(customer=customers.n1)
    AttachmentFactory(customer=customers.n1, name="客户资料.pdf")
    AttachmentFactory(customer=customers.n1, interaction=interaction, name="visit-notes.pdf")
    AttachmentFactory(customer=customers.n1, order=order, name="purchase-order.pdf")
    client = client_for(org.users.sales_n1)
    pages = {
        reverse("customer_detail", args=[customers.n1.pk]): "客户资料.pdf",
        reverse("interaction_edit", args=[interaction.pk]): "visit-notes.pdf",
        reverse("order_detail", args=[order.pk]): "purchase-order.pdf",
    }
    for url, name in pages.items():
        html = client.get(url).content.decode()
        assert 'id="attachments"' in html and name in html, url
        assert 'type="file"' in html
        others = set(pages.values()) - {name}
        assert not any(o in html for o in others), url


def test_htmx_upload_and_refusal(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    url = reverse("attachment_section", args=["customer", customers.n1.pk])
    r = client.post(url, {"file": SimpleUploadedFile("报价.pdf", PDF_BYTES)}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "报价.pdf" in r.content.decode()
    r = client.post(url, {"file": SimpleUploadedFile("tool.pdf", EXE)}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "tool.pdf: Programs and scripts cannot be attached." in html
    assert list(Attachment.objects.values_list("name", flat=True)) == ["报价.pdf"]


def test_plain_form_upload_redirects_back(client_for, org, customers):
    order = OrderFactory(customer=customers.n1)
    client = client_for(org.users.sales_n1)
    r = client.post(reverse("attachment_section", args=["order", order.pk]),
                    {"file": SimpleUploadedFile("po.pdf", PDF_BYTES)})
    assert r.status_code == 302 and r["Location"] == reverse("order_detail", args=[order.pk])
    assert Attachment.objects.get().order_id == order.pk


def test_download_headers_and_audit(client_for, org, customers):
    a = AttachmentFactory(customer=customers.n1, name="合同 final.pdf")
    client = client_for(org.users.north_manager)
    r = client.get(reverse("attachment_download", args=[a.pk]))
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PDF_BYTES
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Content-Type"] == "application/pdf"
    assert "sandbox" in r["Content-Security-Policy"]
    ev = AuditEvent.objects.get(action="attachment.download")
    assert ev.actor == org.users.north_manager and ev.customer_id == customers.n1.pk


def test_another_teams_attachment_is_404(client_for, org, customers):
    a = AttachmentFactory(customer=customers.e1)
    client = client_for(org.users.sales_n1)
    assert client.get(reverse("attachment_download", args=[a.pk])).status_code == 404
    for url in (reverse("attachment_delete", args=[a.pk]),
                reverse("attachment_section", args=["customer", customers.e1.pk])):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url
    assert Attachment.objects.filter(pk=a.pk).exists()
    assert not AuditEvent.objects.filter(action="attachment.download").exists()


def test_delete_with_confirmation(client_for, org, customers, media, django_capture_on_commit_callbacks):
    a = AttachmentFactory(customer=customers.n1, name="old.pdf")
    client = client_for(org.users.sales_n1)
    url = reverse("attachment_delete", args=[a.pk])
    page = client.get(url).content.decode()
    assert "old.pdf" in page and "cannot be undone" in page
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(url)
    assert r.status_code == 302
    assert not Attachment.objects.exists() and not (media / a.file.name).exists()
    assert AuditEvent.objects.get(action="attachment.delete").summary == "old.pdf"


def test_read_only_roles_see_and_download_but_do_not_change(client_for, org, customers):
    a = AttachmentFactory(customer=customers.n1)
    for user in (org.users.analyst, org.users.north_marketing):
        client = client_for(user)
        html = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
        assert a.name in html and 'type="file"' not in html
        assert client.get(reverse("attachment_download", args=[a.pk])).status_code == 200
        assert client.get(reverse("attachment_delete", args=[a.pk])).status_code == 403
        assert client.post(reverse("attachment_delete", args=[a.pk])).status_code == 403
        r = client.post(reverse("attachment_section", args=["customer", customers.n1.pk]),
                        {"file": SimpleUploadedFile("x.pdf", PDF_BYTES)})
        assert r.status_code == 403
    assert Attachment.objects.count() == 1


def test_chinese_section(client_for, org, customers):
    AttachmentFactory(customer=customers.n1)
    client = client_for(org.users.sales_n1)
    with translation.override("zh-hans"):
        html = client.get(reverse("customer_detail", args=[customers.n1.pk]),
                          HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "附件" in html and "上传" in html


def test_deleting_a_record_removes_its_files(org, customers, media, django_capture_on_commit_callbacks):
    from kehu.customers.services import customer_delete
    from kehu.engagement.services import interaction_delete
    from kehu.sales.services import order_delete

    interaction = InteractionFactory(customer=customers.n1)
    order = OrderFactory(customer=customers.n1)
    bare = CustomerFactory(owner=org.users.sales_n1)
    files = [AttachmentFactory(customer=customers.n1, interaction=interaction),
             AttachmentFactory(customer=customers.n1, order=order), AttachmentFactory(customer=bare)]
    kept = AttachmentFactory(customer=customers.n1)
    with django_capture_on_commit_callbacks(execute=True):
        interaction_delete(actor=org.users.sales_n1, interaction=interaction)
        order_delete(actor=org.users.sales_n1, order=order)
        customer_delete(actor=org.users.sales_n1, customer=bare)
    assert not any((media / a.file.name).exists() for a in files)
    assert list(Attachment.objects.values_list("pk", flat=True)) == [kept.pk]
    assert (media / kept.file.name).exists()
