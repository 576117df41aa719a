"""A salesperson finds a lead nobody owns in the lead pool (公海), claims it and lands on
its page as its owner; then returns it to the pool from the ownership card — the form
asks why first — and it is back in the pool for the colleagues."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kehu.customers.models import Customer
from kehu.sales.models import OwnershipChange
from kehu.sales.pool import lead_create
from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser


def test_claim_a_lead_from_the_pool_and_return_it(page, guard, org, customers):
    guard.allow(r"status of 422")  # the return form answers 422 without a reason
    lead = lead_create(actor=org.users.admin, data={"name": "宝钢线材采购", "city": "唐山", "phone": "13912345678"})
    log_in(page, "sales_n1")
    page.goto("/pool/")
    row = page.get_by_test_id("pool-row").filter(has_text="宝钢线材采购")
    expect(row).to_contain_text("Company pool")
    row.get_by_test_id("pool-claim").click()

    expect(page).to_have_url(re.compile(rf"/customers/{lead.pk}/$"))
    expect(page.get_by_role("status")).to_contain_text("宝钢线材采购 is now yours.")
    expect(page.locator("main")).to_contain_text("Owner: sales_n1")
    card = page.get_by_test_id("ownership-card")
    expect(card.get_by_test_id("ownership-change")).to_contain_text("pool → sales_n1")
    lead.refresh_from_db()
    assert lead.owner == org.users.sales_n1 and lead.team == org.teams.n1

    card.get_by_test_id("pool-return-link").click()
    page.get_by_test_id("pool-return-confirm").click()          # no reason: refused, still owned
    expect(page.locator(".field.has-error .errorlist")).to_contain_text("This field is required.")
    assert Customer.objects.get(pk=lead.pk).owner_id == org.users.sales_n1.pk
    page.get_by_label("Why does it go back?").fill("只买进口线材，我们没有货")
    page.get_by_test_id("pool-return-confirm").click()
    expect(page.get_by_role("status")).to_contain_text("宝钢线材采购 went back to the pool.")
    assert Customer.objects.get(pk=lead.pk).owner_id is None
    assert OwnershipChange.objects.filter(customer=lead, reason="release").get().note == "只买进口线材，我们没有货"

    page.goto("/pool/")
    expect(page.get_by_test_id("pool-row").filter(has_text="宝钢线材采购")).to_contain_text("North sales 1")
