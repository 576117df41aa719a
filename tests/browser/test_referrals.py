"""A salesperson opens a customer and copies its referral link; a friend opens it on a phone and leaves
their details; once the friend's first order is paid in full the referrer is rewarded, and both 360 pages
show who referred whom."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.marketing.referrals.models import Referral
from tests.browser.conftest import log_in
from tests.marketing.referrals_fixtures import notice_template, order_of, pay_in_full  # noqa: F401

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "is_mobile": True, "has_touch": True}


def test_referral_journey(new_page, guard, live_server, org, customers, notice_template, settings):
    from kehu.marketing.membership.services import member_enrol, tiers_init
    from kehu.marketing.referrals.services import rule_update

    settings.KEHU_PUBLIC_URL = live_server.url
    guard.allow(r"status of 422")   # the friend's first try without the consent tick
    page = new_page()
    page.goto("/login/", timeout=90000)    # the live server's first page may be slow on a busy machine
    log_in(page, "admin")
    rule_update(actor=org.users.admin, data={"active": True, "reward_kind": "points", "points": 300,
                                             "notice_template": notice_template})
    tiers_init(actor=None)
    member_enrol(actor=None, customer=customers.n1)
    page.goto(f"/customers/{customers.n1.pk}/")
    card = page.get_by_test_id("customer-referrals")
    expect(card).to_contain_text("No referrals yet.")
    card.get_by_test_id("referral-make-code").click()
    link = card.get_by_test_id("referral-link")
    expect(link).to_be_visible()
    card.get_by_test_id("referral-copy").click()
    expect(card.get_by_test_id("referral-copy")).to_have_text("Copied")
    url = link.input_value()
    assert url.startswith(f"{live_server.url}/r/")

    friend_page = new_page(**PHONE)
    friend_page.goto(url)
    expect(friend_page.get_by_role("heading", level=1)).to_have_text("朋友向您推荐我们")
    expect(friend_page.get_by_test_id("referral-public-form")).not_to_contain_text(customers.n1.name)
    friend_page.get_by_label("您的姓名").fill("王小明")
    friend_page.get_by_label("电话").fill("13700137000")
    friend_page.get_by_test_id("referral-public-submit").click()
    expect(friend_page.get_by_test_id("referral-public-errors")).to_be_visible()   # the consent is required
    friend_page.get_by_label("我同意贵公司保存我的信息，并就我的咨询与我联系。").check()
    friend_page.get_by_test_id("referral-public-submit").click()
    expect(friend_page.get_by_test_id("referral-public-sent")).to_be_visible()

    friend = Customer.objects.get(phone="13700137000")
    referral = Referral.objects.get(referred=friend)
    assert referral.status == "pending" and friend.source == "referral"
    pay_in_full(order_of(friend, "2000.00"), org.users.admin, on=dt.date(2026, 12, 7))
    referral.refresh_from_db()
    assert referral.status == "rewarded" and referral.reward_kind == "points"

    page.goto(f"/customers/{customers.n1.pk}/")
    card = page.get_by_test_id("customer-referrals")
    expect(card.get_by_test_id("referred-customers")).to_contain_text("Referred 1 customer: 王小明")
    expect(card.get_by_test_id("referral-rewards")).to_contain_text("300 points, 0 coupons")
    expect(card.get_by_test_id("referral-rewards")).to_contain_text("2,000")
    page.goto(f"/customers/{friend.pk}/")
    expect(page.get_by_test_id("referred-by")).to_contain_text(customers.n1.name)
    expect(page.get_by_test_id("referred-by")).to_contain_text("Rewarded")
