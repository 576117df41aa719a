"""Visibility (404 vs 403), escaping of user data, and CSRF."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from kehu.customers.models import Anniversary, Customer
from kehu.customers.services import customer_share
from kehu.engagement.models import Interaction
from kehu.sales.models import Order
from tests.factories import ContactFactory, CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db

XSS = "<script>alert(1)</script>"


@pytest.fixture
def east(customers):
    contact = ContactFactory(customer=customers.e1, name="East contact")
    order = OrderFactory(customer=customers.e1)
    return customers.e1, contact, order


def test_salesperson_gets_404_on_another_teams_records(client_for, org, east):
    customer, contact, order = east
    client = client_for(org.users.sales_n1)
    gets = [
        reverse("customer_detail", args=[customer.pk]),
        reverse("customer_edit", args=[customer.pk]),
        reverse("customer_delete", args=[customer.pk]),
        reverse("customer_merge", args=[customer.pk]),
        reverse("customer_share", args=[customer.pk]),
        reverse("contact_create", args=[customer.pk]),
        reverse("interaction_create", args=[customer.pk]),
        reverse("order_create", args=[customer.pk]),
        reverse("contact_edit", args=[contact.pk]),
        reverse("contact_delete", args=[contact.pk]),
        reverse("order_detail", args=[order.pk]),
        reverse("payment_create", args=[order.pk]),
        reverse("order_list") + f"?customer={customer.pk}",
        reverse("customer_detail", args=[999999]),
    ]
    for url in gets:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "This page does not exist, or you may not see it." in response.content.decode()
    posts = gets[1:12]
    for url in posts:
        assert client.post(url, {"name": "hacked", "summary": "x", "channel": "phone"}).status_code == 404, url
    assert Customer.objects.get(pk=customer.pk).name == "华东机械集团"


def test_read_only_roles_get_403_on_changes(client_for, org, east):
    customer, contact, order = east
    for username in ("analyst", "north_marketing"):
        client = client_for(getattr(org.users, username))
        target = customer if username == "analyst" else Customer.objects.get(name="北方钢铁贸易有限公司")
        assert client.get(reverse("customer_detail", args=[target.pk])).status_code == 200
        urls = [
            reverse("customer_edit", args=[target.pk]),
            reverse("customer_delete", args=[target.pk]),
            reverse("customer_merge", args=[target.pk]),
            reverse("customer_share", args=[target.pk]),
            reverse("contact_create", args=[target.pk]),
            reverse("interaction_create", args=[target.pk]),
            reverse("order_create", args=[target.pk]),
            reverse("customer_create"),
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 403, (username, url)
            assert "You may look at this record but not change it." in response.content.decode()
            assert client.post(url, {"name": "changed"}).status_code == 403, (username, url)
    client = client_for(org.users.analyst)
    assert client.get(reverse("contact_edit", args=[contact.pk])).status_code == 403
    assert client.get(reverse("payment_create", args=[order.pk])).status_code == 403
    assert client.get(reverse("order_detail", args=[order.pk])).status_code == 200


@pytest.fixture
def east_records(east):
    """Records of the East customer that the pages change and delete."""
    customer, _contact, order = east
    return {
        "customer": customer,
        "interaction": InteractionFactory(customer=customer, subject="East call"),
        "order": order,
        "anniversary": Anniversary.objects.create(customer=customer, label="Founded", date=dt.date(2001, 5, 1)),
    }


def change_urls(records):
    return [
        reverse("interaction_edit", args=[records["interaction"].pk]),
        reverse("interaction_delete", args=[records["interaction"].pk]),
        reverse("order_edit", args=[records["order"].pk]),
        reverse("order_cancel", args=[records["order"].pk]),
        reverse("order_delete", args=[records["order"].pk]),
        reverse("anniversary_create", args=[records["customer"].pk]),
        reverse("anniversary_edit", args=[records["anniversary"].pk]),
        reverse("anniversary_delete", args=[records["anniversary"].pk]),
    ]


def assert_unchanged(records):
    assert Interaction.objects.get(pk=records["interaction"].pk).subject == "East call"
    assert Order.objects.get(pk=records["order"].pk).status == "confirmed"
    assert list(Anniversary.objects.filter(customer=records["customer"]).values_list("label", flat=True)) == ["Founded"]


def test_changing_another_teams_records_is_404(client_for, org, east_records):
    client = client_for(org.users.sales_n1)
    for url in change_urls(east_records):
        data = {"summary": "hacked", "channel": "phone", "label": "hacked", "date": "2020-01-01"}
        for response in (client.get(url), client.post(url, data)):
            assert response.status_code == 404, url
            assert "This page does not exist, or you may not see it." in response.content.decode()
    assert_unchanged(east_records)


def test_looking_is_not_changing(client_for, org, east, east_records):
    """The analyst (a read-only role) and a salesperson with a read-only share
    may see the records but get 403 on every change page."""
    customer_share(actor=org.users.admin, customer=east[0], user=org.users.sales_n1, can_edit=False)
    for user in (org.users.analyst, org.users.sales_n1):
        client = client_for(user)
        for url in change_urls(east_records):
            response = client.get(url)
            assert response.status_code == 403, (user, url)
            assert "You may look at this record but not change it." in response.content.decode()
            data = {"summary": "changed", "channel": "phone", "label": "changed", "date": "2020-01-01"}
            assert client.post(url, data).status_code == 403, (user, url)
    assert_unchanged(east_records)


def test_marketing_may_not_change_its_regions_records(client_for, org, full):
    records = {"customer": full.customer, "interaction": full.interaction, "order": full.order,
               "anniversary": full.customer.anniversaries.get()}
    client = client_for(org.users.north_marketing)
    assert client.get(reverse("customer_detail", args=[full.customer.pk])).status_code == 200
    for url in change_urls(records):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"summary": "changed", "label": "changed", "date": "2020-01-01"}).status_code == 403
    full.interaction.refresh_from_db()
    assert full.interaction.subject == "Quarterly call" and full.customer.anniversaries.get().label == "Founded"


def test_script_in_a_name_renders_inert(client_for, org):
    c = CustomerFactory(name=XSS, owner=org.users.sales_n1, tags=[XSS])
    ContactFactory(customer=c, name=XSS, title=XSS)
    InteractionFactory(customer=c, user=org.users.sales_n1, subject=XSS, summary=XSS)
    OrderFactory(customer=c)
    client = client_for(org.users.sales_n1)
    urls = [reverse("customer_list"), reverse("customer_list") + "?q=%3Cscript", reverse("customer_detail", args=[c.pk]),
            reverse("customer_edit", args=[c.pk]), reverse("interaction_list"), reverse("order_list"), reverse("home"),
            reverse("customer_delete", args=[c.pk]), reverse("customer_merge", args=[c.pk])]
    for url in urls:
        html = client.get(url).content.decode()
        assert XSS not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def test_csrf_is_enforced(org, customers):
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.users.sales_n1)
    c = customers.n1
    data = {"channel": "phone", "direction": "outbound", "occurred_at": "2025-01-01T09:00", "summary": "No token"}
    assert client.post(reverse("interaction_create", args=[c.pk]), data).status_code == 403
    assert client.post(reverse("customer_delete", args=[c.pk])).status_code == 403
    assert client.post(reverse("token_create"), {"name": "x"}).status_code == 403
    assert Customer.objects.filter(pk=c.pk).exists()
    # with the token from the page (form field, or the htmx header on <body>) it works
    html = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    header_token = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', html).group(1)
    assert client.post(reverse("interaction_create", args=[c.pk]), {**data, "csrfmiddlewaretoken": token}).status_code == 302
    response = client.post(reverse("interaction_create", args=[c.pk]), data, HTTP_X_CSRFTOKEN=header_token,
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "Interaction logged." in response.content.decode()


def test_search_input_is_escaped(client_for, org, customers):
    html = client_for(org.users.sales_n1).get(reverse("customer_list"), {"q": '"><script>alert(1)</script>'}).content.decode()
    assert '"><script>alert(1)</script>' not in html


# -- Customer value (kehu/insights) --------------------------------------------------------

VALUE_PAGES = ["value_overview", "value_rfm", "value_scores", "value_churn", "value_migration", "value_calls",
               "value_runs", "segment_list"]
# role → (may start an analysis, may change the value settings, may save segments)
VALUE_RIGHTS = {
    "admin": (True, True, True), "hq_manager": (True, False, True), "analyst": (True, False, False),
    "north_manager": (False, False, True), "north_marketing": (False, False, True),
    "sales_n1": (False, False, True),
}


def test_value_pages_need_a_login(client):
    for name in VALUE_PAGES + ["value_run_create", "value_settings", "segment_create"]:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"], name


@pytest.mark.parametrize("role", sorted(VALUE_RIGHTS))
def test_value_rights_per_role(client_for, org, role):
    start, settings_, segments = VALUE_RIGHTS[role]
    client = client_for(getattr(org.users, role))
    for name in VALUE_PAGES:
        assert client.get(reverse(name)).status_code == 200, (role, name)
    for name, allowed in (("value_run_create", start), ("value_settings", settings_), ("segment_create", segments)):
        assert client.get(reverse(name)).status_code == (200 if allowed else 403), (role, name)
        if not allowed:
            assert client.post(reverse(name), {"name": "x", "as_of": "2025-01-01"}).status_code == 403, (role, name)


def test_value_lists_never_show_another_teams_customers(client_for, org, customers):
    from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

    run = AnalysisRunFactory()
    for c in (customers.n1, customers.n1b, customers.e1):
        CustomerScoreFactory(run=run, customer=c, churn_risk=0.9, tier="gold")
    client = client_for(org.users.sales_n1)
    for name in VALUE_PAGES:
        html = client.get(reverse(name)).content.decode()
        assert "华东机械集团" not in html and "张三" not in html, name
    for name in ("value_scores_export", "value_churn_export"):
        body = b"".join(client.get(reverse(name) + "?format=csv").streaming_content).decode()
        assert "北方钢铁贸易有限公司" in body and "华东机械集团" not in body and "张三" not in body, name
    html = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert 'data-testid="value-panel"' in html
    assert client.get(reverse("customer_detail", args=[customers.e1.pk])).status_code == 404


@pytest.mark.parametrize("role", sorted(VALUE_RIGHTS))
def test_starting_a_failed_analysis_again_per_role(client, client_for, org, role):
    from kehu.insights.models import AnalysisRun
    from tests.insights.score_factories import AnalysisRunFactory

    run = AnalysisRunFactory(status="failed", error="interrupted: the process stopped")
    url = reverse("value_run_retry", args=[run.pk])
    assert client.post(url).status_code == 302 and "/login/" in client.post(url)["Location"]
    response = client_for(getattr(org.users, role)).post(url)
    if VALUE_RIGHTS[role][0]:
        assert response.status_code == 302
        assert AnalysisRun.objects.get(pk=run.pk).error != "interrupted: the process stopped"
    else:
        assert response.status_code == 403
        assert AnalysisRun.objects.get(pk=run.pk).status == "failed"

# -- Sign-in and security pages (kehu/accounts) --------------------------------------------------------

ACCOUNT_PAGES = ["profile", "password_change"]  # every signed-in user
ADMIN_PAGES = ["security", "totp_setup"]  # administrators only
PUBLIC_PAGES = ["login", "password_reset", "password_reset_done", "password_reset_complete"]


def test_sign_in_pages_need_a_login_or_are_public(client, org):
    for name in ACCOUNT_PAGES + ADMIN_PAGES:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"], name
    for name in PUBLIC_PAGES:
        assert client.get(reverse(name)).status_code == 200, name
    for name, data in (("security_unlock", {"username": "x"}), ("totp_disable", {"password": "x"})):
        response = client.post(reverse(name), data)
        assert response.status_code == 302 and "/login/" in response["Location"], name


@pytest.mark.parametrize("role", ["admin", "hq_manager", "analyst", "north_manager", "north_service",
                                  "north_marketing", "sales_n1"])
def test_sign_in_pages_per_role(client_for, org, role):
    client = client_for(getattr(org.users, role))
    for name in ACCOUNT_PAGES:
        assert client.get(reverse(name)).status_code == 200, (role, name)
    expected = 200 if role == "admin" else 403
    for name in ADMIN_PAGES:
        assert client.get(reverse(name)).status_code == expected, (role, name)
    assert client.post(reverse("security_unlock"), {"username": "x"}).status_code == (302 if role == "admin" else 403)
    nav = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("security")}"' in nav) is (role == "admin"), role


AUDIT_ROLES = ["admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing",
               "east_manager", "sales_n1", "sales_n1b", "sales_e1"]


@pytest.mark.parametrize("role", AUDIT_ROLES)
def test_audit_log_page_per_role(client_for, org, customers, role):
    """The company-wide audit log (exports and changes): administrators only, 403 for everyone else."""
    from kehu.exports.audit import export_audit_start

    export_audit_start(actor=org.users.sales_e1, export="customers", fmt="csv", via="web", filters={"q": XSS})
    client = client_for(getattr(org.users, role))
    response = client.get(reverse("audit_log"))
    if role == "admin":
        assert response.status_code == 200
        body = response.content.decode()
        assert "sales_e1" in body and XSS not in body and "&lt;script&gt;" in body
    else:
        assert response.status_code == 403


BACKUP_PAGES = [("get", "backup_list", []), ("get", "backup_table", []), ("post", "backup_create", []),
                ("get", "backup_download", ["pk"]), ("post", "backup_retry", ["pk"]), ("get", "backup_delete", ["pk"]),
                ("post", "backup_delete", ["pk"])]


@pytest.mark.parametrize("role", ["admin", "hq_manager", "analyst", "north_manager", "north_service",
                                  "north_marketing", "east_manager", "sales_n1"])
def test_backup_pages_are_for_administrators_only(client_for, org, role, settings, tmp_path, monkeypatch):
    from kehu.backup import services
    from kehu.backup.models import Backup

    settings.KEHU_BACKUP_DIR = tmp_path
    monkeypatch.setattr(services, "backup_enqueue", lambda backup: None)
    backup = Backup.objects.create(filename="kehu-backup-test.tar.gz", status="succeeded", size=3)
    (tmp_path / backup.filename).write_bytes(b"abc")
    client = client_for(getattr(org.users, role))
    home = client.get(reverse("home")).content.decode()
    assert (reverse("backup_list") in home) == (role == "admin")
    for method, name, args in BACKUP_PAGES:
        url = reverse(name, args=[backup.pk] if args else [])
        status = getattr(client, method)(url).status_code
        if role == "admin":
            assert status in (200, 302), (name, method, status)
        else:
            assert status == 403, (role, name, method, status)
    assert (tmp_path / backup.filename).exists() == (role != "admin")


def test_backup_pages_need_a_login(client):
    for name in ("backup_list", "backup_table"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"], name


ATTACHMENT_VISIBLE = {"admin": True, "hq_manager": True, "analyst": True, "north_manager": False,
                      "sales_n1": False, "sales_e1": True, "east_manager": True, "north_marketing": False}
ATTACHMENT_CHANGE = {"admin", "hq_manager", "sales_e1", "east_manager"}


@pytest.mark.parametrize("role", sorted(ATTACHMENT_VISIBLE))
def test_attachment_pages_per_role(client_for, org, customers, settings, tmp_path, role):
    """The East customer's attachment: another team's is a 404 (download,
    delete, upload); read-only roles download but get 403 on changes."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kehu.attachments.models import Attachment
    from tests.factories import PDF_BYTES, AttachmentFactory

    settings.MEDIA_ROOT = tmp_path / "media"
    order = OrderFactory(customer=customers.e1)
    attachment = AttachmentFactory(customer=customers.e1, order=order)
    client = client_for(getattr(org.users, role))
    download = reverse("attachment_download", args=[attachment.pk])
    delete = reverse("attachment_delete", args=[attachment.pk])
    uploads = [reverse("attachment_section", args=["customer", customers.e1.pk]),
               reverse("attachment_section", args=["order", order.pk])]
    if not ATTACHMENT_VISIBLE[role]:
        for url in [download, delete, *uploads]:
            assert client.get(url).status_code == 404, url
        for url in [delete, *uploads]:
            assert client.post(url, {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}).status_code == 404, url
        assert Attachment.objects.count() == 1
        return
    assert client.get(download).status_code == 200
    for url in uploads:
        assert client.get(url).status_code == 200
    if role not in ATTACHMENT_CHANGE:
        assert client.get(delete).status_code == 403
        assert client.post(delete).status_code == 403
        for url in uploads:
            assert client.post(url, {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}).status_code == 403, url
        assert Attachment.objects.count() == 1
        return
    for url in uploads:
        assert client.post(url, {"file": SimpleUploadedFile("a.pdf", PDF_BYTES)}).status_code == 302, url
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert Attachment.objects.count() == 2


# Case pages (kehu/service): a case of n1 — visible to those who see n1, 404 for the
# others; read-only roles look but get 403 on every change.
CASE_VISIBLE = {"admin": True, "hq_manager": True, "analyst": True, "north_manager": True, "north_service": True,
                "north_marketing": True, "east_manager": False, "sales_n1": True, "sales_n1b": False,
                "sales_e1": False}
CASE_READ_ONLY = {"analyst", "north_marketing"}
CASE_CHANGES = ["case_transition", "case_judge", "case_comment", "case_assign", "case_edit"]


@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_case_pages_per_role(client_for, org, customers, role):
    from kehu.service.models import Case
    from kehu.service.services import case_create

    case = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "complaint",
                                                        "subject": "Bill too high"})
    client = client_for(getattr(org.users, role))
    assert client.get(reverse("case_queue"), {"queue": "all", "status": ""}).status_code == 200
    listed = case.ref in client.get(reverse("case_queue"), {"queue": "all", "status": ""}).content.decode()
    assert listed == CASE_VISIBLE[role]
    detail = client.get(reverse("case_detail", args=[case.pk]))
    assert detail.status_code == (200 if CASE_VISIBLE[role] else 404)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        articles = client.get(reverse("case_articles", args=[case.pk]), **headers)
        assert articles.status_code == (200 if CASE_VISIBLE[role] else 404)
    assert client.get(reverse("case_create")).status_code == (403 if role in CASE_READ_ONLY else 200)
    data = {"to": "accepted", "version": 1, "valid": "yes", "note": "x", "subject": "S", "severity": "2"}
    for name in CASE_CHANGES:
        expected = 404 if not CASE_VISIBLE[role] else 403 if role in CASE_READ_ONLY else 302
        assert client.post(reverse(name, args=[case.pk]), data).status_code == expected, name
    step = client.post(reverse("case_step", args=[case.pk, "listen"]), {"version": 1, "done": "on"})
    assert step.status_code == (404 if not CASE_VISIBLE[role] else 403 if role in CASE_READ_ONLY else 302)
    if not CASE_VISIBLE[role] or role in CASE_READ_ONLY:
        assert Case.objects.get(pk=case.pk).events.count() == 1


@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_repair_and_warranty_pages_per_role(client_for, org, customers, role):
    """Repairs follow the case (404 unseen, 403 read-only); the installed base follows the
    customer; the warranty terms page is read by all and changed by catalogue keepers."""
    from kehu.sales.models import ProductLine
    from kehu.service.models import RepairRecord
    from kehu.service.services import case_create, repair_create

    case = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "repair",
                                                        "subject": "Meter leaks"})
    repair = repair_create(actor=org.users.sales_n1, case=case, data={"fault": "Seal worn"})
    line = ProductLine.objects.create(code="meters", name="Meters")
    client = client_for(getattr(org.users, role))
    seen, read_only = CASE_VISIBLE[role], role in CASE_READ_ONLY
    change = 404 if not seen else 403 if read_only else None
    r = client.get(reverse("case_repair_edit", args=[case.pk, repair.pk]))
    assert r.status_code == (change or 200)
    r = client.post(reverse("case_repair_edit", args=[case.pk, repair.pk]), {"fault": "Changed"})
    assert r.status_code == (change or 302)
    for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
        assert client.get(reverse("case_repair_add", args=[case.pk]), **headers).status_code == (change or 200)
        assert client.get(reverse("case_edit", args=[case.pk]), **headers).status_code == (change or 200)
    r = client.post(reverse("case_repair_add", args=[case.pk]), {"fault": "Another"})
    assert r.status_code == (change or 302)
    r = client.post(reverse("case_repair_delete", args=[case.pk, repair.pk]))
    assert r.status_code == (change or 302)
    assert RepairRecord.objects.filter(fault="Seal worn").exists() == bool(change)
    assert client.get(reverse("installed_base", args=[customers.n1.pk])).status_code == (200 if seen else 404)
    assert client.get(reverse("case_serial_lookup"), {"serial_number": "X"}).status_code == 200
    assert client.get(reverse("warranty_terms")).status_code == 200
    keeper = role in {"admin", "hq_manager", "north_manager", "east_manager"}
    r = client.post(reverse("warranty_terms"), {"line": line.pk, "warranty_months": "6"})
    assert r.status_code == (302 if keeper else 403)
    assert ProductLine.objects.get().warranty_months == (6 if keeper else None)


def test_case_pages_need_a_login(client, org):
    for name in ("case_queue", "case_create", "warranty_terms", "case_serial_lookup"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "login" in r["Location"]


CUSTOM_FIELD_PAGES = [("get", "custom_field_list", False), ("get", "custom_field_create", False),
                      ("get", "custom_field_edit", True), ("get", "custom_field_deactivate", True),
                      ("post", "custom_field_deactivate", True), ("get", "custom_field_delete", True),
                      ("post", "custom_field_delete", True)]


@pytest.mark.parametrize("role", ["admin", "hq_manager", "analyst", "north_manager", "north_service",
                                  "north_marketing", "east_manager", "sales_n1"])
def test_custom_field_pages_are_for_administrators_only(client_for, org, role):
    from kehu.customfields.models import CustomFieldDefinition
    from kehu.customfields.services import definition_create

    defn = definition_create(actor=org.users.admin, data={"record_type": "customer", "key": "segment",
                                                         "label_zh": "细分", "label_en": "Segment"})
    client = client_for(getattr(org.users, role))
    home = client.get(reverse("home")).content.decode()
    assert (reverse("custom_field_list") in home) == (role == "admin")
    for method, name, with_pk in CUSTOM_FIELD_PAGES:
        url = reverse(name, args=[defn.pk] if with_pk else [])
        status = getattr(client, method)(url).status_code
        if role == "admin":
            assert status in (200, 302), (name, method, status)
        else:
            assert status == 403, (role, name, method, status)
    assert CustomFieldDefinition.objects.exists() == (role != "admin")


SETTINGS_PAGES = [("get", "settings_index", None), ("get", "sla_policy_list", None),
                  ("get", "sla_policy_create", None), ("post", "sla_policy_create", None),
                  ("get", "sla_policy_edit", "policy"), ("post", "sla_policy_edit", "policy"),
                  ("get", "sla_policy_delete", "policy"), ("post", "sla_policy_delete", "policy"),
                  ("get", "kb_category_list", None), ("get", "kb_category_create", None),
                  ("post", "kb_category_create", None), ("get", "kb_category_edit", "category"),
                  ("post", "kb_category_edit", "category"), ("get", "kb_category_delete", "category"),
                  ("post", "kb_category_delete", "category")]


@pytest.mark.parametrize("role", ["admin", "hq_manager", "analyst", "north_manager", "north_service",
                                  "north_marketing", "east_manager", "sales_n1"])
def test_settings_pages_are_for_administrators_only(client_for, org, role):
    """The settings index, the service-level policies and the knowledge-base categories."""
    from kehu.kb.models import KbCategory
    from kehu.service.models import SlaPolicy

    objs = {"policy": SlaPolicy.objects.create(kind="complaint", tier="gold", resolution_minutes=480),
            "category": KbCategory.objects.create(code="billing", name_zh="账务")}
    client = client_for(getattr(org.users, role))
    home = client.get(reverse("home")).content.decode()
    assert (reverse("settings_index") in home) == (role == "admin")
    for method, name, obj in SETTINGS_PAGES:
        url = reverse(name, args=[objs[obj].pk] if obj else [])
        status = getattr(client, method)(url).status_code
        if role == "admin":
            assert status in (200, 302), (name, method, status)
        else:
            assert status == 403, (role, name, method, status)
    # an administrator's posts (empty forms) change nothing but the deletes
    assert SlaPolicy.objects.exists() == (role != "admin")
    assert KbCategory.objects.exists() == (role != "admin")


PEOPLE_PAGES = [("get", "team_list", None), ("get", "team_create", None), ("post", "team_create", None),
                ("get", "team_edit", "team"), ("post", "team_edit", "team"), ("get", "user_list", None),
                ("get", "user_create", None), ("post", "user_create", None), ("get", "user_edit", "user"),
                ("post", "user_edit", "user"), ("get", "user_deactivate", "user"),
                ("post", "user_deactivate", "user"), ("post", "user_activate", "gone"),
                ("get", "user_password_reset", "user"), ("post", "user_password_reset", "user")]


@pytest.mark.parametrize("role", ["admin", "hq_manager", "analyst", "north_manager", "north_service",
                                  "north_marketing", "east_manager", "sales_n1"])
def test_team_and_user_pages_are_for_administrators_only(client_for, org, role):
    """Teams and users (kehu/org/views.py): administrators only; 403 for everyone else,
    and nothing changes. An administrator's posts of empty forms change nothing either,
    but the deactivation (of a user who owns nothing) and the activation."""
    from kehu.org.models import Team, User

    gone = User.objects.create(username="gone", is_active=False)
    objs = {"team": org.teams.n1, "user": org.users.north_marketing, "gone": gone}
    client = client_for(getattr(org.users, role))
    home = client.get(reverse("home")).content.decode()
    assert (f'href="{reverse("user_list")}"' in home) == (role == "admin")
    for method, name, obj in PEOPLE_PAGES:
        url = reverse(name, args=[objs[obj].pk] if obj else [])
        status = getattr(client, method)(url).status_code
        if role == "admin":
            assert status in (200, 302), (name, method, status)
        else:
            assert status == 403, (role, name, method, status)
    assert Team.objects.count() == 5 and Team.objects.get(pk=org.teams.n1.pk).name == "North sales 1"
    assert User.objects.get(pk=org.users.north_marketing.pk).is_active == (role != "admin")
    assert User.objects.get(pk=gone.pk).is_active == (role == "admin")


def test_team_and_user_pages_need_a_login(client):
    for name in ("team_list", "user_list", "user_create"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_settings_pages_need_a_login(client):
    for name in ("settings_index", "sla_policy_list", "kb_category_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_custom_field_pages_need_a_login(client):
    response = client.get(reverse("custom_field_list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


# -- Knowledge base (kehu/kb): writers write; everyone signed in reads published articles; the FAQ is public --

KB_WRITER_ROLES = {"admin", "hq_manager", "north_manager", "east_manager", "north_service"}
KB_WRITE_PAGES = [("get", "kb_create", False), ("get", "kb_edit", True), ("get", "kb_publish", True),
                  ("get", "kb_archive", True), ("post", "kb_archive", True)]


@pytest.mark.parametrize("role", AUDIT_ROLES)
def test_kb_pages_per_role(client_for, org, role):
    from kehu.kb.models import Article
    from kehu.kb.services import article_create

    published = article_create(actor=None, data={"title_zh": XSS, "body_zh": XSS}, status="published")
    draft = article_create(actor=None, data={"title_zh": "草稿", "body_zh": "草稿"})
    client = client_for(getattr(org.users, role))
    writer = role in KB_WRITER_ROLES
    assert client.get(reverse("kb_list")).status_code == 200
    page = client.get(reverse("kb_detail", args=[published.pk]))
    assert page.status_code == 200 and XSS not in page.content.decode()  # escaped
    assert client.get(reverse("kb_detail", args=[draft.pk])).status_code == (200 if writer else 404)
    for method, name, with_pk in KB_WRITE_PAGES:
        response = getattr(client, method)(reverse(name, args=[published.pk] if with_pk else []))
        assert response.status_code == ((302 if method == "post" else 200) if writer else 403), (role, name)
    assert Article.objects.get(pk=published.pk).status == ("archived" if writer else "published")
    assert (f'href="{reverse("kb_list")}"' in client.get(reverse("home")).content.decode())


def test_kb_pages_need_a_login_and_the_faq_is_public(client, org):
    from kehu.kb.services import article_create

    article = article_create(actor=None, data={"title_zh": "问", "body_zh": "答"}, status="published")
    for name, args in (("kb_list", []), ("kb_create", []), ("kb_detail", [article.pk]), ("kb_edit", [article.pk]),
                       ("kb_publish", [article.pk]), ("kb_archive", [article.pk])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/login/" in response["Location"], name
    assert client.get(reverse("faq")).status_code == 200
    assert client.get(reverse("faq_article", args=[article.pk])).status_code == 200


# -- the list machinery's exports of a selection (ids=): only rows the user may see --------

EXPORT_VISIBLE = {
    "admin": {"n1", "e1"}, "hq_manager": {"n1", "e1"}, "analyst": {"n1", "e1"}, "north_manager": {"n1"},
    "north_service": {"n1"}, "north_marketing": {"n1"}, "east_manager": {"e1"}, "sales_n1": {"n1"},
    "sales_n1b": set(), "sales_e1": {"e1"},
}


@pytest.mark.parametrize("role", sorted(EXPORT_VISIBLE))
def test_exports_of_a_selection_give_only_visible_rows(client_for, org, customers, role):
    """A salesperson cannot export another team's orders, interactions or
    tasks by putting their ids in the URL: the export answers the rows they
    may see among the ids, and nothing else."""
    from kehu.engagement.services import task_create

    rows = {}
    for key in ("n1", "e1"):
        customer = getattr(customers, key)
        rows[key] = {
            "order_export": OrderFactory(customer=customer).pk,
            "interaction_export": InteractionFactory(customer=customer, user=customer.owner).pk,
            "task_export": task_create(actor=customer.owner, customer=customer, data={"title": "Call"}).pk,
        }
    client = client_for(getattr(org.users, role))
    for url_name in ("order_export", "interaction_export", "task_export"):
        response = client.get(reverse(url_name), {"format": "csv", "ids": [rows["n1"][url_name], rows["e1"][url_name]]})
        assert response.status_code == 200, url_name
        text = b"".join(response.streaming_content).decode()
        shown = {key for key in ("n1", "e1") if getattr(customers, key).name in text}
        assert shown == EXPORT_VISIBLE[role], (url_name, role)


def test_exports_need_a_login(client):
    for url_name in ("order_export", "interaction_export", "task_export"):
        response = client.get(reverse(url_name))
        assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_case_draft_article_page_per_role(client_for, org, customers, role):
    """A resolved case into a draft article: 404 outside the case's scope, 403 for those
    who do not write the knowledge base, else on to the draft's edit form."""
    from kehu.kb.models import Article
    from kehu.service.models import Case
    from kehu.service.services import case_create

    case = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "repair",
                                                        "subject": "Meter leaks"})
    Case.objects.filter(pk=case.pk).update(status="resolved", resolution="Seal replaced.")
    r = client_for(getattr(org.users, role)).post(reverse("case_draft_article", args=[case.pk]))
    writers = {"admin", "hq_manager", "north_manager", "north_service"}
    if not CASE_VISIBLE[role]:
        assert r.status_code == 404
    elif role not in writers:
        assert r.status_code == 403
    else:
        article = Article.objects.get()
        assert r.status_code == 302 and r["Location"] == reverse("kb_edit", args=[article.pk])
    assert Article.objects.count() == (1 if role in writers and CASE_VISIBLE[role] else 0)


# -- Case attachments (kehu/service): seen with the case, changed by who works it ---------------------

@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_case_attachment_pages_per_role(client_for, org, customers, role, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kehu.service.models import CaseAttachment
    from kehu.service.services import case_attachment_upload, case_create
    from tests.factories import PDF_BYTES

    settings.MEDIA_ROOT = tmp_path / "media"
    case = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "complaint",
                                                        "subject": "Bill too high"})
    att = case_attachment_upload(actor=org.users.sales_n1, case=case, upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    client = client_for(getattr(org.users, role))
    seen, works = CASE_VISIBLE[role], CASE_VISIBLE[role] and role not in CASE_READ_ONLY
    read = 200 if seen else 404
    change = 404 if not seen else 403 if role in CASE_READ_ONLY else 302
    assert client.get(reverse("case_attachments", args=[case.pk])).status_code == read
    assert client.get(reverse("case_attachment_download", args=[case.pk, att.pk])).status_code == read
    assert client.get(reverse("case_attachment_delete", args=[case.pk, att.pk])).status_code == (
        200 if works else change)
    upload = client.post(reverse("case_attachments", args=[case.pk]),
                         {"file": SimpleUploadedFile("b.pdf", PDF_BYTES)})
    assert upload.status_code == change
    assert client.post(reverse("case_attachment_delete", args=[case.pk, att.pk])).status_code == change
    assert CaseAttachment.objects.filter(case=case).count() == 1   # one added and one deleted, or neither
    assert CaseAttachment.objects.filter(pk=att.pk).exists() is not works


def test_case_attachment_of_another_case_is_404(client_for, org, customers, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from kehu.service.services import case_attachment_upload, case_create
    from tests.factories import PDF_BYTES

    settings.MEDIA_ROOT = tmp_path / "media"
    mine = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "subject": "Mine"})
    theirs = case_create(actor=org.users.sales_e1, data={"customer": customers.e1, "subject": "Theirs"})
    att = case_attachment_upload(actor=org.users.sales_e1, case=theirs, upload=SimpleUploadedFile("a.pdf", PDF_BYTES))
    client = client_for(org.users.sales_n1)
    # the attachment named under a case the user may see still belongs to a case they may not
    assert client.get(reverse("case_attachment_download", args=[mine.pk, att.pk])).status_code == 404
    assert client.post(reverse("case_attachment_delete", args=[mine.pk, att.pk])).status_code == 404


# -- The public service form: public; its settings page: administrators only --------------------------

@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_intake_link_pages_are_for_administrators_only(client_for, org, role):
    from kehu.service.intake import intake_link_create
    from kehu.service.models import IntakeLink

    link = intake_link_create(actor=org.users.admin, data={"name": "Poster"})
    client = client_for(getattr(org.users, role))
    ok = role == "admin"
    assert client.get(reverse("intake_links")).status_code == (200 if ok else 403)
    assert client.get(reverse("intake_link_qr", args=[link.pk, "png"])).status_code == (200 if ok else 403)
    assert client.get(reverse("intake_link_qr", args=[link.pk, "svg"])).status_code == (200 if ok else 403)
    assert client.get(reverse("intake_link_deactivate", args=[link.pk])).status_code == (200 if ok else 403)
    assert client.post(reverse("intake_links"), {"name": "Another"}).status_code == (302 if ok else 403)
    assert client.post(reverse("intake_link_deactivate", args=[link.pk])).status_code == (302 if ok else 403)
    assert IntakeLink.objects.get(pk=link.pk).active is not ok
    assert IntakeLink.objects.count() == (2 if ok else 1)


def test_public_form_needs_no_login_and_its_settings_do(client, org):
    from kehu.service.intake import intake_link_create

    link = intake_link_create(actor=org.users.admin, data={"name": "Poster"})
    assert client.get(reverse("public_case_form", args=[link.slug])).status_code == 200
    assert client.get(reverse("public_case_status", args=["x" * 43])).status_code == 404
    for url in (reverse("intake_links"), reverse("intake_link_qr", args=[link.pk, "png"]),
                reverse("intake_link_deactivate", args=[link.pk])):
        r = client.get(url)
        assert r.status_code == 302 and "login" in r["Location"], url


@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_case_return_visit_pages_per_role(client_for, org, customers, role):
    """Start a return visit and record its result on the case page: 404 outside the case's
    scope, 403 read-only; the service settings page is the administrators'."""
    from kehu.service.models import Case, ReturnVisit
    from kehu.service.services import case_create

    case = case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "repair",
                                                        "subject": "Meter leaks"})
    Case.objects.filter(pk=case.pk).update(status="resolved", resolution="Seal replaced.")
    client = client_for(getattr(org.users, role))
    expected = 404 if not CASE_VISIBLE[role] else 403 if role in CASE_READ_ONLY else 302
    start = client.post(reverse("case_return_visit_start", args=[case.pk]), {"channel": "phone"})
    result = client.post(reverse("case_return_visit_result", args=[case.pk]),
                         {"version": 1, "result": "satisfied", "note": "ok"})
    assert (start.status_code, result.status_code) == (expected, expected)
    assert ReturnVisit.objects.exists() == (expected == 302)
    if expected == 302:
        assert Case.objects.get(pk=case.pk).status == "closed"
    settings_page = client.get(reverse("case_settings"))
    assert settings_page.status_code == (200 if role == "admin" else 403)
    assert client.post(reverse("case_settings"), {}).status_code == (200 if role == "admin" else 403)


def test_case_return_visit_pages_need_a_login(client, org):
    r = client.get(reverse("case_settings"))
    assert r.status_code == 302 and "login" in r["Location"]


@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_case_analytics_pages_per_role(client_for, org, customers, role):
    """Every role opens the service analytics, its recovery test and its PDF; the
    figures count only the cases the role may see."""
    from kehu.service.services import case_create

    case_create(actor=org.users.sales_n1, data={"customer": customers.n1, "kind": "complaint",
                                                "subject": "Bill too high"})
    client = client_for(getattr(org.users, role))
    page = client.get(reverse("case_analytics"))
    assert page.status_code == 200
    assert page.context["r"]["total"] == (1 if CASE_VISIBLE[role] else 0)
    assert page.context["r"]["backlog"]["total"] == (1 if CASE_VISIBLE[role] else 0)
    assert client.get(reverse("case_analytics_recovery")).status_code == 200
    orders = client.get(reverse("case_analytics_orders"), HTTP_HX_REQUEST="true")
    assert orders.status_code == 200
    assert orders.context["r"]["recovery_cost"]["complainants"] == (1 if CASE_VISIBLE[role] else 0)
    pdf = client.get(reverse("case_analytics_pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_case_analytics_pages_need_a_login(client, org):
    for name in ("case_analytics", "case_analytics_recovery", "case_analytics_orders", "case_analytics_pdf"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "login" in r["Location"]


# Opportunity pages (kehu/sales): an opportunity of n1 — visible to those who see n1, 404
# for the others; read-only roles look but get 403 on every change.
OPPORTUNITY_CHANGES = ["opportunity_move", "opportunity_win", "opportunity_lose", "opportunity_reopen",
                       "opportunity_edit"]


@pytest.mark.parametrize("role", sorted(CASE_VISIBLE))
def test_opportunity_pages_per_role(client_for, org, customers, role):
    from kehu.sales.models import Opportunity, Pipeline
    from kehu.sales.opportunities import opportunity_create

    opp = opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": "Coil supply"})
    pipeline = Pipeline.objects.get(is_default=True)
    client = client_for(getattr(org.users, role))
    visible = CASE_VISIBLE[role]
    for name in ("opportunity_list", "opportunity_board"):
        r = client.get(reverse(name))
        assert r.status_code == 200 and ("Coil supply" in r.content.decode()) == visible, name
    assert client.get(reverse("opportunity_detail", args=[opp.pk])).status_code == (200 if visible else 404)
    assert client.get(reverse("opportunity_create")).status_code == (403 if role in CASE_READ_ONLY else 200)
    create = client.get(reverse("opportunity_create"), {"customer": customers.n1.pk}).status_code
    assert create == (404 if not visible else 403 if role in CASE_READ_ONLY else 200)
    data = {"stage": pipeline.stages.get(code="target").pk, "version": 1, "name": "X", "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0"}
    for name in OPPORTUNITY_CHANGES:
        expected = 404 if not visible else 403 if role in CASE_READ_ONLY else (302, 200)
        status = client.post(reverse(name, args=[opp.pk]), data).status_code
        assert status in (expected if isinstance(expected, tuple) else (expected,)), (name, status)
    if not visible or role in CASE_READ_ONLY:
        assert Opportunity.objects.get(pk=opp.pk).version == 1
    more = client.get(reverse("opportunity_board_column", args=[Opportunity.objects.get(pk=opp.pk).stage_id]))
    assert more.status_code == 200 and ("Coil supply" in more.content.decode()) == visible
    funnel = client.get(reverse("opportunity_funnel"))
    assert funnel.status_code == 200 and ('data-testid="funnel-table"' in funnel.content.decode()) == visible


def test_opportunity_pages_need_a_login(client, org):
    for name in ("opportunity_list", "opportunity_board", "opportunity_create"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "login" in r["Location"]


# Visit pages (kehu/engagement): a visit of sales_n1 to n1 — visible to those who see
# their visits (own, the subtree's, everyone's) and n1, 404 for the others; read-only
# roles look but get 403 on every change; the team list is for those who see more than
# their own; the calendar feed answers only its secret.
VISIT_VISIBLE = {"admin": True, "hq_manager": True, "analyst": True, "north_manager": True, "north_service": True,
                 "north_marketing": True, "east_manager": False, "sales_n1": True, "sales_n1b": False,
                 "sales_e1": False}
VISIT_READ_ONLY = {"analyst", "north_marketing"}
VISIT_TEAM = {"admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager"}


@pytest.mark.parametrize("role", sorted(VISIT_VISIBLE))
def test_visit_pages_per_role(client_for, org, customers, role):
    from kehu.engagement.models import PlannedVisit
    from kehu.engagement.visits import visit_create

    visit = visit_create(actor=org.users.sales_n1, customer=customers.n1,
                         data={"planned_on": dt.date(2026, 12, 8), "purpose": "Yearly review"})
    client = client_for(getattr(org.users, role))
    assert client.get(reverse("visit_week"), {"week": "2026-W50"}).status_code == 200
    assert client.get(reverse("visit_detail", args=[visit.pk])).status_code == (200 if VISIT_VISIBLE[role] else 404)
    team = client.get(reverse("visit_team"))
    assert team.status_code == (200 if role in VISIT_TEAM else 403)
    if team.status_code == 200:
        assert (f'href="/visits/{visit.pk}/"' in team.content.decode()) == VISIT_VISIBLE[role]
    create = client.get(reverse("visit_create"), {"customer": customers.n1.pk})
    visible_customer = role not in {"east_manager", "sales_n1b", "sales_e1"}
    assert create.status_code == (403 if role in VISIT_READ_ONLY else 200 if visible_customer else 404)
    posts = [("visit_move", {"planned_on": "2026-12-09"}), ("visit_check_in", {}),
             ("visit_skip", {"skip_reason": "Closed"})]
    for name, data in posts:
        expected = 404 if not VISIT_VISIBLE[role] else 403 if role in VISIT_READ_ONLY else 302
        r = client.post(reverse(name, args=[visit.pk]), data)
        assert r.status_code == expected, name
        if expected == 302 and name == "visit_skip":
            PlannedVisit.objects.filter(pk=visit.pk).update(status="planned", skip_reason="")
    done = client.post(reverse("visit_done", args=[visit.pk]), {"result": "Agreed"})
    assert done.status_code == (404 if not VISIT_VISIBLE[role] else 403 if role in VISIT_READ_ONLY else 302)
    if not VISIT_VISIBLE[role] or role in VISIT_READ_ONLY:
        assert PlannedVisit.objects.get(pk=visit.pk).status == "planned"


def test_visit_pages_need_a_login(client, org):
    for name in ("visit_week", "visit_team", "visit_create"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and "login" in r["Location"]
    assert client.post(reverse("visit_feed_regenerate")).status_code == 302
    assert client.get(reverse("visit_feed", args=["not-a-secret"])).status_code == 404


def test_visit_text_is_escaped(client_for, org, customers):
    from kehu.engagement.visits import visit_create

    visit = visit_create(actor=org.users.sales_n1, customer=customers.n1,
                         data={"planned_on": dt.date(2026, 12, 8), "purpose": XSS})
    html = client_for(org.users.sales_n1).get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert XSS not in html and "&lt;script&gt;" in html


# Pipeline settings (/settings/pipelines/, kehu/sales/views_settings.py): administrators only.
PIPELINE_SETTINGS_PAGES = [("get", "pipeline_settings", None), ("get", "pipeline_create", None),
                           ("post", "pipeline_create", None), ("get", "pipeline_edit", "pipeline"),
                           ("post", "pipeline_edit", "pipeline"), ("get", "stage_create", "pipeline"),
                           ("post", "stage_create", "pipeline"), ("get", "stage_edit", "stage"),
                           ("post", "stage_edit", "stage"), ("get", "stage_delete", "stage"),
                           ("post", "stage_delete", "stage"), ("get", "lost_reason_create", None),
                           ("post", "lost_reason_create", None), ("get", "lost_reason_edit", "reason"),
                           ("post", "lost_reason_edit", "reason")]


@pytest.mark.parametrize("role", ["admin", "hq_manager", "analyst", "north_manager", "north_service",
                                  "north_marketing", "east_manager", "sales_n1"])
def test_pipeline_settings_pages_are_for_administrators_only(client_for, org, role):
    from kehu.sales.models import LostReason, Pipeline, Stage
    from tests.sales.conftest import seed_default_pipeline

    pipeline = seed_default_pipeline()
    objs = {"pipeline": pipeline, "stage": pipeline.stages.get(code="reserve"), "reason": LostReason.objects.first()}
    client = client_for(getattr(org.users, role))
    for method, name, obj in PIPELINE_SETTINGS_PAGES:
        url = reverse(name, args=[objs[obj].pk] if obj else [])
        status = getattr(client, method)(url).status_code
        if role == "admin":
            assert status in (200, 302), (name, method, status)
        else:
            assert status == 403, (role, name, method, status)
    # an administrator's empty posts change nothing: the unused reserve stage is deleted only by a confirmed post
    assert Pipeline.objects.count() == 1
    assert Stage.objects.filter(code="reserve").exists() == (role != "admin")


def test_funnel_and_pipeline_settings_need_a_login(client):
    for name in ("opportunity_funnel", "pipeline_settings"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "login" in response["Location"]


STAFF_PAGES = ["survey_staff_results", "survey_staff_customers", "survey_staff_export"]


@pytest.mark.parametrize("role", ["admin", "hq_manager", "analyst", "north_manager", "north_service",
                                  "north_marketing", "east_manager", "sales_n1"])
def test_employee_result_pages_per_role(client_for, org, role):
    """Employee results (kehu/surveys/staff): those who see everything and sales managers;
    404 for everyone else. Inviting is for the survey designers (403)."""
    from kehu.org.models import Employee
    from kehu.surveys.services import distribution as dist
    from kehu.surveys.services.definitions import survey_create_from_template

    Employee.objects.create(name="王师傅", team=org.teams.n1)
    survey = survey_create_from_template(actor=org.users.admin, template="employee", code="staff")
    wave = dist.wave_create(actor=org.users.admin, survey=survey, name="2026")
    client = client_for(getattr(org.users, role))
    readers = {"admin", "hq_manager", "analyst", "north_manager", "east_manager"}
    for name in STAFF_PAGES:
        status = client.get(reverse(name, args=[survey.pk]) + f"?wave={wave.pk}").status_code
        assert status == (200 if role in readers else 404), (name, status)
    status = client.post(reverse("survey_wave_invite_employees", args=[survey.pk, wave.pk])).status_code
    assert status == 302
    assert wave.invitations.exists() == (role in {"admin", "hq_manager", "north_marketing"})
