import pytest

from kehu.cli import main
from kehu.customers.models import Customer
from kehu.sales.models import Order

from .conftest import write_csv


def test_import_customers_ok(org, tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], ["A1", "One", "个人"]], encoding="gbk")
    assert main(["import", "customers", str(path)]) == 0
    assert "1 created" in capsys.readouterr().out
    assert Customer.objects.get().owner == org.users.admin  # the first administrator


def test_bad_rows_exit_1_and_are_printed(org, customers, tmp_path, capsys):
    path = write_csv(tmp_path / "o.csv", [["order_ref", "customer_ref", "order_date", "amount"],
                                          ["SO-1", customers.n1.ref, "2024-03-01", "1"]] +
                     [["", customers.n1.ref, "2024-03-01", "1"]] * 14 +
                     [["SO-17", customers.n1.ref, "2024-13-45", "1"]])
    assert main(["import", "orders", str(path), "--as", "sales_n1"]) == 1
    err = capsys.readouterr().err
    assert "line 17: order_date: '2024-13-45' is not a date" in err
    assert Order.objects.count() == 0
    assert main(["import", "orders", str(path), "--as", "sales_n1", "--skip-bad", "-q"]) == 0
    assert Order.objects.count() == 15


def test_dry_run(org, tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], ["A1", "One", "个人"]])
    assert main(["import", "customers", str(path), "--dry-run"]) == 0
    assert "dry run" in capsys.readouterr().out and Customer.objects.count() == 0


def test_usage_errors_exit_2(org, tmp_path, capsys):
    assert main(["import", "customers", str(tmp_path / "missing.csv")]) == 2
    (tmp_path / "f.ods").write_bytes(b"x")
    assert main(["import", "customers", str(tmp_path / "f.ods")]) == 2
    (tmp_path / "empty.csv").write_bytes(b"")
    assert main(["import", "customers", str(tmp_path / "empty.csv")]) == 2
    path = write_csv(tmp_path / "c.csv", [["name", "phone"], ["One", "1"]])
    assert main(["import", "customers", str(path)]) == 2
    assert "ref, type" in capsys.readouterr().err
    assert main(["import", "customers", str(path), "--as", "nobody"]) == 2
    assert main(["export", "customers", str(tmp_path / "out.pdf")]) == 2
    with pytest.raises(SystemExit) as exc:
        main(["import", "customers"])
    assert exc.value.code == 2


def test_no_administrator(db, tmp_path, capsys):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], ["A1", "One", "个人"]])
    assert main(["import", "customers", str(path)]) == 2
    assert "no active administrator" in capsys.readouterr().err


def test_export_then_import_via_cli(org, customers, tmp_path, capsys):
    out = tmp_path / "mine.xlsx"
    assert main(["export", "customers", str(out), "--as", "sales_n1"]) == 0
    assert "exported 1 customer to" in capsys.readouterr().out
    assert main(["export", "orders", str(tmp_path / "o.csv")]) == 0
    Customer.objects.filter(pk=customers.n1.pk).delete()
    assert main(["import", "customers", str(out), "-q"]) == 0
    assert Customer.objects.filter(ref=customers.n1.ref, owner=org.users.sales_n1).exists()
