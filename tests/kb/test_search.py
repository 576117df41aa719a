"""Full-text search of the knowledge base, on the database of the run
(PostgreSQL's tsvector + GIN, SQLite's FTS5), in Chinese and in English."""

from __future__ import annotations

import pytest
from django.db import connection

from kehu.kb import segment
from kehu.kb.selectors import ArticleFilters, article_list, article_search, suggest_articles
from kehu.kb.services import article_archive, article_update

pytestmark = pytest.mark.django_db


def titles(articles):
    return [a.title_zh or a.title_en for a in articles]


def test_the_index_is_the_databases_own(kb):
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'kb_article_search_gin'")
            assert "gin" in cursor.fetchone()[0].lower()
        else:
            cursor.execute("SELECT count(*) FROM kb_article_fts WHERE kb_article_fts MATCH '\"漏气\"'")
            assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize("q,expected", [
    ("燃气表 漏气", "燃气表漏气怎么办"),
    ("燃气表漏气", "燃气表漏气怎么办"),
    ("漏气了怎么办", "燃气表漏气怎么办"),
    ("发票 开具", "如何开具增值税专用发票"),
    ("发票怎么开具？", "如何开具增值税专用发票"),
    ("质保书", "钢材质保书和材质证明"),
    ("材质证明", "钢材质保书和材质证明"),
    ("gas meter", "燃气表漏气怎么办"),
    ("INVOICE", "如何开具增值税专用发票"),
    ("delivery address", "Changing the delivery address"),
])
def test_chinese_and_english_queries_find_the_article(kb, q, expected):
    found = article_search(viewer=None, q=q, limit=5, published_only=True)
    assert titles(found)[:1] == [expected], (q, titles(found))


def test_every_word_must_match(kb):
    assert article_search(viewer=None, q="燃气表 发票", published_only=True) == []
    assert article_search(viewer=None, q="   ", published_only=True) == []
    assert article_search(viewer=None, q='"漏气" OR (*:', published_only=True)  # no FTS syntax leaks


def test_search_sees_what_the_viewer_may_see(kb, org):
    # the draft is found by a service agent, not by a salesperson nor the public FAQ
    assert "燃气表更换流程（草稿）" in titles(article_search(viewer=org.users.north_service, q="燃气表"))
    assert "燃气表更换流程（草稿）" not in titles(article_search(viewer=org.users.sales_n1, q="燃气表"))
    assert "燃气表更换流程（草稿）" not in titles(article_search(viewer=None, q="燃气表", published_only=True))


def test_edits_reach_the_index(kb):
    article_update(actor=None, article=kb.invoice, data={"body_zh": "电子发票通过邮箱发送。", "body_en": ""})
    assert titles(article_search(viewer=None, q="邮箱", published_only=True)) == ["如何开具增值税专用发票"]
    assert article_search(viewer=None, q="税号", published_only=True) == []
    article_archive(actor=None, article=kb.invoice)
    assert article_search(viewer=None, q="邮箱", published_only=True) == []


def test_tags_are_searched(kb):
    assert titles(article_search(viewer=None, q="安全", published_only=True)) == ["燃气表漏气怎么办"]


def test_the_list_filters_by_search_and_more(kb, org):
    found = article_list(viewer=org.users.admin, filters=ArticleFilters(q="燃气表"))
    assert set(titles(found)) == {"燃气表漏气怎么办", "燃气表更换流程（草稿）"}
    found = article_list(viewer=org.users.admin, filters=ArticleFilters(q="燃气表", status="draft"))
    assert titles(found) == ["燃气表更换流程（草稿）"]
    assert titles(article_list(viewer=org.users.admin, filters=ArticleFilters(category="billing"))) == [
        "如何开具增值税专用发票"]
    assert titles(article_list(viewer=org.users.admin, filters=ArticleFilters(tag="delivery"))) == [
        "Changing the delivery address"]


def test_suggestions_for_a_case(kb):
    text = "客户来电：家里燃气表附近有漏气的味道，已经关闭总阀，要求上门检查。"
    found = suggest_articles(text, limit=3)
    assert titles(found)[0] == "燃气表漏气怎么办"
    assert "燃气表更换流程（草稿）" not in titles(found)  # drafts are never suggested
    assert titles(suggest_articles("The customer asks for a VAT invoice for last month", limit=2))[0] == \
        "如何开具增值税专用发票"


def test_segmentation():
    assert segment.query_words("如何开具发票？") == ["开具", "发票"]
    assert "质保书" in segment.index_text("钢材质保书").split()
    assert segment.index_text("ＡＢＣ１２３") == "abc123"
