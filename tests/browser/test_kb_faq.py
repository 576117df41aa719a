"""The public FAQ: a visitor (not signed in) searches in Chinese, opens the
answer and says it helped."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_visitor_searches_the_faq_in_chinese_and_votes_helpful(page, db):
    from kehu.kb.models import Article
    from kehu.kb.services import article_create

    leak = article_create(actor=None, data={
        "title_zh": "燃气表漏气怎么办", "body_zh": "请立即关闭总阀，打开门窗，到室外拨打抢修电话。"}, status="published")
    article_create(actor=None, data={"title_zh": "如何开具增值税专用发票", "body_zh": "付款后三个工作日内开具。"},
                   status="published")
    page.goto("/faq/")
    page.get_by_test_id("faq-q").fill("燃气表 漏气")
    page.get_by_test_id("faq-search").click()
    results = page.get_by_test_id("faq-results")
    expect(results.locator("li")).to_have_count(1)
    results.get_by_role("link", name="燃气表漏气怎么办").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("燃气表漏气怎么办")
    page.get_by_test_id("faq-helpful").click()
    expect(page.get_by_test_id("faq-voted")).to_be_visible()
    expect(page.get_by_test_id("faq-counts")).to_contain_text("1")
    assert Article.objects.get(pk=leak.pk).helpful_count == 1
