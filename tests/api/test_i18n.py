"""The API answers in the language the client asks for (Accept-Language)."""

import pytest

from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}


def test_error_envelope_in_chinese(org, customers, api_as, anon):
    api = api_as(org.users.sales_n1)
    err = assert_error(api.get(f"/customers/{customers.e1.pk}", **ZH), 404, "not_found")
    assert err["message"] == "未找到。"
    err = assert_error(anon.get("/customers", **ZH), 401, "unauthorized")
    assert err["message"] == "请登录，或提供有效的 API 令牌。"
    err = assert_error(api.post("/customers", {"name": "", "kind": "alien"}, **ZH), 422,
                       "validation_error")
    assert err["message"] == "部分字段无效。"
    assert set(err["fields"]) == {"name", "kind"}
    assert err["fields"]["name"] == ["此字段不能为空。"]
    assert err["fields"]["kind"][0].startswith("请从以下选项中选择：")


def test_service_errors_in_chinese(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    err = assert_error(api.patch(f"/customers/{customers.n1.pk}", {"owner_id": org.users.sales_e1.pk}, **ZH), 422,
                       "validation_error")
    assert err["fields"]["owner_id"] == ["您无权将客户分配给该用户。"]
    err = assert_error(api.patch(f"/customers/{customers.n1.pk}", {"email": "not-an-email"}, **ZH), 422,
                       "validation_error")
    assert err["fields"]["email"] == ["请输入有效的电子邮箱地址。"]


def test_english_when_asked(org, customers, api_as):
    api = api_as(org.users.sales_n1)
    err = assert_error(api.get(f"/customers/{customers.e1.pk}", HTTP_ACCEPT_LANGUAGE="en"), 404, "not_found")
    assert err["message"] == "Not found."
