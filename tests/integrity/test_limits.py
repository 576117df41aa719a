"""Item 5 of issue 13: every user-entered field has a limit, enforced in the
services (full_clean), the forms, the API and the import, with a message in
the user's language. Before, a 10 MB remark and 10,000 tags were stored."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.customers.services import customer_create, customer_update
from kehu.engagement.models import Interaction
from kehu.engagement.services import interaction_log
from kehu.imports.services import import_customers, import_orders
from kehu.validators import REMARKS_MAX, SUMMARY_MAX, TAG_LENGTH_MAX, TAGS_PER_CUSTOMER_MAX
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.factories import OrderFactory
from tests.imports.conftest import write_csv

pytestmark = pytest.mark.django_db


def test_services_refuse_remarks_and_summaries_over_the_limit(org, customers):
    actor = org.users.sales_n1
    with pytest.raises(ValidationError) as caught:
        customer_create(actor=actor, data={"name": "长备注", "remarks": "x" * (REMARKS_MAX + 1)})
    assert "remarks" in caught.value.message_dict
    assert not Customer.objects.filter(name="长备注").exists()
    customer_create(actor=actor, data={"name": "刚好", "remarks": "x" * REMARKS_MAX})   # the limit itself is fine
    with pytest.raises(ValidationError) as caught:
        interaction_log(actor=actor, customer=customers.n1, data={"channel": "phone",
                                                                   "summary": "y" * (SUMMARY_MAX + 1)})
    assert "summary" in caught.value.message_dict
    assert not Interaction.objects.filter(customer=customers.n1).exists()


def test_services_refuse_too_many_or_too_long_tags(org, customers):
    actor = org.users.sales_n1
    with pytest.raises(ValidationError) as caught:
        customer_update(actor=actor, customer=customers.n1, data={},
                        tags=[f"t{i}" for i in range(TAGS_PER_CUSTOMER_MAX + 1)])
    assert "tags" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        customer_update(actor=actor, customer=customers.n1, data={}, tags=["x" * (TAG_LENGTH_MAX + 1)])
    assert "tags" in caught.value.message_dict
    assert customers.n1.tags.count() == 0
    customer_update(actor=actor, customer=customers.n1, data={}, tags=[f"t{i}" for i in range(TAGS_PER_CUSTOMER_MAX)])
    assert customers.n1.tags.count() == TAGS_PER_CUSTOMER_MAX


def test_api_refuses_over_long_fields_with_field_errors(org, customers, api_as):  # noqa: F811
    api = api_as(org.users.sales_n1)
    r = api.post("/customers", {"name": "API 客户", "remarks": "x" * (REMARKS_MAX + 1),
                                "tags": [f"t{i}" for i in range(TAGS_PER_CUSTOMER_MAX + 1)]})
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert fields["remarks"] == [f"Use at most {REMARKS_MAX} characters."]
    assert fields["tags"] == [f"Give at most {TAGS_PER_CUSTOMER_MAX} item(s)."]
    r = api.post("/interactions", {"customer_id": customers.n1.pk, "channel": "phone",
                                   "summary": "y" * (SUMMARY_MAX + 1)})
    assert r.status_code == 422 and "summary" in r.json()["error"]["fields"]
    r = api.patch(f"/customers/{customers.n1.pk}", {"tags": ["x" * (TAG_LENGTH_MAX + 1)]},
                  HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 422 and "tags.0" in r.json()["error"]["fields"]
    order = OrderFactory(customer=customers.n1)
    r = api.patch(f"/orders/{order.pk}", {"remarks": "z" * (REMARKS_MAX + 1)})
    assert r.status_code == 422 and "remarks" in r.json()["error"]["fields"]


def test_openapi_publishes_the_limits(client):
    schema = client.get("/api/v1/openapi.json").json()["components"]["schemas"]
    props = schema["CustomerIn"]["properties"]
    assert props["remarks"]["maxLength"] == REMARKS_MAX
    assert props["tags"]["anyOf"][0]["maxItems"] == TAGS_PER_CUSTOMER_MAX
    assert schema["InteractionIn"]["properties"]["summary"]["maxLength"] == SUMMARY_MAX


def test_form_refuses_too_many_tags_and_long_remarks_in_chinese(client_for, org):
    user = org.users.sales_n1
    user.language = "zh-hans"
    user.save()
    html = client_for(user).post(reverse("customer_create"), {
        "kind": "organization", "name": "表单客户", "lifecycle_stage": "reserve",
        "tags": ", ".join(f"t{i}" for i in range(TAGS_PER_CUSTOMER_MAX + 1)),
    }).content.decode()
    assert "每个客户最多 50 个标签" in html
    html = client_for(user).post(reverse("customer_create"), {
        "kind": "organization", "name": "表单客户", "lifecycle_stage": "reserve",
        "remarks": "x" * (REMARKS_MAX + 1),
    }).content.decode()
    assert "errorlist" in html and "5000" in html
    assert not Customer.objects.filter(name="表单客户").exists()


def test_import_reports_the_line_and_the_reason(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["ref", "name", "type", "remarks", "tags"],
        ["L1", "好的", "企业", "短备注", "a、b"],
        ["L2", "长备注", "企业", "x" * (REMARKS_MAX + 1), ""],
        ["L3", "标签多", "企业", "", ",".join(f"t{i}" for i in range(TAGS_PER_CUSTOMER_MAX + 1))],
        ["L4", "标签长", "企业", "", "y" * (TAG_LENGTH_MAX + 1)],
    ])
    report = import_customers(actor=org.users.admin, source=path)
    errors = {(e.line, e.column): e.message for e in report.sorted_errors()}
    assert errors[(3, "remarks")] == f"longer than {REMARKS_MAX} characters"
    assert errors[(4, "tags")] == f"{TAGS_PER_CUSTOMER_MAX + 1} tags; at most {TAGS_PER_CUSTOMER_MAX} per customer"
    assert (5, "tags") in errors and (2, "remarks") not in errors
    assert not Customer.objects.filter(ref__in=["L1", "L2", "L3", "L4"]).exists()   # all or nothing


def test_order_import_limits_remarks(org, customers, tmp_path):
    path = write_csv(tmp_path / "o.csv", [["customer_ref", "order_date", "amount", "remarks"],
                                          [customers.n1.ref, "2025-03-01", "100", "r" * (REMARKS_MAX + 1)]])
    report = import_orders(actor=org.users.admin, source=path)
    assert [(e.line, e.column) for e in report.sorted_errors()] == [(2, "remarks")]
