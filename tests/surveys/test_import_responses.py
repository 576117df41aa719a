"""Importing answers from CSV/Excel: the command, the web page, GBK files,
line-numbered errors, and an aborted import writing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.cli import main
from kehu.surveys.models import Invitation, Response, ResponseSource, ResponseStatus
from kehu.surveys.services import distribution as svc
from kehu.surveys.services.definitions import survey_set_status
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

HEADER = "customer,Q1,Q2,Q3,Q4,Q5,Q6,Q7,Q8,Q9,Q10,Q11,submitted_at"


@pytest.fixture
def wave(gas, org):
    survey_set_status(actor=org.users.admin, survey=gas, status="active")
    for ref in ("C001", "C002", "C003"):
        CustomerFactory(ref=ref, name=f"导入客户{ref}", owner=org.users.sales_n1)
    return svc.wave_create(actor=org.users.admin, survey=gas, name="纸质问卷")


def _write(tmp_path, rows, name="answers.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(("\n".join([HEADER, *rows]) + "\n").encode(encoding))
    return path


def test_gbk_csv_with_a_bad_row_writes_nothing(tmp_path, wave, capsys):
    path = _write(tmp_path, [
        "C001,5,4,no,,,,3,5,4,4,燃气压力很稳定,2026-03-01",
        "C002,9,4,no,,,,3,5,4,4,,",          # Q1 out of range
        "C999,5,4,no,,,,3,5,4,4,,",          # unknown customer
        "C003,5,,no,,,,3,5,4,4,,",            # a required answer missing
    ], encoding="gbk")
    code = main(["survey", "import-responses", "gas", str(path)])
    err = capsys.readouterr().err
    assert code == 1
    assert "line 3: Q1: Choose a value from 1 to 5." in err
    assert "line 4: customer:" in err and "C999" in err
    assert "line 5: Q2: Please answer this question." in err
    assert not Response.objects.exists() and not Invitation.objects.filter(wave=wave).exists()


def test_skip_bad_imports_the_good_rows(tmp_path, wave, capsys):
    path = _write(tmp_path, ["C001,5,4,yes,5,4,5,3,5,4,4,很好,2026-03-01", "C002,9,4,no,,,,3,5,4,4,,"])
    assert main(["survey", "import-responses", "gas", str(path), "--wave", "纸质问卷", "--skip-bad"]) == 0
    out = capsys.readouterr()
    assert "1 response imported" in out.out and "line 3: Q1" in out.err
    r = Response.objects.get()
    assert r.source == ResponseSource.IMPORT and r.status == ResponseStatus.COMPLETE and r.index is not None
    from django.utils import timezone

    assert timezone.localtime(r.submitted_at).date().isoformat() == "2026-03-01"
    assert r.invitation.channel == "import"


def test_by_token_xlsx_and_duplicates(tmp_path, wave, org):
    import openpyxl

    svc.invitations_create(actor=org.users.admin, wave=wave, design=svc.SampleDesign(size=2, seed=1))
    a, b = wave.invitations.order_by("id")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["token", "q1", "Q2", "Q3", "Q7", "Q8", "Q9", "Q10"])
    ws.append([a.token, 5, 4, "no", 3, 5, 4, 4])
    ws.append([a.token, 5, 4, "no", 3, 5, 4, 4])
    path = tmp_path / "a.xlsx"
    wb.save(path)
    assert main(["survey", "import-responses", "gas", str(path)]) == 1
    ws.delete_rows(3)
    ws.append([b.token, 1, 1, "no", 1, 1, 1, 1])
    wb.save(path)
    assert main(["survey", "import-responses", "gas", str(path)]) == 0
    assert Response.objects.filter(status=ResponseStatus.COMPLETE).count() == 2
    low = Response.objects.get(invitation=b)
    assert low.index == pytest.approx(20) and low.satisfied is False
    # importing again: already recorded
    assert main(["survey", "import-responses", "gas", str(path)]) == 1


def test_unknown_columns_and_usage_errors(tmp_path, wave, capsys):
    path = tmp_path / "x.csv"
    path.write_text("customer,Q1,Colour\nC001,5,red\n", encoding="utf-8")
    assert main(["survey", "import-responses", "gas", str(path)]) == 1
    assert "Colour" in capsys.readouterr().err
    assert main(["survey", "import-responses", "nope", str(path)]) == 2
    assert main(["survey", "import-responses", "gas", str(tmp_path / "missing.csv")]) == 2


def test_web_import_preview_error_report_and_confirm(client, tmp_path, wave, org):
    client.force_login(org.users.admin)
    url = reverse("survey_wave_import", args=[wave.survey_id, wave.pk])
    path = _write(tmp_path, ["C001,5,4,no,,,,3,5,4,4,,", "C002,6,4,no,,,,3,5,4,4,,"], encoding="gbk")
    with open(path, "rb") as fh:
        page = client.post(url, {"file": fh}).content.decode()
    assert 'data-testid="import-errors"' in page and "line 3: Q1" in page and not Response.objects.exists()
    staged = __import__("re").search(r'name="staged" value="([^"]+)"', page).group(1)
    # without skipping the bad row, nothing is written
    response = client.post(url, {"action": "confirm", "staged": staged})
    assert not Response.objects.exists()
    response = client.post(url, {"action": "confirm", "staged": staged, "skip_bad": "1"})
    assert response.status_code == 302 and Response.objects.count() == 1
    # a forged staged name is refused
    response = client.post(url, {"action": "confirm", "staged": "../../etc/passwd"})
    assert response.status_code == 302 and Response.objects.count() == 1


def test_remind_command(wave, org, capsys):
    assert main(["survey", "remind", "--dry-run"]) == 0
    assert "0 reminders are due" in capsys.readouterr().out
    assert main(["survey", "remind"]) == 0
