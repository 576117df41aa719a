import csv
import io

import openpyxl
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.imports.models import ImportRun
from kehu.sales.models import Order

CSV_GBK = "客户编号,客户名称,类型,城市,奇怪的列\r\nW1,张三,个人,北京,x\r\nW2,李四,企业,上海,y\r\nW3,王五,外星人,上海,z\r\n".encode("gbk")


def upload(client, content=CSV_GBK, name="客户.csv", kind="customers"):
    return client.post(reverse("import_start"), {"kind": kind, "file": SimpleUploadedFile(name, content)})


def test_start_page_lists_columns_and_templates(org, client_for, media):
    response = client_for(org.users.sales_n1).get(reverse("import_start"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "客户编号" in body and "下单日期" in body and reverse("import_template", args=["orders"]) in body
    template = client_for(org.users.sales_n1).get(reverse("import_template", args=["customers"]) + "?lang=zh")
    assert template.content.decode("utf-8-sig").startswith("客户编号,客户名称,类型")


def test_upload_preview_confirm(org, client_for, media):
    client = client_for(org.users.sales_n1)
    response = upload(client)
    assert response.status_code == 302
    run = ImportRun.objects.get()
    assert run.user == org.users.sales_n1 and run.status == "preview"
    stored = media / "imports" / run.stored_name
    assert stored.exists() and "客户" not in run.stored_name
    assert Customer.objects.count() == 0

    page = client.get(response["Location"]).content.decode()
    assert "gb18030" in page and "奇怪的列" in page  # encoding and the ignored column
    assert "王五" in page and "外星人" in page          # first rows
    assert "is not one of the accepted values" in page  # the validation report

    # Bad rows and no "skip": refused, nothing written, the file kept for another go.
    response = client.post(reverse("import_confirm", args=[run.pk]))
    assert response.status_code == 302 and Customer.objects.count() == 0 and stored.exists()

    response = client.post(reverse("import_confirm", args=[run.pk]), {"skip_bad": "1"})
    assert response["Location"] == reverse("import_result", args=[run.pk])
    assert sorted(Customer.objects.values_list("ref", flat=True)) == ["W1", "W2"]
    assert Customer.objects.get(ref="W1").owner == org.users.sales_n1
    assert not stored.exists()
    run.refresh_from_db()
    assert run.status == "done" and run.created == 2 and run.skipped == 1 and run.filename == "客户.csv"
    result = client.get(response["Location"]).content.decode()
    assert "客户.csv" in result
    # A second confirm does nothing.
    client.post(reverse("import_confirm", args=[run.pk]), {"skip_bad": "1"})
    assert Customer.objects.count() == 2


def test_another_user_cannot_see_or_confirm_an_upload(org, client_for, media):
    upload(client_for(org.users.sales_n1))
    run = ImportRun.objects.get()
    other = client_for(org.users.admin)
    assert other.get(reverse("import_preview", args=[run.pk])).status_code == 404
    assert other.post(reverse("import_confirm", args=[run.pk]), {"skip_bad": "1"}).status_code == 404
    assert Customer.objects.count() == 0


def test_cancel_deletes_the_file(org, client_for, media):
    client = client_for(org.users.sales_n1)
    upload(client)
    run = ImportRun.objects.get()
    stored = media / "imports" / run.stored_name
    client.post(reverse("import_cancel", args=[run.pk]))
    assert not stored.exists()
    run.refresh_from_db()
    assert run.status == "cancelled"


def test_orders_upload_xlsx(org, customers, client_for, media, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["订单号", "客户编号", "下单日期", "金额"])
    ws.append(["SO-X", customers.n1.ref, "2024-03-01", 100])
    buf = io.BytesIO()
    wb.save(buf)
    client = client_for(org.users.sales_n1)
    response = upload(client, buf.getvalue(), name="orders.xlsx", kind="orders")
    run = ImportRun.objects.get()
    client.post(reverse("import_confirm", args=[run.pk]))
    assert Order.objects.get().ref == "SO-X"


def test_unusable_files_are_refused_on_the_start_page(org, client_for, media):
    client = client_for(org.users.sales_n1)
    response = upload(client, b"name,phone\r\nx,1\r\n", name="c.csv")
    assert response.status_code == 400 and "ref, type" in response.content.decode()
    response = upload(client, b"x", name="c.pdf")
    assert response.status_code == 400
    assert not ImportRun.objects.exists()
    assert not list((media / "imports").glob("*"))


def test_read_only_users_cannot_import(org, client_for, media):
    assert client_for(org.users.analyst).get(reverse("import_start")).status_code == 403


def test_login_required(client, db):
    assert client.get(reverse("import_start")).status_code == 302
    assert client.get(reverse("customer_export")).status_code == 302


def _csv(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body[1:])))


def test_salesperson_exports_only_own_customers(org, customers, client_for):
    rows = _csv(client_for(org.users.sales_n1).get(reverse("customer_export") + "?format=csv"))
    assert [r["ref"] for r in rows] == [customers.n1.ref]
    assert rows[0]["owner"] == "sales_n1" and rows[0]["type"] == "organization"
    rows = _csv(client_for(org.users.north_manager).get(reverse("customer_export") + "?format=csv"))
    assert sorted(r["ref"] for r in rows) == sorted([customers.n1.ref, customers.n1b.ref])
    rows = _csv(client_for(org.users.admin).get(reverse("customer_export") + "?format=csv&kind=individual"))
    assert [r["ref"] for r in rows] == [customers.n1b.ref]
    rows = _csv(client_for(org.users.admin).get(reverse("customer_export") + "?q=zs"))
    assert [r["name"] for r in rows] == ["张三"]


def test_order_export_is_scoped_and_xlsx_works(org, customers, client_for):
    from tests.factories import OrderFactory

    OrderFactory(customer=customers.n1, ref="SO-N")
    OrderFactory(customer=customers.e1, ref="SO-E")
    rows = _csv(client_for(org.users.sales_n1).get(reverse("order_export")))
    assert [r["order_ref"] for r in rows] == ["SO-N"]
    response = client_for(org.users.admin).get(reverse("order_export") + "?format=xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    values = list(wb.active.iter_rows(values_only=True))
    assert values[0][:3] == ("customer_ref", "customer_name", "order_ref") and len(values) == 3
