"""Case attachments: the attachments app's checks (size, type, content), the case's
scope (404 outside it, 403 for read-only roles), the timeline, the audit, the stored
file removed with the attachment, the API and the case page."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.storage import default_storage
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.service.models import CaseAttachment, EventKind
from kehu.service.services import case_attachment_delete, case_attachment_upload, case_create
from tests.api.conftest import api_as, assert_error  # noqa: F401
from tests.factories import PDF_BYTES

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def unknown_caller_case(org):
    return case_create(actor=org.users.north_service, data={"caller_name": "王先生", "caller_phone": "13700000000",
                                                            "subject": "Meter leaks", "kind": "repair"})


def pdf(name="photo.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content)


def test_upload_on_a_case_without_a_customer(org, unknown_caller_case, django_capture_on_commit_callbacks):
    case = unknown_caller_case
    att = case_attachment_upload(actor=org.users.north_service, case=case, upload=pdf("发票.pdf"))
    assert att.name == "发票.pdf" and att.size == len(PDF_BYTES) and att.content_type == "application/pdf"
    assert att.file.name.startswith("attachments/") and "发票" not in att.file.name   # the user's name never reaches the storage
    assert default_storage.exists(att.file.name)
    events = list(case.events.filter(kind=EventKind.ATTACHMENT).values_list("note", flat=True))
    assert events == ["Added 发票.pdf"]
    assert AuditEvent.objects.filter(action="attachment.upload", entity="caseattachment", entity_id=att.pk).exists()
    path = att.file.name
    with django_capture_on_commit_callbacks(execute=True):
        case_attachment_delete(actor=org.users.north_service, attachment=att)
    assert not CaseAttachment.objects.exists() and not default_storage.exists(path)
    assert list(case.events.filter(kind=EventKind.ATTACHMENT).values_list("note", flat=True)) == [
        "Added 发票.pdf", "Removed 发票.pdf"]


@pytest.mark.parametrize("name,content,says", [
    ("setup.exe", EXE, "cannot be attached. Allowed:"),
    ("invoice.pdf", EXE, "Programs and scripts cannot be attached."),
    ("page.txt", b"<script>alert(1)</script>", "not a .txt file"),
    ("photo.png", PDF_BYTES, "not a .png file"),
    ("empty.pdf", b"", "The file is empty."),
])
def test_refused_files_write_nothing(org, complaint, name, content, says):
    with pytest.raises(ValidationError) as exc:
        case_attachment_upload(actor=org.users.sales_n1, case=complaint, upload=SimpleUploadedFile(name, content))
    assert says in " ".join(exc.value.message_dict["file"])
    assert not CaseAttachment.objects.exists()
    assert not complaint.events.filter(kind=EventKind.ATTACHMENT).exists()


def test_too_big(org, complaint, settings):
    settings.KEHU_ATTACHMENT_MAX_MB = 1
    with pytest.raises(ValidationError) as exc:
        case_attachment_upload(actor=org.users.sales_n1, case=complaint,
                               upload=pdf(content=PDF_BYTES + b"0" * (1024 * 1024)))
    assert exc.value.message_dict["file"] == ["The file is too large: at most 1 MB."]


def test_read_only_roles_and_strangers_may_not_attach(org, complaint):
    for user in (org.users.analyst, org.users.sales_e1):
        with pytest.raises(PermissionDenied):
            case_attachment_upload(actor=user, case=complaint, upload=pdf())
    assert not CaseAttachment.objects.exists()


def test_customer_delete_removes_the_case_files(org, customers, django_capture_on_commit_callbacks):
    from kehu.customers.services import customer_delete

    case = case_create(actor=org.users.sales_n1b, data={"customer": customers.n1b, "subject": "Noise"})
    att = case_attachment_upload(actor=org.users.sales_n1b, case=case, upload=pdf())
    path = att.file.name
    with django_capture_on_commit_callbacks(execute=True):
        customer_delete(actor=org.users.sales_n1b, customer=customers.n1b)
    assert not CaseAttachment.objects.exists() and not default_storage.exists(path)


def test_erasure_removes_the_case_files(org, customers, complaint, django_capture_on_commit_callbacks):
    from kehu.privacy.services import customer_erase

    att = case_attachment_upload(actor=org.users.sales_n1, case=complaint, upload=pdf())
    with django_capture_on_commit_callbacks(execute=True):
        customer_erase(actor=org.users.admin, customer_id=customers.n1.pk, reason="The person asked.")
    assert not CaseAttachment.objects.filter(pk=att.pk).exists() and not default_storage.exists(att.file.name)


# -- the API ---------------------------------------------------------------------------------------------

def _upload(api, case_pk, name="photo.pdf", content=PDF_BYTES):
    return api.client.post(api._url(f"/cases/{case_pk}/attachments"), {"file": SimpleUploadedFile(name, content)},
                           **api.headers)


def test_api_list_upload_download_delete(org, api_as, complaint):
    api = api_as(org.users.sales_n1)
    r = _upload(api, complaint.pk)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["name"] == "photo.pdf" and body["case_id"] == complaint.pk and body["uploaded_by"] == "sales_n1"
    assert body["download_url"] == f"/api/v1/cases/{complaint.pk}/attachments/{body['id']}"
    assert [a["id"] for a in api.get(f"/cases/{complaint.pk}/attachments").json()] == [body["id"]]
    download = api.get(f"/cases/{complaint.pk}/attachments/{body['id']}")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF_BYTES
    assert download["Content-Disposition"].startswith("attachment") and download["X-Content-Type-Options"] == "nosniff"
    assert api.delete(f"/cases/{complaint.pk}/attachments/{body['id']}").status_code == 204
    assert api.get(f"/cases/{complaint.pk}/attachments").json() == []
    kinds = list(complaint.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.ATTACHMENT) == 2


def test_api_refusals_are_422_naming_the_file(org, api_as, complaint, settings):
    api = api_as(org.users.sales_n1)
    error = assert_error(_upload(api, complaint.pk, "setup.exe", EXE), 422)
    assert "file" in error["fields"]
    settings.KEHU_ATTACHMENT_MAX_MB = 1
    error = assert_error(_upload(api, complaint.pk, "big.pdf", PDF_BYTES + b"0" * (1024 * 1024)), 422)
    assert error["fields"]["file"] == ["The file is too large: at most 1 MB."]
    assert not CaseAttachment.objects.exists()


def test_api_404_outside_the_scope(org, api_as, complaint):
    att = case_attachment_upload(actor=org.users.sales_n1, case=complaint, upload=pdf())
    stranger = api_as(org.users.sales_e1)
    assert_error(stranger.get(f"/cases/{complaint.pk}/attachments"), 404)
    assert_error(stranger.get(f"/cases/{complaint.pk}/attachments/{att.pk}"), 404)
    assert_error(stranger.delete(f"/cases/{complaint.pk}/attachments/{att.pk}"), 404)
    assert_error(_upload(stranger, complaint.pk), 404)
    assert_error(api_as(org.users.sales_n1).get(f"/cases/{complaint.pk}/attachments/999999"), 404)
    assert CaseAttachment.objects.count() == 1


# -- the case page --------------------------------------------------------------------------------------

def test_case_page_section_upload_and_delete_with_confirmation(org, client_for, complaint):
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("case_detail", args=[complaint.pk])).content.decode()
    assert 'data-testid="case-attachments"' in page and "No attachments yet." in page
    r = client.post(reverse("case_attachments", args=[complaint.pk]), {"file": pdf("meter.pdf")})
    assert r.status_code == 302 and r["Location"].endswith("#attachments")
    att = CaseAttachment.objects.get()
    page = client.get(reverse("case_detail", args=[complaint.pk])).content.decode()
    assert "meter.pdf" in page and reverse("case_attachment_download", args=[complaint.pk, att.pk]) in page
    assert "hx-confirm" in page
    confirm = client.get(reverse("case_attachment_delete", args=[complaint.pk, att.pk])).content.decode()
    assert "will be deleted" in confirm and CaseAttachment.objects.exists()
    client.post(reverse("case_attachment_delete", args=[complaint.pk, att.pk]))
    assert not CaseAttachment.objects.exists()


def test_case_page_htmx_upload_shows_the_refusal(org, client_for, complaint):
    client = client_for(org.users.sales_n1)
    r = client.post(reverse("case_attachments", args=[complaint.pk]), {"file": SimpleUploadedFile("x.exe", EXE)},
                    HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "x.exe: Files of this type cannot be attached." in html
    assert not CaseAttachment.objects.exists()
