import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer, Tag
from kehu.customers.selectors import customer_history
from kehu.imports.models import ImportRun
from kehu.imports.services import ImportUsageError, import_customers

from .conftest import write_csv, write_xlsx

ZH_HEADER = ["客户编号", "客户名称", "类型", "电话", "邮箱", "省份", "城市", "大区", "行业", "负责人", "标签", "生日", "备注"]


def test_gbk_file_with_chinese_headers(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ZH_HEADER,
        ["K001", "张三", "个人", "138 0013 8000", "Zhang@Example.com", "北京", "北京", "华北", "", "sales_n1", "vip、重点", "1980年5月4日", "喜欢靠窗"],
        ["K002", "华东机械集团", "企业", "", "", "上海", "上海", "华东", "机械", "", "", "", ""],
    ], encoding="gbk")
    report = import_customers(actor=org.users.admin, source=path)
    assert report.encoding == "gb18030" and report.written and report.created == 2 and not report.errors
    c = Customer.objects.get(ref="K001")
    assert (c.name, c.kind, c.phone, c.email, c.region, c.city) == ("张三", "individual", "13800138000", "zhang@example.com", "north", "北京")
    assert (c.name_key, c.name_pinyin, c.name_initials) == ("张三", "zhangsan", "zs")
    assert c.owner == org.users.sales_n1 and c.team == org.teams.n1
    assert c.birthday == dt.date(1980, 5, 4) and c.remarks == "喜欢靠窗"
    assert sorted(c.tags.values_list("name", flat=True)) == ["vip", "重点"]
    other = Customer.objects.get(ref="K002")
    assert other.owner == org.users.admin and other.team == org.teams.hq and other.kind == "organization"
    run = ImportRun.objects.get()
    # no audit row per imported customer: the customer carries its import, its history shows it
    assert not AuditEvent.objects.filter(entity="customer", customer_id=c.pk).exists()
    assert c.import_run == run and [(e.action, e.actor, e.summary) for e in customer_history(c)] == [
        ("import", org.users.admin, run.filename)]
    assert run.status == "done" and run.created == 2
    assert AuditEvent.objects.filter(entity="importrun", entity_id=run.pk).exists()


def test_bad_rows_reported_with_line_numbers_and_nothing_written(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["ref", "name", "type", "email", "birthday", "owner"],
        ["A1", "Good one", "individual", "", "", ""],
        ["A2", "", "individual", "", "", ""],
        ["A3", "Bad mail", "organization", "not-an-email", "", ""],
        ["A4", "Bad type", "alien", "", "2024-13-45", ""],
        ["A1", "Repeated code", "individual", "", "", ""],
        ["A6", "Unknown owner", "individual", "", "", "nobody"],
    ])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.refused and not report.written
    found = {(e.line, e.column) for e in report.errors}
    assert found == {(3, "name"), (4, "email"), (5, "type"), (5, "birthday"), (6, "ref"), (7, "owner")}
    assert str(next(e for e in report.errors if e.column == "birthday")) == "line 5: birthday: '2024-13-45' is not a date"
    assert Customer.objects.count() == 0
    assert ImportRun.objects.get().status == "refused"


def test_skip_bad_writes_the_good_rows(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["ref", "name", "type"], ["A1", "One", "个人"], ["A2", "Two", "???"], ["A3", "Three", "企业"]])
    report = import_customers(actor=org.users.admin, source=path, skip_bad=True)
    assert report.written and report.created == 2 and report.skipped == 1
    assert [(e.line, e.column) for e in report.errors] == [(3, "type")]
    assert sorted(Customer.objects.values_list("ref", flat=True)) == ["A1", "A3"]


def test_dry_run_writes_nothing(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], ["A1", "One", "个人"]])
    report = import_customers(actor=org.users.admin, source=path, dry_run=True)
    assert report.created == 1 and not report.written and Customer.objects.count() == 0


def test_xlsx_with_date_cells(org, tmp_path):
    path = write_xlsx(tmp_path / "c.xlsx", [["客户编号", "姓名", "客户类型", "手机", "生日"],
                                            ["X1", "王五", "个人", 13800138000, dt.datetime(1990, 1, 2)]])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.created == 1, report.errors
    c = Customer.objects.get(ref="X1")
    assert c.phone == "13800138000" and c.birthday == dt.date(1990, 1, 2)


def test_existing_code_updates_given_fields(org, customers, tmp_path):
    e1 = customers.e1
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "city", "phone", "tags"],
                                          [e1.ref, "华东机械集团股份", "organization", "", "021-5555 6666", "key"]])
    report = import_customers(actor=org.users.admin, source=path)
    assert report.updated == 1 and report.created == 0
    e1.refresh_from_db()
    assert e1.name == "华东机械集团股份" and e1.city == "上海" and e1.phone == "02155556666"
    assert e1.name_pinyin.startswith("huadongjixie")
    assert list(e1.tags.values_list("name", flat=True)) == ["key"]
    event = AuditEvent.objects.get(entity="customer", action="update", customer_id=e1.pk)
    assert event.changes["name"] == ["华东机械集团", "华东机械集团股份"]


def test_cannot_update_a_customer_the_actor_may_not_change(org, customers, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], [customers.e1.ref, "Hijack", "organization"]])
    report = import_customers(actor=org.users.sales_n1, source=path)
    assert report.refused and report.errors[0].column == "ref"
    customers.e1.refresh_from_db()
    assert customers.e1.name == "华东机械集团"


def test_salesperson_cannot_assign_to_another_team(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "owner"], ["A1", "One", "个人", "sales_e1"],
                                          ["A2", "Two", "个人", "sales_n1"]])
    report = import_customers(actor=org.users.sales_n1, source=path)
    assert [(e.line, e.column) for e in report.errors] == [(2, "owner")]


def test_read_only_user_may_not_import(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type"], ["A1", "One", "个人"]])
    with pytest.raises(PermissionDenied):
        import_customers(actor=org.users.analyst, source=path)


def test_missing_required_columns(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [["客户名称", "电话"], ["One", "1"]])
    with pytest.raises(ImportUsageError, match="ref, type"):
        import_customers(actor=org.users.admin, source=path)


def test_duplicate_warnings(org, customers, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["ref", "name", "type", "phone", "email", "city"],
        ["A1", "张三", "个人", "13800138002", "", "北京"],          # phone of customers.n1b
        ["A2", "Someone", "个人", "", "buyer@huadong.example", ""],  # email of customers.e1
        ["A3", "华东机械集团", "企业", "", "", "上海"],               # name + city of customers.e1
        ["A4", "Other", "个人", "", "x@y.example", ""],
        ["A5", "Other 2", "个人", "", "X@Y.example", ""],            # same email as line 5 in the file
    ])
    report = import_customers(actor=org.users.sales_n1, source=path)
    assert report.written and report.created == 5 and not report.errors
    assert {(w.line, w.column) for w in report.warnings} == {(2, "phone"), (3, "email"), (4, "name"), (6, "email")}
    assert "line 5" in next(w.message for w in report.warnings if w.line == 6)


def test_round_trip(org, customers, tmp_path):
    """Export customers, empty the database, import them: the same records."""
    from kehu.customers.services import customer_update
    from kehu.imports.exports import customer_rows, write_csv as export_csv

    customer_update(actor=org.users.admin, customer=customers.n1, data={
        "birthday": dt.date(1970, 1, 1), "annual_budget": "1234567.89", "share_of_wallet": "12.50",
        "consent_marketing": True, "remarks": "多行\n备注, with comma", "lifecycle_stage": "at_risk",
        "source": "exhibition", "size": "large", "city_tier": 1}, tags=["钢铁", "vip"])
    fields = [f.attname for f in Customer._meta.concrete_fields
              if f.attname not in ("id", "created_at", "updated_at", "consent_updated_at", "import_run_id")]

    def state():
        return {c.ref: ({f: getattr(c, f) for f in fields}, sorted(c.tags.values_list("name", flat=True)))
                for c in Customer.objects.all()}

    before = state()
    for fmt in ("csv", "xlsx"):
        path = tmp_path / f"customers.{fmt}"
        if fmt == "csv":
            export_csv(customer_rows(viewer=org.users.admin), path)
        else:
            from kehu.imports.exports import write_xlsx as export_xlsx

            export_xlsx(customer_rows(viewer=org.users.admin), path)
        AuditEvent.objects.all().delete()
        Customer.objects.all().delete()
        Tag.objects.all().delete()
        report = import_customers(actor=org.users.admin, source=path)
        assert report.created == 3 and not report.errors, report.errors
        after = state()
        assert after.keys() == before.keys()
        for ref in before:
            assert after[ref] == before[ref], ref


def test_repeated_cells_are_parsed_once_and_bad_ones_reported_every_time(org, tmp_path):
    """Choice, number and owner cells are memoised per distinct cell (hmap.memo); a bad cell is
    not, so each line with it is reported."""
    path = write_csv(tmp_path / "c.csv", [["ref", "name", "type", "city_tier", "owner"],
                                          ["A1", "One", "个人", "2", "admin"], ["A2", "Two", "个人", "2", "admin"],
                                          ["A3", "Three", "???", "x", "admin"], ["A4", "Four", "???", "2", "admin"]])
    report = import_customers(actor=org.users.admin, source=path, dry_run=True)
    assert sorted((e.line, e.column) for e in report.errors) == [(4, "city_tier"), (4, "type"), (5, "type")]
