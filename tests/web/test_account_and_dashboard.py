"""The profile page (language, API tokens) and the dashboard numbers."""

import datetime as dt

import pytest
from django.urls import reverse

from kehu.org.models import ApiToken
from kehu.org.services import token_create
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_profile_shows_who_i_am(client_for, org):
    html = client_for(org.users.sales_n1).get(reverse("profile")).content.decode()
    assert "sales_n1" in html and "Salesperson" in html and "North sales 1" in html


def test_profile_saves_language(client_for, org):
    user = org.users.sales_n1
    client = client_for(user)
    response = client.post(reverse("profile"), {"language": "zh-hans"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "zh-hans"
    assert response.cookies["kehu_language"].value == "zh-hans"
    assert 'lang="zh-hans"' in client.get(reverse("profile")).content.decode()
    assert client.post(reverse("profile"), {"language": "xx"}).status_code == 200


def test_set_language_still_saves_on_the_user(client_for, org):
    user = org.users.sales_n1
    client = client_for(user)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": reverse("customer_list")})
    user.refresh_from_db()
    assert user.language == "zh-hans"


def test_token_shown_once_then_revoked(client_for, org):
    client = client_for(org.users.sales_n1)
    response = client.post(reverse("token_create"), {"name": "ERP sync"}, follow=True)
    html = response.content.decode()
    token = ApiToken.objects.get(user=org.users.sales_n1)
    assert 'data-testid="new-token"' in html and "it will not be shown again" in html
    assert token.prefix in html and "kehu_" in html
    html = client.get(reverse("profile")).content.decode()
    assert 'data-testid="new-token"' not in html and "ERP sync" in html
    assert client.get(reverse("token_create")).status_code == 405
    response = client.post(reverse("token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "revoked" in client.get(reverse("profile")).content.decode()


def test_cannot_revoke_someone_elses_token(client_for, org):
    token, _raw = token_create(user=org.users.sales_e1, name="theirs")
    assert client_for(org.users.sales_n1).post(reverse("token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_dashboard_numbers(client_for, org, customers):
    u = org.users.sales_n1
    today = dt.date.today()
    OrderFactory(customer=customers.n1, order_date=today)  # ¥200.00
    OrderFactory(customer=customers.n1, order_date=today - dt.timedelta(days=400))  # outside 12 months
    OrderFactory(customer=customers.e1, order_date=today,
                 lines=[{"quantity": 1, "unit_price": "99999"}])  # not visible to sales_n1
    InteractionFactory(customer=customers.n1, user=u, next_step="Call back", next_step_on=today + dt.timedelta(days=3))
    InteractionFactory(customer=customers.n1, user=u, next_step="Too late", next_step_on=today + dt.timedelta(days=30))
    InteractionFactory(customer=customers.e1, next_step="Not mine", next_step_on=today)
    CustomerFactory(name="Another mine", owner=u)
    html = client_for(u).get(reverse("home")).content.decode()
    assert "¥200.00" in html and "99,999" not in html
    assert "Call back" in html and "Too late" not in html and "Not mine" not in html
    assert "北方钢铁贸易有限公司" in html and "Another mine" in html and "华东机械集团" not in html
    # a manager sees the team's numbers
    html = client_for(org.users.admin).get(reverse("home")).content.decode()
    assert "¥100,199.00" in html and "Not mine" in html
