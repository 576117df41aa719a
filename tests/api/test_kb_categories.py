"""/api/v1/kb/categories: administrators create, change and delete categories
(with their link to a case category); a category in use cannot be deleted."""

from __future__ import annotations

import pytest

from kehu.kb.models import Article

pytestmark = pytest.mark.django_db


def test_kb_category_api(org, api_as):
    admin = api_as(org.users.admin)
    r = admin.post("/kb/categories", {"code": "billing", "name_zh": "账务", "case_category_code": "billing-error"})
    assert r.status_code == 201, r.content
    cid = r.json()["id"]
    assert r.json()["case_category_code"] == "billing-error"
    r = admin.post("/kb/categories", {"code": "x", "name_zh": "某", "case_category_code": "no-such"})
    assert r.status_code == 422 and "case_category_code" in r.content.decode()
    r = admin.patch(f"/kb/categories/{cid}", {"name_en": "Billing"})
    assert r.status_code == 200 and r.json()["name_en"] == "Billing"
    Article.objects.create(title_zh="发票", body_zh="内容", category_id=cid)
    assert admin.delete(f"/kb/categories/{cid}").status_code == 422
    Article.objects.all().delete()
    assert admin.delete(f"/kb/categories/{cid}").status_code == 204
    assert admin.delete(f"/kb/categories/{cid}").status_code == 404
