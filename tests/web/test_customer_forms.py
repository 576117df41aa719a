"""Create, edit, delete, merge, share and reassign customers through the pages."""

import datetime as dt

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.customers.models import Contact, Customer, CustomerShare
from kehu.customers.services import anniversary_create
from tests.factories import ContactFactory, CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {"kind": "organization", "name": "新客户有限公司", "ref": "", "owner": "", "phone": "",
            "email": "", "city": "", "lifecycle_stage": "reserve", "tags": ""}
    data.update(overrides)
    return data


def test_create_customer(client_for, org):
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("customer_create"), form_data(
        phone="021-5555 1234", city="北京", region="north", tags="VIP, 钢材，华北", annual_budget="500000"))
    customer = Customer.objects.get(name="新客户有限公司")
    assert response.status_code == 302 and response["Location"] == reverse("customer_detail", args=[customer.pk])
    assert customer.owner == org.users.sales_n1 and customer.team == org.teams.n1
    assert customer.phone == "02155551234" and customer.ref.startswith("C")
    assert sorted(customer.tags.values_list("name", flat=True)) == ["VIP", "华北", "钢材"]
    assert AuditEvent.objects.filter(customer_id=customer.pk, action="create").exists()


def test_create_validation_messages_in_the_users_language(client_for, org):
    user = org.users.sales_n1
    client = client_for(user)
    response = client.post(reverse("customer_create"), form_data(name="", email="not-an-email"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This field is required." in html and "Enter a valid email address." in html
    user.language = "zh-hans"
    user.save()
    html = client.post(reverse("customer_create"), form_data(name="", email="x")).content.decode()
    assert "这个字段是必填项。" in html


def test_service_errors_show_on_the_form(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    html = client.post(reverse("customer_create"), form_data(ref=customers.e1.ref)).content.decode()
    assert "Customer code already exists." in html
    html = client.post(reverse("customer_create"), form_data(share_of_wallet="150")).content.decode()
    assert "errorlist" in html
    assert not Customer.objects.filter(name="新客户有限公司").exists()


def test_owner_choices_are_limited_to_assignable_users(client_for, org):
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("customer_create")).content.decode()
    assert f'value="{org.users.sales_e1.pk}"' not in html
    response = client.post(reverse("customer_create"), form_data(owner=org.users.sales_e1.pk))
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    client = client_for(org.users.north_manager)
    response = client.post(reverse("customer_create"), form_data(owner=org.users.sales_n1b.pk))
    assert Customer.objects.get(name="新客户有限公司").owner == org.users.sales_n1b


def test_duplicate_warning_then_create_anyway(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    # same phone as 华东机械集团, which sales_n1 may not see
    response = client.post(reverse("customer_create"), form_data(name="华东机械", phone="139 0013 9003"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="duplicates"' in html
    assert "华东机械集团" in html and customers.e1.ref in html and "sales_e1" in html
    assert reverse("customer_detail", args=[customers.e1.pk]) not in html  # no link to an invisible customer
    assert not Customer.objects.filter(name="华东机械").exists()
    response = client.post(reverse("customer_create"), form_data(name="华东机械", phone="139 0013 9003",
                                                                 create_anyway="on"))
    assert response.status_code == 302
    assert Customer.objects.filter(name="华东机械").exists()


def test_duplicate_warning_links_visible_customers(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    html = client.post(reverse("customer_create"), form_data(name="北方钢铁贸易有限公司", city="北京")).content.decode()
    assert reverse("customer_detail", args=[customers.n1.pk]) in html


def test_edit_customer_records_history(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    c = customers.n1
    html = client.get(reverse("customer_edit", args=[c.pk])).content.decode()
    assert 'value="北方钢铁贸易有限公司"' in html
    data = form_data(name="北方钢铁集团", ref=c.ref, owner=org.users.sales_n1.pk, phone=c.phone, city="北京",
                     region="north", lifecycle_stage="at_risk", tags="重点")
    response = client.post(reverse("customer_edit", args=[c.pk]), data)
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.name == "北方钢铁集团" and c.lifecycle_stage == "at_risk"
    html = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
    assert "北方钢铁贸易有限公司 → 北方钢铁集团" in html
    assert "Lifecycle stage:</span> Customer (成交客户) → At risk" in html
    assert "Tags:</span> ∅ → 重点" in html


def test_edit_keeps_an_owner(client_for, org, customers):
    c = customers.n1
    data = form_data(name=c.name, ref=c.ref, owner="", lifecycle_stage="customer")
    response = client_for(org.users.sales_n1).post(reverse("customer_edit", args=[c.pk]), data)
    assert response.status_code == 200 and "This field is required." in response.content.decode()
    c.refresh_from_db()
    assert c.owner == org.users.sales_n1


def test_delete_customer(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    c = customers.n1
    assert "cannot be undone" in client.get(reverse("customer_delete", args=[c.pk])).content.decode()
    response = client.post(reverse("customer_delete", args=[c.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("customer_list")
    assert not Customer.objects.filter(pk=c.pk).exists()


def test_delete_refused_for_customer_with_orders(client_for, org, customers):
    c = customers.n1
    OrderFactory(customer=c)
    client = client_for(org.users.sales_n1)
    assert "cannot be deleted" in client.get(reverse("customer_delete", args=[c.pk])).content.decode()
    response = client.post(reverse("customer_delete", args=[c.pk]), follow=True)
    assert Customer.objects.filter(pk=c.pk).exists()
    assert "cannot be deleted" in response.content.decode()


def test_merge_flow(client_for, org, customers):
    keep = customers.n1
    drop = CustomerFactory(name="北方钢铁", owner=org.users.sales_n1, phone=keep.phone, industry="钢铁", tags=["老客户"])
    ContactFactory(customer=drop, name="赵经理")
    OrderFactory(customer=drop)
    anniversary = anniversary_create(actor=org.users.sales_n1, customer=drop,
                                     data={"label": "公司成立日", "date": dt.date(2001, 5, 1)})
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("customer_merge", args=[keep.pk])).content.decode()
    assert "Likely duplicates" in html and f"?drop={drop.pk}" in html
    html = client.get(reverse("customer_merge", args=[keep.pk]), {"q": drop.ref}).content.decode()
    assert f"?drop={drop.pk}" in html
    # other people's customers are not offered
    html = client.get(reverse("customer_merge", args=[keep.pk]), {"q": "华东"}).content.decode()
    assert "No customer you may change matches." in html
    html = client.get(reverse("customer_merge", args=[keep.pk]), {"drop": drop.pk}).content.decode()
    assert "1 contact moves" in html and "1 order moves" in html and "老客户" in html and "钢铁" in html
    assert "1 anniversary moves" in html
    response = client.post(reverse("customer_merge", args=[keep.pk]), {"drop": drop.pk})
    assert response.status_code == 302
    assert not Customer.objects.filter(pk=drop.pk).exists()
    assert Contact.objects.get(name="赵经理").customer_id == keep.pk
    anniversary.refresh_from_db()
    assert anniversary.customer_id == keep.pk  # not lost with the duplicate
    keep.refresh_from_db()
    assert keep.industry == "钢铁"


def test_merge_cannot_take_a_customer_of_another_team(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    assert client.get(reverse("customer_merge", args=[customers.n1.pk]), {"drop": customers.e1.pk}).status_code == 404
    assert client.post(reverse("customer_merge", args=[customers.n1.pk]), {"drop": customers.e1.pk}).status_code == 404
    assert Customer.objects.filter(pk=customers.e1.pk).exists()


def test_share_and_unshare(client_for, org, customers):
    c = customers.n1
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("customer_share", args=[c.pk]), {"user": org.users.sales_e1.pk, "can_edit": "on"})
    assert response.status_code == 302
    share = CustomerShare.objects.get(customer=c, user=org.users.sales_e1)
    assert share.can_edit
    response = client.post(reverse("customer_share", args=[c.pk]), {"team": org.teams.east.pk})
    assert CustomerShare.objects.filter(customer=c, team=org.teams.east, can_edit=False).exists()
    html = client.post(reverse("customer_share", args=[c.pk]), {}).content.decode()
    assert "Choose either a user or a team." in html
    # the shared user now sees and may edit it
    other = client_for(org.users.sales_e1)
    assert other.get(reverse("customer_detail", args=[c.pk])).status_code == 200
    assert other.get(reverse("customer_edit", args=[c.pk])).status_code == 200
    client = client_for(org.users.sales_n1)
    client.post(reverse("customer_unshare", args=[c.pk, share.pk]))
    assert not CustomerShare.objects.filter(pk=share.pk).exists()
    assert client.get(reverse("customer_unshare", args=[c.pk, share.pk])).status_code == 405


def test_reassign_flow(client_for, org, customers):
    extra = CustomerFactory(name="Extra", owner=org.users.sales_n1)
    client = client_for(org.users.north_manager)
    data = {"from_owner": org.users.sales_n1.pk, "to_owner": org.users.sales_n1b.pk, "customer_ids": ""}
    html = client.post(reverse("customer_reassign"), data).content.decode()
    assert 'data-testid="reassign-confirm"' in html and "2 customers will move" in html
    assert Customer.objects.get(pk=extra.pk).owner == org.users.sales_n1  # nothing moved yet
    response = client.post(reverse("customer_reassign"), {**data, "confirm": "1"}, follow=True)
    assert "2 customers moved" in response.content.decode()
    assert set(Customer.objects.filter(owner=org.users.sales_n1b).values_list("pk", flat=True)) == {
        customers.n1.pk, customers.n1b.pk, extra.pk}


def test_reassign_only_selected(client_for, org, customers):
    extra = CustomerFactory(name="Extra", owner=org.users.sales_n1)
    client = client_for(org.users.north_manager)
    data = {"from_owner": org.users.sales_n1.pk, "to_owner": org.users.sales_n1b.pk,
            "customer_ids": f"{extra.ref}, {customers.e1.pk}"}
    assert "1 customer will move" in client.post(reverse("customer_reassign"), data).content.decode()
    response = client.post(reverse("customer_reassign"), {**data, "confirm": "1"}, follow=True)
    assert "1 customer moved from" in response.content.decode()
    assert Customer.objects.get(pk=extra.pk).owner == org.users.sales_n1b
    assert Customer.objects.get(pk=customers.n1.pk).owner == org.users.sales_n1


def test_reassign_choices_and_permissions(client_for, org, customers):
    html = client_for(org.users.north_manager).get(reverse("customer_reassign")).content.decode()
    assert f'value="{org.users.sales_e1.pk}"' not in html  # not in the north subtree
    response = client_for(org.users.north_manager).post(reverse("customer_reassign"), {
        "from_owner": org.users.sales_e1.pk, "to_owner": org.users.sales_n1.pk})
    assert "Select a valid choice" in response.content.decode()
    for name in ("sales_n1", "analyst", "north_marketing"):
        assert client_for(getattr(org.users, name)).get(reverse("customer_reassign")).status_code == 403


def test_an_imported_customer_shows_its_import_and_keeps_it_through_a_merge(client_for, org, customers, tmp_path):
    """A customer made by an import has no audit row of its own: its history and timeline show
    the import's record (who, when, which file); merged away, that record is stored on the
    customer it was merged into."""
    from kehu.audit.models import AuditEvent
    from kehu.engagement.selectors import customer_timeline
    from kehu.imports.services import import_customers
    from tests.imports.conftest import write_csv

    path = write_csv(tmp_path / "客户.csv", [["ref", "name", "type", "owner"], ["IMP1", "北方钢铁", "企业", "sales_n1"]])
    assert import_customers(actor=org.users.north_manager, source=path).created == 1
    drop = Customer.objects.get(ref="IMP1")
    client = client_for(org.users.sales_n1)
    for lang, word in (("zh-hans", "客户 导入"), ("en", "Customer imported")):
        org.users.sales_n1.language = lang
        org.users.sales_n1.save()
        html = client.get(reverse("customer_detail", args=[drop.pk])).content.decode()
        history = html[html.index('id="history"'):]
        assert word in history and "客户.csv" in history and "north_manager" in history
    assert [(i["obj"].action, i["obj"].summary) for i in customer_timeline(customer=drop, viewer=org.users.sales_n1) if i["kind"] == "change"] == [
        ("import", "客户.csv")]
    html = client.get(reverse("customer_merge", args=[customers.n1.pk]), {"drop": drop.pk}).content.decode()
    assert "1 history entry moves" in html       # the import's record counts as history
    assert client.post(reverse("customer_merge", args=[customers.n1.pk]), {"drop": drop.pk}).status_code == 302
    kept = AuditEvent.objects.get(customer_id=customers.n1.pk, action="import")
    assert (kept.entity_id, kept.actor, kept.summary, kept.created_at) == (
        drop.pk, org.users.north_manager, "客户.csv", drop.created_at)
    html = client.get(reverse("customer_detail", args=[customers.n1.pk])).content.decode()
    assert "客户.csv" in html[html.index('id="history"'):]


def test_setting_the_stage_to_lost_asks_why(client_for, org, customers):
    """An edit that moves a customer to lost leads to the win-back form, which records the
    reason (流失原因) without moving the stage a second time; with a loss on record, or
    a stage that was already lost, the edit goes back to the customer's page as usual."""
    from kehu.marketing.winback.models import LossRecord
    from kehu.sales.models import LifecycleChange

    client = client_for(org.users.sales_n1)
    c = customers.n1
    data = form_data(name=c.name, ref=c.ref, owner=org.users.sales_n1.pk, phone=c.phone, city="北京",
                     region="north", lifecycle_stage="lost")
    response = client.post(reverse("customer_edit", args=[c.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("winback_mark_lost", args=[c.pk])
    c.refresh_from_db()
    assert c.lifecycle_stage == "lost" and not LossRecord.objects.filter(customer=c).exists()
    moves = LifecycleChange.objects.filter(customer=c, to_stage="lost").count()
    response = client.post(reverse("winback_mark_lost", args=[c.pk]),
                           {"reason": "competitor", "lost_on": dt.date.today().isoformat(), "confirm": "yes"})
    assert response.status_code == 302
    assert LossRecord.objects.get(customer=c).reason == "competitor"
    assert LifecycleChange.objects.filter(customer=c, to_stage="lost").count() == moves   # not moved twice
    # already lost: a later edit is just an edit
    response = client.post(reverse("customer_edit", args=[c.pk]), data)
    assert response["Location"] == reverse("customer_detail", args=[c.pk])
