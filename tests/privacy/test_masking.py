"""Masking of phone numbers, e-mail addresses and ID numbers (kehu.privacy.masking),
decided by the one policy (kehu.org.policies.may_see_personal_data), and the
logged reveal — in pages, the API, search results and exports."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.customers.services import customer_share
from kehu.imports.exports import customer_rows
from kehu.org.policies import policy_for
from kehu.privacy.masking import mask_customers, mask_email, mask_id_number, mask_phone
from kehu.privacy.services import personal_data_reveal
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

FULL_PHONE = "13900139003"
MASKED_PHONE = "139****9003"
FULL_EMAIL = "buyer@huadong.example"
MASKED_EMAIL = "b***@huadong.example"


@pytest.fixture
def e1(customers):
    c = customers.e1
    Customer.objects.filter(pk=c.pk).update(id_number="110101199003071234")
    c.refresh_from_db()
    ContactFactory(customer=c, name="王经理", phone="13700137007", email="wang@huadong.example")
    return c


def test_masks():
    assert mask_phone("13800138001") == "138****8001"
    assert mask_phone("010-62345678") == "010****5678"
    assert mask_phone("12345") == "1****45"
    assert mask_phone("") == ""
    assert mask_email("zhang.san@example.com") == "z***@example.com"
    assert mask_id_number("110101199003071234") == "11**************34"


@pytest.mark.parametrize("role,full", [
    ("admin", True), ("hq_manager", True), ("east_manager", True), ("sales_e1", True),
    ("analyst", False),
])
def test_the_policy_decides_who_sees_in_full(org, e1, role, full):
    assert policy_for(getattr(org.users, role)).may_see_personal_data(e1) is full


def test_shares_give_full_view_only_with_edit(org, e1):
    customer_share(actor=org.users.admin, customer=e1, user=org.users.sales_n1)
    policy = policy_for(org.users.sales_n1)
    assert policy.can_view(e1) and not policy.may_see_personal_data(e1)
    assert policy.may_reveal_personal_data(e1)
    customer_share(actor=org.users.admin, customer=e1, user=org.users.sales_n1, can_edit=True)
    org.users.sales_n1._kehu_policy = None
    from kehu.org.policies import CustomerPolicy

    assert CustomerPolicy(org.users.sales_n1).may_see_personal_data(e1)


def test_read_only_roles_may_not_reveal(org, e1):
    assert not policy_for(org.users.analyst).may_reveal_personal_data(e1)


# -- API -------------------------------------------------------------------------

def test_api_masks_customer_contacts_and_search_for_an_analyst(org, e1, api_as):
    api = api_as(org.users.analyst)
    detail = api.get(f"/customers/{e1.pk}").json()
    assert (detail["phone"], detail["email"], detail["id_number"]) == (MASKED_PHONE, MASKED_EMAIL,
                                                                       "11**************34")
    listed = {c["id"]: c for c in api.get("/customers", {"limit": 100}).json()["items"]}
    assert listed[e1.pk]["phone"] == MASKED_PHONE
    found = api.get("/customers", {"q": "1390013"}).json()["items"]
    assert [c["phone"] for c in found] == [MASKED_PHONE]
    contacts = api.get("/contacts", {"customer_id": e1.pk}).json()["items"]
    assert contacts[0]["phone"] == "137****7007" and contacts[0]["email"] == "w***@huadong.example"
    assert FULL_PHONE not in api.get(f"/customers/{e1.pk}").content.decode()


def test_api_shows_the_owner_everything(org, e1, api_as):
    detail = api_as(org.users.sales_e1).get(f"/customers/{e1.pk}").json()
    assert (detail["phone"], detail["email"], detail["id_number"]) == (FULL_PHONE, FULL_EMAIL, "110101199003071234")
    contact = api_as(org.users.east_manager).get("/contacts", {"customer_id": e1.pk}).json()["items"][0]
    assert contact["phone"] == "13700137007"


def test_api_reveal_is_audited(org, e1, api_as):
    customer_share(actor=org.users.admin, customer=e1, user=org.users.sales_n1)
    api = api_as(org.users.sales_n1)
    assert api.get(f"/customers/{e1.pk}").json()["phone"] == MASKED_PHONE
    r = api.post(f"/customers/{e1.pk}/personal-data/reveal", {"field": "phone"})
    assert r.status_code == 200 and r.json() == {"field": "phone", "value": FULL_PHONE}
    ev = AuditEvent.objects.get(action="privacy.reveal")
    assert (ev.actor, ev.customer_id, ev.changes["field"], ev.entity) == (org.users.sales_n1, e1.pk, "phone",
                                                                          "customer")
    contact = e1.contacts.get()
    r = api.post(f"/customers/{e1.pk}/personal-data/reveal", {"field": "email", "contact_id": contact.pk})
    assert r.json()["value"] == "wang@huadong.example"
    assert AuditEvent.objects.filter(action="privacy.reveal", entity="contact", entity_id=contact.pk).exists()


def test_api_reveal_refused_to_read_only_roles(org, e1, api_as):
    r = api_as(org.users.analyst).post(f"/customers/{e1.pk}/personal-data/reveal", {"field": "phone"})
    assert r.status_code == 403
    assert not AuditEvent.objects.filter(action="privacy.reveal").exists()


# -- pages -----------------------------------------------------------------------------

def test_list_and_360_masked_for_an_analyst(org, e1, client_for):
    client = client_for(org.users.analyst)
    page = client.get(reverse("customer_list")).content.decode()
    assert MASKED_PHONE in page and FULL_PHONE not in page
    search = client.get(reverse("customer_list"), {"q": "1390013"}).content.decode()
    assert MASKED_PHONE in search and FULL_PHONE not in search
    detail = client.get(reverse("customer_detail", args=[e1.pk])).content.decode()
    for secret in (FULL_PHONE, FULL_EMAIL, "110101199003071234", "13700137007", "wang@huadong.example"):
        assert secret not in detail
    assert MASKED_PHONE in detail and "137****7007" in detail
    assert 'data-testid="reveal-phone"' not in detail  # analysts may not reveal


def test_360_full_for_the_owner(org, e1, client_for):
    detail = client_for(org.users.sales_e1).get(reverse("customer_detail", args=[e1.pk])).content.decode()
    assert FULL_PHONE in detail and "13700137007" in detail and "110101199003071234" in detail


def test_history_of_changes_is_masked(org, e1, client_for):
    from kehu.customers.services import customer_update

    customer_update(actor=org.users.sales_e1, customer=e1, data={"phone": "13600136006"})
    detail = client_for(org.users.analyst).get(reverse("customer_detail", args=[e1.pk])).content.decode()
    assert "13600136006" not in detail and "136****6006" in detail


def test_reveal_button_on_the_360_page(org, e1, client_for):
    customer_share(actor=org.users.admin, customer=e1, user=org.users.sales_n1)
    client = client_for(org.users.sales_n1)
    detail = client.get(reverse("customer_detail", args=[e1.pk])).content.decode()
    assert 'data-testid="reveal-phone"' in detail and FULL_PHONE not in detail
    r = client.post(reverse("privacy_reveal", args=[e1.pk]), {"field": "phone"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and FULL_PHONE in r.content.decode()
    assert AuditEvent.objects.filter(action="privacy.reveal", actor=org.users.sales_n1, customer_id=e1.pk).exists()


def test_reveal_of_an_unknown_field_is_refused(org, e1):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        personal_data_reveal(actor=org.users.admin, customer_id=e1.pk, field="name")


# -- exports ---------------------------------------------------------------------------

def test_export_masks_for_an_analyst_and_not_for_the_owner(org, e1, client_for):
    rows = list(customer_rows(viewer=org.users.analyst))
    header = rows[0]
    row = next(r for r in rows[1:] if r[0] == e1.ref)
    assert row[header.index("phone")] == MASKED_PHONE and row[header.index("email")] == MASKED_EMAIL
    assert row[header.index("id_number")] == "11**************34"
    own = next(r for r in customer_rows(viewer=org.users.sales_e1) if r[0] == e1.ref)
    assert own[header.index("phone")] == FULL_PHONE
    client = client_for(org.users.analyst)
    body = b"".join(client.get(reverse("customer_export"), {"format": "csv"}).streaming_content).decode("utf-8-sig")
    assert FULL_PHONE not in body and MASKED_PHONE in body
    r = client.get(reverse("customer_export"), {"format": "xlsx"})
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content))).active
    cells = {str(c.value) for row in ws.iter_rows() for c in row}
    assert MASKED_PHONE in cells and FULL_PHONE not in cells


def test_masked_instances_cannot_be_saved(org, e1):
    mask_customers(viewer=org.users.analyst, customers=[e1])
    assert e1.phone == MASKED_PHONE
    with pytest.raises(RuntimeError):
        e1.save()
    e1.refresh_from_db()
    assert e1.phone == FULL_PHONE
