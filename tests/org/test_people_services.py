"""Teams and users managed by administrators: services (kehu/org/services.py) and ``kehu team create``."""

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client

from kehu.audit.models import AuditEvent
from kehu.customers.models import Customer
from kehu.engagement.models import Task
from kehu.org.models import Team, User
from kehu.org.services import (
    team_create, team_update, user_deactivate, user_send_password_reset, user_update,
)

pytestmark = pytest.mark.django_db


def test_team_rename_and_move_rewrite_the_subtree_paths(org):
    t = org.teams
    team_update(team=t.north, name="North", parent=t.east, actor=org.users.admin)
    t.north.refresh_from_db()
    t.n1.refresh_from_db()
    assert t.north.name == "North" and t.north.parent_id == t.east.pk
    assert t.n1.path == f"{t.east.path}{t.north.pk}/{t.n1.pk}/"
    assert Team.objects.filter(path__startswith=t.east.path).count() == 4
    ev = AuditEvent.objects.get(action="update", entity="team", entity_id=t.north.pk)
    assert ev.changes["name"] == ["North region", "North"] and ev.actor == org.users.admin


@pytest.mark.parametrize("target", ["north", "n1"])
def test_a_team_cannot_move_into_its_own_subtree(org, target):
    with pytest.raises(ValidationError):
        team_update(team=org.teams.north, parent=getattr(org.teams, target), actor=org.users.admin)
    assert Team.objects.get(pk=org.teams.north.pk).parent_id == org.teams.hq.pk


def test_the_head_office_stays_the_root_and_names_are_unique_under_a_parent(org):
    with pytest.raises(ValidationError):
        team_update(team=org.teams.hq, parent=org.teams.north)
    with pytest.raises(ValidationError):
        team_update(team=org.teams.n1, parent=None)
    with pytest.raises(ValidationError):
        team_update(team=org.teams.e1, name="North sales 1", parent=org.teams.north)
    with pytest.raises(ValidationError):
        team_update(team=org.teams.east, name="North region")


def test_user_update_changes_role_team_language_and_is_audited(org):
    u = org.users.sales_n1
    user_update(user=u, data={"role": "sales_manager", "team": org.teams.north, "language": "en"},
                actor=org.users.admin)
    u.refresh_from_db()
    assert (u.role, u.team_id, u.language) == ("sales_manager", org.teams.north.pk, "en")
    ev = AuditEvent.objects.get(action="update", entity="user", entity_id=u.pk)
    assert ev.changes["role"] == ["salesperson", "sales_manager"]
    with pytest.raises(ValidationError):
        user_update(user=u, data={"role": "emperor"})
    with pytest.raises(ValidationError):
        user_update(user=u, data={"language": "fr"})
    with pytest.raises(ValidationError):
        user_update(user=u, data={"password": "x"})


def test_the_last_administrator_cannot_be_demoted_and_no_one_demotes_themselves(org):
    admin = org.users.admin
    with pytest.raises(ValidationError):
        user_update(user=admin, data={"role": "analyst"}, actor=None)  # the command: only the last-administrator rule stands in the way
    other = User.objects.create(username="admin2", role="admin", is_superuser=True, is_staff=True)
    with pytest.raises(ValidationError):
        user_update(user=admin, data={"role": "analyst"}, actor=admin)
    user_update(user=admin, data={"role": "analyst"}, actor=other)
    admin.refresh_from_db()
    assert admin.role == "analyst" and not admin.is_superuser


def test_deactivate_moves_customers_and_open_tasks_to_the_chosen_user(org, customers):
    gone, heir = org.users.sales_n1, org.users.sales_n1b
    Task.objects.create(customer=customers.n1, assigned_to=gone, title="call back", due_on="2026-12-31")
    with pytest.raises(ValidationError):
        user_deactivate(user=gone, actor=org.users.admin)  # owns a customer: a successor is needed
    with pytest.raises(ValidationError):
        user_update(user=gone, data={"is_active": False}, actor=org.users.admin)
    assert user_deactivate(user=gone, reassign_to=heir, actor=org.users.admin) == 1
    gone.refresh_from_db()
    assert not gone.is_active
    assert Customer.objects.get(pk=customers.n1.pk).owner_id == heir.pk
    assert Task.objects.get(customer=customers.n1).assigned_to_id == heir.pk
    assert AuditEvent.objects.filter(action="reassign", customer_id=customers.n1.pk).exists()
    assert AuditEvent.objects.filter(action="deactivate", entity_id=gone.pk).exists()
    with pytest.raises(ValidationError):
        user_deactivate(user=gone, reassign_to=heir)


def test_deactivate_refuses_an_inactive_or_the_same_successor(org, customers):
    heir = org.users.sales_n1b
    user_deactivate(user=org.users.north_marketing, actor=org.users.admin)  # owns nothing
    with pytest.raises(ValidationError):
        user_deactivate(user=org.users.sales_n1, reassign_to=org.users.north_marketing)
    with pytest.raises(ValidationError):
        user_deactivate(user=org.users.sales_n1, reassign_to=org.users.sales_n1)
    assert Customer.objects.get(pk=customers.n1.pk).owner_id == org.users.sales_n1.pk != heir.pk


def test_the_reset_link_is_mailed_in_the_users_language_and_sets_a_new_password(org, settings):
    settings.KEHU_PUBLIC_URL = "https://crm.example.com"
    u = org.users.sales_e1
    user_update(user=u, data={"email": "e1@example.com", "language": "zh-hans"}, actor=org.users.admin)
    link = user_send_password_reset(user=u, actor=org.users.admin)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["e1@example.com"]
    assert link in mail.outbox[0].body and link.startswith("https://crm.example.com/")
    assert "重置" in mail.outbox[0].subject
    assert AuditEvent.objects.filter(action="password_reset_sent", entity_id=u.pk).exists()
    path = re.sub(r"^https://crm\.example\.com", "", link)
    client = Client()
    form_url = client.get(path)["Location"]
    r = client.post(form_url, {"new_password1": "Grey-Heron-42", "new_password2": "Grey-Heron-42"})
    assert r.status_code == 302
    u.refresh_from_db()
    assert u.check_password("Grey-Heron-42")


def test_no_reset_link_without_an_address_or_for_an_inactive_user(org):
    with pytest.raises(ValidationError):
        user_send_password_reset(user=User.objects.create(username="noaddress"))
    with pytest.raises(ValidationError):
        user_send_password_reset(user=User.objects.create(username="gone", email="g@x.example", is_active=False))
    assert mail.outbox == []


def test_kehu_team_create(db, capsys):
    from kehu.cli import main

    assert main(["team", "create", "Head office"]) == 0
    assert main(["team", "create", "North"]) == 0
    assert main(["team", "create", "North sales", "--parent", "North"]) == 0
    out = capsys.readouterr().out
    assert "head office" in out and "under North" in out
    hq = Team.objects.get(parent__isnull=True)
    sales = Team.objects.get(name="North sales")
    assert sales.path == f"{hq.path}{sales.parent_id}/{sales.pk}/"
    assert main(["team", "create", "X", "--parent", "Nowhere"]) == 2
    assert main(["team", "create", "North"]) == 2  # the same name under the same parent
    assert "error" in capsys.readouterr().err
    assert Team.objects.count() == 3


@pytest.mark.parametrize("role", ["hq_manager", "north_manager", "analyst", "sales_n1"])
def test_only_administrators_change_teams_and_users_even_past_the_pages(org, role):
    """The services refuse a non-administrator themselves, not only the pages and the API
    in front of them (the command, the demo and the generator pass no actor)."""
    from django.core.exceptions import PermissionDenied

    from kehu.org.services import team_move, user_create

    actor = getattr(org.users, role)
    t, u = org.teams, org.users
    calls = [
        lambda: team_create(name="Rogue", parent=t.hq, actor=actor),
        lambda: team_move(team=t.n1, parent=t.east, actor=actor),
        lambda: team_update(team=t.north, name="Mine", actor=actor),
        lambda: user_create(username="rogue", password=None, team=t.n1, actor=actor),
        lambda: user_update(user=u.sales_e1, data={"role": "admin"}, actor=actor),
        lambda: user_deactivate(user=u.sales_e1, reassign_to=actor, actor=actor),
        lambda: user_send_password_reset(user=u.admin, actor=actor),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert not Team.objects.filter(name__in=["Rogue", "Mine"]).exists()
    assert not User.objects.filter(username="rogue").exists()
    u.sales_e1.refresh_from_db()
    assert u.sales_e1.role == "salesperson" and u.sales_e1.is_active
    assert mail.outbox == []
