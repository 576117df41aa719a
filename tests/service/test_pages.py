"""The case pages: queue, register (with caller matching), case page, moves, steps,
validity, comments, assignment, bulk actions; 404 outside the scope, 403 read-only."""

import pytest
from django.urls import reverse

from kehu.service.models import Case, CaseStatus
from tests.factories import InteractionFactory
from tests.service.conftest import make_case

pytestmark = pytest.mark.django_db


def test_queue_shows_the_queues_and_an_empty_state(org, customers, client_for, complaint):
    client = client_for(org.users.sales_n1)
    r = client.get(reverse("case_queue"))
    assert r.status_code == 200 and "You have no open cases" in r.content.decode()
    r = client.get(reverse("case_queue"), {"queue": "unassigned", "status": "open"})
    assert complaint.ref in r.content.decode()
    r = client.get(reverse("case_queue"), {"queue": "all", "status": "", "kind": "repair"})
    assert complaint.ref not in r.content.decode()
    r = client.get(reverse("case_queue"), {"queue": "all", "status": "", "sort": "severity"})
    assert complaint.ref in r.content.decode()
    # the navigation has the entry
    assert reverse("case_queue") in r.content.decode()


def test_register_a_case_from_the_customer_page(org, customers, client_for):
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert f'{reverse("case_create")}?customer={customers.n1.pk}' in page
    r = client.post(reverse("case_create"), {"customer": customers.n1.pk, "kind": "complaint", "channel": "hotline",
                                             "severity": "2", "subject": "Meter reads wrong"})
    case = Case.objects.get(subject="Meter reads wrong")
    assert r.status_code == 302 and r["Location"] == reverse("case_detail", args=[case.pk])
    assert case.customer == customers.n1 and case.created_by == org.users.sales_n1
    page = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert case.ref in page   # in the cases card and on the timeline


def test_register_finds_the_caller_by_phone(org, customers, client_for):
    client = client_for(org.users.north_service)
    r = client.get(reverse("case_create"), {"phone": "13800138001"})
    assert f'?customer={customers.n1.pk}' in r.content.decode()
    r = client.post(reverse("case_create"), {"kind": "enquiry", "channel": "hotline", "severity": "3",
                                             "subject": "Opening hours?", "caller_name": "王先生"})
    case = Case.objects.get(subject="Opening hours?")
    assert case.customer is None and case.caller_name == "王先生"


def test_register_without_a_caller_shows_the_error(org, client_for):
    client = client_for(org.users.north_service)
    r = client.post(reverse("case_create"), {"kind": "enquiry", "channel": "hotline", "severity": "3",
                                             "subject": "Nobody"})
    assert r.status_code == 200 and "give the caller" in r.content.decode()
    assert not Case.objects.exists()


def test_case_page_walks_a_complaint_to_resolved(org, client_for, complaint, settings):
    settings.KEHU_COMPLAINT_REQUIRED_STEPS = ["listen", "satisfy"]
    client = client_for(org.users.sales_n1)
    url = reverse("case_detail", args=[complaint.pk])
    page = client.get(url).content.decode()
    assert 'data-testid="move-accepted"' in page and 'data-testid="move-resolved"' not in page

    def move(to, note=""):
        v = Case.objects.get(pk=complaint.pk).version
        return client.post(reverse("case_transition", args=[complaint.pk]), {"to": to, "version": v, "note": note})

    move("accepted")
    move("in_progress")
    v = Case.objects.get(pk=complaint.pk).version
    client.post(reverse("case_judge", args=[complaint.pk]), {"version": v, "valid": "yes"})
    for step in ("listen", "satisfy"):
        v = Case.objects.get(pk=complaint.pk).version
        client.post(reverse("case_step", args=[complaint.pk, step]), {"version": v, "done": "on", "note": "ok"})
    v = Case.objects.get(pk=complaint.pk).version
    client.post(reverse("case_edit", args=[complaint.pk]), {
        "version": v, "severity": "2", "subject": complaint.subject, "resolution": "Refunded ¥80."})
    r = move("resolved", "Done")
    assert Case.objects.get(pk=complaint.pk).status == CaseStatus.RESOLVED, [
        str(m) for m in r.wsgi_request._messages]
    client.post(reverse("case_comment", args=[complaint.pk]), {"note": "Thanked us"})
    page = client.get(url).content.decode()
    assert "Thanked us" in page and 'data-testid="move-return_visited"' in page


def test_a_stale_form_is_reported_not_applied(org, client_for, complaint):
    client = client_for(org.users.sales_n1)
    r = client.post(reverse("case_transition", args=[complaint.pk]), {"to": "accepted", "version": 99}, follow=True)
    assert "changed by someone else" in r.content.decode()
    assert Case.objects.get(pk=complaint.pk).status == CaseStatus.NEW
    r = client.post(reverse("case_transition", args=[complaint.pk]), {"to": "resolved", "version": 1}, follow=True)
    assert "cannot become" in r.content.decode()


def test_visibility_404_and_read_only_403(org, client_for, complaint):
    client = client_for(org.users.sales_e1)
    urls = [reverse(n, args=[complaint.pk]) for n in (
        "case_detail", "case_transition", "case_judge", "case_comment", "case_assign", "case_edit")]
    urls.append(reverse("case_step", args=[complaint.pk, "listen"]))
    for url in urls:
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"to": "accepted", "version": 1, "note": "x"}).status_code == 404, url
    analyst = client_for(org.users.analyst)
    assert analyst.get(urls[0]).status_code == 200
    for url in urls[1:]:
        assert analyst.post(url, {"to": "accepted", "version": 1, "note": "x"}).status_code == 403, url
    assert analyst.get(reverse("case_create")).status_code == 403
    assert Case.objects.get(pk=complaint.pk).status == CaseStatus.NEW


def test_bulk_assign_and_status_ask_first(org, customers, client_for):
    a = make_case(org.users.sales_n1, customers.n1)
    b = make_case(org.users.sales_n1, customers.n1)
    client = client_for(org.users.north_manager)
    r = client.post(reverse("list_bulk", args=["cases"]), {"action": "status", "value_status": "accepted",
                                                          "ids": [a.pk, b.pk]})
    assert r.status_code == 200 and "Yes, go ahead" in r.content.decode()
    assert Case.objects.get(pk=a.pk).status == CaseStatus.NEW
    client.post(reverse("list_bulk", args=["cases"]), {"action": "status", "value": "accepted", "confirmed": "yes",
                                                       "ids": [a.pk, b.pk]})
    assert set(Case.objects.values_list("status", flat=True)) == {CaseStatus.ACCEPTED}
    r = client.post(reverse("list_bulk", args=["cases"]), {"action": "status", "value": "closed", "confirmed": "yes",
                                                           "ids": [a.pk]})
    assert "invalid" in r.content.decode() and Case.objects.get(pk=a.pk).status == CaseStatus.ACCEPTED
    client.post(reverse("list_bulk", args=["cases"]), {"action": "assign", "value": org.users.north_service.pk,
                                                       "confirmed": "yes", "ids": [a.pk, b.pk]})
    assert set(Case.objects.values_list("assignee", flat=True)) == {org.users.north_service.pk}
    # a salesperson of another team cannot touch them: not found
    other = client_for(org.users.sales_e1)
    r = other.post(reverse("list_bulk", args=["cases"]), {"action": "status", "value": "in_progress",
                                                          "confirmed": "yes", "ids": [a.pk]})
    assert Case.objects.get(pk=a.pk).status == CaseStatus.ACCEPTED


def test_global_search_finds_a_case_by_number(org, client_for, complaint):
    from kehu.web.search import search

    groups = search(viewer=org.users.sales_n1, term=complaint.ref)
    assert any(h.id == complaint.pk for g in groups if g["kind"] == "case" for h in g["hits"])
    assert not any(g["kind"] == "case" for g in search(viewer=org.users.sales_e1, term=complaint.ref))


def test_interaction_on_the_timeline_becomes_a_case(org, customers, client_for):
    it = InteractionFactory(customer=customers.n1, channel="complaint", subject="Rude fitter", summary="Shouted")
    client = client_for(org.users.sales_n1)
    page = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert f'data-testid="make-case-{it.pk}"' in page
    r = client.post(reverse("case_from_interaction", args=[it.pk]))
    case = Case.objects.get(source_interaction=it)
    assert r["Location"] == reverse("case_detail", args=[case.pk]) and case.kind == "complaint"
    assert client_for(org.users.sales_e1).post(reverse("case_from_interaction", args=[it.pk])).status_code == 404


def test_the_edit_form_loads_when_opened(org, client_for, complaint):
    """The case page carries a link to the edit form (loaded into the page by htmx when the
    agent opens it); the form itself is a fragment for htmx and a page without JavaScript,
    for those who may change the case only."""
    agent = client_for(org.users.sales_n1)
    page = agent.get(reverse("case_detail", args=[complaint.pk])).content.decode()
    url = reverse("case_edit", args=[complaint.pk])
    assert f'hx-get="{url}"' in page and 'id="id_resolution"' not in page
    fragment = agent.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="id_resolution"' in fragment and "<html" not in fragment
    full = agent.get(url).content.decode()
    assert 'id="id_resolution"' in full and "<html" in full
    assert client_for(org.users.analyst).get(url).status_code == 403
    assert client_for(org.users.sales_e1).get(url).status_code == 404
