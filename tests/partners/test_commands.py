"""``kehu partner create``, ``kehu import partners FILE`` and ``kehu createuser --role partner``."""

from __future__ import annotations

import openpyxl
import pytest

from kehu.audit.models import AuditEvent
from kehu.cli import main
from kehu.org.models import Partner, User

pytestmark = pytest.mark.django_db


def test_partner_create(org, capsys):
    assert main(["partner", "create", "L1", "华北一级代理", "--manager", "north_manager", "--margin", "12.5"]) == 0
    assert "created partner L1" in capsys.readouterr().out
    assert main(["partner", "create", "L2", "天津二级代理", "--type", "agent_l2", "--parent", "L1"]) == 0
    top, sub = Partner.objects.get(code="L1"), Partner.objects.get(code="L2")
    assert top.manager == org.users.north_manager and str(top.margin_pct) == "12.50"
    assert sub.parent == top and sub.level == 2
    assert main(["partner", "create", "L1", "重复"]) == 2
    assert "partner code" in capsys.readouterr().err
    assert main(["partner", "create", "L9", "x", "--parent", "NOPE"]) == 2
    assert main(["partner", "create", "L9", "x", "--margin", "abc"]) == 2
    assert main(["partner", "create", "L9", "x", "--margin", "150"]) == 2
    assert not Partner.objects.filter(code="L9").exists()
    assert AuditEvent.objects.filter(action="create", entity="partner").count() == 2


def test_createuser_for_a_partner(org, capsys):
    main(["partner", "create", "L1", "华北一级代理"])
    assert main(["createuser", "wang", "--role", "partner", "--partner", "L1", "--password", "S3cure-pass-42"]) == 0
    assert User.objects.get(username="wang").partner.code == "L1"
    assert main(["createuser", "li", "--role", "partner", "--password", "S3cure-pass-42"]) == 2  # no partner
    assert main(["createuser", "li", "--role", "partner", "--partner", "NOPE", "--password", "x"]) == 2
    assert not User.objects.filter(username="li").exists()


def _write(path, rows):
    if path.suffix == ".xlsx":
        wb = openpyxl.Workbook()
        for row in rows:
            wb.active.append(row)
        wb.save(path)
    else:
        path.write_text("\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_import_partners_parents_earlier_in_the_file(org, tmp_path, capsys, suffix):
    f = tmp_path / f"partners{suffix}"
    _write(f, [["编码", "名称", "类型", "上级编码", "渠道经理", "省份", "毛利率", "合同开始", "合同结束"],
               ["L1", "华北一级代理", "agent_l1", "", "north_manager", "北京；河北", "10", "2026-01-01", "2026-12-31"],
               ["L2", "天津二级代理", "Level-2 agent", "L1", "", "天津", "6.5", "", ""]])
    assert main(["import", "partners", str(f)]) == 0
    assert "2 partners created" in capsys.readouterr().out
    sub = Partner.objects.get(code="L2")
    assert sub.parent.code == "L1" and sub.level == 2 and sub.kind == "agent_l2" and str(sub.margin_pct) == "6.50"
    assert Partner.objects.get(code="L1").provinces == ["北京", "河北"]
    # again, changed: an update
    _write(f, [["code", "name", "margin"], ["L2", "天津二级代理（改）", "7"]])
    assert main(["import", "partners", str(f)]) == 0
    sub.refresh_from_db()
    assert sub.name == "天津二级代理（改）" and sub.parent.code == "L1"  # no parent column: it stays


def test_a_bad_row_aborts_the_import_with_lines_and_reasons(org, tmp_path, capsys):
    f = tmp_path / "partners.csv"
    _write(f, [["code", "name", "type", "parent", "margin", "manager"],
               ["L1", "华北一级代理", "agent_l1", "", "10", ""],
               ["L2", "天津二级代理", "agent_l2", "L9", "5", ""],
               ["L3", "", "nonsense", "", "5", ""],
               ["L4", "四", "agent_l1", "", "250", ""],
               ["L5", "五", "agent_l1", "", "5", "nobody"]])
    assert main(["import", "partners", str(f)]) == 1
    err = capsys.readouterr().err
    assert "line 3: No partner with the code L9" in err
    assert "line 4: Unknown partner type nonsense." in err
    assert "line 5:" in err and "line 6: No active user nobody." in err
    assert "nothing written" in err
    assert not Partner.objects.exists()
    _write(f, [["code", "name"], ["L1", "一"]])
    assert main(["import", "partners", str(f), "--dry-run"]) == 0
    assert not Partner.objects.exists()
    _write(f, [["name"], ["一"]])
    assert main(["import", "partners", str(f)]) == 1
    assert "The header needs at least code and name." in capsys.readouterr().err
