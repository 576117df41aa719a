"""The attachments API: upload (multipart), list, details, download, delete."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.attachments.models import Attachment
from tests.api.conftest import assert_error
from tests.factories import PDF_BYTES, AttachmentFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(api, path, name, content, **extra):
    return api.client.post(api._url(path), {"file": SimpleUploadedFile(name, content)}, **api.headers, **extra)


def test_upload_list_download_delete(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    interaction = InteractionFactory(customer=customers.n1)
    order = OrderFactory(customer=customers.n1)
    for path in (f"/customers/{customers.n1.pk}/attachments", f"/interactions/{interaction.pk}/attachments",
                 f"/orders/{order.pk}/attachments"):
        r = upload(api, path, "报价单.pdf", PDF_BYTES)
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["name"] == "报价单.pdf" and body["size"] == len(PDF_BYTES)
        assert body["uploaded_by"] == "sales_n1" and body["customer_id"] == customers.n1.pk
        listed = api.get(path).json()
        assert [x["id"] for x in listed] == [body["id"]]
    by_kind = {a.kind: a for a in Attachment.objects.all()}
    assert by_kind["interaction"].interaction_id == interaction.pk and by_kind["order"].order_id == order.pk
    a = by_kind["order"]
    assert api.get(f"/attachments/{a.pk}").json()["record"] == "order"
    r = api.get(f"/attachments/{a.pk}/download")
    assert r.status_code == 200 and b"".join(r.streaming_content) == PDF_BYTES
    assert r["Content-Disposition"].startswith("attachment;") and r["X-Content-Type-Options"] == "nosniff"
    assert api.delete(f"/attachments/{a.pk}").status_code == 204
    assert Attachment.objects.count() == 2


def test_refusals_are_field_errors_in_the_users_language(org, customers, api_as, settings):
    api = api_as(org.users.sales_n1)
    path = f"/customers/{customers.n1.pk}/attachments"
    r = upload(api, path, "invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100)
    assert_error(r, 422, "validation_error")
    assert r.json()["error"]["fields"]["file"] == ["Programs and scripts cannot be attached."]
    r = upload(api, path, "invoice.pdf", b"MZ\x90\x00" + b"\x00" * 100, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.json()["error"]["fields"]["file"] == ["不能上传程序或脚本。"]
    settings.KEHU_ATTACHMENT_MAX_MB = 1
    r = upload(api, path, "big.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    assert r.json()["error"]["fields"]["file"] == ["The file is too large: at most 1 MB."]
    r = upload(api, path, "run.exe", b"MZ" + b"\x00" * 10)
    assert "cannot be attached" in r.json()["error"]["fields"]["file"][0]
    r = api.client.post(api._url(path), {}, **api.headers)
    assert_error(r, 422, "validation_error")
    assert not Attachment.objects.exists()


def test_another_teams_attachment_is_404(org, customers, api_as):
    a = AttachmentFactory(customer=customers.e1)
    api = api_as(org.users.sales_n1)
    for r in (api.get(f"/attachments/{a.pk}"), api.get(f"/attachments/{a.pk}/download"),
              api.delete(f"/attachments/{a.pk}"), api.get(f"/customers/{customers.e1.pk}/attachments"),
              upload(api, f"/customers/{customers.e1.pk}/attachments", "a.pdf", PDF_BYTES)):
        assert_error(r, 404, "not_found")
    assert Attachment.objects.count() == 1
