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


@pytest.fixture
def gas_wave(org):
    from kehu.surveys.services import distribution as svc
    from kehu.surveys.services.definitions import survey_create_from_template, survey_set_status
    from tests.factories import CustomerFactory

    gas = survey_create_from_template(actor=org.users.admin, template="natural-gas", code="gas")
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    CustomerFactory(ref="C001", owner=org.users.sales_n1)
    return svc.wave_create(actor=org.users.admin, survey=gas, name="paper")


def test_survey_answers_with_nul_cells_are_bad_rows(gas_wave, tmp_path, capsys):
    from kehu.surveys.models import Response

    header = "token,customer,Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Q9,Q10,Q11"
    rows = ["\x00abc,,5,4,no,,,,3,5,4,4,", ",C001\x00,5,4,no,,,,3,5,4,4,", ",C001,5,4,no,,,,3,5,4,4,ok\x00"]
    path = tmp_path / "answers.csv"
    path.write_bytes(("\n".join([header, *rows]) + "\n").encode())
    assert main(["survey", "import-responses", "gas", str(path)]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "line 2: token: " in err and "line 3: customer: " in err and "line 4: Q11: " in err and "NUL" in err
    assert not Response.objects.exists()


def test_survey_definition_file_with_nul_is_refused_with_its_place(org, tmp_path, capsys):
    from kehu.surveys.models import Survey

    path = tmp_path / "s.json"
    path.write_text('{"code": "nul", "title": {"en": "A\\u0000"},\n "questions": [{"code": "Q1", "kind": "text", '
                    '"text": {"en": "Why\\u0000?"}}]}\n')
    assert main(["survey", "load", str(path)]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and "NUL" in err and "title.en" in err and "questions[0].text.en" in err
    assert not Survey.objects.exists()
