"""The one validator of custom values, the services of definitions and the key filters."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.customers.models import Customer
from kehu.customers.services import customer_create, customer_merge, customer_update
from kehu.customfields.services import definition_create, definition_delete, definition_update
from kehu.customfields.selectors import value_count
from kehu.customfields.values import apply_filters, clean_custom_values, display_value, parse_filters
from kehu.sales.services import order_create
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_values_are_stored_typed(fields):
    out = clean_custom_values("customer", {"credit_days": "30", "segment": "汽车", "since": "2024/03/01",
                                           "note": "  likes tea "})
    assert out == {"credit_days": 30, "segment": "auto", "since": "2024-03-01", "note": "likes tea"}
    assert clean_custom_values("customer", {"credit_days": "7.5"})["credit_days"] == 7.5


def test_errors_name_the_key_and_all_come_at_once(fields):
    with pytest.raises(ValidationError) as exc:
        clean_custom_values("customer", {"credit_days": "many", "segment": "food", "since": "32/13", "nope": 1})
    errors = exc.value.message_dict
    assert set(errors) == {"custom.credit_days", "custom.segment", "custom.since", "custom.nope"}
    assert "Choose one of: construction, auto." in errors["custom.segment"]


def test_required_and_partial_merge(fields):
    with pytest.raises(ValidationError) as exc:
        clean_custom_values("customer", {"note": "x"})
    assert exc.value.message_dict == {"custom.credit_days": ["This field is required."]}
    current = {"credit_days": 30, "note": "x"}
    assert clean_custom_values("customer", {"segment": "auto"}, current=current, partial=True) == {
        "credit_days": 30, "note": "x", "segment": "auto"}
    # a full write empties what is left out; an empty value removes the key
    assert clean_custom_values("customer", {"credit_days": 10, "note": ""}, current=current) == {"credit_days": 10}


def test_inactive_values_are_kept_and_cannot_be_written(org, fields):
    definition_update(actor=org.users.admin, definition=fields["note"], data={"active": False})
    assert clean_custom_values("customer", {"credit_days": 1}, current={"note": "old"}) == {
        "credit_days": 1, "note": "old"}
    with pytest.raises(ValidationError):
        clean_custom_values("customer", {"credit_days": 1, "note": "new"})


def test_definition_validation(org, fields):
    admin = org.users.admin
    with pytest.raises(ValidationError) as exc:
        definition_create(actor=admin, data=dict(record_type="customer", key="segment", label_zh="x", label_en="x"))
    assert "key" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        definition_create(actor=admin, data=dict(record_type="customer", key="tier", label_zh="x", label_en="x",
                                                 kind="choice"))
    assert exc.value.message_dict == {"choices": ["A choice field needs at least one choice."]}
    with pytest.raises(ValidationError) as exc:
        definition_create(actor=admin, data=dict(record_type="customer", key="Bad Key", label_zh="x", label_en="x"))
    assert "key" in exc.value.message_dict
    # the same key on another record type is fine
    definition_create(actor=admin, data=dict(record_type="order", key="segment", label_zh="x", label_en="x"))


def test_kind_change_refused_while_values_exist(org, fields, customers):
    admin = org.users.admin
    customer_update(actor=admin, customer=customers.n1, data={"custom": {"credit_days": 30, "note": "a"}})
    assert value_count(fields["note"]) == 1
    with pytest.raises(ValidationError) as exc:
        definition_update(actor=admin, definition=fields["note"], data={"kind": "number"})
    assert "1 records hold a value" in exc.value.message_dict["kind"][0]
    definition_update(actor=admin, definition=fields["since"], data={"kind": "text"})   # no values: allowed
    # a choice in use cannot be removed
    customer_update(actor=admin, customer=customers.n1, data={"custom": {"credit_days": 30, "segment": "auto"}})
    with pytest.raises(ValidationError):
        definition_update(actor=admin, definition=fields["segment"],
                          data={"choices": [{"value": "construction"}]})
    assert definition_delete(actor=admin, definition=fields["segment"]) == 1
    customers.n1.refresh_from_db()
    assert "segment" not in customers.n1.custom


def test_only_administrators_manage_definitions(org):
    for user in (org.users.sales_n1, org.users.hq_manager, org.users.analyst):
        with pytest.raises(PermissionDenied):
            definition_create(actor=user, data=dict(record_type="customer", key="x", label_zh="x", label_en="x"))


def test_services_validate_and_create_requires(org, fields, customers):
    with pytest.raises(ValidationError) as exc:
        customer_create(actor=org.users.sales_n1, data={"name": "新客户"})
    assert "custom.credit_days" in exc.value.message_dict
    c = customer_create(actor=org.users.sales_n1, data={"name": "新客户", "custom": {"credit_days": "45"}})
    assert c.custom == {"credit_days": 45}
    customer_update(actor=org.users.sales_n1, customer=c, data={"custom": {"note": "n"}}, custom_partial=True)
    c.refresh_from_db()
    assert c.custom == {"credit_days": 45, "note": "n"}
    o = order_create(actor=org.users.sales_n1, customer=c, data={"order_date": dt.date(2026, 3, 1), "custom": {"site": "宝山码头"}},
                     lines=[{"description": "coil", "quantity": 1, "unit_price": 10}])
    assert o.custom == {"site": "宝山码头"}


def test_filters_on_keys(org, fields, customers):
    admin = org.users.admin
    values = {customers.n1: {"credit_days": 30, "segment": "auto", "since": "2020-05-01", "note": "Window seat"},
              customers.n1b: {"credit_days": 60, "segment": "construction", "since": "2023-01-10"},
              customers.e1: {"credit_days": 90.5}}
    for c, v in values.items():
        customer_update(actor=admin, customer=c, data={"custom": v})

    def names(params):
        qs = apply_filters(Customer.objects.all(), parse_filters("customer", params))
        return sorted(qs.values_list("name", flat=True))

    assert names({"cf_segment": "auto"}) == [customers.n1.name]
    assert names({"cf_credit_days": "60"}) == [customers.n1b.name]
    assert names({"cf_credit_days__min": "50"}) == sorted([customers.n1b.name, customers.e1.name])
    assert names({"cf_credit_days__max": "60", "cf_credit_days__min": "30"}) == sorted(
        [customers.n1.name, customers.n1b.name])
    assert names({"cf_since__min": "2021-01-01"}) == [customers.n1b.name]
    assert names({"cf_since__max": "2021-01-01"}) == [customers.n1.name]
    assert names({"cf_note": "window"}) == [customers.n1.name]
    assert names({"cf_credit_days": "not a number"}) == sorted(c.name for c in values)   # ignored


def test_merge_fills_gaps(org, fields, customers):
    admin = org.users.admin
    customer_update(actor=admin, customer=customers.n1, data={"custom": {"credit_days": 30}})
    customer_update(actor=admin, customer=customers.n1b, data={"custom": {"credit_days": 60, "segment": "auto"}})
    keep = customer_merge(actor=admin, keep=customers.n1, drop=customers.n1b)
    keep.refresh_from_db()
    assert keep.custom == {"credit_days": 30, "segment": "auto"}


def test_display(fields):
    assert display_value(fields["segment"], "auto") == "Automotive"
    assert display_value(fields["credit_days"], 1234) == "1,234"
