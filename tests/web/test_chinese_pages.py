"""A user whose language is Simplified Chinese sees Chinese: the chrome, the
model's labels, validation errors, imports, numbers and dates."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _client(client, user, lang="zh-hans"):
    user.language = lang
    user.save()
    client.force_login(user)
    return client


def _text(html: str) -> str:
    """The visible text of a page (no tags, no attribute values)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _no_english_chrome(text: str, *phrases: str) -> None:
    for phrase in phrases:
        assert phrase not in text, f"{phrase!r} is still English"


def test_dashboard(client, org, full):
    html = _client(client, org.users.sales_n1).get(reverse("home")).content.decode()
    text = _text(html)
    assert 'lang="zh-hans"' in html
    for phrase in ("工作台", "客户", "联系纪要", "订单", "产品", "导入", "退出登录", "销售员",
                   "我的客户", "我可见的客户", "本月新增", "近 12 个月销售额", "本周联系纪要",
                   "未来 7 天到期的下一步", "我最近更新的客户", "近 12 个月销售额前 10 名客户", "成交客户"):
        assert phrase in text, phrase
    _no_english_chrome(text, "Dashboard", "My customers", "Revenue", "Log out", "Next steps", "Salesperson")
    # Dates as Chinese tables write them, money grouped with the yuan sign.
    next_step = full.interaction.next_step_on
    assert next_step.strftime("%Y-%m-%d") in text
    assert "¥300.00" in text


def test_customer_list(client, org, full):
    text = _text(_client(client, org.users.sales_n1).get(reverse("customer_list")).content.decode())
    for phrase in ("全部类型", "个人客户", "企业客户", "全部阶段", "储备客户", "挽回客户", "全部地区", "东北", "华东",
                   "编号", "名称", "阶段", "负责人", "筛选", "每页", "1 个客户"):
        assert phrase in text, phrase
    _no_english_chrome(text, "All types", "Northeast", "(东北)", "Reserve", "customers", "Filter")


def test_chinese_numbers_and_dates_on_the_360_page(client, org, full):
    text = _text(_client(client, org.users.sales_n1).get(
        reverse("customer_detail", args=[full.customer.pk])).content.decode())
    assert "¥300.00" in text and "¥90.00" in text and "30.0%" in text
    assert full.order.order_date.strftime("%Y-%m-%d") in text
    assert "2005-06-01" in text  # the anniversary


def test_customer_form_and_its_errors(client, org, customers):
    client = _client(client, org.users.sales_n1)
    text = _text(client.get(reverse("customer_create")).content.decode())
    for phrase in ("新建客户", "类型", "名称", "客户编号", "留空则自动生成编号。", "负责人", "我自己", "电子邮箱",
                   "生命周期阶段", "关系层次", "基本型", "伙伴型", "钱包占有率", "企业规模", "微型（10人以下）",
                   "重点客户", "偏好与备注", "创建客户"):
        assert phrase in text, phrase
    _no_english_chrome(text, "Lifecycle stage", "Owner", "Leave empty", "Create customer")

    data = {"kind": "organization", "name": "", "ref": "", "owner": "", "email": "not-an-email",
            "lifecycle_stage": "reserve", "share_of_wallet": "150"}
    text = _text(client.post(reverse("customer_create"), data).content.decode())
    assert "这个字段是必填项。" in text
    assert "请输入有效的电子邮箱地址。" in text
    assert "100" in text and "This field" not in text and "Enter a valid" not in text

    # An error raised by the service (the code is taken) arrives in Chinese too.
    data.update(name="新客户", email="", share_of_wallet="", ref=customers.n1.ref)
    text = _text(client.post(reverse("customer_create"), data).content.decode())
    assert "已存在" in text and "already exists" not in text


def test_order_form_errors(client, org, full):
    client = _client(client, org.users.sales_n1)
    data = {"order_date": "2025-03-01", "ref": "", "status": "confirmed", "payment_due_on": "", "remarks": "",
            "form-TOTAL_FORMS": "1", "form-INITIAL_FORMS": "0", "form-MIN_NUM_FORMS": "0", "form-MAX_NUM_FORMS": "200",
            "form-0-product": "", "form-0-description": "", "form-0-quantity": "1", "form-0-unit_price": "",
            "form-0-unit_cost": ""}
    text = _text(client.post(reverse("order_create", args=[full.customer.pk]), data).content.decode())
    assert "订单至少需要一行。" in text or "请选择产品或填写单价。" in text


def test_contact_and_interaction_forms(client, org, full):
    client = _client(client, org.users.sales_n1)
    text = _text(client.get(reverse("contact_create", args=[full.customer.pk])).content.decode())
    for phrase in ("姓名", "职务", "部门", "决策链角色", "决策人", "影响者", "使用者", "把关者", "直属上级"):
        assert phrase in text, phrase
    text = _text(client.get(reverse("interaction_list")).content.decode())
    for phrase in ("全部渠道", "电话", "微信消息", "记录人", "所有人"):
        assert phrase in text, phrase


def test_messages_after_a_write_are_chinese(client, org, full):
    client = _client(client, org.users.sales_n1)
    response = client.post(reverse("contact_create", args=[full.customer.pk]),
                           {"name": "赵经理", "decision_role": "user"}, follow=True)
    assert "已添加联系人 赵经理。" in _text(response.content.decode())


def test_reassign_message_is_pluralised_in_both_languages(client, org, customers):
    from tests.factories import CustomerFactory

    CustomerFactory(owner=org.users.sales_n1)
    data = {"from_owner": org.users.sales_n1.pk, "to_owner": org.users.sales_n1b.pk, "customer_ids": "",
            "confirm": "1"}
    text = _text(_client(client, org.users.north_manager).post(
        reverse("customer_reassign"), data, follow=True).content.decode())
    assert "已将 2 个客户从 sales_n1 转给 sales_n1b。" in text
    data.update(from_owner=org.users.sales_n1b.pk, to_owner=org.users.sales_n1.pk,
                customer_ids=str(customers.n1b.pk))
    text = _text(_client(client, org.users.north_manager, "en").post(
        reverse("customer_reassign"), data, follow=True).content.decode())
    assert "1 customer moved from sales_n1b to sales_n1." in text


def test_error_pages(client, org, customers):
    client = _client(client, org.users.sales_n1)
    text = _text(client.get(reverse("customer_detail", args=[customers.e1.pk])).content.decode())
    assert "该页面不存在，或您无权查看。" in text


def test_import_pages(client, org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = _client(client, org.users.sales_n1)
    text = _text(client.get(reverse("import_start")).content.decode())
    for phrase in ("从电子表格导入", "上传文件", "文件中是什么数据？", "上传并检查", "可接受的列", "客户编号，必须唯一",
                   "中文列名的 CSV", "必填"):
        assert phrase in text, phrase
    _no_english_chrome(text, "Import from a spreadsheet", "Accepted columns", "Upload and check")

    response = client.post(reverse("import_start"), {"kind": "customers", "file": SimpleUploadedFile("x.pdf", b"x")})
    assert response.status_code == 400
    assert "未知的文件类型 .pdf：请使用 .csv 或 .xlsx。" in _text(response.content.decode())

    content = "客户编号,客户名称,类型,生日\r\nW1,张三,个人,2024-13-45\r\nW2,李四,企业,\r\n".encode("gbk")
    response = client.post(reverse("import_start"), {"kind": "customers", "file": SimpleUploadedFile("c.csv", content)})
    assert response.status_code == 302
    text = _text(client.get(response["Location"]).content.decode())
    for phrase in ("检查导入", "检测到的编码", "错误行", "将新建", "1 个错误", "“2024-13-45”不是日期",
                   "跳过错误行，导入正确的行"):
        assert phrase in text, phrase
    _no_english_chrome(text, "Check the import", "is not a date", "Bad rows")


def test_language_switch_is_remembered(client, org):
    user = org.users.sales_n1
    client = _client(client, user, "en")
    assert "Dashboard" in client.get(reverse("home")).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("home")})
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert "工作台" in _text(client.get(reverse("home")).content.decode())


def test_browser_language_for_the_login_page(client, db):
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()
    assert 'lang="zh-hans"' in html and "登录客户 (Kehu)" in _text(html)
    html = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Log in to Kehu" in _text(html)
