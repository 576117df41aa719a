"""``sla_status`` (the SLA check's shortcut: the time used alone) agrees with
``sla_clock`` on status and share, on working and calendar hours."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.sla import Promise, sla_clock, sla_status
from kehu.analytics.working_time import WorkingCalendar

BASE = datetime(2025, 9, 1, tzinfo=UTC)
CAL = WorkingCalendar()


@settings(max_examples=300, deadline=None)
@given(start=st.integers(0, 60 * 24 * 450), after=st.integers(0, 60 * 24 * 400),
       minutes=st.sampled_from([1, 30, 60, 240, 480, 24 * 60, 5 * 8 * 60]), calendar_hours=st.booleans(),
       share=st.sampled_from([0.5, 0.8, 1.0]), second=st.integers(0, 59))
def test_agrees_with_the_clock(start, after, minutes, calendar_hours, share, second):
    s = BASE + timedelta(minutes=start, seconds=second)
    at = s + timedelta(minutes=after)
    p = Promise(minutes, calendar_hours)
    clock = sla_clock(start=s, promise=p, at=at, calendar=CAL, warning_share=share)
    assert sla_status(start=s, promise=p, at=at, calendar=CAL, warning_share=share) == (clock.status, clock.share)


def test_exactly_at_the_deadline_is_a_warning_and_just_after_a_breach():
    s = datetime(2026, 9, 30, 9, 30, tzinfo=UTC)   # 17:30 in Shanghai
    p = Promise(60)
    deadline = sla_clock(start=s, promise=p, at=s, calendar=CAL).deadline
    assert sla_status(start=s, promise=p, at=deadline, calendar=CAL)[0] == "warning"
    assert sla_status(start=s, promise=p, at=deadline + timedelta(seconds=1), calendar=CAL)[0] == "breached"
