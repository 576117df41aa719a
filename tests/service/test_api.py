"""/api/v1/cases: 201/200, 422 naming the field, 404 outside the caller's scope, 409 for
a conflict or a forbidden move."""

import pytest

from kehu.service.models import Case
from tests.api.conftest import anon, api_as, assert_error  # noqa: F401
from tests.factories import InteractionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def n1_api(org, api_as):
    return api_as(org.users.sales_n1)


def _create(api, customer, **extra):
    body = {"customer_id": customer.pk, "kind": "complaint", "subject": "Gas bill too high", "severity": 2}
    body.update(extra)
    return api.post("/cases", body)


def test_create_read_list(n1_api, customers):
    r = _create(n1_api, customers.n1)
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["ref"].startswith("CS") and len(body["ref"]) == 15
    assert body["status"] == "new" and body["channel"] == "api" and len(body["steps"]) == 6
    assert body["allowed_transitions"] == ["accepted", "closed"]
    assert n1_api.get(f"/cases/{body['id']}").json()["version"] == 1
    listed = n1_api.get("/cases", {"kind": "complaint", "status": "open"}).json()["items"]
    assert [c["id"] for c in listed] == [body["id"]]
    assert n1_api.get("/cases", {"q": body["ref"]}).json()["items"][0]["id"] == body["id"]
    assert n1_api.get("/cases", {"queue": "unassigned"}).json()["items"][0]["id"] == body["id"]
    assert n1_api.get("/cases", {"queue": "mine"}).json()["items"] == []


def test_keyset_pages(n1_api, customers):
    ids = [_create(n1_api, customers.n1, subject=f"S{i}").json()["id"] for i in range(5)]
    first = n1_api.get("/cases", {"limit": 2}).json()
    second = n1_api.get("/cases", {"limit": 2, "cursor": first["next_cursor"]}).json()
    third = n1_api.get("/cases", {"limit": 2, "cursor": second["next_cursor"]}).json()
    got = [c["id"] for page in (first, second, third) for c in page["items"]]
    assert got == sorted(ids, reverse=True)


def test_422_names_the_field(n1_api, customers):
    r = n1_api.post("/cases", {"customer_id": customers.n1.pk, "subject": "x", "severity": 7})
    assert_error(r, 422, "validation_error")
    assert "severity" in r.json()["error"]["fields"]
    r = n1_api.post("/cases", {"subject": "Unknown caller"})
    assert "customer" in r.json()["error"]["fields"] or "customer_id" in r.json()["error"]["fields"]
    r = n1_api.post("/cases", {"customer_id": customers.n1.pk, "subject": "x", "contact_id": 999999})
    assert r.status_code == 422 and "contact_id" in r.json()["error"]["fields"]
    assert_error(n1_api.post("/cases", {"customer_id": customers.e1.pk, "subject": "x"}), 404, "not_found")


def test_404_outside_scope(org, n1_api, api_as, customers):
    case_id = _create(n1_api, customers.n1).json()["id"]
    other = api_as(org.users.sales_e1)
    for r in (other.get(f"/cases/{case_id}"), other.patch(f"/cases/{case_id}", {"version": 1, "severity": 1}),
              other.post(f"/cases/{case_id}/transitions", {"to": "accepted"}),
              other.get(f"/cases/{case_id}/events")):
        assert_error(r, 404, "not_found")
    assert other.get(f"/cases/{case_id}").json() == other.get("/cases/999999").json()


def test_409_for_a_stale_version_and_a_forbidden_move(n1_api, customers):
    case_id = _create(n1_api, customers.n1).json()["id"]
    assert n1_api.patch(f"/cases/{case_id}", {"version": 1, "severity": 1}).json()["version"] == 2
    r = n1_api.patch(f"/cases/{case_id}", {"version": 1, "subject": "Lost update?"})
    assert_error(r, 409, "conflict")
    assert Case.objects.get(pk=case_id).subject == "Gas bill too high"
    r = n1_api.post(f"/cases/{case_id}/transitions", {"to": "resolved"})
    assert_error(r, 409, "transition_not_allowed")
    r = n1_api.post(f"/cases/{case_id}/transitions", {"to": "accepted", "version": 1})
    assert_error(r, 409, "conflict")
    r = n1_api.post(f"/cases/{case_id}/transitions", {"to": "accepted", "version": 2})
    assert r.status_code == 200 and r.json()["status"] == "accepted"
    r = n1_api.post(f"/cases/{case_id}/transitions", {"to": "nonsense"})
    assert_error(r, 422, "validation_error")


def test_walk_a_complaint_to_resolved(n1_api, customers):
    case_id = _create(n1_api, customers.n1).json()["id"]
    for to in ("accepted", "in_progress"):
        assert n1_api.post(f"/cases/{case_id}/transitions", {"to": to}).status_code == 200
    r = n1_api.post(f"/cases/{case_id}/validity", {"valid": False})
    assert r.status_code == 422 and "explanation" in r.json()["error"]["fields"]
    assert n1_api.post(f"/cases/{case_id}/validity", {"valid": True}).json()["validity"] == "valid"
    version = n1_api.get(f"/cases/{case_id}").json()["version"]
    assert n1_api.patch(f"/cases/{case_id}", {"version": version, "resolution": "Refunded ¥120."}).status_code == 200
    r = n1_api.post(f"/cases/{case_id}/transitions", {"to": "resolved"})
    assert r.status_code == 422 and "steps" in r.json()["error"]["fields"]
    for step in ("listen", "share", "probe", "check", "act", "satisfy"):
        r = n1_api.put(f"/cases/{case_id}/steps/{step}", {"note": f"{step} ok"})
        assert r.status_code == 200 and r.json()["done"] is True
    assert n1_api.post(f"/cases/{case_id}/transitions", {"to": "resolved", "note": "Done"}).json()["status"] == \
        "resolved"
    assert n1_api.post(f"/cases/{case_id}/comments", {"note": "Customer thanked us"}).status_code == 201
    events = n1_api.get(f"/cases/{case_id}/events").json()
    assert [e["kind"] for e in events][:3] == ["created", "transition", "transition"]
    assert events[-1]["kind"] == "comment"
    assert any(e["from_status"] == "waiting" or e["to_status"] == "resolved" for e in events)


def test_a_resolved_case_becomes_a_draft_article_and_suggests_published_ones(org, api_as, customers, client_for):
    """Issue 14 item 8: agents turn a resolved case into a draft article; a case's page
    suggests the published articles that match its text."""
    from kehu.kb.models import Article
    from kehu.kb.services import article_create

    agent = api_as(org.users.north_service)
    case_id = _create(agent, customers.n1, kind="repair", subject="燃气表漏气").json()["id"]
    r = agent.post(f"/cases/{case_id}/kb-draft")
    assert r.status_code == 422 and "resolution" in r.json()["error"]["fields"]
    for to in ("accepted", "in_progress"):
        agent.post(f"/cases/{case_id}/transitions", {"to": to})
    version = agent.get(f"/cases/{case_id}").json()["version"]
    agent.patch(f"/cases/{case_id}", {"version": version, "resolution": "更换燃气表密封圈。"})
    assert agent.post(f"/cases/{case_id}/transitions", {"to": "resolved"}).status_code == 200
    assert_error(api_as(org.users.sales_n1).post(f"/cases/{case_id}/kb-draft"), 403, "forbidden")
    r = agent.post(f"/cases/{case_id}/kb-draft")
    assert r.status_code == 201, r.content
    article = Article.objects.get(pk=r.json()["id"])
    assert article.status == "draft" and article.source_ref == f"case:{case_id}"
    assert "更换燃气表密封圈" in (article.body_zh + article.body_en)
    assert agent.get(f"/cases/{case_id}/events").json()[-1]["kind"] == "comment"

    from kehu.service.models import Case
    from kehu.service.views import _suggested_articles

    published = article_create(actor=org.users.admin, data={"title_zh": "燃气表漏气怎么办", "body_zh": "关闭阀门。"},
                               status="published")
    assert [a.pk for a in _suggested_articles(Case.objects.get(pk=case_id), org.users.north_service)] == [published.pk]
    assert [a["id"] for a in agent.get(f"/cases/{case_id}/articles").json()] == [published.pk]
    assert_error(api_as(org.users.sales_e1).get(f"/cases/{case_id}/articles"), 404, "not_found")
    # on the case page they load after the page (htmx), or as a page of their own without JavaScript
    from django.urls import reverse

    browser = client_for(org.users.north_service)
    page = browser.get(reverse("case_detail", args=[case_id])).content.decode()
    assert reverse("case_articles", args=[case_id]) in page and "燃气表漏气怎么办" not in page
    fragment = browser.get(reverse("case_articles", args=[case_id]), HTTP_HX_REQUEST="true").content.decode()
    assert "燃气表漏气怎么办" in fragment and "<html" not in fragment
    assert "燃气表漏气怎么办" in browser.get(reverse("case_articles", args=[case_id])).content.decode()


def test_assign_and_the_queues(org, n1_api, api_as, customers):
    case_id = _create(n1_api, customers.n1).json()["id"]
    r = n1_api.post(f"/cases/{case_id}/assign", {"assignee_id": org.users.sales_n1.pk})
    assert r.status_code == 200 and r.json()["assignee_id"] == org.users.sales_n1.pk
    assert [c["id"] for c in n1_api.get("/cases", {"queue": "mine"}).json()["items"]] == [case_id]
    r = n1_api.post(f"/cases/{case_id}/assign", {"assignee_id": org.users.sales_e1.pk})
    assert r.status_code == 422 and "assignee_id" in r.json()["error"]["fields"]


def test_from_interaction(org, n1_api, customers):
    interaction = InteractionFactory(customer=customers.n1, channel="complaint", subject="Rude fitter")
    r = n1_api.post("/cases/from-interaction", {"interaction_id": interaction.pk})
    assert r.status_code == 201 and r.json()["kind"] == "complaint"
    assert r.json()["source_interaction_id"] == interaction.pk
    r = n1_api.post("/cases/from-interaction", {"interaction_id": interaction.pk})
    assert r.status_code == 422 and "interaction_id" in r.json()["error"]["fields"]


def test_categories_and_caller_matches(n1_api, customers):
    cats = n1_api.get("/case-categories").json()
    assert {"product-quality", "delivery", "billing", "repair", "service-attitude", "meter-reading"} <= {
        c["code"] for c in cats}
    meter = next(c for c in cats if c["code"] == "meter-reading")
    assert meter["name_zh"] == "抄表" and meter["parent_id"] is not None
    found = n1_api.get("/cases/caller-matches", {"phone": "13800138001"}).json()
    assert [c["id"] for c in found] == [customers.n1.pk]
    assert n1_api.get("/cases/caller-matches", {"email": "buyer@huadong.example"}).json() == []
