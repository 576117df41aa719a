"""Knowledge-base fixtures: a few published articles in both languages, a draft."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.api.conftest import api_as  # noqa: F401  (the API tests of this folder)


@pytest.fixture
def kb(db):
    from kehu.kb.services import article_create, category_create

    gas = category_create(actor=None, code="safety", name_zh="安全", name_en="Safety")
    billing = category_create(actor=None, code="billing", name_zh="账务", name_en="Billing")

    def make(status="published", tags=(), **data):
        return article_create(actor=None, data=data, tags=tags, status=status)

    leak = make(title_zh="燃气表漏气怎么办", title_en="What to do if the gas meter leaks",
                body_zh="闻到燃气味或发现燃气表漏气时，请立即关闭总阀，打开门窗，不要开关电器，并拨打抢修电话。",
                body_en="If you smell gas or the meter leaks, close the main valve, open the windows and call "
                        "the emergency line.", category=gas, tags=["燃气表", "安全"], case_category_code="leak")
    invoice = make(title_zh="如何开具增值税专用发票", title_en="How to get a VAT special invoice",
                   body_zh="开具发票需要提供公司名称、税号、开户行及账号。发票在付款后三个工作日内开具。",
                   body_en="To issue an invoice we need the company name, tax number and bank account. "
                           "Invoices are issued within three working days of payment.",
                   category=billing, tags=["发票"])
    certificate = make(title_zh="钢材质保书和材质证明", title_en="",
                       body_zh="每批钢材随货附质保书（材质证明），遗失可在发货后一年内申请补发。", category=None)
    english_only = make(title_en="Changing the delivery address", body_en="Tell us the new delivery address "
                        "before the truck leaves the warehouse.", tags=["delivery"])
    draft = make(status="draft", title_zh="燃气表更换流程（草稿）", body_zh="燃气表到期更换需要预约。", category=gas)
    return SimpleNamespace(safety=gas, billing=billing, leak=leak, invoice=invoice, certificate=certificate,
                           english_only=english_only, draft=draft)
