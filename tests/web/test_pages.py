"""Every page renders for a permitted user, in English and in Simplified Chinese."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

LANGS = ["en", "zh-hans"]


def page_urls(full):
    c, o = full.customer, full.order
    return [
        reverse("home"),
        reverse("profile"),
        reverse("customer_list"),
        reverse("customer_list") + "?q=zs&kind=individual&sort=-updated&per=50",
        reverse("customer_create"),
        reverse("customer_detail", args=[c.pk]),
        reverse("customer_edit", args=[c.pk]),
        reverse("customer_delete", args=[c.pk]),
        reverse("customer_merge", args=[c.pk]),
        reverse("customer_merge", args=[c.pk]) + "?q=北",
        reverse("customer_share", args=[c.pk]),
        reverse("contact_create", args=[c.pk]),
        reverse("contact_edit", args=[full.buyer.pk]),
        reverse("contact_delete", args=[full.buyer.pk]),
        reverse("anniversary_create", args=[c.pk]),
        reverse("anniversary_edit", args=[full.customer.anniversaries.get().pk]),
        reverse("anniversary_delete", args=[full.customer.anniversaries.get().pk]),
        reverse("interaction_create", args=[c.pk]),
        reverse("interaction_list"),
        reverse("interaction_list") + "?channel=phone",
        reverse("interaction_edit", args=[full.interaction.pk]),
        reverse("interaction_delete", args=[full.interaction.pk]),
        reverse("order_list"),
        reverse("order_list") + f"?customer={c.pk}",
        reverse("order_detail", args=[o.pk]),
        reverse("order_create", args=[c.pk]),
        reverse("payment_create", args=[o.pk]),
        reverse("order_edit", args=[o.pk]),
        reverse("order_cancel", args=[o.pk]),
        reverse("order_delete", args=[o.pk]),
        reverse("product_list"),
        reverse("product_line_list"),
    ]


@pytest.mark.parametrize("lang", LANGS)
def test_salesperson_pages_render(client, org, full, lang):
    user = org.users.sales_n1
    user.language = lang
    user.save()
    client.force_login(user)
    for url in page_urls(full):
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{lang}"' in response.content.decode(), url


@pytest.mark.parametrize("lang", LANGS)
def test_manager_pages_render_with_cookie_language(client, org, full, lang):
    client.cookies["kehu_language"] = lang
    client.force_login(org.users.north_manager)
    urls = [reverse("customer_reassign"), reverse("product_create"),
            reverse("product_edit", args=[full.product.pk]), reverse("product_line_create"),
            reverse("product_line_edit", args=[full.product.line_id])] + page_urls(full)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert f'lang="{lang}"' in response.content.decode(), url


def test_chinese_page_is_chinese(client, org, full):
    org.users.sales_n1.language = "zh-hans"
    org.users.sales_n1.save()
    client.force_login(org.users.sales_n1)
    html = client.get(reverse("customer_detail", args=[full.customer.pk])).content.decode()
    assert 'lang="zh-hans"' in html
    assert "北方钢铁贸易有限公司" in html
    # The chrome of the 360 page, in the users' own terms.
    for phrase in ("工作台", "客户档案", "联系人", "添加联系人", "记录联系纪要", "时间线", "变更历史", "负责人", "团队",
                   "新建订单", "共享", "合并", "销售额", "毛利", "已回款", "未回款", "最近订单", "重要日期", "共享对象"):
        assert phrase in html, phrase
    # Choice labels are plain Chinese: no English, no "(成交客户)" in brackets.
    for phrase in ("企业客户", "成交客户", "华北", "决策人", "影响者", "直属上级：王总", "电话", "已确认"):
        assert phrase in html, phrase
    for english in ("Timeline", "Change history", "Log an interaction", "Contacts", "Gross margin", "Outstanding",
                    "Decision maker", "North China", "(成交客户)", "Customer (", "Organisation"):
        assert english not in html, english


def test_login_required(client, customers):
    for name in ("home", "profile", "customer_list", "interaction_list", "order_list", "product_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/login/" in response["Location"], name


def test_empty_states(client, org):
    client.force_login(org.users.sales_e1)
    html = client.get(reverse("home")).content.decode()
    assert "You do not own any customers yet." in html
    assert "No orders in the last 12 months." in html
    html = client.get(reverse("customer_list")).content.decode()
    assert "There are no customers yet." in html
    assert reverse("customer_create") in html
    assert "No interactions found." in client.get(reverse("interaction_list")).content.decode()
    assert "No orders found." in client.get(reverse("order_list")).content.decode()


def test_navigation_offers_import_only_to_those_who_may_import(client, org):
    from django.urls import reverse as _reverse

    for username, offered in (("sales_n1", True), ("admin", True), ("analyst", False), ("north_marketing", False)):
        client.force_login(getattr(org.users, username))
        html = client.get(_reverse("home")).content.decode()
        assert (f'href="{_reverse("import_start")}"' in html) is offered, username
