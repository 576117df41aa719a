"""Customer journeys: search by pinyin, the 360 page, logging a call, deleting,
duplicates, another team's customer by URL, and a phone-sized screen."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.engagement.models import Interaction
from tests.browser.conftest import log_in, search
from tests.factories import CustomerFactory
from tests.web.conftest import full  # noqa: F401  (the fixture)
from tests.web.test_pages import page_urls

pytestmark = pytest.mark.browser


def test_search_by_pinyin_and_phone_updates_the_list_in_place(page, org, customers):
    # Another team's customer that matches every search below: it must never show.
    CustomerFactory(name="张思", kind="individual", owner=org.users.sales_e1, phone="13800138003")
    log_in(page, "north_manager")
    page.get_by_role("navigation").get_by_role("link", name="Customers").click()
    rows = page.locator("table.customers tbody tr")
    expect(rows).to_have_count(2)
    page.evaluate("window.kehuNoReload = true")

    search(page, "zs")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("张三")
    search(page, "zhangsan")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("张三")
    search(page, "138001380")  # a phone prefix: both of the north region's customers
    expect(rows).to_have_count(2)
    expect(page.locator("table.customers")).to_contain_text("北方钢铁贸易有限公司")
    search(page, "hdjx")  # 华东机械 is the east region's
    expect(page.get_by_text("No customers match these filters.")).to_be_visible()
    expect(page.get_by_test_id("customer-count")).to_have_text("0 customers")
    assert page.evaluate("window.kehuNoReload") is True, "the search reloaded the whole page"
    expect(page.locator("main")).not_to_contain_text("张思")

    # The pushed URL is a real page: reloading it shows the same results.
    search(page, "zs")
    page.reload()
    expect(page.locator("main").get_by_role("searchbox")).to_have_value("zs")
    expect(rows).to_have_count(1)
    # Open the 360 page from the result.
    rows.get_by_role("link", name="张三").click()
    expect(page).to_have_url(f"/customers/{customers.n1b.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("张三")


def test_back_after_a_search_keeps_the_search_box_in_step_with_the_list(page, org, customers):
    log_in(page, "north_manager")
    page.goto("/customers/")
    rows = page.locator("table.customers tbody tr")
    search(page, "zs")
    search(page, "bf")
    expect(rows).to_have_text(re.compile("北方钢铁贸易有限公司"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=zs&"))
    expect(rows).to_have_text(re.compile("张三"))
    expect(page.locator("main").get_by_role("searchbox")).to_have_value("zs")
    # The next filter keeps the search the list shows.
    page.locator("select[name=kind]").select_option("organization")
    expect(page).to_have_url(re.compile(r"q=zs&kind=organization"))
    expect(page.get_by_test_id("customer-count")).to_have_text("0 customers")
    page.go_back()
    page.go_back()
    expect(page).to_have_url("/customers/")
    expect(page.locator("main").get_by_role("searchbox")).to_have_value("")
    expect(rows).to_have_count(2)


def test_the_360_page_shows_everything_about_a_customer(page, org, full):
    log_in(page, "sales_n1")
    page.goto("/customers/")
    search(page, "bfgt")
    page.locator("table.customers").get_by_role("link", name="北方钢铁贸易有限公司").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("北方钢铁贸易有限公司")
    expect(page.get_by_role("heading", level=1)).to_contain_text(full.customer.ref)

    expect(page.locator("#profile")).to_contain_text("北京")
    expect(page.locator("#profile")).to_contain_text("13800138001")
    contacts = page.locator("#contacts")
    expect(contacts).to_contain_text("王总")
    expect(contacts).to_contain_text("李采购")
    expect(contacts).to_contain_text("Reports to 王总")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Quarterly call")
    expect(timeline).to_contain_text("Next step: Send the price list")
    expect(timeline).to_contain_text(full.order.ref)
    expect(page.locator("#orders").get_by_role("link", name=full.order.ref)).to_be_visible()
    totals = page.get_by_test_id("totals")
    expect(totals.locator(".kpi", has_text="Revenue").locator("b")).to_have_text("¥300.00")
    expect(totals.locator(".kpi", has_text="Paid").locator("b")).to_have_text("¥100.00")
    expect(totals.locator(".kpi", has_text="Outstanding").locator("b")).to_have_text("¥200.00")
    history = page.locator("#history")
    expect(history).to_contain_text("Customer created")
    expect(history).to_contain_text("Order created")
    expect(page.locator("#shares")).to_contain_text("sales_n1b")


def test_log_a_call_from_the_360_page_updates_the_timeline_in_place(page, org, full):
    log_in(page, "sales_n1")
    page.goto(f"/customers/{full.customer.pk}/")
    page.evaluate("window.kehuNoReload = true")
    panel = page.locator("#log-interaction")
    panel.get_by_label("Channel").select_option("phone")
    panel.get_by_label("Subject").fill("Q3 steel order")
    panel.get_by_label("Summary").fill("Called 李采购 about the Q3 order; wants 20 t of coil.")
    panel.locator("[name=next_step]").fill("Send the revised quote")
    due = timezone.localdate() + dt.timedelta(days=3)
    panel.locator("[name=next_step_on]").fill(due.isoformat())
    panel.get_by_role("button", name="Log interaction").click()

    expect(panel.get_by_role("status")).to_have_text("Interaction logged.")
    entry = page.locator("#timeline li.kind-interaction", has_text="Q3 steel order")
    expect(entry).to_contain_text("Called 李采购 about the Q3 order; wants 20 t of coil.")
    expect(entry).to_contain_text("Next step: Send the revised quote")
    expect(panel.get_by_label("Summary")).to_have_value("")  # a fresh form for the next call
    assert page.evaluate("window.kehuNoReload") is True, "logging the call reloaded the whole page"

    it = Interaction.objects.get(customer=full.customer, subject="Q3 steel order")
    assert it.user == org.users.sales_n1 and it.channel == "phone" and it.next_step_on == due
    page.reload()
    expect(entry).to_contain_text("Send the revised quote")


def test_a_call_without_a_summary_is_not_sent(page, org, full):
    log_in(page, "sales_n1")
    page.goto(f"/customers/{full.customer.pk}/")
    panel = page.locator("#log-interaction")
    panel.get_by_role("button", name="Log interaction").click()
    summary = panel.locator("[name=summary]")
    assert summary.evaluate("el => el.validity.valueMissing")
    expect(summary).to_be_focused()
    assert Interaction.objects.filter(customer=full.customer).count() == 1


def test_delete_asks_for_confirmation_first(page, org, customers):
    zhang = customers.n1b
    log_in(page, "sales_n1b")
    page.goto(f"/customers/{zhang.pk}/")
    page.locator(".page-head .actions").get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete 张三")
    expect(page.locator("main")).to_contain_text("This cannot be undone.")
    assert Customer.objects.filter(pk=zhang.pk).exists()

    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(f"/customers/{zhang.pk}/")
    assert Customer.objects.filter(pk=zhang.pk).exists()

    page.locator(".page-head .actions").get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Delete").click()
    expect(page).to_have_url("/customers/")
    expect(page.get_by_role("status")).to_contain_text("Customer 张三 deleted.")
    expect(page.locator("main")).to_contain_text("There are no customers yet.")
    assert not Customer.objects.filter(pk=zhang.pk).exists()


def test_a_duplicate_phone_warns_before_creating(page, org, customers):
    before = Customer.objects.count()
    log_in(page, "sales_n1")
    page.goto("/customers/")
    page.get_by_role("link", name="New customer").click()
    page.locator("#id_name").fill("华东机械（上海）")
    page.locator("#id_phone").fill("139-0013-9003")  # 华东机械集团's phone, written differently
    page.get_by_role("button", name="Create customer").click()

    warning = page.get_by_test_id("duplicates")
    expect(warning).to_contain_text("This customer may already exist")
    expect(warning).to_contain_text("华东机械集团")
    expect(warning).to_contain_text(customers.e1.ref)
    expect(warning).to_contain_text("sales_e1")
    # Another team's customer: named, but not a link to a page sales_n1 may not see.
    expect(warning.get_by_role("link", name="华东机械集团")).to_have_count(0)
    assert Customer.objects.count() == before

    page.get_by_label("These are different customers: create anyway").check()
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("status")).to_contain_text("Customer 华东机械（上海） created.")
    created = Customer.objects.get(name="华东机械（上海）")
    assert created.owner == org.users.sales_n1 and created.phone == "13900139003"
    expect(page).to_have_url(f"/customers/{created.pk}/")


def test_another_teams_customer_by_url_is_a_friendly_404(page, guard, org, customers):
    guard.allow(r"status of 404")  # Chromium logs every 404 response on the console
    log_in(page, "sales_n1")
    theirs = customers.e1
    missing = Customer.objects.order_by("-pk").first().pk + 1000
    bodies = []
    for url in (f"/customers/{theirs.pk}/", f"/customers/{theirs.pk}/edit/", f"/customers/{missing}/"):
        response = page.goto(url)
        assert response.status == 404, url
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        expect(page.locator("main")).to_contain_text("This page does not exist, or you may not see it.")
        expect(page.get_by_role("link", name="Back to the dashboard")).to_be_visible()
        body = page.locator("main").inner_text()
        assert "华东机械集团" not in body and "Traceback" not in page.content()
        bodies.append(body)
    # Not allowed and not existing look the same.
    assert bodies[0] == bodies[2]
    expect(page.get_by_role("navigation").get_by_role("link", name="Customers")).to_be_visible()


PHONE = {"viewport": {"width": 375, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def no_sideways_scroll(page):
    page.wait_for_load_state()  # measure with the style sheet applied
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"{page.url} is {width}px wide on a 375px screen"


def test_works_on_a_phone_sized_screen(new_page, org, full):
    page = new_page(**PHONE)
    log_in(page, "sales_n1")
    no_sideways_scroll(page)
    nav = page.get_by_role("navigation")
    for name in ("Dashboard", "Customers", "Interactions", "Orders", "Products", "Import"):
        link = nav.get_by_role("link", name=name)
        expect(link).to_be_in_viewport()
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375, name
        assert box["height"] >= 24, f"{name} is too small to tap"
    expect(page.get_by_role("button", name="Log out")).to_be_in_viewport()

    nav.get_by_role("link", name="Customers").tap()
    expect(page).to_have_url("/customers/")
    no_sideways_scroll(page)
    row = page.locator("table.customers tbody tr").first
    # the list's tools (saved views, columns, bulk actions) come first on a phone: scroll down to the rows
    row.scroll_into_view_if_needed()
    expect(row.get_by_role("link", name="北方钢铁贸易有限公司")).to_be_in_viewport()
    expect(row.locator("td.hide-sm").first).to_be_hidden()  # the narrow list keeps code and name
    search(page, "bf")
    row.get_by_role("link", name="北方钢铁贸易有限公司").tap()
    expect(page.get_by_role("heading", level=1)).to_contain_text("北方钢铁贸易有限公司")
    no_sideways_scroll(page)


def test_no_page_scrolls_sideways_on_a_phone(new_page, org, full):
    """Wide tables scroll inside their own box; the page itself never does."""
    page = new_page(**PHONE)
    log_in(page, "sales_n1")
    too_wide = {}
    for url in page_urls(full) + ["/import/"]:
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            too_wide[url] = width
    assert not too_wide, f"pages wider than a 375px screen: {too_wide}"
