"""``kehu kb import``, ``kehu kb search``, the services the cases app calls, the demo's articles."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.kb.models import Article, ArticleStatus, KbCategory
from kehu.kb.services import article_create, article_draft_from_text, article_vote

pytestmark = pytest.mark.django_db

GOOD = """---
title_zh: 燃气表漏气怎么办
title_en: What to do if the gas meter leaks
category: safety | 安全 | Safety
tags: 燃气表，安全
status: published
case_category: leak
---
--- zh ---
请立即关闭总阀。

打开门窗。
--- en ---
Close the main valve.
"""
CHINESE_ONLY = """---
title_zh: 发票开具
category: safety
---
付款后三个工作日内开具发票。
"""


def run(*argv):
    from kehu.cli import main

    return main(list(argv))


def write(tmp_path, **files):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return str(tmp_path)


def test_import_reads_header_and_both_bodies(tmp_path, capsys):
    assert run("kb", "import", write(tmp_path, **{"a.md": GOOD, "b.md": CHINESE_ONLY})) == 0
    leak = Article.objects.get(title_zh="燃气表漏气怎么办")
    assert leak.status == "published" and leak.case_category_code == "leak"
    assert leak.body_zh == "请立即关闭总阀。\n\n打开门窗。" and leak.body_en == "Close the main valve."
    assert sorted(leak.tags.values_list("name", flat=True)) == ["安全", "燃气表"]
    assert KbCategory.objects.get(code="safety").name_en == "Safety"
    invoice = Article.objects.get(title_zh="发票开具")
    assert invoice.status == "draft" and invoice.body_zh.startswith("付款后") and invoice.category.code == "safety"
    assert "2" in capsys.readouterr().out
    assert run("kb", "search", "燃气表 漏气") == 0
    assert capsys.readouterr().out.startswith(f"{leak.pk}\t")


@pytest.mark.parametrize("text,reason", [
    ("title_zh: x\n", "does not start with a header"),
    ("---\ntitle_zh: x\n", "no closing"),
    ("---\ncolour: red\n---\nbody", "Line 2 of the header"),
    ("---\ntitle_zh: x\nstatus: gone\n---\nbody", "status must be"),
    ("---\ntitle_zh: x\ncategory: nowhere\n---\nbody", "Unknown category"),
    ("---\ntitle_zh: x\n---\n", "body_zh"),
    ("---\nstatus: draft\n---\ntext", "title_zh"),
])
def test_bad_files_are_named_with_the_reason_and_nothing_is_imported(tmp_path, capsys, text, reason):
    directory = write(tmp_path, **{"a.md": GOOD, "z-bad.md": text})
    assert run("kb", "import", directory) == 1
    err = capsys.readouterr().err
    assert "z-bad.md" in err and reason in err, err
    assert Article.objects.count() == 0 and not KbCategory.objects.exists()


def test_skip_bad_imports_the_others(tmp_path, capsys):
    assert run("kb", "import", "--skip-bad", write(tmp_path, **{"a.md": GOOD, "b.md": "nothing"})) == 1
    assert Article.objects.count() == 1 and "b.md" in capsys.readouterr().err


def test_draft_from_a_resolved_case(org):
    article = article_draft_from_text(actor=org.users.north_service, title="燃气表不走字",
                                      problem="客户反映燃气表不计量。", resolution="更换燃气表电池后恢复。",
                                      case_category_code="meter", source_ref="case:42")
    assert article.status == ArticleStatus.DRAFT and article.source_ref == "case:42"
    assert "## 问题" in article.body_zh and "## 解决方法" in article.body_zh and article.title_zh == "燃气表不走字"
    english = article_draft_from_text(actor=org.users.admin, title="Meter stopped", problem="It stopped.",
                                      resolution="New battery.", language="en")
    assert english.title_en == "Meter stopped" and "## Resolution" in english.body_en
    with pytest.raises(PermissionDenied):
        article_draft_from_text(actor=org.users.sales_n1, title="x", problem="y", resolution="z")


def test_validation_and_votes(org):
    with pytest.raises(ValidationError) as exc:
        article_create(actor=org.users.admin, data={"title_zh": "", "title_en": "", "body_zh": "x"})
    assert set(exc.value.message_dict) == {"title_zh", "title_en"}
    with pytest.raises(ValidationError):
        article_create(actor=org.users.admin, data={"title_zh": "x", "body_zh": "y"}, tags=["t"] * 1 + [
            f"t{i}" for i in range(25)])
    a = article_create(actor=org.users.admin, data={"title_zh": "x", "body_zh": "y"}, status="published")
    article_vote(article=a, voter_key="k1", helpful=True)
    article_vote(article=a, voter_key="k2", helpful=False)
    article_vote(article=a, voter_key="k2", helpful=True)
    a.refresh_from_db()
    assert (a.helpful_count, a.not_helpful_count, a.votes.count()) == (2, 0, 2)


def test_the_demo_articles_are_bilingual_and_searchable(org):
    from kehu.demo.kb import ARTICLES, build_kb, delete_kb
    from kehu.kb.selectors import article_search

    assert build_kb(admin=org.users.admin) == len(ARTICLES) >= 12
    found = article_search(viewer=None, q="质保书", published_only=True)
    assert found and found[0].title_zh == "如何索取钢材质保书（材质证明）"
    assert article_search(viewer=None, q="VAT invoice", published_only=True)[0].title_en.startswith("How to get a VAT")
    delete_kb()
    assert not Article.objects.exists() and not KbCategory.objects.exists()
