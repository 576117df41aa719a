"""An administrator imports staff without a login from a file in a real browser, in Chinese
(issue 18): from the user list to the import page, a file with a bad row refused with its line
and nothing written, then the fixed file checked, confirmed after the dialog, and imported."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.org.models import Employee, User
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

# As Chinese Excel saves "CSV UTF-8": a BOM and Chinese headings. Line 3 names no team Kehu has.
BAD = ("姓名,邮箱,团队,岗位,在职\r\n"
       "王师傅,wang@example.com,North sales 1,司机,是\r\n"
       "李会计,li@example.com,财务部,会计,是\r\n").encode("utf-8-sig")
GOOD = ("姓名,邮箱,团队,岗位,在职\r\n"
        "王师傅,wang@example.com,North sales 1,司机,是\r\n"
        "李会计,li@example.com,Head office,会计,是\r\n").encode("utf-8-sig")


def _choose(page, name, data):
    page.locator("#import-file").set_input_files(files=[{"name": name, "mimeType": "text/csv", "buffer": data}])


def test_staff_import_in_chinese(page, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    User.objects.filter(pk=org.users.admin.pk).update(language="zh-hans")
    log_in(page, "admin")
    page.goto("/settings/users/")
    page.get_by_test_id("staff-import").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入：没有登录账号的员工")
    expect(page.get_by_test_id("table-import-columns")).to_contain_text("姓名")
    expect(page.get_by_test_id("template-zh")).to_have_text("中文列名的 CSV")

    _choose(page, "员工.csv", BAD)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("检查导入")
    expect(page.get_by_test_id("import-refused")).to_contain_text("什么也没有写入：1 行有错误")
    expect(page.get_by_test_id("bad-rows")).to_have_text("1")
    row = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td").first).to_have_text("3")
    expect(row).to_contain_text("没有团队 财务部")
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    assert not Employee.objects.exists()

    page.get_by_test_id("import-again").click()
    _choose(page, "员工.csv", GOOD)
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_test_id("import-dry-run")).to_contain_text("将新建 2 名员工")
    expect(page.get_by_test_id("created")).to_have_text("2")
    assert not Employee.objects.exists()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入完成")
    expect(page.get_by_test_id("import-status")).to_have_text("已导入")
    expect(page.get_by_test_id("import-done")).to_contain_text("新建 2 名员工")
    assert Employee.objects.get(email="wang@example.com").team == org.teams.n1
    assert Employee.objects.get(email="li@example.com").team == org.teams.hq
