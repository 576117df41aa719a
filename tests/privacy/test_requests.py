"""Export of everything Kehu holds about one person, and erasure on request:
services, pages, API and ``kehu privacy export|erase``."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.cli import main as kehu_main
from kehu.customers.models import Contact, Customer
from kehu.customers.services import customer_update
from kehu.engagement.models import Interaction
from kehu.privacy.services import customer_erase, personal_data_export
from kehu.sales.models import Order
from kehu.surveys.models import Answer, Response, ResponseStatus, Wave
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(org, gas):
    """An individual customer of sales_n1 with a contact, an interaction, an
    order, a consent change and a survey response with a free-text answer."""
    c = CustomerFactory(name="李四", kind="individual", owner=org.users.sales_n1, phone="13812345678",
                        email="lisi@example.com", address="北京市海淀区1号", remarks="喜欢绿茶", id_number="110101199001011234")
    customer_update(actor=org.users.sales_n1, customer=c, data={"consent_marketing": True})
    from kehu.customers.services import contact_create

    contact_create(actor=org.users.sales_n1, customer=c, data={"name": "王助理", "phone": "13700000000",
                                                                "email": "assistant@example.com"})
    InteractionFactory(customer=c, summary="谈到了他的家庭情况")
    OrderFactory(customer=c)
    wave = Wave.objects.create(survey=gas, name="W")
    response = Response.objects.create(wave=wave, customer=c, status=ResponseStatus.COMPLETE, index=80, nps=9)
    text_q = gas.questions.filter(kind="text").first()
    number_q = gas.questions.exclude(kind="text").first()
    Answer.objects.create(response=response, question=text_q, text="我的电话是13812345678")
    Answer.objects.create(response=response, question=number_q, number=4)
    c.refresh_from_db()
    return c


def _zip(data: bytes) -> dict:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name).decode() for name in zf.namelist()}


# -- export -------------------------------------------------------------------------------

def test_export_holds_everything_and_is_audited(org, person):
    name, data = personal_data_export(actor=org.users.sales_n1, customer_id=person.pk)
    assert name == f"personal-data-{person.ref}.zip"
    files = _zip(data)
    assert set(files) == {"index.html", "data.json"}
    doc = json.loads(files["data.json"])
    assert doc["customer"]["phone"] == "13812345678" and doc["customer"]["id_number"] == "110101199001011234"
    assert doc["contacts"][0]["email"] == "assistant@example.com"
    assert doc["interactions"][0]["summary"] == "谈到了他的家庭情况"
    assert len(doc["orders"]) == 1 and doc["orders"][0]["lines"]
    assert doc["survey_responses"][0]["answers"]
    assert doc["consent"]["marketing"] is True and doc["consent"]["history"]
    assert doc["audit"]
    assert "李四" in files["index.html"] and "13812345678" in files["index.html"]
    ev = AuditEvent.objects.get(action="privacy.export")
    assert (ev.actor, ev.customer_id) == (org.users.sales_n1, person.pk)


def test_export_permissions(org, person):
    with pytest.raises(Http404):
        personal_data_export(actor=org.users.sales_e1, customer_id=person.pk)
    with pytest.raises(PermissionDenied):
        personal_data_export(actor=org.users.analyst, customer_id=person.pk)
    assert not AuditEvent.objects.filter(action="privacy.export").exists()


def test_export_from_the_360_page(org, person, client_for):
    client = client_for(org.users.north_manager)
    detail = client.get(reverse("customer_detail", args=[person.pk])).content.decode()
    assert 'data-testid="export-personal"' in detail and 'data-testid="erase-personal"' not in detail
    r = client.post(reverse("privacy_export", args=[person.pk]))
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    assert "data.json" in _zip(r.content)


def test_export_through_the_api(org, person, api_as):
    r = api_as(org.users.sales_n1).get(f"/customers/{person.pk}/personal-data")
    assert r.status_code == 200 and r.json()["data"]["customer"]["email"] == "lisi@example.com"


def test_kehu_privacy_export(org, person, tmp_path, capsys):
    out = tmp_path / "p.zip"
    assert kehu_main(["privacy", "export", person.ref, str(out)]) == 0
    assert "data.json" in _zip(out.read_bytes())
    assert kehu_main(["privacy", "export", "NO-SUCH", str(out)]) == 1


# -- erasure ----------------------------------------------------------------------------

def test_erase_removes_identifying_data_and_keeps_orders(org, person):
    order = Order.objects.get(customer=person)
    result = customer_erase(actor=org.users.admin, customer_id=person.pk, reason="本人书面申请 2026-12-01")
    person.refresh_from_db()
    assert person.name == f"Erased customer {person.ref}"
    for f in ("phone", "email", "address", "remarks", "id_number"):
        assert getattr(person, f) == "", f
    assert person.birthday is None and not person.consent_marketing
    assert not Contact.objects.filter(customer=person).exists()
    assert Interaction.objects.get(customer=person).summary == "(erased)"
    assert Order.objects.filter(pk=order.pk, customer=person).exists()
    answers = Answer.objects.filter(response__customer=person)
    assert not answers.exclude(text="").exists() and answers.filter(number=4).exists()
    assert Response.objects.get(customer=person).index == 80
    for ev in AuditEvent.objects.filter(customer_id=person.pk).exclude(action="privacy.erase"):
        assert "李四" not in json.dumps(ev.changes, ensure_ascii=False) + ev.summary
        assert "王助理" not in json.dumps(ev.changes, ensure_ascii=False) + ev.summary
        assert "13812345678" not in json.dumps(ev.changes)
    ev = AuditEvent.objects.get(action="privacy.erase")
    assert (ev.actor, ev.customer_id, ev.changes["reason"]) == (org.users.admin, person.pk, "本人书面申请 2026-12-01")
    assert "phone" in result.fields and result.contacts == 1


@pytest.mark.parametrize("role", ["sales_n1", "north_manager", "analyst"])
def test_only_admins_and_head_office_erase(org, person, role):
    with pytest.raises(PermissionDenied):
        customer_erase(actor=getattr(org.users, role), customer_id=person.pk, reason="x")


def test_erase_needs_a_reason_and_visibility(org, person):
    with pytest.raises(ValidationError):
        customer_erase(actor=org.users.admin, customer_id=person.pk, reason="  ")
    with pytest.raises(Http404):
        customer_erase(actor=org.users.sales_e1, customer_id=person.pk, reason="x")
    customer_erase(actor=org.users.hq_manager, customer_id=person.pk, reason="request")


def test_erase_page_asks_for_the_code(org, person, client_for):
    client = client_for(org.users.admin)
    assert 'data-testid="erase-personal"' in client.get(reverse("customer_detail", args=[person.pk])).content.decode()
    url = reverse("privacy_erase", args=[person.pk])
    assert client.get(url).status_code == 200
    r = client.post(url, {"reason": "request", "confirm": "WRONG"})
    assert r.status_code == 200 and Customer.objects.get(pk=person.pk).name == "李四"
    r = client.post(url, {"reason": "request", "confirm": person.ref.lower()})
    assert r.status_code == 302
    assert Customer.objects.get(pk=person.pk).phone == ""
    detail = client.get(reverse("customer_detail", args=[person.pk])).content.decode()
    assert 'data-testid="erased"' in detail


def test_erase_through_the_api(org, person, api_as):
    api = api_as(org.users.admin)
    r = api.post(f"/customers/{person.pk}/personal-data/erase", {"reason": "request", "confirm": "C0"})
    assert r.status_code == 422 and "confirm" in r.json()["error"]["fields"]
    r = api.post(f"/customers/{person.pk}/personal-data/erase", {"reason": "request", "confirm": person.ref})
    assert r.status_code == 200 and r.json()["contacts"] == 1
    assert api.get(f"/customers/{person.pk}").json()["phone"] == ""


def test_kehu_privacy_erase(org, person, monkeypatch, capsys):
    monkeypatch.setattr("builtins.input", lambda prompt="": "nope")
    assert kehu_main(["privacy", "erase", person.ref, "--reason", "request"]) == 1
    assert Customer.objects.get(pk=person.pk).phone == "13812345678"
    assert kehu_main(["privacy", "erase", person.ref, "--reason", "request", "--yes"]) == 0
    assert Customer.objects.get(pk=person.pk).phone == ""
    assert AuditEvent.objects.filter(action="privacy.erase", actor=org.users.admin).exists()
    assert kehu_main(["privacy", "erase", person.ref, "--reason", "x", "--yes", "--as", "sales_n1"]) == 1


def test_the_pages_in_chinese(org, person, client):
    user = org.users.admin
    user.language = "zh-hans"
    user.save()
    client.force_login(user)
    detail = client.get(reverse("customer_detail", args=[person.pk])).content.decode()
    assert "个人信息" in detail and "导出该客户的全部数据" in detail and "删除个人信息…" in detail
    assert "证件号码" in detail
    erase = client.get(reverse("privacy_erase", args=[person.pk])).content.decode()
    assert "此操作不可撤销" in erase and "永久删除" in erase
    files = _zip(client.post(reverse("privacy_export", args=[person.pk])).content)
    assert "关于 李四" in files["index.html"] and "变更历史" in files["index.html"]
