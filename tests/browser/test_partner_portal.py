"""The partner portal and the channel manager's pages in a real browser (issue 18), in
English and in Chinese.

A level-1 agent's user signs in: the menu offers only the portal; the customer list, the
search and the case queue show exactly their partner's customers and its sub-agent's (not
another agent's, not the company's own); another customer's page is the not-found page;
they register a customer (the duplicate check warns without naming the company's customer
or its owner), record an order at their partner's margin, and change their own language and
password. Every link the portal shows them opens.

The channel manager (the partners' manager, a sales manager) opens the channel overview,
sorts the ranking by a scorecard column, opens a partner's page with its scorecard and
targets, and exports the ranking.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from types import SimpleNamespace
from urllib.parse import urljoin, urlsplit

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.org.models import User
from kehu.org.partners import partner_create, partner_target_set
from kehu.sales.models import Order
from kehu.service.services import case_create
from tests.browser.conftest import log_in, search
from tests.conftest import PASSWORD
from tests.factories import (
    ContactFactory, CustomerFactory, InteractionFactory, OrderFactory, ProductFactory, UserFactory,
)

pytestmark = pytest.mark.browser

LANGS = ["en", "zh-hans"]
HTML_LANG = {"en": "en", "zh-hans": "zh-hans"}


def tr(lang, msgid, **values):
    """``msgid`` as the product shows it in ``lang``."""
    with translation.override(lang):
        text = gettext(msgid)
    return text % values if values else text


@pytest.fixture
def channel(org, customers):
    """A level-1 agent (``l1``, margin 12 %) with a level-2 agent below it (``l2``) and another
    level-1 agent (``other``), all looked after by north_manager; a customer of each agent
    (owned by the north region's salespeople, so that their manager counts them), a case of
    each, a target of l1; a user of l1 and of the other agent. The company's own customers
    (n1, n1b, e1) serve no partner."""
    u = org.users
    l1 = partner_create(data={"code": "WL1", "name": "华北一级代理", "manager": u.north_manager,
                              "margin_pct": Decimal("12")})
    l2 = partner_create(data={"code": "WL2", "name": "天津二级代理", "kind": "agent_l2", "manager": u.north_manager,
                              "margin_pct": Decimal("8")}, parent=l1)
    other = partner_create(data={"code": "WO1", "name": "华东一级代理", "manager": u.north_manager,
                                 "margin_pct": Decimal("10")})
    mine = CustomerFactory(name="渠道客户甲", owner=u.sales_n1, partner=l1, city="北京", region="north")
    sub = CustomerFactory(name="渠道客户乙", owner=u.sales_n1, partner=l2, city="天津", region="north")
    theirs = CustomerFactory(name="渠道客户丙", owner=u.sales_n1b, partner=other, city="济南", region="north")
    # sales this month: l1 300, l2 900, other 600 (own, without the sub-partners')
    for customer, price in ((mine, "150.00"), (sub, "450.00"), (theirs, "300.00")):
        OrderFactory(customer=customer, lines=[{"quantity": 2, "unit_price": price, "unit_cost": "50.00"}])
    cases = {c.pk: case_create(actor=u.admin, data={"customer": c, "kind": "complaint", "subject": f"投诉：{c.name}"})
             for c in (mine, sub, theirs, customers.n1)}
    today = dt.date.today()
    start = today.replace(day=1)
    end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    partner_target_set(partner=l1, period_start=start, period_end=end, revenue=Decimal("1000"), new_customers=2)
    users = SimpleNamespace(
        l1=UserFactory(username="agent_l1", display_name="代理甲", role="partner", partner=l1),
        other=UserFactory(username="agent_other", role="partner", partner=other),
    )
    product = ProductFactory(name="螺纹钢", unit_price=Decimal("100.00"), unit_cost=Decimal("70.00"))
    return SimpleNamespace(l1=l1, l2=l2, other=other, mine=mine, sub=sub, theirs=theirs, cases=cases,
                           users=users, product=product, company=customers)


def _speak(user, lang):
    User.objects.filter(pk=user.pk).update(language=lang)


# -- the partner user --------------------------------------------------------------------

PORTAL_MENU = ["/customers/", "/interactions/", "/orders/", "/cases/", "/kb/"]


@pytest.mark.parametrize("lang", LANGS)
def test_a_level_1_agent_sees_only_its_own_and_its_sub_agents_customers(page, guard, channel, lang):
    guard.allow(r"status of 404")  # Chromium logs the not-found answer
    _speak(channel.users.l1, lang)
    log_in(page, "agent_l1")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[lang])
    expect(page).to_have_url("/customers/")  # the portal starts at the customers

    # the menu offers only the portal
    nav = page.get_by_role("navigation").first
    hrefs = [a.get_attribute("href") for a in nav.locator("a").all()]
    assert hrefs == PORTAL_MENU, hrefs
    expect(nav.get_by_role("link", name=tr(lang, "Customers"))).to_be_visible()

    rows = page.locator("table.customers tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("table.customers")).to_contain_text("渠道客户甲")
    expect(page.locator("table.customers")).to_contain_text("渠道客户乙")
    main = page.locator("main")
    for hidden in ("渠道客户丙", "北方钢铁贸易有限公司", "张三", "华东机械集团"):
        expect(main).not_to_contain_text(hidden)

    # the search finds the sub-agent's customer, never the others
    search(page, "渠道客户")
    expect(rows).to_have_count(2)
    search(page, "渠道客户乙")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("渠道客户乙")
    for term in ("渠道客户丙", "北方钢铁", "bfgt", "13800138001"):
        search(page, term)
        expect(page.get_by_test_id("customer-count")).to_contain_text("0")
        expect(rows).to_have_count(0)
    # nor does the header's search
    box = page.get_by_test_id("global-search")
    box.fill("渠道客户")
    results = page.locator("#global-search-results")
    expect(results).to_contain_text("渠道客户甲")
    expect(results).to_contain_text("渠道客户乙")
    expect(results).not_to_contain_text("渠道客户丙")

    # another agent's customer and the company's: the not-found page, no stack trace
    for customer in (channel.theirs, channel.company.n1):
        for url in (f"/customers/{customer.pk}/", f"/customers/{customer.pk}/orders/new/"):
            response = page.goto(url)
            assert response.status == 404, url
            expect(page.get_by_role("heading", level=1)).to_have_text(tr(lang, "Not found"))
            assert customer.name not in page.content() and "Traceback" not in page.content()

    # the cases: those of their customers only
    page.get_by_role("navigation").first.locator("a[href='/cases/']").click()
    page.locator("select[name=queue]").select_option("all")
    page.locator("select[name=status]").select_option("")
    page.locator("[data-testid=case-filters] button[type=submit]").click()
    table = page.get_by_test_id("case-table")
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table).to_contain_text("投诉：渠道客户甲")
    expect(table).to_contain_text("投诉：渠道客户乙")
    expect(table).not_to_contain_text("渠道客户丙")
    expect(table).not_to_contain_text("北方钢铁")


@pytest.mark.parametrize("lang", LANGS)
def test_a_level_1_agent_registers_a_customer_and_records_an_order(page, channel, lang):
    _speak(channel.users.l1, lang)
    log_in(page, "agent_l1")
    page.locator(".page-head").get_by_role("link", name=tr(lang, "New customer")).click()
    partner = page.locator("#id_partner")
    expect(partner.locator("option")).to_have_count(2)  # their own agent and the sub-agent
    expect(page.locator("#id_owner")).to_have_count(0)  # the company chooses the owner

    # the name and city of a company customer they cannot see
    page.locator("#id_name").fill("北方钢铁贸易有限公司")
    page.locator("#id_city").fill("北京")
    page.locator("form.customer-form button[type=submit]").click()
    warning = page.get_by_test_id("duplicates")
    expect(warning).to_contain_text(tr(lang, "This customer may already exist"))
    expect(page.get_by_test_id("duplicate-elsewhere")).to_be_visible()
    company = channel.company.n1
    for secret in ("北方钢铁贸易有限公司", company.ref, "sales_n1", str(company.owner)):
        expect(warning).not_to_contain_text(secret)
    expect(warning.get_by_role("link")).to_have_count(0)
    assert not Customer.objects.filter(name="北方钢铁贸易有限公司", partner__isnull=False).exists()

    # a customer of their own
    page.locator("#id_name").fill("河北新钢材料")
    page.locator("#id_city").fill("石家庄")
    page.locator("#id_phone").fill("13700137000")
    page.locator("form.customer-form button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text(
        tr(lang, "Customer %(name)s created.", name="河北新钢材料"))
    created = Customer.objects.get(name="河北新钢材料")
    assert created.partner_id == channel.l1.pk and created.owner_id == channel.l1.manager_id
    expect(page).to_have_url(f"/customers/{created.pk}/")

    # an order for it, at their partner's margin
    page.locator(".page-head").get_by_role("link", name=tr(lang, "New order")).click()
    expect(page.locator("#id_partner")).to_have_count(0)
    expect(page.locator("#id_partner_margin_pct")).to_have_count(0)
    expect(page.locator("#id_lines-0-unit_cost")).to_have_count(0)   # the company's cost is not theirs
    page.locator("#id_lines-0-product").select_option(label=f"{channel.product.ref} · 螺纹钢")
    page.locator("#id_lines-0-quantity").fill("5")
    page.locator("form button[type=submit]").last.click()
    order = Order.objects.get(customer=created)
    expect(page).to_have_url(f"/orders/{order.pk}/")
    assert order.partner_id == channel.l1.pk and order.partner_margin_pct == Decimal("12.00")
    assert order.amount == Decimal("500.00") and order.salesperson_id is None
    expect(page.get_by_test_id("order-partner")).to_contain_text("华北一级代理")
    expect(page.get_by_test_id("order-partner")).to_contain_text("12.00%")
    assert order.cost == Decimal("350.00")   # the product's, never shown to them
    expect(page.locator("main")).not_to_contain_text("350.00")

    # the order list: their partner's orders only
    page.goto("/orders/")
    table = page.locator("main table").first
    expect(table).to_contain_text(order.ref)
    for o in Order.objects.exclude(customer__partner__in=[channel.l1, channel.l2]):
        expect(table).not_to_contain_text(o.ref)


@pytest.mark.parametrize("lang", LANGS)
def test_a_partner_user_changes_their_language_and_password(page, channel, lang):
    _speak(channel.users.l1, lang)
    log_in(page, "agent_l1")
    page.locator("a.who").click()
    expect(page).to_have_url("/me/")
    other = "en" if lang == "zh-hans" else "zh-hans"
    page.locator("#id_language").select_option(other)
    page.locator("form[action='/me/'] button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[other])
    expect(page.get_by_role("status")).to_contain_text(tr(other, "Language saved."))
    assert User.objects.get(pk=channel.users.l1.pk).language == other

    page.get_by_role("link", name=tr(other, "Change password")).click()
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", "Quiet-River-77")
    page.fill("#id_new_password2", "Quiet-River-77")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("status")).to_contain_text(tr(other, "Your password was changed."))
    page.locator("form[action='/logout/'] button[type=submit]").click()
    log_in(page, "agent_l1", "Quiet-River-77")
    expect(page).to_have_url("/customers/")


def test_every_link_and_form_the_portal_shows_opens(page, guard, org, channel):
    """A link, form or fragment on a portal page that leads to a page closed to partner users
    is a dead end (the not-found page, or a fragment that never loads): every one a partner
    user is shown is in the portal (:meth:`CustomerPolicy.may_use_view`)."""
    from django.urls import Resolver404, resolve

    from kehu.org.policies import policy_for

    guard.allow(r"status of 404|Response Status Error Code 404")  # reported below, with where they are
    from kehu.service.services import repair_create
    from tests.service.test_return_visit import resolve as resolve_complaint

    order = Order.objects.filter(customer=channel.mine).first()
    case = channel.cases[channel.mine.pk]
    # the sub-agent's customer's complaint: resolved (its return visit waits), with a repair
    done = resolve_complaint(org, channel.cases[channel.sub.pk])
    repair_create(actor=org.users.admin, case=done, data={"fault": "阀门漏气"})
    # logged by the agent's own people: the company's notes are not the partner's to see or open
    # (CustomerPolicy.timeline_q), so their edit page answers 404 by design
    interaction = InteractionFactory(customer=channel.mine, subject="回访", user=channel.users.l1)
    contact = ContactFactory(customer=channel.mine, name="王经理")
    policy = policy_for(channel.users.l1)
    log_in(page, "agent_l1")
    pages = ["/customers/", f"/customers/{channel.mine.pk}/", f"/customers/{channel.sub.pk}/",
             f"/customers/{channel.mine.pk}/edit/", "/customers/new/", "/orders/", f"/orders/{order.pk}/",
             f"/customers/{channel.mine.pk}/orders/new/", "/interactions/", f"/interactions/{interaction.pk}/edit/",
             f"/contacts/{contact.pk}/edit/", "/cases/", f"/cases/{case.pk}/", f"/cases/{done.pk}/", "/cases/new/",
             f"/cases/new/?customer={channel.mine.pk}", "/kb/", "/me/", "/password/", "/search/?q=qdkh"]
    closed = {}
    for url in pages:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
        targets = page.evaluate("""() => Array.from(document.querySelectorAll(
            "a[href], form[action], [hx-get], [hx-post], [data-hx-get], [hx-delete], [hx-patch]")).map(el =>
            el.getAttribute("hx-get") || el.getAttribute("hx-post") || el.getAttribute("hx-delete") ||
            el.getAttribute("hx-patch") || el.getAttribute("data-hx-get") ||
            (el.tagName === "FORM" ? (el.getAttribute("action") || location.pathname) : el.getAttribute("href")))""")
        for target in targets:
            parts = urlsplit(urljoin(page.url, target))
            if parts.netloc != urlsplit(page.url).netloc:
                continue
            try:
                name = resolve(parts.path).view_name
            except Resolver404:
                closed.setdefault(url, set()).add((parts.path, "no such page"))
                continue
            if name != "home" and not policy.may_use_view(name):  # the brand's link: the portal's start
                closed.setdefault(url, set()).add((parts.path, name))
    assert not closed, f"links, forms and fragments to pages closed to partner users: {closed}"
    page.goto(f"/cases/{done.pk}/")  # the resolved case shows its repair and return visit, read only
    expect(page.get_by_test_id("repairs")).to_contain_text("阀门漏气")
    expect(page.get_by_test_id("return-visits")).to_be_visible()
    expect(page.get_by_test_id("return-visit-form")).to_have_count(0)


# -- the channel manager -----------------------------------------------------------------

def expect_ranking(page, codes):
    """The ranking's partners, top to bottom, once the page shows them."""
    cells = page.get_by_test_id("partner-ranking").locator("tbody tr td:nth-child(2)")
    expect(cells).to_have_text([re.compile(rf"^{code} ") for code in codes])


@pytest.mark.parametrize("lang", LANGS)
def test_the_channel_manager_ranks_opens_and_exports_the_partners(page, channel, lang):
    _speak(channel.l1.manager, lang)
    log_in(page, "north_manager")
    page.get_by_role("navigation").first.get_by_role("link", name=tr(lang, "Channel overview")).click()
    expect(page).to_have_url("/partners/overview/")
    expect(page.get_by_role("heading", level=1)).to_have_text(tr(lang, "Channel overview"))
    ranking = page.get_by_test_id("partner-ranking")
    expect(ranking.locator("tbody tr")).to_have_count(3)
    expect_ranking(page, ["WL2", "WO1", "WL1"])  # by sales: 900, 600, 300

    # sorted by a scorecard column: sales, up and then down
    ranking.get_by_role("link", name=tr(lang, "Sales"), exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=sales"))
    expect_ranking(page, ["WL1", "WO1", "WL2"])
    page.get_by_test_id("partner-ranking").get_by_role("link", name=tr(lang, "Sales"), exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=-sales"))
    expect_ranking(page, ["WL2", "WO1", "WL1"])
    # ... and by the partner's margin (12 % of 300, 8 % of 900, 10 % of 600)
    page.get_by_test_id("partner-ranking").get_by_role("link", name=tr(lang, "Partner margin"), exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=partner_margin"))
    expect_ranking(page, ["WL1", "WO1", "WL2"])

    # the export of the ranking as it is filtered
    with page.expect_download() as info:
        page.get_by_test_id("partner-ranking-export").get_by_role("link", name="CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("partner-ranking-") and download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as fh:
        table = list(csv.reader(io.StringIO(fh.read())))
    assert len(table) == 4 and table[0][:3] == [tr(lang, "Rank"), tr(lang, "Partner code"), tr(lang, "Partner")]
    codes = {row[1]: row for row in table[1:]}
    assert set(codes) == {"WL1", "WL2", "WO1"}
    assert "华北一级代理" in codes["WL1"]
    with page.expect_download() as info:
        page.get_by_test_id("partner-ranking-export").get_by_role("link", name="Excel (.xlsx)").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(open(info.value.path(), "rb").read())).active
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [row[1] for row in table[1:]]

    # a partner's page: its scorecard and target
    page.get_by_test_id("partner-ranking").get_by_role("link", name="WL1 华北一级代理").click()
    expect(page).to_have_url(f"/partners/{channel.l1.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("WL1 华北一级代理")
    scorecard = page.get_by_test_id("partner-scorecard")
    expect(scorecard.locator("tr", has_text=tr(lang, "Sales")).first).to_contain_text("300")
    expect(scorecard.locator("tr", has_text=tr(lang, "Sales")).first).to_contain_text("1,200")
    targets = page.get_by_test_id("partner-targets")
    expect(targets).to_contain_text("1,000")
    expect(targets).to_contain_text("30.0%")
    expect(page.get_by_test_id("partner-children")).to_contain_text("天津二级代理")
    expect(page.get_by_test_id("partner-users")).to_contain_text("agent_l1")
