"""The all-or-nothing table imports (quotas, partners, staff without a login) in the browser and
the API, through the one mechanism of kehu/imports/tables.py: the dry run's report with the bad
rows by line, nothing written when one is bad, the confirmation that writes, who may (the
importer's own check: 403 for the others, 404 for partner users), in English and Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.module_loading import import_string

from kehu.imports.models import ImportRun
from kehu.imports.tables import TABLE_IMPORTS
from kehu.org.models import Employee, Partner, User
from kehu.sales.models import Quota
from tests.api.conftest import ApiClient, assert_error
from tests.imports.conftest import write_xlsx

pytestmark = pytest.mark.django_db

ROLES = ("admin", "hq_manager", "analyst", "north_manager", "north_service", "north_marketing", "east_manager",
         "sales_n1", "sales_n1b", "sales_e1")
MAY = {
    "employees": {"admin"},
    "partners": {"admin", "hq_manager", "north_manager", "east_manager"},
    "quotas": {"admin", "hq_manager", "north_manager", "east_manager"},
}

STAFF_BAD = ("name,email,team,position\n"
             "王师傅,wang@example.com,North sales 1,driver\n"
             ",nobody@example.com,North sales 1,\n"
             "李四,li@example.com,No such team,\n")
STAFF_GOOD = ("姓名,邮箱,团队,岗位,在职\n"
              "王师傅,wang@example.com,North sales 1,司机,是\n"
              "刘工,,Head office/East region/East sales 1,仓管,是\n")


def _file(text: str, name: str = "staff.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"))


def _upload(client, kind, text, name="staff.csv"):
    return client.post(reverse("table_import", args=[kind]), {"file": _file(text, name)})


@pytest.fixture
def partner_user(org):
    from kehu.org.partners import partner_create
    from tests.factories import UserFactory

    partner = partner_create(data={"code": "PX1", "name": "华北一级代理", "manager": org.users.north_manager})
    return UserFactory(username="agent", role="partner", partner=partner)


# -- one description, the importers' own rules ------------------------------------------------

@pytest.mark.parametrize("kind", sorted(TABLE_IMPORTS))
def test_the_template_headings_are_the_importers_own(kind):
    spec = TABLE_IMPORTS[kind]
    headers = import_string(spec.importer.rsplit(".", 1)[0] + ".HEADERS")
    for column in spec.columns:
        assert column.header in headers and column.chinese in headers, column
        assert headers[column.header] == headers[column.chinese], column


@pytest.mark.parametrize("kind", sorted(TABLE_IMPORTS))
def test_who_may_is_what_the_importer_checks(org, tmp_path, kind):
    path = tmp_path / "empty.csv"
    path.write_text("x\n", encoding="utf-8")
    spec = TABLE_IMPORTS[kind]
    for role in ROLES:
        user = getattr(org.users, role)
        assert spec.may(user) == (role in MAY[kind]), role
        if role in MAY[kind]:
            spec.run(actor=user, path=path, dry_run=True)
        else:
            with pytest.raises(PermissionDenied):
                spec.run(actor=user, path=path, dry_run=True)


# -- the browser ----------------------------------------------------------------------------

def test_staff_import_in_the_browser(org, client_for, media):
    client = client_for(org.users.admin)
    page = client.get(reverse("table_import", args=["employees"]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Staff without a login" in body and "姓名" in body and "position" in body
    assert reverse("table_import_template", args=["employees"]) in body
    template = client.get(reverse("table_import_template", args=["employees"]) + "?lang=zh")
    assert template.content.decode("utf-8-sig").strip() == "姓名,邮箱,电话,团队,岗位,在职"
    assert reverse("table_import", args=["employees"]) in client.get(reverse("user_list")).content.decode()

    # a file with bad rows: the report names each with its line; nothing written, nothing to confirm
    response = _upload(client, "employees", STAFF_BAD)
    run = ImportRun.objects.get()
    assert response["Location"] == reverse("table_import_check", args=["employees", run.pk])
    assert run.status == "refused" and run.error_count == 2 and run.stored_name == ""
    assert not list((media / "imports").iterdir())
    body = client.get(response["Location"]).content.decode()
    assert "<td>3</td><td>name: a value is required</td>" in body
    assert "<td>4</td><td>team: No team No such team.</td>" in body
    assert "Nothing was written: 2 rows are bad." in body and "import-confirm" not in body
    assert client.post(reverse("table_import_confirm", args=["employees", run.pk])).status_code == 302
    assert not Employee.objects.exists()

    # a good file: the dry run's counts, then the confirmation writes
    response = _upload(client, "employees", STAFF_GOOD, name="员工.csv")
    run = ImportRun.objects.latest("id")
    assert run.status == "preview" and run.dry_run and run.created == 2 and run.filename == "员工.csv"
    stored = media / "imports" / run.stored_name
    assert stored.exists() and not Employee.objects.exists()
    body = client.get(response["Location"]).content.decode()
    assert "2 employees would be created, 0 changed" in body and "Confirm import" in body
    assert 'data-confirm="Import this file now?"' in body
    response = client.post(reverse("table_import_confirm", args=["employees", run.pk]), follow=True)
    body = response.content.decode()
    assert "imported 2 rows: 2 employees created, 0 changed" in body and "Import finished" in body
    run.refresh_from_db()
    assert run.status == "done" and not run.dry_run and run.created == 2 and not stored.exists()
    assert Employee.objects.get(email="wang@example.com").team == org.teams.n1
    assert Employee.objects.get(name="刘工").team == org.teams.e1
    # a second confirmation writes nothing more
    client.post(reverse("table_import_confirm", args=["employees", run.pk]))
    assert Employee.objects.count() == 2


def test_staff_import_in_chinese(org, client_for, media):
    User.objects.filter(pk=org.users.admin.pk).update(language="zh-hans")
    client = client_for(User.objects.get(pk=org.users.admin.pk))
    body = client.get(reverse("table_import", args=["employees"])).content.decode()
    assert "导入" in body and "上传并检查" in body and "Upload and check" not in body
    body = client.get(_upload(client, "employees", STAFF_BAD)["Location"]).content.decode()
    assert "<td>4</td><td>team: 没有团队 No such team。</td>" in body and "必须填写" in body
    assert "什么也没有写入" in body and "Nothing was written" not in body
    run = ImportRun.objects.latest("id")
    assert run.status == "refused"
    body = client.get(_upload(client, "employees", STAFF_GOOD)["Location"]).content.decode()
    assert "确认导入" in body and "将新建" in body
    body = client.post(reverse("table_import_confirm", args=["employees", ImportRun.objects.latest("id").pk]),
                       follow=True).content.decode()
    assert "导入完成" in body and Employee.objects.count() == 2


def test_a_quota_import_refused_for_a_row_the_manager_may_not_set(org, client_for, media):
    client = client_for(org.users.north_manager)
    assert reverse("table_import", args=["quotas"]) in client.get(reverse("quota_list")).content.decode()
    text = ("period,team,amount\n2026-01,North sales 1,100000\n2026-01,East sales 1,90000\n")
    body = client.get(_upload(client, "quotas", text, name="quotas.csv")["Location"]).content.decode()
    assert "<td>3</td><td>You may not set this quota.</td>" in body and not Quota.objects.exists()
    body = client.get(_upload(client, "quotas", text.splitlines()[0] + "\n" + text.splitlines()[1] + "\n",
                              name="quotas.csv")["Location"]).content.decode()
    assert "1 quotas would be created" in body
    client.post(reverse("table_import_confirm", args=["quotas", ImportRun.objects.latest("id").pk]))
    assert Quota.objects.get().amount == Decimal("100000")


def test_a_partner_import_from_an_xlsx_file(org, client_for, media, tmp_path):
    client = client_for(org.users.hq_manager)
    assert reverse("table_import", args=["partners"]) in client.get(reverse("partner_list")).content.decode()
    path = write_xlsx(tmp_path / "p.xlsx", [["编码", "名称", "上级编码", "毛利率"], ["P1", "华北总代", None, 12.5],
                                            ["P2", "天津二级", "P1", 8]])
    upload = SimpleUploadedFile("伙伴.xlsx", path.read_bytes())
    response = client.post(reverse("table_import", args=["partners"]), {"file": upload})
    run = ImportRun.objects.get()
    assert run.status == "preview" and run.created == 2 and not Partner.objects.exists()
    client.post(reverse("table_import_confirm", args=["partners", run.pk]))
    assert Partner.objects.get(code="P2").parent.code == "P1"
    assert client.get(response["Location"]).status_code == 200


def test_an_unreadable_file_is_refused_with_a_message(org, client_for, media):
    client = client_for(org.users.admin)
    response = _upload(client, "employees", "", name="empty.csv")
    assert response.status_code == 400 and "The file has no header row." in response.content.decode()
    response = _upload(client, "employees", "name\nA\n", name="staff.xls")
    assert response.status_code == 400 and "Old .xls" not in response.content.decode()
    assert "Unknown file type .xls" in response.content.decode()
    response = client.post(reverse("table_import", args=["employees"]))
    assert response.status_code == 400 and "Choose a file." in response.content.decode()
    assert not ImportRun.objects.exists() and not list((media / "imports").iterdir())


def test_cancel_deletes_the_file(org, client_for, media):
    client = client_for(org.users.admin)
    _upload(client, "employees", STAFF_GOOD)
    run = ImportRun.objects.get()
    stored = media / "imports" / run.stored_name
    response = client.post(reverse("table_import_cancel", args=["employees", run.pk]))
    assert response["Location"] == reverse("table_import", args=["employees"]) and not stored.exists()
    run.refresh_from_db()
    assert run.status == "cancelled"
    client.post(reverse("table_import_confirm", args=["employees", run.pk]))
    assert not Employee.objects.exists()


@pytest.mark.parametrize("kind", sorted(TABLE_IMPORTS))
@pytest.mark.parametrize("role", ROLES)
def test_pages_per_role(org, client_for, media, role, kind):
    client = client_for(getattr(org.users, role))
    expected = 200 if role in MAY[kind] else 403
    assert client.get(reverse("table_import", args=[kind])).status_code == expected
    assert client.get(reverse("table_import_template", args=[kind])).status_code == expected
    assert _upload(client, kind, "name\nA\n").status_code == (302 if expected == 200 else 403)
    assert not Employee.objects.exists()


def test_partner_users_never_reach_the_pages(org, client_for, media, partner_user):
    admin = client_for(org.users.admin)
    _upload(admin, "employees", STAFF_GOOD)
    run = ImportRun.objects.get()
    client = client_for(partner_user)
    for kind in TABLE_IMPORTS:
        assert client.get(reverse("table_import", args=[kind])).status_code == 404
        assert client.get(reverse("table_import_template", args=[kind])).status_code == 404
    assert client.post(reverse("table_import_confirm", args=["employees", run.pk])).status_code == 404
    assert not Employee.objects.exists()


def test_another_user_s_run_and_unknown_kinds_are_404(org, client_for, media):
    _upload(client_for(org.users.admin), "partners", "code,name\nP1,甲\n")
    run = ImportRun.objects.get()
    other = client_for(org.users.hq_manager)
    assert other.get(reverse("table_import_check", args=["partners", run.pk])).status_code == 404
    assert other.post(reverse("table_import_confirm", args=["partners", run.pk])).status_code == 404
    admin = client_for(org.users.admin)
    assert admin.get(reverse("table_import_check", args=["quotas", run.pk])).status_code == 404
    assert admin.get(reverse("import_preview", args=[run.pk])).status_code == 404   # not a customer import
    assert admin.get(reverse("table_import", args=["customers"])).status_code == 404
    assert not Partner.objects.exists()


def test_the_import_page_links_to_the_table_imports_one_may_run(org, client_for, media):
    body = client_for(org.users.north_manager).get(reverse("import_start")).content.decode()
    assert reverse("table_import", args=["quotas"]) in body and reverse("table_import", args=["partners"]) in body
    assert reverse("table_import", args=["employees"]) not in body


# -- the API --------------------------------------------------------------------------------

def _api(user) -> ApiClient:
    from kehu.org.services import token_create

    return ApiClient(token_create(user=user, name="tests")[1])


def _post(api: ApiClient, kind, text, name="staff.csv", dry_run=None, **extra):
    data = {"file": _file(text, name)} if dry_run is None else {"file": _file(text, name), "dry_run": dry_run}
    return api.client.post(f"/api/v1/imports/{kind}", data, **api.headers, **extra)


def test_api_dry_run_refused_and_import(org):
    api = _api(org.users.admin)
    r = _post(api, "employees", STAFF_BAD, dry_run="true")
    assert r.status_code == 200, r.content
    assert r.json() == {"kind": "employees", "rows": 3, "created": 1, "updated": 0, "refused": True, "dry_run": True,
                        "errors": [{"line": 3, "reason": "name: a value is required"},
                                   {"line": 4, "reason": "team: No team No such team."}]}
    r = _post(api, "employees", STAFF_BAD)
    assert r.json()["refused"] and not r.json()["dry_run"] and not Employee.objects.exists()
    r = _post(api, "employees", STAFF_GOOD, dry_run="true")
    assert r.json()["created"] == 2 and not r.json()["refused"] and not Employee.objects.exists()
    r = _post(api, "employees", STAFF_GOOD)
    assert r.status_code == 200 and r.json()["created"] == 2 and Employee.objects.count() == 2
    assert not ImportRun.objects.exists()


def test_api_reasons_in_the_caller_s_language(org):
    r = _post(_api(org.users.admin), "employees", STAFF_BAD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.json()["errors"][1]["reason"] == "team: 没有团队 No such team。"


def test_api_errors(org, partner_user):
    api = _api(org.users.admin)
    error = assert_error(_post(api, "employees", "", name="empty.csv"), 422, "validation_error")
    assert error["fields"] == {"file": ["The file has no header row."]}
    error = assert_error(_post(api, "employees", "name\nA\n", name="staff.pdf"), 422, "validation_error")
    assert "Unknown file type .pdf" in error["fields"]["file"][0]
    assert_error(api.client.post("/api/v1/imports/employees", {}, **api.headers), 422, "validation_error")
    assert_error(_post(api, "customers", "name\nA\n"), 422, "validation_error")
    assert_error(_post(_api(org.users.hq_manager), "employees", STAFF_GOOD), 403, "forbidden")
    assert_error(_post(_api(org.users.sales_n1), "quotas", "period,team,amount\n"), 403, "forbidden")
    assert_error(_post(_api(partner_user), "partners", "code,name\nP9,乙\n"), 404, "not_found")
    assert not Employee.objects.exists() and not Partner.objects.filter(code="P9").exists()
