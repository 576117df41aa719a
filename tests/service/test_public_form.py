"""The public service form (no login): a case on the channel "website form" with a
status-lookup token, matched to a customer by phone or e-mail, duplicates merged,
bad input refused with a clear message and nothing written, the honeypot, CSRF,
the rate limit, both languages; the status page shows nothing internal. The
administrators' links: the settings page, the QR codes, the command."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kehu.runtime import ratelimit
from kehu.service.intake import Submission, intake_link_create, public_submit
from kehu.service.models import Case, CaseAttachment, EventKind
from kehu.service.services import case_comment
from tests.api.conftest import api_as  # noqa: F401
from tests.factories import PDF_BYTES, ContactFactory

pytestmark = pytest.mark.django_db

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def setup(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KEHU_INTAKE_RATE_PER_IP = 0
    settings.KEHU_INTAKE_LOOKUP_RATE_PER_IP = 0
    settings.KEHU_PUBLIC_URL = "https://kehu.example"
    now = ratelimit.clock()
    monkeypatch.setattr(ratelimit, "clock", lambda: now)   # one rate-limit window for the whole test


@pytest.fixture
def link(org):
    return intake_link_create(actor=org.users.admin, data={"name": "Shanghai centre", "team": org.teams.north})


@pytest.fixture
def public():
    return Client(enforce_csrf_checks=True)


def form_data(**extra):
    data = {"name": "李女士", "phone": "13912345678", "email": "", "kind": "complaint", "reference": "",
            "description": "The gas meter ticks even when nothing is on.", "website": ""}
    data.update(extra)
    return data


def send(client, link, lang="", **extra):
    """GET the form (the CSRF cookie and token), then POST it."""
    url = reverse("public_case_form", args=[link.slug]) + (f"?lang={lang}" if lang else "")
    page = client.get(url)
    assert page.status_code == 200
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    return client.post(url, {**form_data(**extra), "csrfmiddlewaretoken": token})


def test_a_submission_becomes_a_case_with_a_status_link(public, link, org):
    r = send(public, link)
    assert r.status_code == 302, r.content.decode()[:2000]
    case = Case.objects.get()
    assert r["Location"] == reverse("public_case_status", args=[case.public_token]) + "?sent=new"
    assert case.channel == "website" and case.kind == "complaint" and case.status == "new"
    assert case.customer is None and case.caller_name == "李女士" and case.caller_phone == "13912345678"
    assert case.team == org.teams.north and case.intake_link == link
    assert case.subject == "The gas meter ticks even when nothing is on."
    assert len(case.public_token) >= 40 and case.steps.count() == 6     # a complaint: the six steps
    created = case.events.get(kind=EventKind.CREATED)
    assert created.actor is None and "Shanghai centre" in created.note
    page = public.get(r["Location"]).content.decode()
    assert case.ref in page and "Thank you. Your request has been registered." in page
    assert f"https://kehu.example/service/status/{case.public_token}/" in page


def test_status_page_shows_no_internal_notes(public, link, org, client_for):
    send(public, link, description="Secret meter number 4711 leaks")
    case = Case.objects.get()
    case_comment(actor=org.users.north_service, case=case, note="INTERNAL: customer sounds angry")
    from kehu.service.services import case_transition

    case_transition(actor=org.users.north_service, case=case, to_status="accepted")
    page = public.get(reverse("public_case_status", args=[case.public_token])).content.decode()
    assert case.ref in page and "Accepted" in page and "Complaint" in page
    for secret in ("INTERNAL", "angry", "north_service", "13912345678", "李女士", "4711"):
        assert secret not in page
    assert public.get(reverse("public_case_status", args=["A" * 43])).status_code == 404
    assert public.get(reverse("public_case_status", args=[case.public_token[:-1] + "x"])).status_code == 404


def test_matched_to_the_one_customer_by_phone_or_email(public, link, customers):
    send(public, link, phone=customers.n1.phone)
    assert Case.objects.get().customer == customers.n1
    contact = ContactFactory(customer=customers.e1, email="li@huadong.example", phone="")
    send(public, link, phone="", email="LI@huadong.example", description="Another matter")
    case = Case.objects.latest("id")
    assert case.customer == customers.e1 and case.contact == contact


def test_two_customers_with_the_phone_leave_an_unknown_caller(public, link, customers):
    customers.n1b.phone = customers.n1.phone
    customers.n1b.save()
    send(public, link, phone=customers.n1.phone)
    case = Case.objects.get()
    assert case.customer is None and case.caller_phone == customers.n1.phone


def test_duplicate_within_the_window_is_merged_into_the_first(public, link, settings):
    first = send(public, link)
    again = send(public, link, description="  the GAS meter ticks   even when nothing is on. ")
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert again["Location"] == reverse("public_case_status", args=[case.public_token]) + "?sent=again"
    assert first["Location"].split("?")[0] == again["Location"].split("?")[0]
    assert case.events.filter(kind=EventKind.DUPLICATE).count() == 1
    page = public.get(again["Location"]).content.decode()
    assert case.ref in page and "no second request was opened" in page
    # another text, or the same text from another phone, is another case
    send(public, link, description="Something else entirely")
    send(public, link, phone="13700000001")
    assert Case.objects.count() == 3


def test_duplicate_after_the_window_is_a_new_case(link):
    sub = Submission(name="A", phone="13912345678", email="", kind="enquiry", reference="", description="Hours?")
    first = public_submit(link=link, submission=sub, now=timezone.now() - timezone.timedelta(minutes=11))
    Case.objects.filter(pk=first.case.pk).update(created_at=timezone.now() - timezone.timedelta(minutes=11))
    second = public_submit(link=link, submission=sub)
    assert not second.duplicate and second.case.pk != first.case.pk


def test_attachment_is_kept_on_the_case(public, link):
    url = reverse("public_case_form", args=[link.slug])
    page = public.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = public.post(url, {**form_data(), "csrfmiddlewaretoken": token,
                          "attachment": SimpleUploadedFile("meter.pdf", PDF_BYTES)})
    assert r.status_code == 302
    att = CaseAttachment.objects.get()
    assert att.case == Case.objects.get() and att.uploaded_by is None and att.name == "meter.pdf"
    assert Case.objects.get().events.filter(kind=EventKind.ATTACHMENT).exists()


# -- bad input: a clear message, nothing written ------------------------------------------------------------

def _refused(client, link, files=None, **extra):
    url = reverse("public_case_form", args=[link.slug])
    page = client.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    r = client.post(url, {**form_data(**extra), "csrfmiddlewaretoken": token, **(files or {})})
    assert r.status_code == 422
    html = r.content.decode()
    assert "Nothing was sent: please correct the fields marked below." in html
    assert not Case.objects.exists() and not CaseAttachment.objects.exists()
    return html


def test_empty_form(public, link):
    html = _refused(public, link, name="", phone="", description="   ")
    assert "This field is required." in html or "Tell us your name." in html
    assert "Give a phone number or an e-mail address so that we can answer you." in html


def test_oversize_text(public, link):
    html = _refused(public, link, description="长" * 5001)
    assert "Ensure this value has at most 5000 characters (it has 5001)." in html


def test_wrong_types(public, link):
    html = _refused(public, link, kind="praise-me", email="not-an-address", phone="call me maybe")
    assert "Select a valid choice." in html and "Enter a valid email address." in html


def test_script_tags_are_shown_escaped(public, link):
    html = _refused(public, link, name="<script>alert(1)</script>", phone="")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    # accepted text with a tag is stored as typed and shown escaped to the agents
    send(public, link, description="<script>alert(2)</script> my meter")
    assert Case.objects.get().description.startswith("<script>")


def test_a_20_mb_attachment(public, link):
    html = _refused(public, link, files={"attachment": SimpleUploadedFile("big.pdf", PDF_BYTES + b"0" * (20 * 1024 * 1024))})
    assert "The file is too large: at most 10 MB." in html


def test_a_wrong_file_type(public, link):
    html = _refused(public, link, files={"attachment": SimpleUploadedFile("virus.exe", EXE)})
    assert "Files of this type cannot be attached." in html
    html = _refused(public, link, files={"attachment": SimpleUploadedFile("photo.jpg", EXE)})
    assert "Programs and scripts cannot be attached." in html


def test_honeypot_looks_accepted_and_writes_nothing(public, link):
    r = send(public, link, website="http://spam.example")
    assert r.status_code == 200 and "Your message has been received." in r.content.decode()
    assert not Case.objects.exists()


def test_csrf_is_required(public, link):
    r = public.post(reverse("public_case_form", args=[link.slug]), form_data())
    assert r.status_code == 403 and not Case.objects.exists()


def test_rate_limit_per_address(public, link, settings):
    settings.KEHU_INTAKE_RATE_PER_IP = 2
    assert send(public, link, description="one").status_code == 302
    assert send(public, link, description="two").status_code == 302
    r = send(public, link, description="three")
    assert r.status_code == 429 and r["Retry-After"] == "60"
    assert Case.objects.count() == 2
    other = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.1.2.3")
    assert send(other, link, description="four").status_code == 302


def test_status_lookups_are_rate_limited(public, link, settings):
    settings.KEHU_INTAKE_LOOKUP_RATE_PER_IP = 3
    codes = [public.get(reverse("public_case_status", args=["B" * 43])).status_code for _ in range(4)]
    assert codes == [404, 404, 404, 429]


def test_inactive_or_unknown_link(public, link, org):
    from kehu.service.intake import intake_link_deactivate

    intake_link_deactivate(actor=org.users.admin, link=link)
    r = public.get(reverse("public_case_form", args=[link.slug]))
    assert r.status_code == 404 and "not (or no longer) in use" in r.content.decode()
    assert public.get(reverse("public_case_form", args=["nope"])).status_code == 404


def test_chinese_from_lang_and_from_the_browser(public, link):
    url = reverse("public_case_form", args=[link.slug])
    assert "<title>联系我们的服务团队" in public.get(url + "?lang=zh-hans").content.decode()
    zh = public.get(url, HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    en = public.get(url + "?lang=en", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert "Contact our service team" in en and "Contact our service team" not in zh
    r = send(public, link, lang="zh-hans", name="", phone="")
    html = r.content.decode()
    assert "尚未提交：请修改下方标出的栏目。" in html and "请留下电话或电子邮箱，以便我们答复您。" in html
    assert 'name="lang" value="zh-hans"' in html
    ok = send(public, link, lang="zh-hans")
    assert ok["Location"].endswith("?sent=new&lang=zh-hans")
    status = public.get(ok["Location"]).content.decode()
    assert "谢谢！您的诉求已登记。" in status and "投诉" in status


def test_public_pages_have_no_inline_script_or_style(public, link):
    html = public.get(reverse("public_case_form", args=[link.slug])).content.decode()
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert 'name="website"' in html and 'class="hp-field"' in html
    assert 'name="viewport"' in html


# -- the links: settings page, QR codes, command ---------------------------------------------------------

def test_settings_page_adds_a_link_with_its_qr_code(org, client_for):
    client = client_for(org.users.admin)
    r = client.post(reverse("intake_links"), {"name": "Beijing shop", "team": org.teams.n1.pk})
    assert r.status_code == 302
    from kehu.service.models import IntakeLink

    link = IntakeLink.objects.get()
    assert link.slug.startswith("beijing-shop-") and link.team == org.teams.n1 and link.active
    page = client.get(reverse("intake_links")).content.decode()
    assert f"https://kehu.example/service/form/{link.slug}/" in page and "<svg" in page
    png = client.get(reverse("intake_link_qr", args=[link.pk, "png"]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert "attachment" in png["Content-Disposition"]
    svg = client.get(reverse("intake_link_qr", args=[link.pk, "svg"]))
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    assert client.get(reverse("intake_link_qr", args=[link.pk, "gif"])).status_code == 404
    dup = client.post(reverse("intake_links"), {"name": "Again", "slug": link.slug})
    assert dup.status_code == 200 and IntakeLink.objects.count() == 1


def test_qr_code_carries_the_form_address(org, client_for):
    import segno  # noqa: F401  (the local generator; the image is checked by its size only)

    link = intake_link_create(actor=org.users.admin, data={"name": "Poster", "slug": "poster"})
    png = client_for(org.users.admin).get(reverse("intake_link_qr", args=[link.pk, "png"])).content
    assert len(png) > 200


def test_api_links(org, api_as):
    api = api_as(org.users.admin)
    r = api.post("/intake-links", {"name": "Hotline poster", "slug": "hotline", "team_id": org.teams.north.pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["url"] == "https://kehu.example/service/form/hotline/" and body["active"] and body["team_id"]
    assert api.post("/intake-links", {"name": "Again", "slug": "hotline"}).status_code == 422
    assert api.post("/intake-links", {"name": "X", "team_id": 999999}).status_code == 422
    assert api.post(f"/intake-links/{body['id']}/deactivate").json()["active"] is False
    assert [x["slug"] for x in api.get("/intake-links").json()] == ["hotline"]


def test_command_list_add_deactivate(org, capsys):
    from kehu.cli import main

    assert main(["cases", "intake-links", "add", "Shop poster", "--slug", "shop", "--team", "North region"]) == 0
    assert "https://kehu.example/service/form/shop/" in capsys.readouterr().out
    assert main(["cases", "intake-links", "list"]) == 0
    out = capsys.readouterr().out
    assert "shop\tShop poster\tactive\t-\tNorth region" in out
    assert main(["cases", "intake-links", "deactivate", "shop"]) == 0
    assert main(["cases", "intake-links", "list"]) == 0
    assert "inactive" in capsys.readouterr().out
    assert main(["cases", "intake-links", "deactivate", "nope"]) == 2
    assert main(["cases", "intake-links", "list", "--as", "sales_n1"]) == 1
