"""Changing and deleting an interaction in the browser: from the 360 page's
timeline and from the Interactions list, in English and Chinese."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from kehu.audit.models import AuditEvent
from kehu.engagement.models import Interaction
from tests.factories import ContactFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def edit_data(interaction, **kw):
    """The edit form as the page fills it in, with ``kw`` changed."""
    when = timezone.localtime(interaction.occurred_at)
    data = {"channel": interaction.channel, "direction": interaction.direction,
            "occurred_at": when.strftime("%Y-%m-%dT%H:%M"), "contact": interaction.contact_id or "",
            "participants": interaction.participants, "subject": interaction.subject,
            "summary": interaction.summary, "next_step": interaction.next_step,
            "next_step_on": interaction.next_step_on.isoformat() if interaction.next_step_on else ""}
    data.update(kw)
    return data


def test_timeline_offers_edit_and_delete_to_who_may_change(client_for, org, full):
    c, it = full.customer, full.interaction
    html = client_for(org.users.sales_n1).get(reverse("customer_detail", args=[c.pk])).content.decode()
    assert reverse("interaction_edit", args=[it.pk]) in html and reverse("interaction_delete", args=[it.pk]) in html
    for user in (org.users.analyst, org.users.sales_n1b):  # read-only role; read-only share
        html = client_for(user).get(reverse("customer_detail", args=[c.pk])).content.decode()
        assert "Quarterly call" in html and reverse("interaction_edit", args=[it.pk]) not in html


def test_edit_from_the_timeline(client_for, org, full):
    c, it = full.customer, full.interaction
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("interaction_edit", args=[it.pk])).content.decode()
    assert "Edit an interaction with 北方钢铁贸易有限公司" in html
    assert 'value="Quarterly call"' in html and "Logged by sales_n1." in html
    response = client.post(reverse("interaction_edit", args=[it.pk]),
                           edit_data(it, subject="Quarterly review", next_step_on="2030-01-15"))
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[c.pk]) + "#timeline"
    it.refresh_from_db()
    assert it.subject == "Quarterly review" and it.next_step_on == dt.date(2030, 1, 15)
    assert it.user == org.users.sales_n1  # the author stays
    event = AuditEvent.objects.get(entity="interaction", entity_id=it.pk, action="update")
    # only what was changed: the time shown in minutes is not rewritten
    assert set(event.changes) == {"subject", "next_step_on"}
    assert event.customer_id == c.pk and event.actor == org.users.sales_n1
    html = client.get(response["Location"]).content.decode()
    assert "Interaction saved." in html
    history = html[html.index('id="history"'):]
    assert "Interaction changed: Quarterly review" in history
    assert "Quarterly call → Quarterly review" in history


def test_a_manager_may_change_what_a_salesperson_logged(client_for, org, full):
    it = full.interaction
    client = client_for(org.users.north_manager)
    assert client.post(reverse("interaction_edit", args=[it.pk]), edit_data(it, summary="Corrected")).status_code == 302
    it.refresh_from_db()
    assert it.summary == "Corrected" and it.user == org.users.sales_n1
    event = AuditEvent.objects.get(entity="interaction", entity_id=it.pk, action="update")
    assert event.actor == org.users.north_manager


def test_edit_validation(client_for, org, full, customers):
    it = full.interaction
    client = client_for(org.users.sales_n1)
    html = client.post(reverse("interaction_edit", args=[it.pk]), edit_data(it, summary="")).content.decode()
    assert "This field is required." in html
    other = ContactFactory(customer=customers.n1b, name="Someone else")
    html = client.post(reverse("interaction_edit", args=[it.pk]), edit_data(it, contact=other.pk)).content.decode()
    assert "Select a valid choice." in html
    html = client.post(reverse("interaction_edit", args=[it.pk]), edit_data(it, channel="fax")).content.decode()
    assert "Select a valid choice." in html
    it.refresh_from_db()
    assert it.summary and it.contact == full.buyer and it.channel == "phone"
    assert not AuditEvent.objects.filter(entity="interaction", action="update").exists()


def test_delete_asks_first_then_keeps_it_in_the_history(client_for, org, full):
    c, it = full.customer, full.interaction
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("interaction_delete", args=[it.pk])).content.decode()
    assert "This cannot be undone" in html
    assert "Quarterly call" in html and 'class="danger"' in html
    assert Interaction.objects.filter(pk=it.pk).exists()  # looking at the page deletes nothing
    response = client.post(reverse("interaction_delete", args=[it.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[c.pk]) + "#timeline"
    assert not Interaction.objects.filter(pk=it.pk).exists()
    event = AuditEvent.objects.get(entity="interaction", entity_id=it.pk, action="delete")
    assert event.changes["summary"] == it.summary and event.summary == "Quarterly call"
    html = client.get(response["Location"]).content.decode()
    assert "Interaction deleted." in html
    timeline = html[html.index('id="timeline"'):html.index('id="orders"')]
    assert "Interaction deleted — Quarterly call" in timeline
    assert "Interaction deleted: Quarterly call" in html[html.index('id="history"'):]


def test_from_the_list_and_back_to_it(client_for, org, full, customers):
    it = full.interaction
    other = InteractionFactory(customer=customers.n1b, user=org.users.sales_n1b, subject="Not mine")
    from kehu.customers.services import customer_share

    customer_share(actor=org.users.admin, customer=customers.n1b, user=org.users.sales_n1, can_edit=False)
    client = client_for(org.users.sales_n1)
    list_url = reverse("interaction_list") + "?channel=phone"
    html = client.get(list_url).content.decode()
    assert "Not mine" in html and "Quarterly call" in html
    assert reverse("interaction_edit", args=[it.pk]) + "?next=/interactions/%3Fchannel%3Dphone" in html
    assert reverse("interaction_delete", args=[it.pk]) + "?next=" in html
    assert reverse("interaction_edit", args=[other.pk]) not in html  # shared read-only
    response = client.post(reverse("interaction_edit", args=[it.pk]), {**edit_data(it, subject="S2"), "next": list_url})
    assert response["Location"] == list_url
    response = client.post(reverse("interaction_delete", args=[it.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("customer_detail", args=[full.customer.pk]) + "#timeline"
    # a read-only role sees the list without the column
    html = client_for(org.users.analyst).get(reverse("interaction_list")).content.decode()
    assert "Not mine" in html and reverse("interaction_edit", args=[other.pk]) not in html


def test_changing_pages_in_chinese(client_for, org, full):
    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save()
    client = client_for(user)
    it = full.interaction
    html = client.get(reverse("interaction_edit", args=[it.pk])).content.decode()
    assert "编辑与 北方钢铁贸易有限公司 的联系纪要" in html and "渠道" in html and "保存" in html
    assert "Edit an interaction" not in html
    html = client.post(reverse("interaction_edit", args=[it.pk]), edit_data(it, summary="")).content.decode()
    assert "这个字段是必填项。" in html
    html = client.get(reverse("interaction_delete", args=[it.pk])).content.decode()
    assert "删除与 北方钢铁贸易有限公司 的这条联系纪要" in html and "无法撤销" in html
    response = client.post(reverse("interaction_delete", args=[it.pk]), follow=True)
    assert "联系纪要已删除。" in response.content.decode()
