from tests.api.conftest import api_as  # noqa: F401 - the API client fixture
import pytest

from kehu.customfields.services import definition_create


@pytest.fixture
def fields(org):
    """Customer fields: credit_days (number, required), segment (choice), since (date), note (text);
    an order field: site (text)."""
    admin = org.users.admin
    mk = lambda **d: definition_create(actor=admin, data=d)  # noqa: E731
    return {
        "credit_days": mk(record_type="customer", key="credit_days", label_zh="账期（天）", label_en="Credit terms (days)",
                          kind="number", required=True, position=1),
        "segment": mk(record_type="customer", key="segment", label_zh="行业细分", label_en="Industry segment",
                      kind="choice", position=2, choices=[
                          {"value": "construction", "label_zh": "建筑", "label_en": "Construction"},
                          {"value": "auto", "label_zh": "汽车", "label_en": "Automotive"}]),
        "since": mk(record_type="customer", key="since", label_zh="合作起始", label_en="Partner since", kind="date",
                    position=3),
        "note": mk(record_type="customer", key="note", label_zh="备注", label_en="Note", kind="text", position=4),
        "site": mk(record_type="order", key="site", label_zh="交货地点", label_en="Delivery site", kind="text"),
    }
