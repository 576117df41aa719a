"""The demo company's selling (kehu/demo/selling.py): opportunities in every stage with a
history that happened in order, the customers' lifecycle moved by them, and a week of visits
with results on the timeline — and no mail sent while the demo is made."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from kehu.demo import generator
from kehu.engagement.models import PlannedVisit
from kehu.sales.models import LifecycleChange, Opportunity, StageChange

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 12, 2)   # a Wednesday: Monday and Tuesday's visits are done or skipped


@pytest.fixture
def demo(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    generator.demo_create(seed=5, customers=150, today=TODAY)


def test_opportunities_in_every_stage_with_an_ordered_history(demo):
    stages = set(Opportunity.objects.values_list("stage__code", flat=True))
    assert {"reserve", "target", "potential", "opportunity", "won", "lost"} <= stages
    for opp in Opportunity.objects.all():
        assert opp.amount > 0 and opp.lines.exists()
        times = list(StageChange.objects.filter(opportunity=opp).order_by("id").values_list("at", flat=True))
        assert times == sorted(times) and times[0] == opp.created_at
        if opp.stage.code == "lost":
            assert opp.lost_reason is not None and opp.lost_at == times[-1]
        if opp.stage.code == "won":
            assert opp.won_at == times[-1]
    # the customers' lifecycle followed (an open opportunity lifts a reserve customer, a won one makes a customer)
    assert LifecycleChange.objects.filter(auto=True).exists() or not Opportunity.objects.filter(
        customer__lifecycle_stage__in=["reserve", "target", "potential"], stage__outcome="open").exists()


def test_a_week_of_visits_with_results(demo):
    week = f"{TODAY - dt.timedelta(days=TODAY.weekday()):%G-W%V}"
    visits = PlannedVisit.objects.filter(week=week)
    assert visits.exists()
    past = visits.filter(planned_on__lt=TODAY)
    assert past.exists() and not past.filter(status__in=["planned", "moved"]).exists()
    done = past.filter(status="done").first()
    assert done.interaction is not None and done.interaction.customer_id == done.customer_id
    assert not past.filter(status="skipped", skip_reason="").exists()
    assert visits.filter(planned_on__gte=TODAY, status="planned").exists()


def test_making_the_demo_sends_no_mail(demo):
    assert mail.outbox == []


def test_key_account_plans_and_an_order_waiting_for_approval(demo):
    from kehu.sales.key_account_selectors import plan_report
    from kehu.sales.models import KeyAccountPlan, Order

    plans = list(KeyAccountPlan.objects.filter(status="active"))
    assert plans
    for plan in plans:
        assert [t.year for t in plan.targets.all()] == [2026, 2027, 2028]
        assert plan.strengths and plan.threats and plan.manager_id and plan.sponsor_id
        assert plan.terms["credit_limit"] > 0 and plan.terms["payment_days"] == 90
        assert plan_report(plan)[0]["revenue"]["actual"] > 0
    pending = Order.objects.filter(approval="pending")
    assert pending.count() == 1 and pending.get().approval_reason
