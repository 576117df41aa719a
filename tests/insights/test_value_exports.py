"""Exports of the score list, the churn list and a segment's members: CSV and
Excel, exactly what the viewer may see."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from tests.insights.score_factories import SegmentFactory
from tests.insights.value_fixtures import value  # noqa: F401

pytestmark = pytest.mark.django_db


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx(response) -> list[list]:
    data = b"".join(response.streaming_content)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return [list(row) for row in ws.iter_rows(values_only=True)]


def test_score_export_csv_is_scoped_and_readable(client, org, value):
    client.force_login(org.users.sales_n1)
    r = client.get(reverse("value_scores_export") + "?format=csv")
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    assert 'filename="customer-scores-' in r["Content-Disposition"]
    rows = _csv(r)
    header, data = rows[0], rows[1:]
    assert header[:3] == ["Customer code", "Customer", "Owner"]
    names = [row[1] for row in data]
    assert sorted(names) == sorted(["北方钢铁贸易有限公司", "风险客户", "Due Trading Ltd"])
    assert names[0] == "北方钢铁贸易有限公司"  # by predicted value, largest first
    gold = data[0]
    assert gold[header.index("Value tier")] == "Gold (金牌)"
    assert gold[header.index("Revenue")] == "50000.00"


def test_churn_export_xlsx_has_numbers_reasons_and_owner(client, org, value):
    client.force_login(org.users.admin)
    r = client.get(reverse("value_churn_export") + "?format=xlsx&sort=at_risk")
    assert r.status_code == 200 and "spreadsheetml" in r["Content-Type"]
    rows = _xlsx(r)
    header, data = rows[0], rows[1:]
    assert [row[1] for row in data] == ["风险客户", "华东机械集团"]
    risky = data[0]
    assert risky[header.index("Owner")] == "sales_n1"
    assert isinstance(risky[header.index("Revenue")], (int, float)) and risky[header.index("Revenue")] == 12000
    assert "only 25% likely still active" in risky[header.index("Churn reasons")]


def test_export_in_chinese_has_chinese_headers(client, org, value):
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    client.force_login(org.users.sales_n1)
    header = _csv(client.get(reverse("value_churn_export") + "?format=csv"))[0]
    assert header[:3] == ["客户编号", "客户", "负责人"] and "流失原因" in header


def test_segment_member_export_is_scoped(client, org, value):
    segment = SegmentFactory(rule={"score": {"tier": ["silver", "bronze"]}}, created_by=org.users.admin)
    client.force_login(org.users.sales_n1)
    rows = _csv(client.get(reverse("segment_export", args=[segment.pk]) + "?format=csv"))
    assert sorted(r[1] for r in rows[1:]) == ["Due Trading Ltd", "风险客户"]
    client.force_login(org.users.admin)
    rows = _xlsx(client.get(reverse("segment_export", args=[segment.pk]) + "?format=xlsx"))
    assert len(rows) == 1 + 4


def test_bad_format_and_no_run_are_404(client, org, value):
    client.force_login(org.users.admin)
    assert client.get(reverse("value_scores_export") + "?format=pdf").status_code == 404


def test_exports_without_a_run_are_404(client, org):
    client.force_login(org.users.admin)
    assert client.get(reverse("value_scores_export") + "?format=csv").status_code == 404


def test_migration_export_is_the_page_matrix_in_csv_and_excel(client, org, value):
    client.force_login(org.users.sales_n1)
    page = client.get(reverse("value_migration") + "?field=tier").content.decode()
    assert "changed group" in page, page[-3000:]
    assert reverse("value_migration_export") in page
    r = client.get(reverse("value_migration_export") + f"?run={value.run.pk}&from={value.before.pk}"
                   "&field=tier&format=csv")
    assert r.status_code == 200 and f"segment-migration-{value.before.pk}-{value.run.pk}-tier" in r[
        "Content-Disposition"]
    rows = _csv(r)
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert header[0].startswith("Value tier") and header[-1] == "Total"
    cells = {(row[0], col): int(row[i]) for row in body for i, col in enumerate(header[1:-1], start=1)}
    # silver→gold, gold→silver, new→bronze: what the page shows
    assert cells[("Silver (银牌)", "Gold (金牌)")] == 1 and cells[("Gold (金牌)", "Silver (银牌)")] == 1
    assert cells[("None", "Bronze (铜牌)")] == 1
    assert total[0] == "Total" and int(total[-1]) == 3
    x = _xlsx(client.get(reverse("value_migration_export") + f"?run={value.run.pk}&field=tier&format=xlsx"))
    assert x[-1][0] == "Total" and x[-1][-1] == 3
    assert client.get(reverse("value_migration_export") + "?format=pdf").status_code == 404


def test_migration_export_needs_an_earlier_run(client, org, value):
    client.force_login(org.users.admin)
    r = client.get(reverse("value_migration_export") + f"?run={value.before.pk}&field=tier&format=csv")
    assert r.status_code == 404


def test_group_figures_export_from_the_overview_and_rfm_pages(client, org, value):
    client.force_login(org.users.sales_n1)
    for name in ("value_overview", "value_rfm"):
        assert reverse("value_groups_export") in client.get(reverse(name)).content.decode()
    rows = _csv(client.get(reverse("value_groups_export") + "?format=csv"))
    header, data = rows[0], rows[1:]
    assert header[:3] == ["Grouping", "Group", "Customers"]
    tiers = {row[1]: row for row in data if row[0] == "Value tier"}
    # the salesperson's three customers only (visibility), and the totals add up
    assert sum(int(row[2]) for row in tiers.values()) == 3
    assert sum(int(row[2]) for row in data if row[0] == "R score x F score") == 3
    assert "Gold (金牌)" in tiers
    x = _xlsx(client.get(reverse("value_groups_export") + "?format=xlsx&region=east"))
    assert x[0][0] == "Grouping" and all(row[2] == 0 for row in x[1:])  # none of the viewer's in the east
