"""A manager starts a key-account plan (大客户计划) from the list: only the gold customer
of the latest value analysis is offered; the plan, made active with its own payment
terms and credit limit and a revenue target, shows its terms against the gold tier's
and the target against actual."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kehu.sales.models import KeyAccountPlan
from tests.browser.conftest import log_in
from tests.insights.score_factories import AnalysisRunFactory, CustomerScoreFactory

pytestmark = pytest.mark.browser


def test_a_manager_plans_for_a_gold_customer_and_reads_its_terms(page, org, customers):
    run = AnalysisRunFactory()
    CustomerScoreFactory(run=run, customer=customers.n1, tier="gold", abc_class="A")
    CustomerScoreFactory(run=run, customer=customers.n1b, tier="bronze", abc_class="C")
    log_in(page, "north_manager")
    page.goto("/key-accounts/")
    expect(page.get_by_test_id("key-account-empty")).to_be_visible()
    page.get_by_test_id("key-account-new").click()

    customer = page.locator("#id_customer")
    expect(customer.locator("option")).to_have_text(["—", customers.n1.name])   # gold only, not the bronze one
    customer.select_option(label=customers.n1.name)
    page.locator("#id_status").select_option("active")
    page.locator("#id_start_year").fill("2026")
    page.locator("#id_strengths").fill("配送快，库存足")
    page.locator("#id_payment_days").fill("90")
    page.locator("#id_credit_limit").fill("8000000")
    page.locator("#id_t0_revenue").fill("6000000")
    page.get_by_test_id("key-account-save").click()

    plan = KeyAccountPlan.objects.get()
    expect(page.get_by_test_id("key-account-status")).to_have_text("Active")
    expect(page.locator("main")).to_contain_text("Value tier: gold")
    terms = page.get_by_test_id("key-account-terms")
    payment = terms.locator("tr").filter(has_text="Payment terms (days)")
    expect(payment.locator("td")).to_have_text(["Payment terms (days)", "60", "90", "90"])
    ceiling = terms.locator("tr").filter(has_text="Discount ceiling (percent)")
    expect(ceiling.locator("td").nth(2)).to_have_text("—")
    expect(ceiling.locator("td").nth(3)).to_have_text(re.compile(r"^8(\.0)?$"))   # the gold tier's holds
    expect(page.get_by_test_id("key-account-targets")).to_contain_text("6000000")
    expect(page.get_by_test_id("key-account-swot")).to_contain_text("配送快，库存足")
    assert plan.customer == customers.n1 and plan.terms["payment_days"] == 90

    page.goto("/key-accounts/")
    expect(page.get_by_test_id("key-account-table")).to_contain_text(customers.n1.name)
