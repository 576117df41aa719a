"""The care calendar's daily run on the database: dates, time zone, never twice, consent, the rice merchant."""

from __future__ import annotations

import datetime as dt

import pytest

from kehu.customers.models import Customer
from kehu.engagement.models import Task
from kehu.marketing.care.models import CareMoment, CareRule
from kehu.marketing.care.services import care_run, rule_create
from kehu.marketing.outreach.models import OutboundMessage

from tests.outreach.conftest import consenting, templates  # noqa: F401

pytestmark = pytest.mark.django_db
NOON = dt.time(4, 0, tzinfo=dt.timezone.utc)   # 12:00 in Shanghai, outside quiet hours


def at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, NOON)


def _rule(org, **data):
    base = {"name_zh": "关怀", "name_en": "Care", "lead_days": 0}
    return rule_create(actor=org.users.admin, data={**base, **data})


def test_29_february_birthday_in_a_common_year(org, consenting, templates):
    Customer.objects.filter(pk=consenting.n1b.pk).update(birthday=dt.date(2000, 2, 29))
    rule = _rule(org, kind="birthday", channel="task")
    care_run(date=dt.date(2027, 2, 27), now=at(dt.date(2027, 2, 27)))
    assert not CareMoment.objects.exists()
    counts = care_run(date=dt.date(2027, 2, 28), now=at(dt.date(2027, 2, 28)))
    assert counts[rule.pk]["created"] == 1 and counts[rule.pk]["task"] == 1
    m = CareMoment.objects.get()
    assert (m.customer_id, m.occasion, m.status) == (consenting.n1b.pk, dt.date(2027, 2, 28), "task")
    assert m.task.assigned_to == org.users.sales_n1b and m.task.source == "care"
    care_run(date=dt.date(2027, 3, 1), now=at(dt.date(2027, 3, 1)))
    assert CareMoment.objects.count() == 1
    # in a leap year it is 29 February
    CareRule.objects.filter(pk=rule.pk).update(last_run_on=dt.date(2028, 2, 28))
    care_run(date=dt.date(2028, 2, 29), now=at(dt.date(2028, 2, 29)))
    assert CareMoment.objects.filter(occasion=dt.date(2028, 2, 29)).count() == 1


def test_spring_festival_2026_sends_on_17_february_minus_lead(org, consenting, templates):
    rule = _rule(org, kind="holiday", holiday="spring_festival", channel="wechat", template=templates.wechat,
                 lead_days=3)
    care_run(date=dt.date(2026, 2, 13), now=at(dt.date(2026, 2, 13)))
    assert not CareMoment.objects.exists()
    counts = care_run(date=dt.date(2026, 2, 14), now=at(dt.date(2026, 2, 14)))
    assert counts[rule.pk]["created"] == 3
    assert set(CareMoment.objects.values_list("occasion", "due_on")) == {(dt.date(2026, 2, 17), dt.date(2026, 2, 14))}
    msgs = OutboundMessage.objects.filter(source_kind="care", source_id=rule.pk)
    assert msgs.count() == 3 and msgs.filter(status="queued").count() == 3
    assert all(m.message_id for m in CareMoment.objects.all())


def test_time_zone_a_run_at_2330_utc_is_the_next_day_in_shanghai(org, consenting, templates, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    rule = _rule(org, kind="holiday", holiday="spring_festival", channel="task")
    CareRule.objects.filter(pk=rule.pk).update(last_run_on=dt.date(2026, 2, 15))
    care_run(now=dt.datetime(2026, 2, 16, 15, 0, tzinfo=dt.timezone.utc))   # 23:00 on the 16th in Shanghai
    assert not CareMoment.objects.exists()
    care_run(now=dt.datetime(2026, 2, 16, 23, 30, tzinfo=dt.timezone.utc))  # 07:30 on the 17th in Shanghai
    assert CareMoment.objects.filter(occasion=dt.date(2026, 2, 17)).count() == 3
    assert CareRule.objects.get(pk=rule.pk).last_run_on == dt.date(2026, 2, 17)


def test_never_twice_run_twice_and_overlapping_windows(org, consenting, templates):
    Customer.objects.filter(pk=consenting.n1.pk).update(birthday=dt.date(1980, 6, 10))
    rule = _rule(org, kind="birthday", channel="email", template=templates.email, lead_days=2)
    day = dt.date(2026, 6, 8)
    care_run(date=day, now=at(day))
    care_run(date=day, now=at(day) + dt.timedelta(hours=1))
    assert OutboundMessage.objects.filter(source_kind="care").count() == 1
    # a run over an overlapping window (the last run set back a week): nothing new
    CareRule.objects.filter(pk=rule.pk).update(last_run_on=dt.date(2026, 6, 1))
    counts = care_run(date=dt.date(2026, 6, 9), now=at(dt.date(2026, 6, 9)))
    assert counts[rule.pk]["created"] == 0
    assert OutboundMessage.objects.filter(source_kind="care").count() == 1
    assert CareMoment.objects.get().status == "sent"


def test_missed_days_are_caught_up(org, consenting, templates):
    Customer.objects.filter(pk=consenting.n1.pk).update(birthday=dt.date(1980, 6, 10))
    rule = _rule(org, kind="birthday", channel="task")
    CareRule.objects.filter(pk=rule.pk).update(last_run_on=dt.date(2026, 6, 5))
    care_run(date=dt.date(2026, 6, 12), now=at(dt.date(2026, 6, 12)))   # the 6th to the 11th were missed
    assert CareMoment.objects.get().occasion == dt.date(2026, 6, 10)


def test_no_email_consent_no_email_the_gate_holds_it(org, consenting, templates):
    Customer.objects.filter(pk__in=[consenting.n1.pk, consenting.e1.pk]).update(birthday=dt.date(1990, 7, 1))
    Customer.objects.filter(pk=consenting.e1.pk).update(consent_marketing=False)
    rule = _rule(org, kind="birthday", channel="email", template=templates.email)
    counts = care_run(date=dt.date(2026, 7, 1), now=at(dt.date(2026, 7, 1)))
    assert counts[rule.pk]["sent"] == 1 and counts[rule.pk]["held"] == 1
    held = OutboundMessage.objects.get(customer=consenting.e1, source_kind="care")
    assert held.status == "held" and held.reason == "no_consent"
    assert OutboundMessage.objects.get(customer=consenting.n1, source_kind="care").status == "sent"
    assert CareMoment.objects.get(customer=consenting.e1).status == "held"


def test_thanks_after_purchase_is_a_service_message(org, consenting, templates):
    from tests.factories import OrderFactory

    OrderFactory(customer=consenting.n1, order_date=dt.date(2026, 5, 2))
    rule = _rule(org, kind="thanks_after_purchase", channel="phone", template=templates.phone, days_after=3)
    care_run(date=dt.date(2026, 5, 5), now=at(dt.date(2026, 5, 5)))
    m = CareMoment.objects.get(rule=rule)
    assert m.occasion == dt.date(2026, 5, 5) and m.message.purpose == "service"
    assert m.message.task.assigned_to == org.users.sales_n1


def test_rice_merchant_reminds_the_owner(org, consenting, templates):
    from kehu.insights.models import AnalysisRun, CustomerScore

    run = AnalysisRun.objects.create(status="succeeded", as_of=dt.date(2026, 9, 1))
    CustomerScore.objects.create(run=run, customer=consenting.n1, next_order_date=dt.date(2026, 9, 20))
    CustomerScore.objects.create(run=run, customer=consenting.e1, next_order_date=None)
    rule = _rule(org, kind="next_order", channel="sms", template=templates.sms, lead_days=5)
    counts = care_run(date=dt.date(2026, 9, 15), now=at(dt.date(2026, 9, 15)))
    assert counts[rule.pk]["created"] == 1 and counts[rule.pk]["reminders"] == 1
    m = CareMoment.objects.get()
    assert m.customer_id == consenting.n1.pk and m.occasion == dt.date(2026, 9, 20)
    task = Task.objects.get(source="care")
    assert task.assigned_to == org.users.sales_n1 and task.customer_id == consenting.n1.pk
    assert m.task_id == task.pk and m.message is not None


def test_dry_run_writes_nothing(org, consenting, templates):
    Customer.objects.filter(pk=consenting.n1.pk).update(birthday=dt.date(1980, 6, 10))
    rule = _rule(org, kind="birthday", channel="task")
    counts = care_run(date=dt.date(2026, 6, 10), dry_run=True)
    assert counts[rule.pk]["created"] == 1
    assert not CareMoment.objects.exists() and not Task.objects.exists()
    assert CareRule.objects.get(pk=rule.pk).last_run_on is None


def test_anniversary_and_monthly_card_on_the_last_day_of_a_short_month(org, consenting, templates):
    from kehu.customers.models import Anniversary

    Anniversary.objects.create(customer=consenting.e1, label="Founded", date=dt.date(2001, 4, 30))
    ann = _rule(org, kind="anniversary", channel="task")
    card = _rule(org, kind="monthly", channel="task", day_of_month=31)
    counts = care_run(date=dt.date(2026, 4, 30), now=at(dt.date(2026, 4, 30)))
    assert counts[ann.pk]["created"] == 1 and counts[card.pk]["created"] == 3
    assert set(CareMoment.objects.filter(rule=card).values_list("occasion", flat=True)) == {dt.date(2026, 4, 30)}
    assert CareMoment.objects.get(rule=ann).customer_id == consenting.e1.pk
    assert Task.objects.get(source_ref__care_moment=CareMoment.objects.get(rule=ann).pk).assigned_to == org.users.sales_e1


def test_the_rules_owner_gets_the_tasks_and_the_calendar(org, consenting, templates):
    from kehu.marketing.care.selectors import upcoming

    Customer.objects.filter(pk=consenting.n1.pk).update(birthday=dt.date(1980, 6, 10))
    rule = _rule(org, kind="birthday", channel="task", owner=org.users.north_manager)
    items, truncated = upcoming(viewer=org.users.north_manager, start=dt.date(2026, 6, 8), end=dt.date(2026, 6, 14))
    assert [(u.customer_id, u.status) for u in items] == [(consenting.n1.pk, "upcoming")] and not truncated
    assert upcoming(viewer=org.users.sales_n1, start=dt.date(2026, 6, 8), end=dt.date(2026, 6, 14))[0] == []
    care_run(date=dt.date(2026, 6, 10), now=at(dt.date(2026, 6, 10)))
    assert Task.objects.get().assigned_to == org.users.north_manager
    items, _ = upcoming(viewer=org.users.north_manager, start=dt.date(2026, 6, 8), end=dt.date(2026, 6, 14))
    assert [(u.customer_id, u.status) for u in items] == [(consenting.n1.pk, "task")]
    assert rule.pk == items[0].rule.pk


def test_a_segment_limits_the_rule_and_a_deleted_segment_reaches_no_one(org, consenting, templates):
    from kehu.insights.models import Segment
    from kehu.insights.segments import segment_create

    Customer.objects.filter(pk__in=[consenting.n1.pk, consenting.e1.pk]).update(birthday=dt.date(1980, 6, 10))
    north = segment_create(actor=org.users.admin, name="North", rule={"customer": {"region": "north"}})
    rule = _rule(org, kind="birthday", channel="task", segment=north)
    assert rule.targets_segment
    care_run(date=dt.date(2026, 6, 10), now=at(dt.date(2026, 6, 10)))
    assert list(CareMoment.objects.values_list("customer_id", flat=True)) == [consenting.n1.pk]
    Segment.objects.filter(pk=north.pk).delete()
    rule.refresh_from_db()
    assert rule.segment_id is None and rule.targets_segment
    care_run(date=dt.date(2027, 6, 10), now=at(dt.date(2027, 6, 10)))
    assert CareMoment.objects.count() == 1


def test_a_segment_limits_the_owners_calendar_too(org, consenting, templates):
    """A rule without an owner shows each owner the moments of their own customers within the rule's segment."""
    from kehu.insights.segments import segment_create
    from kehu.marketing.care.selectors import upcoming

    Customer.objects.filter(pk__in=[consenting.n1.pk, consenting.e1.pk]).update(birthday=dt.date(1980, 6, 10))
    east = segment_create(actor=org.users.admin, name="East", rule={"customer": {"region": "east"}})
    _rule(org, kind="birthday", channel="task", segment=east)
    week = {"start": dt.date(2026, 6, 8), "end": dt.date(2026, 6, 14)}
    assert upcoming(viewer=org.users.sales_n1, **week)[0] == []
    items, _ = upcoming(viewer=org.users.sales_e1, **week)
    assert [u.customer_id for u in items] == [consenting.e1.pk]
