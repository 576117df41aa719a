"""Item 13 of issue 13: phone numbers, e-mail, websites, dates and budgets are
checked by the model fields' validators, so that forms, API and import refuse
the same values; the behavioural fields are choices (stored codes, translated
labels), filterable, imported from codes or labels in either language, and
migrated from the free text they were."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Contact, Customer
from kehu.imports.services import import_customers
from tests.api.conftest import api_as  # noqa: F401  (fixture)
from tests.factories import CustomerFactory
from tests.imports.conftest import write_csv

pytestmark = pytest.mark.django_db


def tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


def test_api_refuses_bad_formats_with_field_errors(org, customers, api_as):  # noqa: F811
    api = api_as(org.users.sales_n1)
    r = api.post("/customers", {"name": "格式", "kind": "individual", "phone": "12345", "email": "no-at-sign",
                                "website": "javascript:alert(1)", "birthday": tomorrow(),
                                "annual_budget": "-5"})
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert set(fields) >= {"annual_budget"}   # the schema's bounds first
    r = api.post("/customers", {"name": "格式", "kind": "individual", "phone": "12345", "email": "no-at-sign",
                                "website": "javascript:alert(1)", "birthday": tomorrow()},
                 HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 422
    fields = r.json()["error"]["fields"]
    assert set(fields) == {"phone", "email", "website", "birthday"}
    assert fields["birthday"] == ["日期不能晚于今天。"]
    assert not Customer.objects.filter(name="格式").exists()
    r = api.post("/contacts", {"customer_id": customers.n1.pk, "name": "王五", "phone": "555",
                               "birthday": tomorrow()})
    assert r.status_code == 422 and set(r.json()["error"]["fields"]) == {"phone", "birthday"}
    r = api.post("/customers", {"name": "好格式", "phone": "0755-1234567", "website": "www.example.cn",
                                "email": "A@Example.cn", "annual_budget": "0"})
    assert r.status_code == 201, r.content
    assert r.json()["phone"] == "07551234567" and r.json()["email"] == "a@example.cn"


def test_form_refuses_bad_formats(client_for, org, customers):
    client = client_for(org.users.sales_n1)
    html = client.post(reverse("customer_create"), {
        "kind": "organization", "name": "表单格式", "lifecycle_stage": "reserve", "phone": "12345",
        "website": "javascript:alert(1)", "annual_budget": "-1"}).content.decode()
    assert "Enter a phone number" in html and "Enter a web address" in html
    assert "Ensure this value is greater than or equal to 0." in html
    assert not Customer.objects.filter(name="表单格式").exists()
    html = client.post(reverse("contact_create", args=[customers.n1.pk]), {
        "name": "赵六", "phone": "13800138000", "birthday": tomorrow()}).content.decode()
    assert "This date is in the future." in html
    assert not Contact.objects.filter(name="赵六").exists()


def test_import_refuses_bad_formats_with_line_and_reason(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["客户编号", "客户名称", "类型", "电话", "网站", "生日", "年采购预算"],
        ["F1", "好", "个人", "138 0013 8000", "https://a.cn", "1980-01-02", "1000"],
        ["F2", "坏电话", "个人", "12345", "", "", ""],
        ["F3", "坏网站", "个人", "", "javascript:alert(1)", "", ""],
        ["F4", "未来生日", "个人", "", "", tomorrow(), ""],
        ["F5", "负预算", "企业", "", "", "", "-100"],
    ])
    report = import_customers(actor=org.users.admin, source=path)
    errors = {(e.line, e.column) for e in report.sorted_errors()}
    assert errors == {(3, "phone"), (4, "website"), (5, "birthday"), (6, "annual_budget")}
    assert not Customer.objects.filter(ref__startswith="F").exists()


def test_behaviour_fields_are_translated_choices(client_for, org, customers):
    c = customers.n1b
    Customer.objects.filter(pk=c.pk).update(usage_rate="heavy", user_status="regular", loyalty_level="high",
                                           preferred_channel="wechat")
    user = org.users.sales_n1b
    user.language = "zh-hans"
    user.save()
    html = client_for(user).get(reverse("customer_detail", args=[c.pk])).content.decode()
    assert "大量使用" in html and "经常使用者" in html and "微信" in html
    assert "heavy" not in html.replace('value="heavy"', "")


def test_behaviour_fields_refuse_free_text(org, customers, api_as):  # noqa: F811
    api = api_as(org.users.sales_n1)
    r = api.patch(f"/customers/{customers.n1.pk}", {"usage_rate": "very much"})
    assert r.status_code == 422 and "usage_rate" in r.json()["error"]["fields"]
    r = api.patch(f"/customers/{customers.n1.pk}", {"usage_rate": "light", "loyalty_level": "absolute",
                                                    "user_status": "ex_user", "preferred_channel": "email"})
    assert r.status_code == 200 and r.json()["usage_rate"] == "light"


def test_behaviour_filters_in_the_list_and_the_api(client_for, org, customers, api_as):  # noqa: F811
    admin = org.users.admin
    heavy = CustomerFactory(name="重度甲", owner=admin, usage_rate="heavy", preferred_channel="phone")
    CustomerFactory(name="轻度乙", owner=admin, usage_rate="light", preferred_channel="phone")
    html = client_for(admin).get(reverse("customer_list"), {"usage_rate": "heavy"}).content.decode()
    assert "重度甲" in html and "轻度乙" not in html and 'name="usage_rate"' in html
    html = client_for(admin).get(reverse("customer_list"), {"usage_rate": "nonsense"}).content.decode()
    assert "重度甲" in html and "轻度乙" in html
    items = api_as(admin).get("/customers", {"usage_rate": "heavy", "preferred_channel": "phone"}).json()["items"]
    assert [i["id"] for i in items] == [heavy.pk]


def test_import_takes_codes_and_labels_in_either_language(org, tmp_path):
    path = write_csv(tmp_path / "c.csv", [
        ["ref", "name", "type", "使用率", "用户状态", "忠诚度", "偏好渠道"],
        ["B1", "甲", "individual", "heavy", "Regular user", "高", "微信"],
        ["B2", "乙", "individual", "少量使用", "首次使用者", "Absolute", "E-mail"],
        ["B3", "丙", "individual", "sometimes", "", "", ""],
    ])
    report = import_customers(actor=org.users.admin, source=path)
    assert [(e.line, e.column) for e in report.sorted_errors()] == [(4, "usage_rate")]
    report = import_customers(actor=org.users.admin, source=path, skip_bad=True)
    got = {c.ref: (c.usage_rate, c.user_status, c.loyalty_level, c.preferred_channel)
           for c in Customer.objects.filter(ref__in=["B1", "B2"])}
    assert got == {"B1": ("heavy", "regular", "high", "wechat"), "B2": ("light", "first_time", "absolute", "email")}


def test_data_migration_maps_old_free_text_and_blanks_the_rest(org, caplog):
    migration = importlib.import_module("kehu.customers.migrations.0009_behaviour_values_to_codes")
    rows = {
        "a": ("heavy", "first-time", "high", "电话"),
        "b": ("Light user", "潜在用户", "中等", "微信"),
        "c": ("often-ish", "regular", "??", "carrier pigeon"),
    }
    made = {}
    for key, (usage, status, loyalty, channel) in rows.items():
        c = CustomerFactory(name=f"旧{key}")
        Customer.objects.filter(pk=c.pk).update(usage_rate=usage, user_status=status, loyalty_level=loyalty,
                                               preferred_channel=channel)
        made[key] = c.pk
    with caplog.at_level("WARNING", logger="kehu.migrations"):
        migration.to_codes(apps, None)
    got = {k: tuple(Customer.objects.filter(pk=pk).values_list(
        "usage_rate", "user_status", "loyalty_level", "preferred_channel").get()) for k, pk in made.items()}
    assert got == {"a": ("heavy", "first_time", "high", "phone"),
                   "b": ("light", "potential", "medium", "wechat"),
                   "c": ("", "regular", "", "")}
    assert "value(s) without a matching choice were blanked" in caplog.text
    for field in ("usage_rate", "user_status", "loyalty_level", "preferred_channel"):   # every code is a choice
        codes = set(Customer._meta.get_field(field).flatchoices and dict(Customer._meta.get_field(field).flatchoices))
        assert set(migration.MAPPINGS[field]) <= codes


def test_data_migration_reads_each_distinct_value_once(org, django_assert_max_num_queries):
    migration = importlib.import_module("kehu.customers.migrations.0009_behaviour_values_to_codes")
    for i in range(6):
        c = CustomerFactory(name=f"同值{i}")
        Customer.objects.filter(pk=c.pk).update(usage_rate="Heavy user")
    # four fields: one DISTINCT query each, and one update for the one distinct value to map
    with django_assert_max_num_queries(5):
        migration.to_codes(apps, None)
    assert set(Customer.objects.filter(name__startswith="同值").values_list("usage_rate", flat=True)) == {"heavy"}
