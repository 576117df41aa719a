import datetime as dt
from decimal import Decimal

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.imports.models import ImportRun
from kehu.imports.services import import_orders
from kehu.sales.models import Order, OrderLine
from tests.factories import ProductFactory

from .conftest import write_csv

HEADER = ["订单号", "客户编号", "客户名称", "下单日期", "金额", "数量", "成本", "产品编号"]


def test_unknown_customers_are_created_and_lines_form_orders(org, customers, tmp_path):
    product = ProductFactory(ref="P-1", unit_cost=Decimal("30.00"))
    path = write_csv(tmp_path / "o.csv", [
        HEADER,
        ["SO-1", customers.n1.ref, "", "2024-03-01", "1,000.00", "2", "600", ""],
        ["SO-2", "NEW-1", "新钢材公司", "2024/3/2", "¥500", "", "", "P-1"],
        ["SO-1", customers.n1.ref, "", "2024年3月1日", "234.5", "1", "", ""],
        ["", "NEW-1", "", "20240305", "99", "3", "", "P-1"],
        ["SO-3", "NEW-2", "", "2024-03-06", "10", "", "", ""],
    ])
    report = import_orders(actor=org.users.sales_n1, source=path)
    assert report.written and not report.errors, report.errors
    assert (report.created, report.lines_created, report.customers_created) == (4, 5, 2)
    so1 = Order.objects.get(ref="SO-1")
    assert so1.customer == customers.n1 and so1.order_date == dt.date(2024, 3, 1)
    assert so1.amount == Decimal("1234.50") and so1.cost == Decimal("600.00")
    assert sorted(so1.lines.values_list("amount", flat=True)) == [Decimal("234.50"), Decimal("1000.00")]
    assert so1.lines.get(amount=Decimal("1000.00")).unit_price == Decimal("500.00")
    new1 = Customer.objects.get(ref="NEW-1")
    assert new1.name == "新钢材公司" and new1.owner == org.users.sales_n1 and new1.team == org.teams.n1
    assert new1.name_pinyin == "xingangcaigongsi"
    assert Customer.objects.get(ref="NEW-2").name == "NEW-2"
    generated = Order.objects.get(customer=new1, order_date=dt.date(2024, 3, 5))
    assert generated.ref.startswith("SO") and generated.cost == Decimal("90.00")  # 3 × product unit cost
    assert Order.objects.get(ref="SO-2").lines.get().product == product
    assert AuditEvent.objects.filter(entity="order", action="import").count() == 4
    assert not AuditEvent.objects.filter(entity="customer", action="import").exists()   # they carry their import
    assert set(Customer.objects.filter(ref__startswith="NEW-").values_list("import_run", flat=True)) == {
        ImportRun.objects.get().pk}


def test_gbk_file_with_a_bad_date_row_is_reported_and_writes_nothing(org, customers, tmp_path):
    path = write_csv(tmp_path / "o.csv", [
        HEADER,
        ["SO-1", customers.n1.ref, "", "2024-03-01", "100", "", "", ""],
        ["SO-2", "新客户", "新客户", "2024-13-45", "100", "", "", ""],
        ["SO-3", "NEW", "", "2024-03-02", "100", "", "", ""],
    ], encoding="gbk")
    before = (Order.objects.count(), Customer.objects.count(), AuditEvent.objects.count())
    report = import_orders(actor=org.users.admin, source=path)
    assert report.refused and not report.written
    assert [str(e) for e in report.errors] == ["line 3: 下单日期: '2024-13-45' is not a date".replace("下单日期", "order_date")]
    assert (Order.objects.count(), Customer.objects.count(), AuditEvent.objects.count()) == before


def test_a_bad_line_spoils_its_order_and_skip_bad_writes_the_rest(org, customers, tmp_path):
    path = write_csv(tmp_path / "o.csv", [
        ["order_ref", "customer_ref", "order_date", "amount"],
        ["SO-1", customers.n1.ref, "2024-03-01", "100"],
        ["SO-1", customers.n1.ref, "2024-03-01", "abc"],
        ["SO-2", customers.n1.ref, "2024-03-01", "50"],
        ["SO-2", customers.n1.ref, "2024-03-09", "50"],   # another date: bad
        ["SO-3", customers.n1.ref, "2024-03-01", "70"],
    ])
    report = import_orders(actor=org.users.admin, source=path, skip_bad=True)
    assert {(e.line, e.column) for e in report.errors} == {(3, "amount"), (2, "order_ref"), (5, "order_date"), (4, "order_ref")}
    assert report.written and list(Order.objects.values_list("ref", flat=True)) == ["SO-3"]
    assert OrderLine.objects.count() == 1


def test_cannot_import_orders_onto_another_teams_customer(org, customers, tmp_path):
    path = write_csv(tmp_path / "o.csv", [
        ["order_ref", "customer_ref", "order_date", "amount"],
        ["SO-1", customers.e1.ref, "2024-03-01", "100"],
        ["SO-2", customers.n1.ref, "2024-03-01", "100"],
    ])
    report = import_orders(actor=org.users.sales_n1, source=path)
    assert report.refused
    assert [str(e) for e in report.errors] == [f"line 2: customer_ref: customer '{customers.e1.ref}' not found"]
    assert Order.objects.count() == 0


def test_existing_order_number_and_unknown_product(org, customers, tmp_path):
    from tests.factories import OrderFactory

    OrderFactory(customer=customers.n1, ref="SO-OLD")
    path = write_csv(tmp_path / "o.csv", [
        ["order_ref", "customer_ref", "order_date", "amount", "product_ref"],
        ["SO-OLD", customers.n1.ref, "2024-03-01", "100", ""],
        ["SO-NEW", customers.n1.ref, "2024-03-01", "100", "NOPE"],
    ])
    report = import_orders(actor=org.users.admin, source=path)
    assert [(e.line, e.column) for e in report.sorted_errors()] == [(2, "order_ref"), (3, "product_ref")]


def test_orders_round_trip(org, customers, tmp_path):
    from tests.factories import OrderFactory

    from kehu.imports.exports import order_rows, write_csv as export_csv

    ProductFactory(ref="P-9")
    OrderFactory(customer=customers.n1, ref="SO-A", lines=[
        {"quantity": 2, "unit_price": "100.00", "unit_cost": "60.00"}, {"quantity": 1, "amount": "33.33"}])
    OrderFactory(customer=customers.e1, ref="SO-B", order_date=dt.date(2023, 12, 31))

    def state():
        return sorted((o.ref, o.customer.ref, o.order_date, o.amount, o.cost, o.status,
                       sorted((ln.quantity, ln.amount, ln.cost, ln.unit_price) for ln in o.lines.all()))
                      for o in Order.objects.all())

    before = state()
    path = tmp_path / "orders.csv"
    export_csv(order_rows(viewer=org.users.admin), path)
    Order.objects.all().delete()
    report = import_orders(actor=org.users.admin, source=path)
    assert report.created == 2 and not report.errors, report.errors
    assert state() == before
