"""The knowledge base's pages and the public FAQ."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.kb.models import Article

pytestmark = pytest.mark.django_db


def link(article, name="kb_detail"):
    return f'href="{reverse(name, args=[article.pk])}"'


def test_list_search_filters_and_sort(client_for, org, kb):
    client = client_for(org.users.north_service)
    html = client.get(reverse("kb_list"), {"q": "燃气表 漏气"}).content.decode()
    assert link(kb.leak) in html and link(kb.invoice) not in html
    html = client.get(reverse("kb_list"), {"status": "draft"}).content.decode()
    assert link(kb.draft) in html and link(kb.leak) not in html
    html = client.get(reverse("kb_list"), {"category": "billing", "sort": "-helpful"}).content.decode()
    assert link(kb.invoice) in html and link(kb.leak) not in html
    assert 'data-testid="bulk-form"' in html and reverse("kb_create") in html


def test_readers_see_published_only_and_no_tools(client_for, org, kb):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("kb_list")).content.decode()
    assert link(kb.leak) in html and link(kb.draft) not in html
    assert 'data-testid="bulk-form"' not in html and reverse("kb_create") not in html
    assert client.get(reverse("kb_detail", args=[kb.draft.pk])).status_code == 404
    assert client.get(reverse("kb_detail", args=[kb.leak.pk])).status_code == 200
    for name in ("kb_edit", "kb_publish", "kb_archive"):
        assert client.get(reverse(name, args=[kb.leak.pk])).status_code == 403
        assert client.post(reverse(name, args=[kb.leak.pk])).status_code == 403
    assert client.get(reverse("kb_create")).status_code == 403


def test_write_publish_and_archive(client_for, org, kb):
    client = client_for(org.users.north_service)
    r = client.post(reverse("kb_create"), {"title_zh": "", "title_en": "", "body_zh": "x"})
    assert r.status_code == 200 and "Give the article a title in Chinese or in English." in r.content.decode()
    r = client.post(reverse("kb_create"), {"title_zh": "开票信息变更", "body_zh": "税号变更请提供新营业执照。",
                                           "tags": "发票，税号", "category": kb.billing.pk})
    article = Article.objects.get(title_zh="开票信息变更")
    assert r.status_code == 302 and article.status == "draft"
    assert sorted(article.tags.values_list("name", flat=True)) == ["发票", "税号"]
    assert client.get(reverse("kb_publish", args=[article.pk])).status_code == 200  # the confirmation
    assert Article.objects.get(pk=article.pk).status == "draft"
    client.post(reverse("kb_publish", args=[article.pk]))
    assert Article.objects.get(pk=article.pk).status == "published"
    client.post(reverse("kb_archive", args=[article.pk]))
    assert Article.objects.get(pk=article.pk).status == "archived"


def test_bulk_publish_through_the_list_machinery(client_for, org, kb):
    client = client_for(org.users.north_manager)
    url = reverse("list_bulk", args=["kb"])
    r = client.post(url, {"action": "publish", "ids": [kb.draft.pk]})
    assert r.status_code == 200 and Article.objects.get(pk=kb.draft.pk).status == "draft"  # confirm first
    client.post(url, {"action": "publish", "ids": [kb.draft.pk], "confirmed": "yes"})
    assert Article.objects.get(pk=kb.draft.pk).status == "published"


def test_public_faq_search_and_vote(client, kb, settings):
    html = client.get(reverse("faq")).content.decode()
    assert link(kb.leak, "faq_article") in html and link(kb.draft, "faq_article") not in html
    html = client.get(reverse("faq"), {"q": "发票 开具"}).content.decode()
    assert link(kb.invoice, "faq_article") in html and link(kb.leak, "faq_article") not in html
    assert client.get(reverse("faq_article", args=[kb.draft.pk])).status_code == 404
    url = reverse("faq_vote", args=[kb.leak.pk])
    assert client.post(url, {"helpful": "yes"}).status_code == 302
    assert client.post(url, {"helpful": "yes"}).status_code == 302  # the same visitor: still one vote
    assert Article.objects.get(pk=kb.leak.pk).helpful_count == 1
    assert client.post(reverse("faq_vote", args=[kb.draft.pk]), {"helpful": "yes"}).status_code == 404


def test_faq_vote_needs_csrf_and_is_rate_limited(kb, settings):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    assert csrf_client.post(reverse("faq_vote", args=[kb.leak.pk]), {"helpful": "yes"}).status_code == 403
    settings.KEHU_KB_VOTE_RATE_PER_IP = 2
    client = Client()
    codes = [client.post(reverse("faq_vote", args=[kb.leak.pk]), {"helpful": "yes"}).status_code for _ in range(3)]
    assert codes == [302, 302, 429]


def test_global_search_finds_articles(client_for, org, kb):
    html = client_for(org.users.sales_n1).get(reverse("global_search"), {"q": "燃气表"}).content.decode()
    assert link(kb.leak) in html and link(kb.draft) not in html
