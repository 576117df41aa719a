"""The partner scorecard and ranking (kehu/partners/scorecard.py): every figure on a small
world worked by hand, with and without sub-partners, and within the viewer's scope."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.org.partners import partner_target_set
from kehu.partners.scorecard import Period, partner_ranking, partner_scorecard, scorecards
from kehu.sales.models import Order, Payment
from tests.factories import CustomerFactory, OrderFactory, PartnerFactory

pytestmark = pytest.mark.django_db

Q1 = Period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))


def _order(customer, partner, day, amount, *, cost="0", paid="0", paid_on=None, due=None, margin="10"):
    o = OrderFactory(customer=customer, order_date=day,
                     lines=[{"quantity": 1, "unit_price": amount, "unit_cost": cost}])
    Order.objects.filter(pk=o.pk).update(partner=partner, partner_margin_pct=Decimal(margin),
                                         payment_due_on=due, paid_amount=Decimal(paid))
    if paid_on is not None:
        Payment.objects.create(order=o, amount=Decimal(paid), received_on=paid_on)
    return o


@pytest.fixture
def channel(org):
    top = PartnerFactory(code="L1", name="华北一级代理", manager=org.users.north_manager)
    sub = PartnerFactory(code="L2", name="天津二级代理", kind="agent_l2", parent=top,
                         manager=org.users.north_manager)
    other = PartnerFactory(code="E1", name="华东一级代理", manager=org.users.east_manager)
    u = org.users
    n = CustomerFactory(name="北方客户", owner=u.sales_n1, partner=top)
    n_sub = CustomerFactory(name="天津客户", owner=u.sales_n1, partner=sub)
    e = CustomerFactory(name="华东客户", owner=u.sales_e1, partner=other)
    # top: 1000 (cost 600), paid in full 10 days later; 500 unpaid, due 2026-02-01 (overdue)
    _order(n, top, dt.date(2026, 1, 5), "1000", cost="600", paid="1000", paid_on=dt.date(2026, 1, 15))
    _order(n, top, dt.date(2026, 1, 10), "500", cost="300", due=dt.date(2026, 2, 1))
    _order(n, top, dt.date(2025, 12, 1), "750")  # the previous quarter (Oct–Dec)
    # sub: 200, paid 30 days later
    _order(n_sub, sub, dt.date(2026, 2, 1), "200", cost="100", paid="200", paid_on=dt.date(2026, 3, 3), margin="20")
    _order(e, other, dt.date(2026, 3, 1), "3000", cost="1000", paid="3000", paid_on=dt.date(2026, 3, 2))
    partner_target_set(partner=top, period_start=Q1.start, period_end=Q1.end, revenue=Decimal("3000"),
                       new_customers=2)
    return top, sub, other


def test_the_figures_of_a_partner_with_and_without_its_sub_partners(org, channel):
    top, sub, _other = channel
    own = partner_scorecard(viewer=org.users.admin, partner=top, period=Q1)
    assert own.orders == 2 and own.sales == Decimal("1500") and own.previous_sales == Decimal("750")
    assert own.growth == pytest.approx(1.0)
    assert own.gross_margin == Decimal("600") and own.margin_rate == pytest.approx(0.4)
    assert own.partner_margin == Decimal("150") and own.company_margin == Decimal("450")
    assert own.overdue == Decimal("500") and own.overdue_share == pytest.approx(1 / 3)
    assert own.days_to_pay == pytest.approx(10)
    assert own.target_revenue == Decimal("3000") and own.attainment == pytest.approx(0.5)
    assert own.customers == 1
    both = partner_scorecard(viewer=org.users.admin, partner=top, period=Q1, include_sub=True)
    assert both.sales == Decimal("1700") and both.customers == 2
    assert both.partner_margin == Decimal("190")  # 150 + 20% of 200
    assert both.days_to_pay == pytest.approx(20)  # (10 + 30) / 2
    assert both.attainment == pytest.approx(1700 / 3000)


def test_the_figures_stay_within_the_viewers_scope(org, channel):
    top, _sub, other = channel
    assert partner_scorecard(viewer=org.users.east_manager, partner=top, period=Q1).sales == 0
    assert partner_scorecard(viewer=org.users.east_manager, partner=other, period=Q1).sales == Decimal("3000")
    rows = scorecards(viewer=org.users.sales_n1, partners=[top, other], period=Q1)
    assert [r.sales for r in rows] == [Decimal("1500"), 0]


def test_cases_and_satisfaction(org, channel):
    from kehu.service.models import Case
    from kehu.surveys.models import Response, ResponseStatus, Survey, Wave

    top, _sub, _other = channel
    n = top.customers.get()
    at = timezone.make_aware(dt.datetime(2026, 2, 10, 9))
    c1 = Case.objects.create(ref="CS1", kind="complaint", subject="late", customer=n, partner=top,
                             resolution_due=at + dt.timedelta(days=1), resolved_at=at)
    c2 = Case.objects.create(ref="CS2", kind="repair", subject="broken", customer=n, partner=top,
                             resolution_due=at, resolved_at=at + dt.timedelta(days=2))
    Case.objects.filter(pk__in=[c1.pk, c2.pk]).update(created_at=at)
    wave = Wave.objects.create(survey=Survey.objects.create(code="csat-partner"), name="2026")
    Response.objects.create(wave=wave, customer=n, status=ResponseStatus.COMPLETE, index=80, nps=10,
                            submitted_at=at)
    f = partner_scorecard(viewer=org.users.admin, partner=top, period=Q1)
    assert (f.cases, f.complaints, f.complaint_rate) == (2, 1, pytest.approx(0.5))
    assert (f.sla_due, f.sla_met, f.sla_compliance) == (2, 1, pytest.approx(0.5))
    assert f.satisfaction == pytest.approx(80) and f.nps == pytest.approx(100)


def test_the_ranking_uses_abc_and_tiers(org, channel):
    top, sub, other = channel
    rows = partner_ranking(viewer=org.users.admin, period=Q1)
    assert [(r.partner.code, r.rank) for r in rows] == [("E1", 1), ("L1", 2), ("L2", 3)]
    # ABC: before E1 0%, before L1 3000/4700 = 64% (< 80%: A), before L2 96% (≥ 95%: C)
    assert [r.abc for r in rows] == ["A", "A", "C"]
    # the default tier rules: value percentile 2/3 → silver (≥ 0.5), 1/3 and 0 → bronze
    assert [r.tier for r in rows] == ["silver", "bronze", "bronze"]
    mine = partner_ranking(viewer=org.users.north_manager, period=Q1, manager=org.users.north_manager)
    assert {r.partner.code for r in mine} == {"L1", "L2"}


def test_the_quarter_and_previous_period():
    p = Period.quarter_of(dt.date(2026, 11, 5))
    assert (p.start, p.end) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31))
    assert Q1.previous() == Period(dt.date(2025, 10, 3), dt.date(2025, 12, 31))  # 90 days, as Q1


def test_tiers_are_named_best_first():
    from kehu.partners.scorecard import Figures

    f = Figures(partner=None, tiers={"bronze": 3, "gold": 1})
    assert f.tier_items == [("Gold (金牌)", 1), ("Bronze (铜牌)", 3)]
