"""A NUL character (\\x00) in a cell or a header of an imported file: the
import names the line and the column and writes nothing, on both databases
(PostgreSQL cannot store the character in text, and used to fail with a
traceback)."""

import pytest

from kehu.cli import main
from kehu.customers.models import Customer
from kehu.imports.services import import_customers, import_orders
from kehu.sales.models import Order

from .conftest import write_csv

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("column, cell", [("name", "One\x00"), ("city", "北\x00京"), ("phone", "\x00")])
def test_customer_cell_with_nul_is_a_bad_row(org, tmp_path, capsys, column, cell):
    row = {"ref": "A1", "name": "One", "type": "个人", "city": "", "phone": ""}
    row[column] = cell
    path = write_csv(tmp_path / "c.csv", [list(row), ["A0", "Zero", "个人", "", ""], list(row.values())])
    assert main(["import", "customers", str(path)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert f"line 3: {column}: " in captured.err and "NUL" in captured.err
    assert Customer.objects.count() == 0


def test_customer_import_skip_bad_keeps_the_good_rows(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "remarks"], ["A1", "One", "个人", "a\x00b"],
                                          ["A2", "Two", "个人", "fine"]])
    report = import_customers(source=path, actor=org.users.admin, skip_bad=True)
    assert [e.line for e in report.errors] == [2]
    assert list(Customer.objects.values_list("ref", flat=True)) == ["A2"]


def test_order_cell_with_nul_is_a_bad_row(org, customers, tmp_path, capsys):
    path = write_csv(tmp_path / "o.csv", [["order_ref", "customer_ref", "order_date", "amount", "remarks"],
                                          ["SO-1", customers.n1.ref, "2024-03-01", "1", "ok"],
                                          ["SO-2\x00", customers.n1.ref, "2024-03-01", "1", "ok"],
                                          ["SO-3", customers.n1.ref, "2024-03-01", "1", "n\x00"]])
    assert main(["import", "orders", str(path), "--as", "sales_n1"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "line 3: order_ref: " in err and "line 4: remarks: " in err
    assert Order.objects.count() == 0
    report = import_orders(source=path, actor=org.users.sales_n1, skip_bad=True)
    assert report.error_count == 2 and Order.objects.count() == 1


def test_header_with_nul_is_a_usage_error(org, tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "no\x00te"], ["A1", "One", "个人", "x"]])
    assert main(["import", "customers", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "NUL" in err and "Line 1" in err
    assert Customer.objects.count() == 0
