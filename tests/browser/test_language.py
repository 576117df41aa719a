"""Switching between English and Simplified Chinese; the choice is the user's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

import kehu
from tests.browser.conftest import log_in, search

pytestmark = pytest.mark.browser

ZH_CATALOGUE = Path(kehu.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo"


def switch_language(page, label, code):
    page.get_by_test_id("language-select").select_option(label=label)
    expect(page.locator("html")).to_have_attribute("lang", code)


def log_out(page):
    # in whichever language the page is
    page.locator("form[action='/logout/'] button[type=submit]").click()
    expect(page).to_have_url("/login/")


def test_language_switch_is_remembered_per_user(page, new_page, org):
    log_in(page, "sales_n1")
    page.goto("/customers/")
    expect(page.locator("html")).to_have_attribute("lang", "en")  # from the browser's Accept-Language
    select = page.get_by_test_id("language-select")
    expect(select.locator("option")).to_have_text(["中文", "English"])

    switch_language(page, "中文", "zh-hans")
    expect(page).to_have_url("/customers/")  # the switch stays on the page
    expect(select).to_have_value("zh-hans")
    switch_language(page, "English", "en")
    expect(select).to_have_value("en")
    switch_language(page, "中文", "zh-hans")
    org.users.sales_n1.refresh_from_db()
    assert org.users.sales_n1.language == "zh-hans"

    log_out(page)
    log_in(page, "sales_n1")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")

    # Remembered on the user, not only in this browser's cookie: a fresh
    # browser that asks for English still gets the user's Chinese after login.
    other = new_page(locale="en-US")
    other.goto("/login/")
    expect(other.locator("html")).to_have_attribute("lang", "en")
    log_in(other, "sales_n1")
    expect(other.locator("html")).to_have_attribute("lang", "zh-hans")
    # ... and another user in that browser keeps their own language.
    log_out(other)
    log_in(other, "sales_n1b")
    expect(other.locator("html")).to_have_attribute("lang", "en")


def test_switching_language_after_a_search_keeps_the_search(page, org, customers):
    log_in(page, "north_manager")
    page.goto("/customers/")
    search(page, "zs")  # htmx pushes the search into the URL; the server rendered the page without it
    switch_language(page, "中文", "zh-hans")
    expect(page).to_have_url(re.compile(r"/customers/\?q=zs&"))
    expect(page.locator("main").get_by_role("searchbox")).to_have_value("zs")
    expect(page.locator("table.customers tbody tr")).to_have_count(1)


def test_chinese_interface_uses_chinese_labels(page, org):
    assert ZH_CATALOGUE.exists(), "the compiled zh-hans catalogue is missing: run `make messages`"
    log_in(page, "sales_n1")
    page.goto("/customers/")
    switch_language(page, "中文", "zh-hans")
    # The page has loaded (switch_language waited for it): read it as it is, without waiting.
    assert page.locator("nav.mainnav a[href='/customers/']").inner_text() == "客户"
    assert page.get_by_role("heading", level=1).inner_text() == "客户"
