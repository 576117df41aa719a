"""An administrator runs teams and users in a real browser (issue 18, item 7): a new
team under a region, a refused and then a created user, the deactivation of a
salesperson whose customers go to a colleague after the confirmation dialog, in
English and in Chinese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.org.models import Team, User
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_teams_and_users_end_to_end(page, org, customers):
    log_in(page, "admin")
    page.goto("/settings/teams/")
    page.get_by_test_id("team-new").click()
    form = page.get_by_test_id("team-form")
    form.get_by_label("Name").fill("North sales 2")
    form.get_by_label("Parent team").select_option(label="North region")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("team-tree")).to_contain_text("North sales 2")
    team = Team.objects.get(name="North sales 2")
    assert team.parent_id == org.teams.north.pk and team.path.startswith(org.teams.north.path)

    page.goto("/settings/users/")
    page.get_by_test_id("user-new").click()
    form = page.get_by_test_id("user-form")
    form.get_by_label("Username").fill("sales_n2")
    form.get_by_label("Role").select_option("salesperson")
    form.get_by_label("Team").select_option(label="North sales 2")
    form.get_by_label("Password").fill("123")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("user-form")).to_be_visible()  # refused: too short a password
    assert not User.objects.filter(username="sales_n2").exists()
    page.get_by_test_id("user-form").get_by_label("Password").fill("Ganggang-2026-long")
    page.get_by_test_id("user-form").get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("user-status")).to_be_visible()  # the new user's page
    assert User.objects.get(username="sales_n2").team_id == team.pk
    page.goto("/settings/users/")
    expect(page.get_by_test_id("user-table")).to_contain_text("sales_n2")

    page.goto(f"/settings/users/{org.users.sales_n1.pk}/")
    page.get_by_test_id("user-deactivate").click()
    expect(page.get_by_test_id("owned-count")).to_contain_text("1 customer is owned by this user.")
    page.get_by_label("Give their customers to").select_option(label=str(org.users.sales_n1b))
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("confirm").click()
    expect(page.locator("main")).to_contain_text("sales_n1 is deactivated; 1 customer moved.")
    assert not User.objects.get(pk=org.users.sales_n1.pk).is_active
    assert Customer.objects.get(pk=customers.n1.pk).owner_id == org.users.sales_n1b.pk


def test_the_users_page_in_chinese(page, org):
    User.objects.filter(pk=org.users.admin.pk).update(language="zh-hans")
    log_in(page, "admin")
    page.goto("/settings/users/")
    expect(page.get_by_test_id("user-new")).to_have_text("新建用户")
    expect(page.get_by_test_id("user-table")).to_contain_text("sales_e1")
    page.goto("/settings/teams/")
    expect(page.get_by_test_id("team-tree")).to_contain_text("East sales 1")
