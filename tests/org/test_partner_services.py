"""The partner tree and its writes (kehu/org/partners.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.org.models import Partner, Role
from kehu.org.partners import partner_create, partner_target_set, partner_update
from kehu.org.services import user_create, user_update
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_a_partner_tree_keeps_paths_and_levels():
    top = PartnerFactory(name="华北一级代理")
    below = PartnerFactory(name="天津二级代理", kind="agent_l2", parent=top)
    assert (top.level, below.level) == (1, 2)
    assert top.path == f"/{top.pk}/" and below.path == f"/{top.pk}/{below.pk}/"
    other = PartnerFactory(name="华东一级代理")
    partner_update(partner=top, data={}, parent=other)
    top.refresh_from_db()
    below.refresh_from_db()
    assert (top.level, below.level) == (2, 3)
    assert below.path == f"/{other.pk}/{top.pk}/{below.pk}/"


def test_a_partner_cannot_go_below_itself_or_too_deep():
    top = PartnerFactory()
    mid = PartnerFactory(parent=top)
    low = PartnerFactory(parent=mid)
    with pytest.raises(ValidationError) as caught:
        partner_update(partner=top, data={}, parent=low)
    assert "parent" in caught.value.message_dict
    with pytest.raises(ValidationError):
        PartnerFactory(parent=low)  # a fourth level


def test_contract_dates_and_margin_are_checked():
    with pytest.raises(ValidationError):
        partner_create(data={"code": "X1", "name": "X", "contract_start": dt.date(2026, 3, 2),
                             "contract_end": dt.date(2026, 3, 1)})
    with pytest.raises(ValidationError) as caught:
        partner_create(data={"code": "X2", "name": "X", "margin_pct": Decimal("120")})
    assert "margin_pct" in caught.value.message_dict
    assert not Partner.objects.exists()


def test_targets_are_set_once_per_period():
    partner = PartnerFactory()
    partner_target_set(partner=partner, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31),
                       revenue=Decimal("100000"))
    partner_target_set(partner=partner, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31),
                       revenue=Decimal("150000"), new_customers=5)
    assert [(t.revenue, t.new_customers) for t in partner.targets.all()] == [(Decimal("150000.00"), 5)]


def test_partner_users_name_their_partner_and_no_one_else_does(org):
    partner = PartnerFactory()
    with pytest.raises(ValidationError) as caught:
        user_create(username="agent1", password=None, role=Role.PARTNER)
    assert "partner" in caught.value.message_dict
    with pytest.raises(ValidationError):
        user_create(username="sales9", password=None, role=Role.SALESPERSON, partner=partner)
    user = user_create(username="agent1", password=None, role=Role.PARTNER, partner=partner)
    with pytest.raises(ValidationError):
        user_update(user=user, data={"role": Role.SALESPERSON})
    user_update(user=user, data={"role": Role.SALESPERSON, "partner": None})
    user.refresh_from_db()
    assert user.partner_id is None


def test_only_administrators_and_sales_managers_manage_partners(org):
    u = org.users
    for who in (u.sales_n1, u.analyst, u.north_service, u.north_marketing):
        with pytest.raises(PermissionDenied):
            partner_create(data={"code": "Q", "name": "Q"}, actor=who)
    for who in (u.admin, u.north_manager):
        partner_create(data={"code": f"Q{who.pk}", "name": "Q"}, actor=who)


def test_sales_managers_make_partner_users_but_no_one_else(org):
    partner = PartnerFactory()
    u = org.users
    user = user_create(username="agent2", password=None, role=Role.PARTNER, partner=partner, actor=u.north_manager)
    assert user.partner_id == partner.pk
    with pytest.raises(PermissionDenied):
        user_create(username="sales9", password=None, role=Role.SALESPERSON, actor=u.north_manager)
    with pytest.raises(PermissionDenied):
        user_create(username="agent3", password=None, role=Role.PARTNER, partner=partner, actor=u.sales_n1)
