"""The lead pool's recycling rule (kehu.analytics.pool), worked by hand: a customer last
worked on 1 March 2026 at 09:00, silver (recycled after 30 days in this table), reminded 7
days before. Return at 31 March 09:00 (1 March + 30 days); reminder from 24 March 09:00."""

import datetime as dt

import pytest

from kehu.analytics.pool import KEEP, REMIND, RETURN, cutoffs, recycle_decision, tier_key

TZ = dt.timezone(dt.timedelta(hours=8))
LAST = dt.datetime(2026, 3, 1, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize("now, expected", [
    (dt.datetime(2026, 3, 2, 9, 0, tzinfo=TZ), KEEP),              # the day after
    (dt.datetime(2026, 3, 24, 8, 59, tzinfo=TZ), KEEP),            # a minute before the reminder
    (dt.datetime(2026, 3, 24, 9, 0, tzinfo=TZ), REMIND),           # at the reminder
    (dt.datetime(2026, 3, 30, 23, 0, tzinfo=TZ), REMIND),          # between reminder and return
    (dt.datetime(2026, 3, 31, 9, 0, tzinfo=TZ), RETURN),           # at the return
    (dt.datetime(2026, 6, 1, 9, 0, tzinfo=TZ), RETURN),            # long after
])
def test_clock_moved_through_reminder_and_return(now, expected):
    d = recycle_decision(last_activity=LAST, now=now, days=30, reminder_days=7)
    assert d.action == expected
    assert d.return_at == dt.datetime(2026, 3, 31, 9, 0, tzinfo=TZ)
    assert d.remind_at == dt.datetime(2026, 3, 24, 9, 0, tzinfo=TZ)


@pytest.mark.parametrize("days", [0, None])
def test_a_tier_with_no_days_is_never_recycled(days):
    d = recycle_decision(last_activity=LAST, now=LAST + dt.timedelta(days=9999), days=days, reminder_days=7)
    assert (d.action, d.return_at) == (KEEP, None)


def test_no_reminder_days_goes_straight_from_keep_to_return():
    assert recycle_decision(last_activity=LAST, now=LAST + dt.timedelta(days=29, hours=23), days=30,
                            reminder_days=0).action == KEEP
    assert recycle_decision(last_activity=LAST, now=LAST + dt.timedelta(days=30), days=30,
                            reminder_days=0).action == RETURN


def test_a_reminder_longer_than_the_period_starts_at_the_last_activity():
    d = recycle_decision(last_activity=LAST, now=LAST, days=5, reminder_days=30)
    assert (d.action, d.remind_at) == (REMIND, LAST)


def test_cutoffs_agree_with_the_decision_minute_by_minute():
    """The bulk form (last ≤ return_by: return; last ≤ remind_by: remind) against the rule."""
    now = dt.datetime(2026, 4, 1, 12, 0, tzinfo=TZ)
    days = {"gold": 0, "silver": 30, "bronze": 10, "do_not_serve": 1, "none": 3}
    lim = cutoffs(now=now, days_by_tier=days, reminder_days=2)
    assert lim["gold"] is None
    for tier in ("silver", "bronze", "do_not_serve", "none"):
        return_by, remind_by = lim[tier]
        for minutes in range(0, 60 * 24 * 40, 97):
            last = now - dt.timedelta(minutes=minutes)
            bulk = RETURN if last <= return_by else REMIND if last <= remind_by else KEEP
            assert bulk == recycle_decision(last_activity=last, now=now, days=days[tier], reminder_days=2).action


def test_tier_key():
    assert [tier_key(t) for t in ("gold", "", None, "x")] == ["gold", "none", "none", "none"]
