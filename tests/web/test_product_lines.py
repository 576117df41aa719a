"""Product lines on the Products page: everyone reads them; administrators
and sales managers add and rename them."""

import pytest
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.sales.models import ProductLine
from tests.factories import ProductFactory, ProductLineFactory

pytestmark = pytest.mark.django_db


def test_everyone_sees_the_lines_only_managers_change_them(client_for, org):
    plate = ProductLineFactory(code="PLATE", name="Plate")
    ProductFactory(line=plate)
    ProductFactory(line=plate)
    client = client_for(org.users.sales_n1)
    html = client.get(reverse("product_list")).content.decode()
    assert reverse("product_line_list") in html
    html = client.get(reverse("product_line_list")).content.decode()
    assert "<td>PLATE</td><td>Plate</td><td class=\"num\">2</td>" in html
    assert reverse("product_line_create") not in html and reverse("product_line_edit", args=[plate.pk]) not in html
    for user in (org.users.sales_n1, org.users.analyst, org.users.north_marketing, org.users.north_service):
        client = client_for(user)
        for url in (reverse("product_line_create"), reverse("product_line_edit", args=[plate.pk])):
            response = client.get(url)
            assert response.status_code == 403, (user, url)
            assert "You may look at this record but not change it." in response.content.decode()
            assert client.post(url, {"code": "X", "name": "Hacked"}).status_code == 403
    plate.refresh_from_db()
    assert plate.name == "Plate" and not ProductLine.objects.filter(code="X").exists()
    assert client_for(org.users.admin).get(reverse("product_line_edit", args=[999999])).status_code == 404


def test_a_manager_adds_and_renames_a_line(client_for, org):
    client = client_for(org.users.north_manager)
    html = client.get(reverse("product_line_list")).content.decode()
    assert "No product lines yet." in html and reverse("product_line_create") in html
    response = client.post(reverse("product_line_create"), {"code": " COIL ", "name": "Coils"})
    assert response.status_code == 302 and response["Location"] == reverse("product_line_list")
    line = ProductLine.objects.get(code="COIL")
    assert line.name == "Coils"
    html = client.get(response["Location"]).content.decode()
    assert "Product line Coils saved." in html and reverse("product_line_edit", args=[line.pk]) in html
    # the new line is offered on the product form
    assert f'<option value="{line.pk}">Coils</option>' in client.get(reverse("product_create")).content.decode()

    html = client.get(reverse("product_line_edit", args=[line.pk])).content.decode()
    assert "Rename Coils" in html and "The code cannot be changed." in html and "disabled" in html
    response = client.post(reverse("product_line_edit", args=[line.pk]), {"code": "OTHER", "name": "Coils and strip"})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.name == "Coils and strip" and line.code == "COIL"  # the code stays
    event = AuditEvent.objects.get(entity="productline", entity_id=line.pk, action="update")
    assert event.changes == {"name": ["Coils", "Coils and strip"]} and event.actor == org.users.north_manager
    assert AuditEvent.objects.filter(entity="productline", entity_id=line.pk, action="create").exists()


def test_validation(client_for, org):
    ProductLineFactory(code="PLATE", name="Plate")
    client = client_for(org.users.admin)
    html = client.post(reverse("product_line_create"), {"code": "", "name": ""}).content.decode()
    assert html.count("This field is required.") == 2
    html = client.post(reverse("product_line_create"), {"code": "plate", "name": "Plates again"}).content.decode()
    assert "A product line with the code plate already exists." in html
    html = client.post(reverse("product_line_create"), {"code": "X" * 41, "name": "Long"}).content.decode()
    assert "Ensure this value has at most 40 characters" in html
    assert ProductLine.objects.count() == 1
    line = ProductLine.objects.get()
    html = client.post(reverse("product_line_edit", args=[line.pk]), {"name": "  "}).content.decode()
    assert "This field is required." in html
    line.refresh_from_db()
    assert line.name == "Plate"


def test_product_line_pages_in_chinese(client_for, org):
    user = org.users.hq_manager
    user.language = "zh-hans"
    user.save()
    line = ProductLineFactory(code="PLATE", name="板材")
    client = client_for(user)
    html = client.get(reverse("product_list")).content.decode()
    assert "产品线" in html
    html = client.get(reverse("product_line_list")).content.decode()
    assert "新建产品线" in html and "重命名" in html and "Product lines" not in html
    html = client.get(reverse("product_line_create")).content.decode()
    assert "新建产品线" in html and "简短且唯一的编码" in html
    html = client.post(reverse("product_line_create"), {"code": "plate", "name": "板材2"}).content.decode()
    assert "编码为 plate 的产品线已存在。" in html
    html = client.get(reverse("product_line_edit", args=[line.pk])).content.decode()
    assert "重命名 板材" in html and "编码不能修改。" in html
    response = client.post(reverse("product_line_edit", args=[line.pk]), {"name": "中厚板"}, follow=True)
    assert "产品线 中厚板 已保存。" in response.content.decode()
