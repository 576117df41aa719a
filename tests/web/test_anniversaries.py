"""A customer's dates to remember (纪念日) on the 360 page: add, change, delete."""

import datetime as dt

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.customers.models import Anniversary

pytestmark = pytest.mark.django_db


def section(html: str) -> str:
    start = html.index('id="anniversaries"')
    return html[start:html.index("</section>", start)]


def test_360_page_offers_the_changes_to_who_may_change(client_for, org, full):
    c = full.customer
    founded = Anniversary.objects.get(customer=c)
    html = section(client_for(org.users.sales_n1).get(reverse("customer_detail", args=[c.pk])).content.decode())
    assert "Founded" in html and reverse("anniversary_create", args=[c.pk]) in html
    assert reverse("anniversary_edit", args=[founded.pk]) in html
    assert reverse("anniversary_delete", args=[founded.pk]) in html
    for user in (org.users.analyst, org.users.sales_n1b):  # read-only role; read-only share
        html = section(client_for(user).get(reverse("customer_detail", args=[c.pk])).content.decode())
        assert "Founded" in html
        assert reverse("anniversary_create", args=[c.pk]) not in html
        assert reverse("anniversary_edit", args=[founded.pk]) not in html


def test_add_change_and_delete(client_for, org, full):
    c = full.customer
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("anniversary_create", args=[c.pk])).content.decode()
    assert "New anniversary of 北方钢铁贸易有限公司" in html
    assert 'list="anniversary-suggestions"' in html and '<option value="Wedding anniversary">' in html
    response = client.post(reverse("anniversary_create", args=[c.pk]), {"label": " First order ", "date": "2019-04-08"})
    assert response.status_code == 302
    assert response["Location"] == reverse("customer_detail", args=[c.pk]) + "#anniversaries"
    first = Anniversary.objects.get(customer=c, label="First order")
    assert first.date == dt.date(2019, 4, 8)
    html = client.get(response["Location"]).content.decode()
    assert "Anniversary First order added." in html and "First order: 04/08/2019" in section(html)

    html = client.get(reverse("anniversary_edit", args=[first.pk])).content.decode()
    assert "Edit the anniversary First order" in html and 'value="2019-04-08"' in html
    response = client.post(reverse("anniversary_edit", args=[first.pk]), {"label": "First order", "date": "2019-04-09"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.date == dt.date(2019, 4, 9)
    event = AuditEvent.objects.get(entity="anniversary", entity_id=first.pk, action="update")
    assert event.changes == {"date": ["2019-04-08", "2019-04-09"]} and event.customer_id == c.pk

    html = client.get(reverse("anniversary_delete", args=[first.pk])).content.decode()
    assert "Delete First order (04/09/2019) from the dates to remember of 北方钢铁贸易有限公司?" in html
    assert Anniversary.objects.filter(pk=first.pk).exists()  # looking deletes nothing
    response = client.post(reverse("anniversary_delete", args=[first.pk]))
    assert response["Location"] == reverse("customer_detail", args=[c.pk]) + "#anniversaries"
    assert not Anniversary.objects.filter(pk=first.pk).exists()
    html = client.get(response["Location"]).content.decode()
    assert "Anniversary First order deleted." in html and "First order" not in section(html)
    history = html[html.index('id="history"'):]
    for line in ("Anniversary created: First order 2019-04-08", "Anniversary changed: First order 2019-04-09",
                 "Anniversary deleted: First order 2019-04-09"):
        assert line in history, line


def test_validation(client_for, org, full):
    c = full.customer
    client = client_for(org.users.sales_n1)
    html = client.post(reverse("anniversary_create", args=[c.pk]), {"label": "", "date": ""}).content.decode()
    assert html.count("This field is required.") == 2
    html = client.post(reverse("anniversary_create", args=[c.pk]), {"label": "x" * 61, "date": "2020-02-30"}).content.decode()
    assert "Ensure this value has at most 60 characters" in html and "Enter a valid date." in html
    assert Anniversary.objects.filter(customer=c).count() == 1


def test_pages_in_chinese(client_for, org, full):
    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save()
    c = full.customer
    founded = Anniversary.objects.get(customer=c)
    client = client_for(user)
    html = client.get(reverse("customer_detail", args=[c.pk])).content.decode()
    assert "添加纪念日" in section(html)
    html = client.get(reverse("anniversary_create", args=[c.pk])).content.decode()
    assert "新增 北方钢铁贸易有限公司 的纪念日" in html and "公司成立日" in html and "结婚纪念日" in html
    html = client.post(reverse("anniversary_create", args=[c.pk]), {"label": "", "date": ""}).content.decode()
    assert "这个字段是必填项。" in html
    response = client.post(reverse("anniversary_create", args=[c.pk]), {"label": "首次下单日", "date": "2019-04-08"},
                           follow=True)
    assert "纪念日 首次下单日 已添加。" in response.content.decode()
    html = client.get(reverse("anniversary_edit", args=[founded.pk])).content.decode()
    assert "编辑纪念日 Founded" in html
    html = client.get(reverse("anniversary_delete", args=[founded.pk])).content.decode()
    assert "删除纪念日 Founded" in html and "变更历史会保留" in html
    html = client.post(reverse("anniversary_delete", args=[founded.pk]), follow=True).content.decode()
    assert "纪念日 Founded 已删除。" in html and "纪念日 已删除" in html[html.index('id="history"'):]
