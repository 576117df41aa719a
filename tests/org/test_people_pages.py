"""The administrators' team and user pages (kehu/org/views.py)."""

import pytest
from django.core import mail
from django.urls import reverse

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.org.models import Team, User

pytestmark = pytest.mark.django_db


def test_team_tree_create_rename_and_move(client_for, org):
    client = client_for(org.users.admin)
    html = client.get(reverse("team_list")).content.decode()
    assert html.count('data-testid="team-row"') == 5 and "North sales 1" in html
    r = client.post(reverse("team_create"), {"name": "North sales 2", "parent": org.teams.north.pk})
    assert r.status_code == 302
    new = Team.objects.get(name="North sales 2")
    assert new.path == f"{org.teams.north.path}{new.pk}/"
    r = client.post(reverse("team_edit", args=[new.pk]), {"name": "East sales 2", "parent": org.teams.east.pk})
    assert r.status_code == 302
    new.refresh_from_db()
    assert (new.name, new.parent_id) == ("East sales 2", org.teams.east.pk)
    # into its own subtree: not offered, and refused if posted
    html = client.get(reverse("team_edit", args=[org.teams.north.pk])).content.decode()
    assert f'value="{org.teams.n1.pk}"' not in html
    r = client.post(reverse("team_edit", args=[org.teams.north.pk]), {"name": "North", "parent": org.teams.n1.pk})
    assert r.status_code == 200
    assert Team.objects.get(pk=org.teams.north.pk).name == "North region"
    # the head office is renamed only
    assert 'name="parent"' not in client.get(reverse("team_edit", args=[org.teams.hq.pk])).content.decode()


def test_users_list_searches_filters_and_sorts(client_for, org):
    client = client_for(org.users.admin)
    html = client.get(reverse("user_list")).content.decode()
    assert "sales_n1b" in html and "east_manager" in html
    html = client.get(reverse("user_list"), {"q": "north", "active": "yes"}).content.decode()
    assert "north_manager" in html and "east_manager" not in html
    html = client.get(reverse("user_list"), {"team": org.teams.north.pk, "active": "yes"}).content.decode()
    assert "sales_n1b" in html and "sales_e1" not in html  # the team's subtree
    html = client.get(reverse("user_list"), {"role": "salesperson", "active": "yes"}).content.decode()
    assert "sales_e1" in html and "hq_manager" not in html
    html = client.get(reverse("user_list"), {"sort": "-username", "active": "yes"}).content.decode()
    assert html.index("sales_n1b") < html.index("admin</a>")
    User.objects.filter(username="sales_e1").update(is_active=False)
    assert "sales_e1" not in client.get(reverse("user_list")).content.decode()
    assert "sales_e1" in client.get(reverse("user_list"), {"active": "no"}).content.decode()
    html = client.get(reverse("user_list"), {"q": "nobody"}).content.decode()
    assert 'class="empty card' in html


def test_create_edit_deactivate_and_activate_a_user(client_for, org, customers):
    client = client_for(org.users.admin)
    r = client.post(reverse("user_create"), {"username": "li", "display_name": "李娜", "email": "li@example.com",
                                             "role": "salesperson", "team": org.teams.e1.pk, "language": "zh-hans",
                                             "password": ""})
    assert r.status_code == 302
    li = User.objects.get(username="li")
    assert li.team_id == org.teams.e1.pk and not li.has_usable_password()
    r = client.post(reverse("user_edit", args=[li.pk]), {"display_name": "李娜", "email": "li@example.com",
                                                         "role": "sales_manager", "team": org.teams.east.pk,
                                                         "language": "en"})
    assert r.status_code == 302
    li.refresh_from_db()
    assert (li.role, li.team_id, li.language) == ("sales_manager", org.teams.east.pk, "en")
    # deactivating sales_e1, who owns a customer: the page says so and asks for a successor
    gone = org.users.sales_e1
    html = client.get(reverse("user_deactivate", args=[gone.pk])).content.decode()
    assert 'data-testid="owned-count">1 customer' in html
    assert client.post(reverse("user_deactivate", args=[gone.pk]), {}).status_code == 200
    assert User.objects.get(pk=gone.pk).is_active
    r = client.post(reverse("user_deactivate", args=[gone.pk]), {"reassign_to": li.pk})
    assert r.status_code == 302
    assert not User.objects.get(pk=gone.pk).is_active
    assert Customer.objects.get(pk=customers.e1.pk).owner_id == li.pk
    assert client.post(reverse("user_activate", args=[gone.pk])).status_code == 302
    assert User.objects.get(pk=gone.pk).is_active
    assert AuditEvent.objects.filter(entity="user", entity_id=gone.pk, action="deactivate").exists()


def test_send_a_reset_link(client_for, org):
    client = client_for(org.users.admin)
    u = org.users.sales_n1
    html = client.get(reverse("user_password_reset", args=[u.pk])).content.decode()
    assert "no e-mail address" in html
    User.objects.filter(pk=u.pk).update(email="n1@example.com")
    assert client.post(reverse("user_password_reset", args=[u.pk])).status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["n1@example.com"]
    assert "http://testserver/password/reset/" in mail.outbox[0].body


def test_pages_in_chinese(client_for, org):
    client = client_for(org.users.admin)
    client.cookies["django_language"] = "zh-hans"
    for name, text in (("team_list", "添加下级团队"), ("user_list", "新建用户")):
        html = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert text in html, name
    html = client.get(reverse("user_list"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "已启用" in html and "最近登录" in html
