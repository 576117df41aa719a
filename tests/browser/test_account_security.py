"""Signing in safely: changing one's password, and the lockout after too many wrong passwords."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_change_password_then_log_in_with_it(page, org):
    log_in(page, "sales_n1")
    page.get_by_role("link", name="sales_n1 · Salesperson").click()
    page.get_by_role("link", name="Change password").click()
    page.fill("#id_old_password", "kehu-pass-123")
    page.fill("#id_new_password1", "12345678")
    page.fill("#id_new_password2", "12345678")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator("main")).to_contain_text("This password is too common.")
    page.fill("#id_old_password", "kehu-pass-123")
    page.fill("#id_new_password1", "Quiet-River-77")
    page.fill("#id_new_password2", "Quiet-River-77")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password was changed.")
    page.get_by_role("button", name="Log out").click()
    log_in(page, "sales_n1", "Quiet-River-77")
    expect(page).to_have_url("/")


def test_lockout_says_how_long_to_wait(page, org, guard):
    guard.allow(r"status of 429")  # Chromium logs the lockout answer's status
    page.goto("/login/")
    for _i in range(5):
        page.fill("#id_username", "sales_n1")
        page.fill("#id_password", "not-the-password")
        page.click("button[type=submit]")
        page.wait_for_load_state()
    expect(page.get_by_test_id("lockout")).to_contain_text("Try again in 15 minutes")
    # The right password is refused too while the lockout lasts.
    page.fill("#id_username", "sales_n1")
    page.fill("#id_password", "kehu-pass-123")
    page.click("button[type=submit]")
    expect(page.get_by_test_id("lockout")).to_contain_text("ask an administrator to unlock")
    expect(page.locator("nav.mainnav")).to_have_count(0)
