"""The 360 page, contacts, and logging an interaction (with and without htmx)."""

import datetime as dt

import pytest
from django.urls import reverse

from kehu.customers.models import Contact
from kehu.engagement.models import Interaction
from tests.factories import AttachmentFactory, ContactFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_360_page_shows_everything(client_for, org, full):
    c = full.customer
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
    # contacts with decision role and reporting line
    assert "王总" in html and "Decision maker" in html and "Reports to 王总" in html
    # totals: 3 × ¥100.00 at cost 70.00, ¥100.00 paid
    assert "¥300.00" in html and "¥90.00" in html and "30.0%" in html and "¥200.00" in html
    # timeline, orders, history, shares, anniversaries
    assert "Quarterly call" in html and "Send the price list" in html
    assert full.order.ref in html and reverse("order_detail", args=[full.order.pk]) in html
    assert f"{reverse('order_list')}?customer={c.pk}" in html
    assert 'id="history"' in html and "Order created" in html and "Customer shared" in html
    assert "sales_n1b" in html and "read only" in html
    assert "Founded" in html
    # actions for someone who may change it
    for name in ("customer_edit", "customer_delete", "customer_merge", "customer_share", "contact_create"):
        assert reverse(name, args=[c.pk]) in html
    # the "Log an interaction" form arrives right after the page (htmx), with a link without JavaScript
    url = reverse("interaction_create", args=[c.pk])
    assert f'hx-get="{url}" hx-trigger="load"' in html and f'href="{url}"' in html
    panel = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-post="{url}"' in panel and 'name="summary"' in panel


def test_360_page_read_only_has_no_change_buttons(client_for, org, full):
    c = full.customer
    response = client_for(org.users.analyst).get(reverse("customer_detail", args=[c.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "王总" in html
    for name in ("customer_edit", "customer_delete", "customer_merge", "customer_share", "interaction_create"):
        assert reverse(name, args=[c.pk]) not in html
    # a shared (read-only) salesperson sees it, cannot change it
    html = client_for(org.users.sales_n1b).get(reverse("customer_detail", args=[c.pk])).content.decode()
    assert reverse("customer_edit", args=[c.pk]) not in html


def test_360_query_count_is_pinned(client_for, org, full, django_assert_max_num_queries, settings, tmp_path):
    from kehu.engagement.visits import visit_create, visit_done
    from kehu.service.services import case_comment, case_create

    settings.MEDIA_ROOT = tmp_path / "media"
    c = full.customer
    client = client_for(org.users.sales_n1)
    client.get(reverse("customer_detail", args=[c.pk]))
    # 18 for the 360 page itself, 1 for the customer's value scores (kehu/insights), 1 for its open tasks,
    # 1 for its attachments, 1 for its cases and 1 for their events on the timeline (kehu/service),
    # 1 for its installed base (delivered order lines with a product), 1 for its opportunities and 1 for its
    # lifecycle history (kehu/sales), 2 for its planned visits (the next one and the last ones, kehu/engagement),
    # 1 for its owners through the lead pool (kehu/sales/pool.py), 1 for its referrals both ways with the referral
    # value (kehu/marketing/referrals). The marketing cards (win-back, coupons, membership, messages, care,
    # campaigns) arrive after the page (htmx, kehu/marketing/cards.py): none here.
    with django_assert_max_num_queries(31) as ctx:
        client.get(reverse("customer_detail", args=[c.pk]))
    baseline = len(ctx.captured_queries)
    # more of everything must not mean more queries
    for i in range(5):
        ContactFactory(customer=c, name=f"Contact {i}", reports_to=full.boss)
        InteractionFactory(customer=c, user=org.users.sales_n1, contact=full.buyer)
        OrderFactory(customer=c, salesperson=org.users.sales_n1)
        AttachmentFactory(customer=c, uploaded_by=org.users.sales_n1b)
        case = case_create(actor=org.users.sales_n1, data={"customer": c, "kind": "complaint", "subject": f"C{i}",
                                                            "assignee": org.users.sales_n1})
        case_comment(actor=org.users.sales_n1b, case=case, note="Called back")
        visit = visit_create(actor=org.users.sales_n1, customer=c, data={"planned_on": dt.date(2026, 12, 7 + i)})
        if i % 2:
            visit_done(actor=org.users.sales_n1, visit=visit, result="Agreed")
    with django_assert_max_num_queries(baseline):
        client.get(reverse("customer_detail", args=[c.pk]))


def test_360_marketing_cards_arrive_after_the_page(client_for, org, full):
    from kehu.marketing.cards import CARDS

    c = full.customer
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
    for card in CARDS:
        url = reverse("customer_marketing_card", args=[c.pk, card])
        assert f'hx-get="{url}" hx-trigger="load"' in html
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200


def interaction_data(**kw):
    data = {"channel": "visit", "direction": "outbound", "occurred_at": "2025-03-04T10:30", "contact": "",
            "participants": "王总, 我", "subject": "Factory visit", "summary": "Saw the new line; they need 200 t in May.",
            "next_step": "Quote 200 t", "next_step_on": ""}
    data.update(kw)
    return data


def test_log_interaction_with_htmx_refreshes_the_timeline(client_for, org, full):
    c = full.customer
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("interaction_create", args=[c.pk]), interaction_data(contact=full.boss.pk),
                           HTTP_HX_REQUEST="true", HTTP_HX_TARGET="interaction-panel")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'id="interaction-panel"' in html and "Interaction logged." in html
    assert '<div id="timeline" hx-swap-oob="true">' in html and "Factory visit" in html
    it = Interaction.objects.get(subject="Factory visit")
    assert it.user == org.users.sales_n1 and it.contact == full.boss
    # Asia/Shanghai: 10:30 local is 02:30 UTC
    assert it.occurred_at.astimezone(dt.timezone.utc).hour == 2
    assert "03/04/2025 10:30 a.m." in html  # shown in Asia/Shanghai again
    # the fresh form in the panel is empty again
    assert 'value="Factory visit"' not in html.split('<div id="timeline"')[0]


def test_log_interaction_without_js(client_for, org, full):
    c = full.customer
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("interaction_create", args=[c.pk]), interaction_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[c.pk]) + "#timeline"
    html = client.get(response["Location"]).content.decode()
    assert "Factory visit" in html and "Saw the new line" in html


def test_log_interaction_errors(client_for, org, full):
    c = full.customer
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("interaction_create", args=[c.pk]), interaction_data(summary=""),
                           HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "This field is required." in html and "hx-swap-oob" not in html
    other = ContactFactory()  # at another customer
    response = client.post(reverse("interaction_create", args=[c.pk]), interaction_data(contact=other.pk))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not Interaction.objects.filter(subject="Factory visit").exists()


def test_interaction_list_filters_and_visibility(client_for, org, full, customers):
    InteractionFactory(customer=customers.e1, user=org.users.sales_e1, subject="East call")
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("interaction_list")).content.decode()
    assert "Quarterly call" in html and "East call" not in html
    html = client.get(reverse("interaction_list"), {"channel": "visit"}).content.decode()
    assert "Quarterly call" not in html and "No interactions match these filters." in html
    html = client_for(org.users.admin).get(reverse("interaction_list"), {"user": org.users.sales_e1.pk}).content.decode()
    assert "East call" in html and "Quarterly call" not in html
    today = dt.date.today()
    html = client_for(org.users.admin).get(reverse("interaction_list"), {
        "date_from": (today + dt.timedelta(days=1)).isoformat()}).content.decode()
    assert "No interactions match these filters." in html


def test_interaction_list_keyset(client_for, org, customers):
    c = customers.n1
    now = dt.datetime(2025, 1, 1, 12, tzinfo=dt.timezone.utc)
    for i in range(30):
        InteractionFactory(customer=c, subject=f"Touch {i:02d}", occurred_at=now + dt.timedelta(hours=i))
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("interaction_list")).content.decode()
    assert "Touch 29" in html and "Touch 05" in html and "Touch 04" not in html
    import re

    nxt = re.search(r'href="([^"]+)" rel="next"', html).group(1).replace("&amp;", "&")
    html = client.get(reverse("interaction_list") + nxt).content.decode()
    assert "Touch 04" in html and "Touch 00" in html and "Touch 05" not in html


def test_contact_create_edit_delete(client_for, org, full):
    c = full.customer
    client = client_for(org.users.sales_n1)
    data = {"name": "孙工", "title": "Engineer", "department": "技术部", "decision_role": "user",
            "reports_to": full.boss.pk, "phone": "139-1111-2222", "email": "", "birthday": "", "remarks": ""}
    response = client.post(reverse("contact_create", args=[c.pk]), data)
    assert response.status_code == 302 and response["Location"].endswith("#contacts")
    contact = Contact.objects.get(name="孙工")
    assert contact.reports_to == full.boss and contact.phone == "13911112222"
    # edit: the boss cannot report to his own report (a circle)
    boss_data = {"name": "王总", "title": "GM", "department": "", "decision_role": "decision_maker",
                 "reports_to": full.buyer.pk, "phone": "", "email": "", "birthday": "", "remarks": ""}
    html = client.post(reverse("contact_edit", args=[full.boss.pk]), boss_data).content.decode()
    assert "Reporting lines cannot go round in a circle." in html
    data["title"] = "Chief engineer"
    assert client.post(reverse("contact_edit", args=[contact.pk]), data).status_code == 302
    contact.refresh_from_db()
    assert contact.title == "Chief engineer"
    assert client.get(reverse("contact_delete", args=[contact.pk])).status_code == 200
    assert client.post(reverse("contact_delete", args=[contact.pk])).status_code == 302
    assert not Contact.objects.filter(pk=contact.pk).exists()


def test_contact_reports_to_only_offers_same_customer(client_for, org, full, customers):
    stranger = ContactFactory(customer=customers.e1, name="Stranger")
    html = client_for(org.users.admin).get(reverse("contact_create", args=[full.customer.pk])).content.decode()
    assert "王总" in html and "Stranger" not in html
    assert stranger.pk
