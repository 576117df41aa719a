"""Issue 13, item 10 (exports): who exported what, with which filters, how
many rows — recorded for every export and shown to administrators on the
audit page and through the API."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.exports.audit import audited_rows, export_audit_start
from kehu.exports.writers import csv_chunks
from tests.api.conftest import api_as  # noqa: F401
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def _consume(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.reader(io.StringIO(body[1:])))


def test_a_filtered_browser_export_records_who_what_filters_and_rows(org, customers, client_for):
    response = client_for(org.users.north_manager).get(reverse("customer_export"), {"format": "csv", "city": "北京"})
    rows = _consume(response)
    event = AuditEvent.objects.get(action="export")
    assert event.actor == org.users.north_manager and event.entity == "customers" and event.entity_id == 0
    assert event.changes == {"export": "customers", "format": "csv", "via": "web", "filters": {"city": "北京"},
                             "rows": len(rows) - 1, "complete": True}
    assert len(rows) - 1 == 1  # only the visible customer in 北京
    assert event.created_at is not None


def test_an_export_is_recorded_before_the_first_row_goes_out(org, customers, client_for):
    """A download that never finishes (the connection drops) still leaves its record."""
    client_for(org.users.admin).get(reverse("order_export"), {"format": "csv", "date_from": "2026-01-01"})
    event = AuditEvent.objects.get(action="export")
    assert event.entity == "orders" and event.changes["rows"] is None and event.changes["complete"] is False
    assert event.changes["filters"] == {"date_from": "2026-01-01"}


def test_a_download_broken_off_records_the_rows_sent(org, customers):
    event = export_audit_start(actor=org.users.admin, export="customers", fmt="csv", via="web")
    rows = audited_rows(iter([["name"], *[[f"c{i}"] for i in range(2000)]]), event)
    chunks = csv_chunks(rows)
    next(chunks)  # the first 500 rows
    chunks.close()  # what Django does when the client goes away
    event.refresh_from_db()
    assert event.changes["complete"] is False and 0 < event.changes["rows"] < 2000


def test_the_command_records_its_filters(org, customers, tmp_path):
    assert main(["export", "customers", str(tmp_path / "c.xlsx"), "--as", "admin", "--city", "上海"]) == 0
    event = AuditEvent.objects.get(action="export")
    assert event.actor == org.users.admin and event.changes["via"] == "cli"
    assert event.changes["filters"] == {"city": "上海"} and event.changes["rows"] == 1


def test_administrators_read_exports_on_the_audit_page(org, customers, client_for):
    _consume(client_for(org.users.sales_n1).get(reverse("customer_export"), {"format": "csv", "q": "北方"}))
    CustomerFactory(owner=org.users.admin)
    client = client_for(org.users.admin)
    body = client.get(reverse("audit_log"), {"action": "export"}).content.decode()
    assert 'data-testid="audit-log"' in body
    assert "sales_n1" in body and "Customers" in body and "CSV" in body and "1 row" in body and "北方" in body
    home = client.get(reverse("home")).content.decode()
    assert reverse("audit_log") in home


def test_the_audit_page_in_chinese(org, customers, client_for):
    _consume(client_for(org.users.sales_n1).get(reverse("customer_export"), {"format": "csv"}))
    org.users.admin.language = "zh-hans"
    org.users.admin.save()
    client = client_for(org.users.admin)
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("audit_log"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "审计日志" in body and "导出" in body and "浏览器" in body


@pytest.mark.parametrize("role", ["hq_manager", "analyst", "sales_n1"])
def test_the_menu_offers_the_audit_log_to_administrators_only(org, client_for, role):
    """(Who gets the page itself: tests/web/test_security.py.)"""
    client = client_for(getattr(org.users, role))
    assert reverse("audit_log") not in client.get(reverse("home")).content.decode()


def test_the_audit_page_reads_a_page_of_events_in_a_fixed_number_of_queries(org, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(org.users.admin)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("audit_log")).status_code == 200
        return len(ctx.captured_queries)

    users = [org.users.sales_n1, org.users.sales_e1, org.users.analyst]
    export_audit_start(actor=users[0], export="customers", fmt="csv", via="web")
    few = queries()
    for i in range(30):
        export_audit_start(actor=users[i % 3], export="orders", fmt="xlsx", via="cli", filters={"n": i})
    assert queries() == few


def test_audit_page_needs_a_login(client, db):
    assert client.get(reverse("audit_log")).status_code == 302


def test_api_lists_exports_with_filters(org, customers, client_for, api_as):
    _consume(client_for(org.users.sales_n1).get(reverse("customer_export"), {"format": "csv"}))
    export_audit_start(actor=org.users.admin, export="orders", fmt="xlsx", via="cli")
    items = api_as(org.users.admin).get("/audit-events", {"action": "export", "entity": "customers"}).json()["items"]
    assert len(items) == 1
    item = items[0]
    assert item["actor_username"] == "sales_n1" and item["action"] == "export" and item["entity"] == "customers"
    assert item["changes"]["rows"] == 1 and item["changes"]["via"] == "web"
    everything = api_as(org.users.admin).get("/audit-events", {"limit": 1}).json()
    assert len(everything["items"]) == 1 and everything["next_cursor"]
