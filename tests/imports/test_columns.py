import datetime as dt
from decimal import Decimal

import pytest

from kehu.customers.search import name_keys
from kehu.imports.columns import CellError, map_headers, parse_cell, parse_date, parse_decimal, CUSTOMER_COLUMNS
from kehu.imports.services import name_key


@pytest.mark.parametrize("text", ["2024-03-01", "2024/3/1", "2024年3月1日", "20240301", "2024.03.01",
                                  "2024-03-01 00:00:00", dt.datetime(2024, 3, 1, 0, 0), dt.date(2024, 3, 1),
                                  20240301, 45352])
def test_dates(text):
    assert parse_date(text) == dt.date(2024, 3, 1)


@pytest.mark.parametrize("text", ["2024-13-45", "03/01/2024", "yesterday", "2024年2月30日"])
def test_bad_dates(text):
    with pytest.raises(CellError, match="is not a date"):
        parse_date(text)


@pytest.mark.parametrize("text,value", [("1,234.50", "1234.50"), ("¥1,234.5", "1234.50"), ("￥ 99", "99.00"),
                                        ("12元", "12.00"), (1234.5, "1234.50"), (7, "7.00")])
def test_amounts(text, value):
    assert parse_decimal(text, places=2) == Decimal(value)


def test_chinese_and_english_headers():
    m = map_headers(["客户编号", "Customer Name", "客户类型", "手机", "E-mail", "大区", "负责人", "备注", "Whatever"], "customers")
    assert [f for _h, f in m.mapped] == ["ref", "name", "type", "phone", "email", "region", "owner", "remarks"]
    assert m.unknown == ["Whatever"] and m.missing == []
    m = map_headers(["订单号", "客户编号", "下单日期", "销售额", "成本", "产品编号", "数量"], "orders")
    assert [f for _h, f in m.mapped] == ["order_ref", "customer_ref", "order_date", "amount", "cost", "product_ref", "quantity"]
    assert map_headers(["客户名称"], "customers").missing == ["ref", "type"]


def test_choice_values():
    col = {c.field: c for c in CUSTOMER_COLUMNS}
    assert parse_cell(col["type"], "个人") == "individual"
    assert parse_cell(col["type"], "公司") == "organization"
    assert parse_cell(col["type"], "Organization") == "organization"
    assert parse_cell(col["region"], "华东") == "east"
    assert parse_cell(col["region"], "西南") == "southwest"
    assert parse_cell(col["lifecycle_stage"], "成交客户") == "customer"
    assert parse_cell(col["tags"], "vip、重点,  北方") == ["vip", "北方", "重点"]
    with pytest.raises(CellError):
        parse_cell(col["type"], "alien")


@pytest.mark.parametrize("name", ["张三", "  北京·华东 机械(集团)有限公司 ", "Acme Trading-Ltd.", "O'Brien & Sons"])
def test_name_key_matches_search_keys(name):
    assert name_key(name) == name_keys(name)[0]
