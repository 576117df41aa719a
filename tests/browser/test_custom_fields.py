"""Custom fields in a real browser: an administrator defines a field, fills it
in the customer form, sees it on the 360 page and filters the list by it; the
deactivation asks for confirmation and says how many records hold a value."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.customfields.models import CustomFieldDefinition
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_define_fill_show_filter_deactivate(page, org, customers):
    log_in(page, "admin")
    page.goto("/")
    page.get_by_role("link", name="Custom fields").first.click()
    page.get_by_test_id("custom-field-new").click()
    form = page.get_by_test_id("custom-field-form")
    form.get_by_label("Key").fill("segment")
    form.get_by_label("Label (Chinese)").fill("行业细分")
    form.get_by_label("Label (English)").fill("Industry segment")
    form.get_by_label("Kind").select_option("choice")
    form.get_by_label("Choices").fill("auto | 汽车 | Automotive\nbuild | 建筑 | Construction")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("custom-fields-customer")).to_contain_text("Industry segment")

    page.goto("/customers/new/")
    page.locator("#id_name").fill("宝山汽车配件厂")
    page.locator("#id_cf_segment").select_option(label="Automotive")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_test_id("custom-values-customer")).to_contain_text("Automotive")
    customer = Customer.objects.get(name="宝山汽车配件厂")
    assert customer.custom == {"segment": "auto"}

    page.goto("/customers/")
    rows = page.locator("table.customers tbody tr")
    expect(rows).to_have_count(4)
    page.get_by_test_id("filter-cf_segment").select_option(label="Automotive")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("宝山汽车配件厂")
    assert "cf_segment=auto" in page.url

    page.goto("/settings/custom-fields/")
    page.locator("tr[data-key=segment]").get_by_role("link", name="Deactivate").click()
    expect(page.get_by_test_id("value-count")).to_have_text("1 record holds a value of this field.")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("confirm").click()
    expect(page.locator("tr[data-key=segment]")).to_contain_text("inactive")
    assert not CustomFieldDefinition.objects.get(key="segment").active
