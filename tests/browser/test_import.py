"""Importing customers through the web: preview, error report, all-or-nothing, skip bad rows."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

# Saved the way Chinese Excel saves "CSV UTF-8": with a BOM and Chinese headers.
# Line 3 (the second data row) is bad: its type is not one Kehu knows.
CSV = (
    "客户编号,客户名称,类型,城市\r\n"
    "IMP1,赵六,个人,北京\r\n"
    "IMP2,钱七贸易公司,外星人,上海\r\n"
    "IMP3,孙八,个人,广州\r\n"
).encode("utf-8-sig")


def test_import_shows_preview_and_errors_writes_nothing_then_skips_bad_rows(page, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    log_in(page, "sales_n1")
    page.get_by_role("navigation").get_by_role("link", name="Import").click()
    page.locator("#import-file").set_input_files(files=[{"name": "客户.csv", "mimeType": "text/csv", "buffer": CSV}])
    page.get_by_role("button", name="Upload and check").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    preview = page.get_by_test_id("preview-rows")
    for name in ("赵六", "钱七贸易公司", "孙八"):
        expect(preview).to_contain_text(name)
    expect(page.get_by_test_id("bad-rows")).to_have_text("1")
    error = page.get_by_test_id("import-errors").locator("tbody tr")
    expect(error).to_have_count(1)
    expect(error.locator("td").first).to_have_text("3")
    expect(error).to_contain_text("'外星人' is not one of the accepted values")
    assert not Customer.objects.exists()

    # Confirming without "skip" refuses the whole file.
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Nothing was imported")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the import")
    assert not Customer.objects.exists()

    page.get_by_label("Skip the bad rows and import the good ones").check()
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Import finished")
    expect(page.get_by_test_id("created")).to_have_text("2")
    assert sorted(Customer.objects.values_list("ref", flat=True)) == ["IMP1", "IMP3"]
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"sales_n1"}

    page.get_by_role("navigation").get_by_role("link", name="Customers").click()
    table = page.locator("table.customers")
    expect(table).to_contain_text("赵六")
    expect(table).to_contain_text("孙八")
    expect(table).not_to_contain_text("钱七贸易公司")
