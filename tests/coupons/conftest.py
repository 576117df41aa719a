from decimal import Decimal

import pytest

from kehu.marketing.coupons.services import coupon_issue, definition_create
from tests.factories import OrderFactory, ProductFactory, ProductLineFactory


def make_definition(actor, **data):
    lines = data.pop("product_lines", ())
    base = {"ref": f"B{make_definition.n}", "name_zh": "满100减20", "name_en": "20 off 100", "kind": "amount",
            "value": Decimal("20"), "min_spend": Decimal("100")}
    make_definition.n += 1
    base.update(data)
    return definition_create(actor=actor, data=base, product_lines=lines)


make_definition.n = 1


def issue_one(actor, definition, customer, **kw):
    return coupon_issue(actor=actor, definition=definition, customers=[customer], **kw).coupons[0]


def order_for(customer, *lines):
    """An order of ``customer``; ``lines``: (product or None, amount)."""
    lines = lines or ((None, "300.00"),)
    return OrderFactory(customer=customer, lines=[
        {"product": p, "quantity": 1, "unit_price": str(a)} for p, a in lines])


@pytest.fixture
def steel():
    line = ProductLineFactory(code="steel", name="Steel")
    return ProductFactory(line=line)


@pytest.fixture
def paint():
    line = ProductLineFactory(code="paint", name="Paint")
    return ProductFactory(line=line)
