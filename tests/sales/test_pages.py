"""The opportunity pages: list (filters), board (columns, totals, moves with and without
htmx), opportunity page, create/edit forms (from the list and from the 360 page), and
the 360 page's card with the lifecycle history."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kehu.sales.models import Opportunity, StageChange
from kehu.sales.opportunities import opportunity_create, opportunity_move
from tests.sales.conftest import stage

pytestmark = pytest.mark.django_db


def _opp(org, customers, line, name="Coil supply 2027", **data):
    return opportunity_create(actor=org.users.sales_n1, data={"customer": customers.n1, "name": name, **data},
                              lines=[{"product_line": line, "amount": "2000"}])


def test_list_filters_and_empty_state(client_for, org, customers, pipeline, line):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("opportunity_list")).content.decode()
    assert 'data-testid="opportunity-empty"' in html
    opp = _opp(org, customers, line)
    html = client.get(reverse("opportunity_list")).content.decode()
    assert opp.name in html and "Opportunities" in html
    html = client.get(reverse("opportunity_list"), {"stage": stage(pipeline, "won").pk}).content.decode()
    assert opp.name not in html and "No opportunities match these filters." in html
    html = client.get(reverse("opportunity_list"), {"product_line": line.pk, "close_from": "2000-01-01"}).content
    assert opp.name not in html.decode()   # no expected close date: outside the range
    assert opp.name not in client_for(org.users.sales_e1).get(reverse("opportunity_list")).content.decode()


def test_board_columns_totals_and_moves(client_for, org, customers, pipeline, line):
    opp = _opp(org, customers, line)
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("opportunity_board")).content.decode()
    assert html.count('data-testid="board-col-') == 6
    reserve = html.split('data-testid="board-col-reserve"', 1)[1].split("</section>", 1)[0]
    assert 'data-testid="board-count">1<' in reserve and ">2000.00<" in reserve and ">100.00<" in reserve
    assert "sales/board.js" in html and "<script>" not in html and 'style="' not in html
    # without JavaScript: the card's form posts and comes back to the board
    target = stage(pipeline, "potential")
    r = client.post(reverse("opportunity_move", args=[opp.pk]), {
        "stage": target.pk, "version": 1, "next": reverse("opportunity_board") + "?pipeline=" + str(pipeline.pk)})
    assert r.status_code == 302 and r["Location"].startswith(reverse("opportunity_board"))
    opp.refresh_from_db()
    assert opp.stage == target and opp.probability == 25
    # a stale version is refused with a message, not a change
    r = client.post(reverse("opportunity_move", args=[opp.pk]), {"stage": stage(pipeline, "target").pk,
                                                                  "version": 1}, follow=True)
    assert "changed by someone else" in r.content.decode()
    r = client.post(reverse("opportunity_move", args=[opp.pk]), {"stage": stage(pipeline, "target").pk,
                                                                  "version": 1}, HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Refresh"] == "true"
    # to the lost stage without a reason: to the page's lose form (htmx: HX-Redirect)
    r = client.post(reverse("opportunity_move", args=[opp.pk]), {"stage": stage(pipeline, "lost").pk},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 204 and r["HX-Redirect"].endswith("#lose")


def test_board_pages_columns(client_for, org, customers, pipeline, line):
    for i in range(22):
        Opportunity.objects.create(customer=customers.n1, name=f"Bulk {i}", pipeline=pipeline,
                                   stage=stage(pipeline, "target"), owner=org.users.sales_n1)
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("opportunity_board")).content.decode()
    col = html.split('data-testid="board-col-target"', 1)[1].split("</section>", 1)[0]
    assert col.count('data-testid="opp-card"') == 20 and 'data-testid="opp-column-more"' in col
    more = client.get(reverse("opportunity_board_column", args=[stage(pipeline, "target").pk]), {"offset": 20})
    assert more.content.decode().count('data-testid="opp-card"') == 2


def test_create_from_the_customer_page_and_edit(client_for, org, customers, pipeline, line):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert 'data-testid="customer-opportunity-new"' in html and "No opportunities for this customer." in html
    contact = customers.n1.contacts.create(name="王经理", decision_role="decision_maker")
    url = reverse("opportunity_create") + f"?customer={customers.n1.pk}"
    assert client.get(url).status_code == 200
    post = {"customer": customers.n1.pk, "name": "", "pipeline": pipeline.pk, "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0", "lines-0-product_line": line.pk, "lines-0-amount": "500",
            "contacts": [contact.pk], f"role_{contact.pk}": "influencer"}
    r = client.post(url, post)
    assert r.status_code == 200 and "This field is required." in r.content.decode()
    post["name"] = "Valves"
    r = client.post(url, post)
    opp = Opportunity.objects.get(name="Valves")
    assert r.status_code == 302 and r["Location"] == reverse("opportunity_detail", args=[opp.pk])
    assert opp.amount == 500 and opp.contacts.get().role == "influencer"
    html = client.get(reverse("opportunity_detail", args=[opp.pk])).content.decode()
    assert "王经理" in html and 'data-testid="stage-history"' in html and 'data-testid="opportunity-win"' in html
    r = client.post(reverse("opportunity_edit", args=[opp.pk]), {
        "name": "Valves 2027", "version": 1, "probability": "30", "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0", "lines-0-product_line": line.pk, "lines-0-amount": "800"})
    assert r.status_code == 302
    opp.refresh_from_db()
    assert opp.name == "Valves 2027" and opp.amount == 800 and opp.probability == 30 and opp.contacts.count() == 0
    html = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert "Valves 2027" in html


def test_win_lose_reopen_from_the_page(client_for, org, customers, pipeline, line):
    from kehu.sales.models import LostReason

    opp = _opp(org, customers, line)
    client = client_for(org.users.sales_n1)
    r = client.post(reverse("opportunity_lose", args=[opp.pk]), {"version": 1}, follow=True)
    assert "Say why the opportunity was lost." in r.content.decode()
    reason = LostReason.objects.get(code="price")
    client.post(reverse("opportunity_lose", args=[opp.pk]), {"version": 1, "lost_reason": reason.pk})
    opp.refresh_from_db()
    assert opp.stage.code == "lost"
    html = client.get(reverse("opportunity_detail", args=[opp.pk])).content.decode()
    assert 'data-testid="opportunity-reopen"' in html and 'data-testid="opportunity-win"' not in html
    client.post(reverse("opportunity_reopen", args=[opp.pk]), {"stage": stage(pipeline, "target").pk})
    client.post(reverse("opportunity_win", args=[opp.pk]), {})
    opp.refresh_from_db()
    assert opp.stage.code == "won" and StageChange.objects.filter(opportunity=opp).count() == 4


def test_lifecycle_history_on_the_360_page(client_for, org, customers, pipeline, line):
    customers.n1.lifecycle_stage = "potential"
    customers.n1.save()
    opp = _opp(org, customers, line)
    opportunity_move(actor=org.users.sales_n1, opportunity=opp, stage=stage(pipeline, "won"))
    html = client_for(org.users.sales_n1).get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert 'data-testid="lifecycle-history"' in html and 'data-testid="customer-opportunities"' in html
    assert "Coil supply 2027 · Reserve → Won" in html   # the move on the 360 timeline


def test_pick_a_customer_first(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("opportunity_create"), {"q": "北方"}).content.decode()
    assert customers.n1.name in html
    html = client.get(reverse("opportunity_create"), {"q": "华东"}).content.decode()
    assert "No customer you may change matches." in html
    assert client.get(reverse("opportunity_create"), {"customer": customers.e1.pk}).status_code == 404


def test_nav_link(client_for, org):
    html = client_for(org.users.sales_n1).get(reverse("opportunity_list")).content.decode()
    assert f'href="{reverse("opportunity_list")}" class="active"' in html
