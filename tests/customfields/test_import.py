"""Custom field columns in the customer and order imports."""

import pytest

from kehu.customers.models import Customer
from kehu.imports.services import import_customers, import_orders
from kehu.sales.models import Order
from tests.imports.conftest import write_csv, write_xlsx

pytestmark = pytest.mark.django_db


def test_customer_import_reads_custom_columns_by_key_or_label(org, fields, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["客户编号", "客户名称", "类型", "账期（天）", "Industry segment", "since", "note"],
        ["K001", "宝山钢铁", "企业", "30", "汽车", "2024/3/1", "窗边"],
        ["K002", "华东机械", "企业", "60", "construction", "", ""],
    ])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.written and report.created == 2 and not report.errors, report.as_dict()["errors"]
    k1 = Customer.objects.get(ref="K001")
    assert k1.custom == {"credit_days": 30, "segment": "auto", "since": "2024-03-01"}
    assert k1.remarks == "窗边"     # a header of the built-in columns ("note": remarks) wins over a custom field
    assert Customer.objects.get(ref="K002").custom == {"credit_days": 60, "segment": "construction"}
    # an update changes the keys of the file and keeps the others
    path = write_csv(tmp_path / "u.csv", [["ref", "name", "type", "credit_days"], ["K001", "宝山钢铁", "organization", "45"]])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.written and not report.errors
    assert Customer.objects.get(ref="K001").custom == {"credit_days": 45, "segment": "auto", "since": "2024-03-01"}


def test_bad_custom_values_are_reported_by_line_and_nothing_is_written(org, fields, tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", [
        ["ref", "name", "type", "credit_days", "segment"],
        ["K001", "宝山钢铁", "organization", "thirty", "auto"],
        ["K002", "华东机械", "organization", "", "food"],
        ["K003", "好客户", "organization", 15, "auto"],
    ])
    report = import_customers(actor=org.users.admin, source=path)
    assert not report.written and not Customer.objects.filter(ref__startswith="K").exists()
    errors = {(e.line, e.column): e.message for e in report.sorted_errors()}
    assert errors[(2, "custom.credit_days")] == "Enter a number."
    assert (3, "custom.credit_days") not in errors      # an empty cell leaves the value alone
    assert errors[(3, "custom.segment")].startswith("Choose one of")
    assert not any(line == 4 for line, _c in errors)


def test_order_import_custom_column(org, fields, customers, tmp_path):
    path = write_csv(tmp_path / "o.csv", [
        ["order_ref", "customer_ref", "order_date", "amount", "交货地点"],
        ["SO1", customers.n1.ref, "2026-03-01", "100", "宝山码头"],
        ["SO1", customers.n1.ref, "2026-03-01", "50", ""],
        ["SO2", customers.n1.ref, "2026-03-02", "70", ""],
    ])
    report = import_orders(actor=org.users.admin, source=path)
    assert report.written and not report.errors, report.as_dict()
    assert Order.objects.get(ref="SO1").custom == {"site": "宝山码头"}
    assert Order.objects.get(ref="SO2").custom == {}


def test_exports_carry_custom_columns_and_import_again(org, fields, customers, tmp_path):
    from kehu.customers.services import customer_update
    from kehu.imports.exports import customer_rows, export_to_file, order_rows
    from tests.factories import OrderFactory

    customer_update(actor=org.users.admin, customer=customers.n1, data={"custom": {"credit_days": 30, "segment": "auto"}})
    customer_update(actor=org.users.admin, customer=customers.e1, data={"custom": {"credit_days": 90}})
    rows = list(customer_rows(viewer=org.users.sales_n1))
    header = rows[0]
    assert header[-4:] == ["credit_days", "segment", "since", "note"]
    by_ref = {r[0]: r for r in rows[1:]}
    assert customers.e1.ref not in by_ref                       # outside the salesperson's scope
    assert by_ref[customers.n1.ref][-4:] == [30, "auto", "", ""]
    OrderFactory(customer=customers.n1, ref="SO9", custom={"site": "宝山码头"})
    orows = list(order_rows(viewer=org.users.admin))
    assert orows[0][-1] == "site" and orows[1][-1] == "宝山码头"
    # the file imports again unchanged
    path = tmp_path / "c.xlsx"
    export_to_file("customers", path, viewer=org.users.admin)
    Customer.objects.filter(pk=customers.n1.pk).update(custom={"credit_days": 1})
    report = import_customers(actor=org.users.admin, source=path)
    assert report.written and not report.errors, report.as_dict()["errors"]
    customers.n1.refresh_from_db()
    assert customers.n1.custom == {"credit_days": 30, "segment": "auto"}
