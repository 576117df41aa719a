"""Marketing journeys in the browser: a member earns points on a paid order and exchanges them for a coupon;
an owner works through the care moments (done in place, htmx); the 360 page's marketing cards arrive after
the page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.marketing.care.models import CareMoment
from kehu.marketing.care.services import care_run, rule_create
from kehu.marketing.coupons.models import Coupon
from kehu.marketing.coupons.services import definition_create
from kehu.marketing.membership.services import member_enrol, points_balance, tiers_init
from tests.browser.conftest import log_in
from tests.factories import OrderFactory

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _tiers(transactional_db):
    tiers_init()   # the live server's database is flushed between tests: the default tiers again


def test_a_member_earns_on_a_paid_order_and_exchanges_points_for_a_coupon(page, org, customers):
    page.goto("/login/", timeout=90_000)   # the live server's first answer (imports, templates) on a busy machine
    log_in(page, "sales_n1")
    member = member_enrol(actor=None, customer=customers.n1, joined_on=dt.date(2026, 1, 1))
    definition_create(actor=org.users.admin, data={
        "ref": "PTS-30", "name_zh": "积分换30元", "name_en": "30 off for points", "kind": "amount",
        "value": Decimal("30"), "points_price": 500})
    order = OrderFactory(customer=customers.n1, salesperson=org.users.sales_n1,
                         lines=[{"quantity": 1, "unit_price": "800.00", "unit_cost": "1"}])
    page.goto(f"/orders/{order.pk}/payments/new/")
    page.get_by_label("Amount").fill("800.00")
    page.get_by_label("Received on").fill(timezone.localdate().isoformat())
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/payments/new/" not in url)
    assert points_balance(member) == 800
    page.goto(f"/members/{member.pk}/")
    expect(page.get_by_test_id("member-balance")).to_have_text("800")
    page.get_by_test_id("exchange-kind").select_option(label="30 off for points (PTS-30) · 500 points")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("exchange-submit").click()
    expect(page.get_by_test_id("member-balance")).to_have_text("300")
    coupon = Coupon.objects.get(customer=customers.n1)
    assert coupon.source == "points"
    expect(page.get_by_role("main")).to_contain_text(coupon.display_code)
    # 300 left: the kind costs 500, so it cannot be chosen again
    expect(page.locator("#exchange-kind option", has_text="PTS-30")).to_be_disabled()


def test_an_owner_works_through_the_care_moments(page, org, customers):
    today = timezone.localdate()
    Customer.objects.filter(pk=customers.n1.pk).update(birthday=dt.date(1980, today.month, today.day)
                                                       if (today.month, today.day) != (2, 29) else dt.date(1980, 2, 29))
    rule_create(actor=org.users.admin, data={"name_zh": "生日电话", "name_en": "Birthday call", "kind": "birthday",
                                             "channel": "task", "lead_days": 0})
    care_run(date=today)
    moment = CareMoment.objects.get(customer=customers.n1)
    log_in(page, "sales_n1")
    page.goto("/care/")
    expect(page.get_by_test_id("care-calendar")).to_contain_text(customers.n1.name)
    page.get_by_test_id("care-moments-link").click()
    row = page.locator(f"#moment-{moment.pk}")
    expect(row).to_contain_text("Birthday call")
    row.get_by_test_id("care-moment-done").click()
    expect(page.locator(f"#moment-{moment.pk}").get_by_test_id("care-moment-status")).to_have_text("Done by hand")
    moment.refresh_from_db()
    assert moment.status == "done" and moment.done_by == org.users.sales_n1


def test_the_360_page_loads_its_marketing_cards(page, org, customers):
    member_enrol(actor=None, customer=customers.n1, joined_on=dt.date(2026, 1, 1))
    log_in(page, "sales_n1")
    page.goto(f"/customers/{customers.n1.pk}/")
    expect(page.get_by_test_id("customer-membership")).to_be_visible()
    expect(page.get_by_test_id("customer-member-link")).to_have_text(f"M{customers.n1.pk:08d}")
    for card in ("customer-winback", "customer-coupons", "customer-outreach", "customer-care"):
        expect(page.get_by_test_id(card)).to_be_attached()


def test_a_marketer_writes_a_template_and_previews_it(page, org, customers):
    log_in(page, "north_marketing")
    page.goto("/outreach/templates/")
    page.get_by_test_id("template-new").click()
    page.locator("#id_code").fill("autumn-offer")
    page.locator("#id_name").fill("Autumn offer")
    page.locator("#id_channel").select_option("email")
    page.locator("#id_purpose").select_option("marketing")
    page.locator("#id_subject_zh").fill("{{ customer.name }}，秋季优惠")
    page.locator("#id_body_zh").fill("您的优惠码：{{ coupon.code }}")
    page.locator("#id_subject_en").fill("Autumn offer for {{ customer.name }}")
    page.locator("#id_body_en").fill("Your code: {{ coupon.code }}")
    page.get_by_test_id("template-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("preview-zh-hans")).to_contain_text("您的优惠码：SAMPLE-8K2Q")
    expect(page.get_by_test_id("preview-en")).to_contain_text("Your code: SAMPLE-8K2Q")
    page.get_by_test_id("preview-customer").locator("input[name=customer]").fill(customers.n1.ref)
    page.get_by_test_id("preview-customer").locator("button[type=submit]").click()
    expect(page.get_by_test_id("preview-gate")).to_contain_text(customers.n1.name)
    expect(page.get_by_test_id("preview-zh-hans")).to_contain_text(f"{customers.n1.name}，秋季优惠")


def test_a_coupon_kind_issued_by_marketing_is_redeemed_by_the_salesperson(page, new_page, org, customers):
    log_in(page, "north_marketing")
    page.goto("/coupons/new/")
    page.locator("#id_ref").fill("AUTUMN-20")
    page.locator("#id_name_zh").fill("满100减20")
    page.locator("#id_name_en").fill("20 off 100")
    page.locator("#id_value").fill("20")
    page.locator("#id_min_spend").fill("100")
    page.locator("form.card button[type=submit], form button[type=submit]").last.click()
    page.wait_for_url(lambda url: "/new/" not in url)
    from kehu.marketing.coupons.models import CouponDefinition

    definition = CouponDefinition.objects.get(ref="AUTUMN-20")
    page.goto(f"/coupons/{definition.pk}/issue/")
    page.locator("#id_customer").fill(customers.n1.ref)
    page.get_by_test_id("coupon-issue-form").locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/issue/" not in url)
    coupon = Coupon.objects.get(definition=definition, customer=customers.n1)

    order = OrderFactory(customer=customers.n1, salesperson=org.users.sales_n1,
                         lines=[{"quantity": 1, "unit_price": "300.00", "unit_cost": "1"}])
    sales = new_page()
    log_in(sales, "sales_n1")
    sales.goto(f"/orders/{order.pk}/")
    sales.get_by_test_id("order-redeem-coupon").click()
    sales.get_by_test_id("coupon-redeem-form").locator("input[type=text]").first.fill(coupon.display_code)
    sales.get_by_test_id("coupon-redeem").click()
    expect(sales.get_by_test_id("order-coupon")).to_contain_text(coupon.display_code)
    coupon.refresh_from_db()
    assert coupon.status == "redeemed"


def test_a_lost_customers_reason_from_the_edit_form_shows_on_winback(page, org, customers):
    log_in(page, "sales_n1")
    page.goto(f"/customers/{customers.n1.pk}/edit/")
    page.locator("#id_lifecycle_stage").select_option("lost")
    page.locator("form button[type=submit]").last.click()
    expect(page.get_by_test_id("winback-mark-lost-form")).to_be_visible()
    page.locator("#id_reason input[value=competitor]").check()
    page.get_by_test_id("winback-mark-lost-form").locator("button[type=submit]").click()
    page.get_by_test_id("winback-confirm").click()
    page.wait_for_url(lambda url: "/customers/" in url and "/mark-lost" not in url)
    page.goto("/winback/")
    expect(page.get_by_test_id("winback-totals")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("competitor", ignore_case=True)
