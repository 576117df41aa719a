"""Issue 13, items 2 and 10: every export — each page download, in CSV and
.xlsx, and ``kehu export`` — neutralises text a spreadsheet would run as a
formula, keeps numbers as numbers, and leaves one audit record with the
number of rows it wrote.

The exports are those of :data:`kehu.exports.registry.EXPORTS`; the tests at
the end fail when a URL or a module produces a file outside that list or
outside the shared writers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.urls import get_resolver, reverse

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.exports.registry import EXPORTS, NOT_DATA_EXPORTS
from kehu.exports.writers import FORMULA_TRIGGERS

from .conftest import PAYLOADS

pytestmark = pytest.mark.django_db

# key → (URL of the download, whether the payload text appears in it)
URLS = {
    "customers": (lambda w: reverse("customer_export"), True),
    "orders": (lambda w: reverse("order_export"), True),
    "interactions": (lambda w: reverse("interaction_export"), True),
    "tasks": (lambda w: reverse("task_export"), True),  # the admin's own open tasks: the list's default
    "value_scores": (lambda w: reverse("value_scores_export") + f"?run={w.run.pk}", True),
    "value_churn": (lambda w: reverse("value_churn_export") + f"?run={w.run.pk}", True),
    "value_groups": (lambda w: reverse("value_groups_export") + f"?run={w.run.pk}", False),
    "value_migration": (lambda w: reverse("value_migration_export") + f"?run={w.run.pk}&from={w.before.pk}", False),
    "segment": (lambda w: reverse("segment_export", args=[w.segment.pk]), True),
    "survey_results": (lambda w: reverse("survey_results_export", args=[w.survey.pk]), True),
    "employee_results": (lambda w: _staff(w), False),
    "sales_performance": (lambda w: reverse("sales_performance_export"), False),
    "sales_receivables": (lambda w: reverse("sales_receivables_export"), False),
    "winback_report": (lambda w: _winback(w, "winback_report_export"), False),
    "winback_losses": (lambda w: _winback(w, "winback_losses_export"), True),
    "coupons": (lambda w: reverse("coupon_export"), False),
    "coupon_definitions": (lambda w: reverse("coupon_definition_export"), False),
    "members": (lambda w: reverse("member_export"), False),
    "outreach_messages": (lambda w: reverse("outreach_message_export"), False),
    "campaign_members": (lambda w: _campaign(w), True),
    "partners": (lambda w: _partner(w, "partner_export"), True),
    "partner_ranking": (lambda w: _partner(w, "partner_ranking_export") + "?mine=all", True),
}
ONE_TABLE = set(URLS) - {"survey_results", "winback_report", "employee_results"}
TABLES = sorted(key for key, e in EXPORTS.items() if e.table)


def _campaign(w) -> str:
    """A campaign whose audience (the customers their owner sees) is selected: its members export."""
    from kehu.marketing.campaigns.services import audience_select, campaign_create
    from kehu.marketing.outreach.models import MessageTemplate

    tpl = MessageTemplate.objects.create(code="export-test", name="t", channel="email", subject_zh="s", body_zh="b")
    c = campaign_create(actor=None, data={"name": "export", "audience_kind": "rule"}, variants=[{"template": tpl}])
    c.created_by = w.customers[0].owner
    c.save(update_fields=["created_by"])
    audience_select(campaign=c)
    return reverse("campaign_members_export", args=[c.pk])


def _staff(w) -> str:
    """An employee survey's wave (results by team and role, staff beside customers)."""
    from kehu.org.models import User
    from kehu.surveys.models import Wave
    from kehu.surveys.services.definitions import survey_create_from_template

    admin = User.objects.get(username="admin")
    survey = survey_create_from_template(actor=admin, template="employee", code="staff-export")
    wave = Wave.objects.create(survey=survey, name="2026")
    return reverse("survey_staff_export", args=[survey.pk]) + f"?wave={wave.pk}"


def _partner(w, url_name: str) -> str:
    """A partner named with each poisoned customer's name (the payloads)."""
    from tests.factories import PartnerFactory

    for customer in w.customers:
        PartnerFactory(name=customer.name.strip()[:200])
    return reverse(url_name)


def _winback(w, url_name: str) -> str:
    """The poisoned customers marked lost, the payload as the reason in words."""
    from kehu.marketing.winback.services import loss_create

    for customer in w.customers:
        loss_create(actor=customer.owner, customer=customer, reason="other", reason_other=customer.name.strip()[:200])
    return reverse(url_name)


def _url(base: str, fmt: str) -> str:
    return base + ("&" if "?" in base else "?") + f"format={fmt}"


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_csv(data: bytes, *, payloads: bool) -> list[list[str]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:], newline="")))
    cells = [cell for row in rows for cell in row]
    for cell in cells:
        if cell[:1] and cell[0] in FORMULA_TRIGGERS:
            assert _is_number(cell), f"{cell!r} would run as a formula"
    if payloads:
        for payload in PAYLOADS[:3]:
            assert "'" + payload in cells, payload  # neutralised, still readable
    return rows


def check_xlsx(data: bytes, *, payloads: bool) -> list[list]:
    wb = openpyxl.load_workbook(io.BytesIO(data))
    rows = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{cell.coordinate} of {ws.title} is a formula: {cell.value!r}"
            rows.append([cell.value for cell in row])
    values = [v for row in rows for v in row]
    if payloads:
        for payload in PAYLOADS[:3]:
            assert payload in values, payload  # the exact text, as a string cell
    for v in values:
        if isinstance(v, str) and v[:1] == "'":
            raise AssertionError(f"{v!r}: an .xlsx cell needs no quote, it is a string cell")
    return rows


def test_every_export_of_the_registry_is_tested_here():
    assert set(URLS) == set(TABLES)
    # survey_report is tested below; case_report in tests/service/test_analytics.py
    assert {key for key, e in EXPORTS.items() if not e.table} == {"survey_report", "case_report"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("key", TABLES)
def test_page_export_neutralises_formulas_and_is_audited(client_for, org, poisoned, key, fmt):
    url, payloads = URLS[key]
    response = client_for(org.users.admin).get(_url(url(poisoned), fmt))
    assert response.status_code == 200
    data = _body(response)
    rows = check_csv(data, payloads=payloads) if fmt == "csv" else check_xlsx(data, payloads=payloads)

    events = list(AuditEvent.objects.filter(action="export"))
    assert len(events) == 1
    event = events[0]
    assert event.actor == org.users.admin and event.entity == key
    assert event.changes["format"] == fmt and event.changes["via"] == "web" and event.changes["complete"] is True
    assert "format" not in event.changes["filters"]
    if key in ONE_TABLE:
        assert event.changes["rows"] == len([r for r in rows if any(v not in (None, "") for v in r)]) - 1
    else:
        assert event.changes["rows"] > 0


def test_numbers_stay_numbers(client_for, org, poisoned):
    client = client_for(org.users.admin)
    rows = list(csv.DictReader(io.StringIO(_body(client.get(_url(reverse("order_export"), "csv"))).decode()[1:])))
    refunds = [r for r in rows if r["description"] == "refund"]
    assert refunds and {r["amount"] for r in refunds} == {"-12.50"}
    header, *data = check_xlsx(_body(client.get(_url(reverse("order_export"), "xlsx"))), payloads=True)
    amounts = [row[header.index("amount")] for row in data if row[header.index("description")] == "refund"]
    assert amounts and all(a == -12.5 and isinstance(a, float) for a in amounts)
    header, *data = check_xlsx(_body(client.get(_url(URLS["value_scores"][0](poisoned), "xlsx"))), payloads=True)
    assert -12.5 in [row[header.index("Revenue")] for row in data]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["customers", "orders"])
def test_kehu_export_command_neutralises_formulas_and_is_audited(org, poisoned, tmp_path, kind, suffix, capsys):
    out = tmp_path / f"{kind}.{suffix}"
    assert main(["export", kind, str(out), "--as", "sales_n1"]) == 0
    data = out.read_bytes()
    rows = check_csv(data, payloads=True) if suffix == "csv" else check_xlsx(data, payloads=True)
    event = AuditEvent.objects.get(action="export")
    assert event.actor == org.users.sales_n1 and event.entity == kind
    assert event.changes["via"] == "cli" and event.changes["format"] == suffix
    assert event.changes["rows"] == len(rows) - 1 and event.changes["complete"] is True


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_an_exported_file_imports_back_unchanged(org, poisoned, tmp_path, suffix):
    """The quote in CSV is taken off again on import: the names come back as
    they were (the importer trims leading and trailing blanks of every cell,
    tabs and carriage returns included)."""
    from kehu.imports.readers import open_table

    out = tmp_path / f"c.{suffix}"
    assert main(["export", "customers", str(out)]) == 0
    table = open_table(out)
    names = {values[1] for _line, values in table.rows()}
    assert {p.strip() for p in PAYLOADS} <= names and not any(name.startswith("'") for name in names)


def test_every_download_url_is_a_registered_export():
    """A new URL whose name says "export" must join the registry (and so this
    file's tests) or be listed as not a data export."""
    every_name = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    names = {name for name in every_name if "export" in name}
    registered = {e.url_name for e in EXPORTS.values()}
    assert names - NOT_DATA_EXPORTS <= registered <= every_name


def test_only_the_shared_writers_write_spreadsheets():
    """A second CSV or .xlsx writer would skip the neutralisation and the audit."""
    root = Path(__file__).resolve().parents[2] / "kehu"
    allowed = {root / "exports" / "writers.py",
               root / "bench" / "importing.py",  # writes synthetic benchmark files, no customer data
               root / "bench" / "freshness.py",  # the order import's benchmark file: codes and made-up orders
               root / "bench" / "load.py",  # the load benchmark's small order import: codes and made-up orders
               root / "attachments" / "filetypes.py"}  # names the spreadsheet types an upload may be, writes none
    pattern = re.compile(r"csv\.(writer|DictWriter)\(|Workbook\(|text/csv|spreadsheetml")
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p not in allowed and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_csi_report_is_audited_from_the_page_and_the_command(client_for, org, poisoned, tmp_path):
    survey = poisoned.survey
    response = client_for(org.users.north_manager).get(reverse("survey_report_pdf", args=[survey.pk]),
                                                       {"wave": poisoned.waves[1].pk})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    event = AuditEvent.objects.get(action="export")
    assert event.actor == org.users.north_manager and event.entity == "survey_report" and event.entity_id == survey.pk
    assert event.changes["format"] == "pdf" and event.changes["via"] == "web" and event.changes["complete"] is True
    assert event.changes["filters"] == {"wave": str(poisoned.waves[1].pk)} and event.changes["rows"] is None
    assert main(["survey", "report", survey.code, "--pdf", str(tmp_path / "r.pdf"), "--as", "admin"]) == 0
    event = AuditEvent.objects.filter(action="export").exclude(pk=event.pk).get()
    assert event.actor == org.users.admin and event.changes["via"] == "cli" and event.changes["complete"] is True
