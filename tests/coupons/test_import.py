"""``kehu coupons import FILE``, ``kehu coupons issue``, ``kehu coupons expire``."""

import datetime as dt

import openpyxl
import pytest

from kehu.cli import main
from kehu.marketing.coupons.models import Coupon
from tests.coupons.conftest import issue_one, make_definition

pytestmark = pytest.mark.django_db


def _csv(tmp_path, text):
    path = tmp_path / "coupons.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_reports_every_bad_row_with_its_line_and_writes_nothing(org, customers, tmp_path, capsys):
    make_definition(org.users.admin, ref="SPRING")
    make_definition(org.users.admin, ref="VIP", code_mode="shared", shared_code="VIP2026")
    path = _csv(tmp_path, "\n".join([
        "客户编号,批次号,券码",
        f"{customers.n1.ref},SPRING,",
        "C99999999,SPRING,",                       # line 3: no such customer
        f"{customers.e1.ref},AUTUMN,",              # line 4: no such kind
        f"{customers.e1.ref},VIP,OTHER",            # line 5: not the shared code
        f"{customers.n1b.ref},SPRING,PAPER0001",
        f"{customers.e1.ref},SPRING,PAPER0001",     # line 7: the same code twice
    ]) + "\n")
    assert main(["coupons", "import", str(path)]) == 1
    err = capsys.readouterr().err
    for line, text in ((3, "No customer you can see has the code C99999999"),
                       (4, "No coupon kind has the batch code AUTUMN"), (5, "one shared code: VIP2026"),
                       (7, "This code is already in use")):
        assert f"line {line}: " in err and text in err, (line, err)
    assert "line 2:" not in err and "line 6:" not in err
    assert "Nothing imported" in err
    assert not Coupon.objects.exists()


def test_a_rule_refusing_a_row_aborts_the_whole_import(org, customers, tmp_path, capsys):
    d = make_definition(org.users.admin, ref="ONE", total_quantity=1)
    path = _csv(tmp_path, f"customer,definition\n{customers.n1.ref},ONE\n{customers.e1.ref},ONE\n")
    assert main(["coupons", "import", str(path)]) == 1
    err = capsys.readouterr().err
    assert "line 3: " in err and "quantity limit" in err
    assert not Coupon.objects.filter(definition=d).exists()


def test_import_xlsx_with_given_codes(org, customers, tmp_path, capsys):
    make_definition(org.users.admin, ref="PAPER")
    make_definition(org.users.admin, ref="VIP", code_mode="shared", shared_code="VIP2026")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["customer", "definition", "code"])
    ws.append([customers.n1.ref, "PAPER", "paper-0001"])
    ws.append([customers.e1.ref, "PAPER", None])
    ws.append([customers.e1.ref, "VIP", "VIP2026"])
    path = tmp_path / "coupons.xlsx"
    wb.save(path)
    assert main(["coupons", "import", str(path), "--dry-run"]) == 0
    assert not Coupon.objects.exists()
    assert main(["coupons", "import", str(path)]) == 0
    assert "3 coupon(s) issued" in capsys.readouterr().out
    assert set(Coupon.objects.values_list("source", flat=True)) == {"import"}
    assert Coupon.objects.get(customer=customers.n1).code == "PAPER0001"


def test_import_refuses_a_file_without_the_required_columns(org, tmp_path, capsys):
    path = _csv(tmp_path, "name,amount\nx,1\n")
    assert main(["coupons", "import", str(path)]) == 2
    assert "Required columns missing" in capsys.readouterr().err
    assert main(["coupons", "import", str(tmp_path / "nope.csv")]) == 2


def test_issue_and_expire_commands(org, customers, capsys):
    d = make_definition(org.users.admin, ref="CLI", valid_until=dt.date(2099, 12, 31))
    assert main(["coupons", "issue", "CLI", "--customer", customers.n1.ref, "--customer", customers.e1.ref]) == 0
    assert Coupon.objects.filter(definition=d).count() == 2
    assert main(["coupons", "issue", "CLI", "--customer", customers.n1.ref]) == 1   # limit 1 per customer
    assert "most one customer may hold" in capsys.readouterr().err
    assert main(["coupons", "issue", "NOPE", "--customer", customers.n1.ref]) == 2
    assert main(["coupons", "expire", "--date", "2100-01-01"]) == 0
    assert "2 coupon(s) marked expired" in capsys.readouterr().out
    assert set(Coupon.objects.values_list("status", flat=True)) == {"expired"}
    issue_one(org.users.admin, make_definition(org.users.admin), customers.n1)
    assert main(["coupons", "expire"]) == 0
