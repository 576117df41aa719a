"""``kehu cases list|create|transition|import``: atomic unless --skip-bad, line-numbered
errors, Chinese headers."""

import pytest

from kehu.cli import main
from kehu.service.models import Case, CaseStatus

pytestmark = pytest.mark.django_db


def _csv(tmp_path, text, name="cases.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_import_with_chinese_headers(org, customers, tmp_path, capsys):
    path = _csv(tmp_path, "客户编号,类型,严重程度,主题,问题分类,诉求\n"
                          f"{customers.n1.ref},投诉,2,燃气费太高,抄表,赔偿\n"
                          ",咨询,3,营业时间?,,\n")
    # the second row has no customer and no caller: refused
    assert main(["cases", "import", str(path), "--as", "admin"]) == 1
    err = capsys.readouterr().err
    assert "line 3: customer:" in err and "nothing written" in err
    assert not Case.objects.exists()
    assert main(["cases", "import", str(path), "--skip-bad", "--as", "admin"]) == 0
    case = Case.objects.get()
    assert (case.kind, case.severity, case.channel, case.category.code, case.wants, case.customer) == (
        "complaint", 2, "import", "meter-reading", "compensation", customers.n1)
    assert case.steps.count() == 6 and case.events.get().kind == "created"


def test_import_is_atomic_on_a_bad_cell(org, customers, tmp_path, capsys):
    path = _csv(tmp_path, "customer_code,kind,severity,subject\n"
                          f"{customers.n1.ref},complaint,2,One\n"
                          f"{customers.n1.ref},complaint,9,Two\n"
                          f"{customers.n1.ref},nonsense,2,Three\n")
    assert main(["cases", "import", str(path), "--as", "admin"]) == 1
    err = capsys.readouterr().err
    assert "line 3: severity" in err and "line 4: kind" in err
    assert not Case.objects.exists()


def test_import_respects_visibility(org, customers, tmp_path, capsys):
    path = _csv(tmp_path, f"subject,customer_code\nLeak,{customers.e1.ref}\n")
    assert main(["cases", "import", str(path), "--as", "sales_n1"]) == 1
    assert f"No customer {customers.e1.ref}" in capsys.readouterr().err
    assert main(["cases", "import", str(path), "--as", "analyst"]) == 2


def test_import_of_an_xlsx(org, customers, tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["主题", "来电电话", "类型"])
    wb.active.append(["没有暖气", "13800138009", "维修"])
    path = tmp_path / "cases.xlsx"
    wb.save(path)
    assert main(["cases", "import", str(path), "--as", "north_service"]) == 0
    case = Case.objects.get()
    assert (case.kind, case.caller_phone, case.customer) == ("repair", "13800138009", None)


def test_import_without_a_subject_column_is_a_usage_error(org, tmp_path, capsys):
    assert main(["cases", "import", str(_csv(tmp_path, "kind\ncomplaint\n")), "--as", "admin"]) == 2
    assert "subject" in capsys.readouterr().err


def test_create_list_transition(org, customers, capsys):
    assert main(["cases", "create", "--subject", "Bill too high", "--customer", customers.n1.ref,
                 "--as", "sales_n1"]) == 0
    ref = capsys.readouterr().out.strip()
    assert Case.objects.get(ref=ref).kind == "complaint"
    assert main(["cases", "list", "--as", "sales_n1"]) == 0
    assert ref in capsys.readouterr().out
    assert main(["cases", "list", "--as", "sales_e1"]) == 0
    assert ref not in capsys.readouterr().out
    assert main(["cases", "transition", ref, "resolved", "--as", "sales_n1"]) == 1
    assert "cannot become" in capsys.readouterr().err
    assert main(["cases", "transition", ref, "accepted", "--as", "sales_n1"]) == 0
    assert Case.objects.get(ref=ref).status == CaseStatus.ACCEPTED
    assert main(["cases", "transition", ref, "accepted", "--as", "sales_e1"]) == 2
