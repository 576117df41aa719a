"""/api/v1/kb: articles, search, publish, archive, votes; scope and validation."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_writer_creates_publishes_and_archives(org, kb, api_as):
    api = api_as(org.users.north_service)
    r = api.post("/kb/articles", {"title_zh": "阀门更换", "body_zh": "更换阀门前先关闭总阀。", "category": "safety",
                                  "tags": ["阀门", "阀门", " 安全 "]})
    assert r.status_code == 201, r.content
    article = r.json()
    assert article["status"] == "draft" and article["tags"] == ["安全", "阀门"]
    assert article["category"]["code"] == "safety" and article["author_id"] == org.users.north_service.pk
    pk = article["id"]
    r = api.patch(f"/kb/articles/{pk}", {"title_en": "Replacing a valve", "body_en": "Close the main valve first."})
    assert r.status_code == 200 and r.json()["title_en"] == "Replacing a valve"
    assert api.post(f"/kb/articles/{pk}/publish").json()["status"] == "published"
    hits = api.get("/kb/search", {"q": "更换 阀门"}).json()["items"]
    assert [h["id"] for h in hits] == [pk] and hits[0]["score"] > 0
    assert api.post(f"/kb/articles/{pk}/archive").json()["status"] == "archived"
    assert api.get("/kb/search", {"q": "更换 阀门"}).json()["items"] == []


def test_list_filters_and_pages(org, kb, api_as):
    api = api_as(org.users.admin)
    r = api.get("/kb/articles", {"q": "燃气表", "limit": 1})
    body = r.json()
    assert r.status_code == 200 and len(body["items"]) == 1 and body["next_cursor"]
    second = api.get("/kb/articles", {"q": "燃气表", "limit": 1, "cursor": body["next_cursor"]}).json()
    assert {body["items"][0]["title_zh"], second["items"][0]["title_zh"]} == {"燃气表漏气怎么办", "燃气表更换流程（草稿）"}
    assert [a["id"] for a in api.get("/kb/articles", {"status": "draft"}).json()["items"]] == [kb.draft.pk]
    assert [a["id"] for a in api.get("/kb/articles", {"tag": "发票"}).json()["items"]] == [kb.invoice.pk]
    assert [a["id"] for a in api.get("/kb/articles", {"case_category": "leak"}).json()["items"]] == [kb.leak.pk]


def test_readers_see_published_only_and_may_not_write(org, kb, api_as):
    api = api_as(org.users.sales_n1)
    ids = {a["id"] for a in api.get("/kb/articles").json()["items"]}
    assert kb.draft.pk not in ids and kb.leak.pk in ids
    assert api.get(f"/kb/articles/{kb.draft.pk}").status_code == 404
    assert api.patch(f"/kb/articles/{kb.draft.pk}", {"title_zh": "x"}).status_code == 404
    assert api.patch(f"/kb/articles/{kb.leak.pk}", {"title_zh": "x"}).status_code == 403
    assert api.post(f"/kb/articles/{kb.leak.pk}/archive").status_code == 403
    assert api.post("/kb/articles", {"title_zh": "x", "body_zh": "y"}).status_code == 403


def test_invalid_input_names_the_field(org, kb, api_as):
    api = api_as(org.users.admin)
    r = api.post("/kb/articles", {"title_zh": "", "title_en": "", "body_zh": "text"})
    assert r.status_code == 422 and "title_zh" in r.json()["error"]["fields"]
    r = api.post("/kb/articles", {"title_zh": "标题"})
    assert r.status_code == 422 and "body_zh" in r.json()["error"]["fields"]
    r = api.post("/kb/articles", {"title_zh": "标题", "body_zh": "x", "category": "nope"})
    assert r.status_code == 422 and "category" in r.json()["error"]["fields"]
    r = api.post("/kb/articles", {"title_zh": "标题", "body_zh": "x", "tags": ["x" * 51]})
    assert r.status_code == 422 and "tags" in r.json()["error"]["fields"]
    r = api.patch(f"/kb/articles/{kb.leak.pk}", {"title_zh": None})
    assert r.status_code == 422 and "title_zh" in r.json()["error"]["fields"]
    assert api.get("/kb/articles/999999").status_code == 404


def test_vote_once_per_user(org, kb, api_as):
    api = api_as(org.users.sales_n1)
    assert api.post(f"/kb/articles/{kb.leak.pk}/vote", {"helpful": True}).json()["helpful_count"] == 1
    assert api.post(f"/kb/articles/{kb.leak.pk}/vote", {"helpful": True}).json()["helpful_count"] == 1
    body = api.post(f"/kb/articles/{kb.leak.pk}/vote", {"helpful": False}).json()
    assert (body["helpful_count"], body["not_helpful_count"]) == (0, 1)
    assert api_as(org.users.admin).post(f"/kb/articles/{kb.draft.pk}/vote", {"helpful": True}).status_code == 422


def test_categories(org, kb, api_as):
    codes = [c["code"] for c in api_as(org.users.sales_n1).get("/kb/categories").json()]
    assert set(codes) == {"safety", "billing"}


def test_anonymous_gets_401(client, kb):
    assert client.get("/api/v1/kb/articles").status_code == 401
