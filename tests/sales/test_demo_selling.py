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


def test_receivables_in_every_bucket_and_a_leaderboard(demo):
    from kehu.org.models import User
    from kehu.sales import performance as perf

    admin = User.objects.filter(is_superuser=True).first()
    totals = perf.ageing_totals(perf.receivable_orders(viewer=admin, as_of=TODAY))
    for key in ("not_due", "d0_30", "d31_60", "d61_90", "d90_plus"):
        assert totals[key] > 0, key
    board = perf.performance(viewer=admin, start=TODAY.replace(day=1) - dt.timedelta(days=90), end=TODAY)
    assert len(board.people) >= 2 and board.teams
    assert sum(r.counts.revenue for r in board.people) > 0
    assert any(r.counts.opportunities_won for r in board.people) and any(r.counts.visits_done for r in board.people)


def test_a_lead_pool_with_claims_returns_and_one_recycled(demo):
    from kehu.customers.models import Customer
    from kehu.sales.models import OwnershipChange

    pool = Customer.objects.filter(owner__isnull=True, lifecycle_stage="reserve")
    assert pool.filter(team__isnull=True).exists() and pool.filter(team__isnull=False).exists()
    reasons = set(OwnershipChange.objects.values_list("reason", flat=True))
    assert {"claim", "release", "assign", "convert", "recycle"} <= reasons
    recycled = OwnershipChange.objects.get(reason="recycle")
    assert recycled.customer.owner_id is None and recycled.customer.team_id == recycled.from_team_id
    assert OwnershipChange.objects.get(reason="release").note


def test_the_funnel_of_the_demo_is_meaningful(demo, client):
    """The demo's opportunities make a funnel worth reading: every stage reached by fewer
    than the one before, won and lost ones, days in each stage, and a page that shows it;
    their next steps are in the visit plans."""
    from django.urls import reverse

    from kehu.org.models import User
    from kehu.sales.funnel_selectors import FunnelFilters, funnel_report

    admin = User.objects.filter(is_superuser=True).first() or User.objects.filter(role="admin").first()
    report = funnel_report(viewer=admin, filters=FunnelFilters(by="owner"))
    f = report.overall
    assert f.total == Opportunity.objects.count() and f.won > 0 and f.lost > 0 and f.open > 0
    reached = [r.reached for r in f.stages]
    assert reached == sorted(reached, reverse=True) and reached[0] == f.total and reached[-1] == f.won
    assert all(r.conversion is None or 0 < r.conversion <= 1 for r in f.stages)
    assert any(r.conversion is not None and r.conversion < 1 for r in f.stages)
    assert all(r.avg_days and r.avg_days > 0 for r in f.stages if r.stage.outcome == "open")
    assert 0 < f.win_rate < 1 and f.avg_cycle_days > 0 and len(report.breakdown) > 1
    client.force_login(admin)
    html = client.get(reverse("opportunity_funnel"), {"by": "line"}).content.decode()
    assert 'data-testid="funnel-table"' in html and 'data-testid="funnel-breakdown"' in html
    assert PlannedVisit.objects.filter(reason_data__has_key="opportunities").exists()


def test_quotas_for_this_quarter_and_the_next(demo):
    from kehu.org.models import User
    from kehu.sales.forecast import forecast, period_containing
    from kehu.sales.models import Quota

    this = period_containing(TODAY)
    for period in (this, this.next()):
        assert Quota.objects.filter(period=period.code, user__isnull=False).count() == User.objects.filter(
            role="salesperson", quotas__isnull=False).distinct().count() > 0
        assert Quota.objects.filter(period=period.code, team__isnull=False).exists()
    admin = User.objects.filter(role="admin").first()
    f = forecast(viewer=admin, period=this, by="team", run=None)
    assert f["totals"]["quota"] > 0 and f["totals"]["total"] > 0 and f["totals"]["commit"] > 0


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
    # the plate order over its credit limit waits; so may the order of the accepted quote,
    # whose customer has overdue payments (the receivables of the demo)
    pending = Order.objects.filter(approval="pending")
    assert pending.exists() and all(o.approval_reason for o in pending)


def test_quotes_for_the_opportunities(demo):
    from kehu.engagement.models import Task
    from kehu.sales.models import Quote
    from kehu.sales.quote_pdf import quote_html

    quotes = Quote.objects.all()
    assert {"draft", "pending", "sent", "accepted", "superseded"} <= set(quotes.values_list("status", flat=True))
    accepted = quotes.get(status="accepted")
    assert accepted.order is not None and accepted.order.amount == accepted.total
    assert accepted.opportunity.stage.outcome == "won"
    pending = quotes.get(status="pending")
    assert Task.objects.filter(source_ref__quote=pending.pk, status="open").exists()
    assert quotes.filter(revision=2, previous__status="superseded").exists()
    for q in quotes:
        assert q.total == sum(ln.total for ln in q.lines.all()) and q.lines.exists()
    assert accepted.ref in quote_html(accepted, language="zh") and accepted.ref in quote_html(accepted, language="en")
