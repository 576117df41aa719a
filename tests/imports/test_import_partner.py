"""The partner column of the customer and order imports and exports (issue 18): the partner's
code under ``partner`` or a Chinese header; an unknown code is a bad row; an empty cell is no
partner (a new customer) or leaves it as it is (an update, as every column does); partner
users import nothing; the exports write the code so that they import again."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.imports.columns import COLUMNS, PARTNER_ALIASES, header_key, map_headers
from kehu.imports.exports import customer_rows, order_rows, write_csv as export_csv
from kehu.imports.services import ImportUsageError, import_customers, import_orders
from kehu.sales.models import Order
from tests.factories import OrderFactory, PartnerFactory, UserFactory

from .conftest import write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def agents(org):
    top = PartnerFactory(code="AG-1", name="华北一级代理", margin_pct=Decimal("12.50"))
    sub = PartnerFactory(code="AG-2", name="天津二级代理", kind="agent_l2", parent=top, margin_pct=Decimal("8"))
    return top, sub


def test_the_partner_headers_map_to_the_partner_column_and_collide_with_nothing():
    for kind in ("customers", "orders"):
        for header in ("partner", "partner_code", "Partner Code", *PARTNER_ALIASES):
            assert map_headers([header], kind).mapped == [(header, "partner")], (kind, header)
        keys: dict[str, str] = {}
        for column in COLUMNS[kind]:
            for text in (column.field, *column.aliases):
                assert keys.setdefault(header_key(text), column.field) == column.field, (kind, text)


def test_new_customers_get_the_partner_of_the_code_and_a_bad_code_is_a_bad_row(org, agents, tmp_path):
    top, sub = agents
    path = write_csv(tmp_path / "c.csv", [
        ["客户编号", "客户名称", "类型", "渠道伙伴"],
        ["PC1", "一号客户", "企业", "AG-2"],
        ["PC2", "二号客户", "企业", ""],
        ["PC3", "三号客户", "企业", "NOPE"],
        ["PC4", "四号客户", "企业", "ag-1"],     # the code, case aside
    ])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.refused and [(e.line, e.column) for e in report.errors] == [(4, "partner")]
    assert "NOPE" in report.errors[0].message and not Customer.objects.filter(ref__startswith="PC").exists()
    report = import_customers(actor=org.users.admin, source=path, skip_bad=True)
    assert report.created == 3 and report.skipped == 1
    got = dict(Customer.objects.filter(ref__startswith="PC").values_list("ref", "partner_id"))
    assert got == {"PC1": sub.pk, "PC2": None, "PC4": top.pk}


def test_a_bad_code_is_reported_in_the_user_s_language(org, agents, tmp_path):
    from django.utils import translation

    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "partner"], ["PZ1", "客户", "企业", "NOPE"]])
    with translation.override("zh-hans"):
        report = import_customers(actor=org.users.admin, source=path)
        message = str(report.errors[0])
    assert message == "第 2 行：partner: 未知伙伴“NOPE”"


def test_an_update_sets_the_partner_and_an_empty_cell_leaves_it(org, customers, agents, tmp_path):
    top, sub = agents
    n1 = customers.n1
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "partner"], [n1.ref, n1.name, "企业", "AG-1"]])
    assert import_customers(actor=org.users.admin, source=path).updated == 1
    n1.refresh_from_db()
    assert n1.partner_id == top.pk
    event = AuditEvent.objects.get(entity="customer", action="update", customer_id=n1.pk)
    assert "partner" in event.changes
    path = write_csv(tmp_path / "c2.csv", [["ref", "name", "type", "partner"], [n1.ref, n1.name, "企业", ""]])
    assert import_customers(actor=org.users.admin, source=path).updated == 1
    n1.refresh_from_db()
    assert n1.partner_id == top.pk      # an empty cell changes nothing, as in every column
    path = write_csv(tmp_path / "c3.csv", [["ref", "name", "type", "代理商"], [n1.ref, n1.name, "企业", "AG-2"]])
    assert import_customers(actor=org.users.sales_n1, source=path).updated == 1   # its owner may, as on the form
    n1.refresh_from_db()
    assert n1.partner_id == sub.pk


def test_partner_users_import_nothing_and_lead_files_have_no_partner(org, agents, tmp_path):
    top, _sub = agents
    agent = UserFactory(username="agent_imp", role="partner", partner=top, team=None)
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "partner"], ["PU1", "客户", "企业", "AG-1"]])
    with pytest.raises(PermissionDenied):
        import_customers(actor=agent, source=path)
    orders = write_csv(tmp_path / "o.csv", [["customer_ref", "order_date", "amount"], ["PU1", "2024-03-01", "10"]])
    with pytest.raises(PermissionDenied):
        import_orders(actor=agent, source=orders)
    with pytest.raises(ImportUsageError, match="partner"):
        import_customers(actor=org.users.admin, source=path, leads=True)
    assert not Customer.objects.filter(ref="PU1").exists()


def test_customers_with_partners_round_trip(org, customers, agents, tmp_path):
    """The export writes the partner's code (an inactive partner's too); the file imports again
    unchanged."""
    top, sub = agents
    sub.is_active = False
    sub.save()
    Customer.objects.filter(pk=customers.n1.pk).update(partner=top)
    Customer.objects.filter(pk=customers.e1.pk).update(partner=sub)
    rows = list(customer_rows(viewer=org.users.admin))
    col = rows[0].index("partner")
    assert {r[0]: r[col] for r in rows[1:]} == {customers.n1.ref: "AG-1", customers.e1.ref: "AG-2",
                                               customers.n1b.ref: ""}
    before = dict(Customer.objects.values_list("ref", "partner_id"))
    path = export_csv(customer_rows(viewer=org.users.admin), tmp_path / "customers.csv") and tmp_path / "customers.csv"
    Customer.objects.all().delete()
    report = import_customers(actor=org.users.admin, source=path)
    assert report.created == 3 and not report.errors, report.errors
    assert dict(Customer.objects.values_list("ref", "partner_id")) == before


def test_orders_default_to_the_customer_s_partner_at_its_margin(org, customers, agents, tmp_path):
    top, sub = agents
    Customer.objects.filter(pk=customers.n1.pk).update(partner=sub)
    path = write_csv(tmp_path / "o.csv", [
        ["order_ref", "customer_ref", "order_date", "amount", "伙伴编码", "partner_margin_pct"],
        ["SO-P1", customers.n1.ref, "2024-03-01", "100", "", ""],        # the customer's partner, its margin
        ["SO-P2", customers.n1.ref, "2024-03-02", "100", "AG-1", "15"],  # named, at the file's margin
        ["SO-P3", customers.e1.ref, "2024-03-03", "100", "", ""],        # no partner, no margin
        ["SO-P4", customers.e1.ref, "2024-03-04", "100", "AG-1", ""],    # named, at its margin
    ])
    report = import_orders(actor=org.users.admin, source=path)
    assert report.created == 4 and not report.errors, report.errors
    got = {o.ref: (o.partner_id, o.partner_margin_pct) for o in Order.objects.filter(ref__startswith="SO-P")}
    assert got == {"SO-P1": (sub.pk, Decimal("8.00")), "SO-P2": (top.pk, Decimal("15.00")),
                   "SO-P3": (None, None), "SO-P4": (top.pk, Decimal("12.50"))}


def test_order_rows_with_a_bad_partner_or_a_margin_without_one_are_bad(org, customers, agents, tmp_path):
    path = write_csv(tmp_path / "o.csv", [
        ["order_ref", "customer_ref", "order_date", "amount", "partner", "partner_margin_pct"],
        ["SO-Q1", customers.e1.ref, "2024-03-01", "100", "NOPE", ""],
        ["SO-Q2", customers.e1.ref, "2024-03-01", "100", "", "5"],
        ["SO-Q3", customers.e1.ref, "2024-03-01", "100", "AG-1", "101"],
    ])
    report = import_orders(actor=org.users.admin, source=path)
    assert report.refused
    assert [(e.line, e.column) for e in report.sorted_errors()] == [
        (2, "partner"), (3, "partner_margin_pct"), (4, "partner_margin_pct")]


def test_orders_with_partners_round_trip(org, customers, agents, tmp_path):
    top, sub = agents
    OrderFactory(customer=customers.n1, ref="SO-R1", lines=[{"quantity": 2, "unit_price": "100.00"},
                                                           {"quantity": 1, "amount": "33.33"}])
    OrderFactory(customer=customers.e1, ref="SO-R2", order_date=dt.date(2023, 12, 31))
    Order.objects.filter(ref="SO-R1").update(partner=sub, partner_margin_pct=Decimal("7.25"))

    def state():
        return sorted((o.ref, o.partner_id, o.partner_margin_pct, o.amount) for o in Order.objects.all())

    before = state()
    path = tmp_path / "orders.csv"
    export_csv(order_rows(viewer=org.users.admin), path)
    Order.objects.all().delete()
    report = import_orders(actor=org.users.admin, source=path)
    assert report.created == 2 and not report.errors, report.errors
    assert state() == before


def test_the_export_page_follows_the_list_s_partner_filter(org, customers, agents, client_for):
    import csv
    import io

    from django.urls import reverse

    top, _sub = agents
    Customer.objects.filter(pk=customers.n1.pk).update(partner=top)
    r = client_for(org.users.admin).get(reverse("customer_export"), {"format": "csv", "partner": top.pk})
    rows = list(csv.DictReader(io.StringIO(b"".join(r.streaming_content).decode("utf-8")[1:])))
    assert [(row["ref"], row["partner"]) for row in rows] == [(customers.n1.ref, "AG-1")]


def test_the_command_line_refuses_a_partner_user(org, agents, tmp_path, capsys):
    from kehu.cli import main

    UserFactory(username="agent_cli", role="partner", partner=agents[0], team=None)
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], ["PCL1", "客户", "企业"]])
    assert main(["import", "customers", str(path), "--as", "agent_cli", "-q"]) == 2
    assert "Partner users do not import" in capsys.readouterr().err
    assert not Customer.objects.filter(ref="PCL1").exists()
