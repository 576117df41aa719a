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
