"""Service levels: policy resolution, the clock (pauses, policy changes), escalation (kehu.analytics.sla)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.sla import (
    DEFAULT_COMPLAINT_POLICY,
    Post,
    Promise,
    SlaPolicy,
    escalation_due,
    levels_due,
    resolve_policy,
    sla_clock,
    validate_policies,
)
from kehu.analytics.working_time import WorkingCalendar, calendar_elapsed

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def H(hours):
    return timedelta(hours=hours)


# -- policies -----------------------------------------------------------------------------------------

P_ANY_COMPLAINT = SlaPolicy("complaint", None, None, Promise(240), Promise(16 * 60))
P_COMPLAINT_HIGH = SlaPolicy("complaint", "high", None, Promise(60), Promise(8 * 60))
P_COMPLAINT_GOLD = SlaPolicy("complaint", None, "gold", Promise(120), Promise(12 * 60))
P_COMPLAINT_HIGH_GOLD = SlaPolicy("complaint", "high", "gold", Promise(30), Promise(4 * 60))
P_HIGH_ANY_KIND = SlaPolicy(None, "high", None, Promise(90), Promise(24 * 60, calendar_hours=True))
P_GOLD_ANY = SlaPolicy(None, None, "gold", Promise(180), None)
P_REPAIR = SlaPolicy("repair", None, None, None, Promise(5 * 8 * 60))
ALL = [P_ANY_COMPLAINT, P_COMPLAINT_HIGH, P_COMPLAINT_GOLD, P_COMPLAINT_HIGH_GOLD, P_HIGH_ANY_KIND, P_GOLD_ANY, P_REPAIR]


@pytest.mark.parametrize(
    ("kind", "severity", "tier", "expected"),
    [
        ("complaint", "high", "gold", P_COMPLAINT_HIGH_GOLD),  # names all three
        ("complaint", "high", "silver", P_COMPLAINT_HIGH),  # two named, kind+severity
        ("complaint", "low", "gold", P_COMPLAINT_GOLD),  # two named, kind+tier
        ("complaint", "low", "silver", P_ANY_COMPLAINT),
        ("repair", "high", "gold", P_REPAIR),  # one named each: kind beats severity and tier
        ("enquiry", "high", "gold", P_HIGH_ANY_KIND),  # one named each: severity beats tier
        ("repair", "low", "gold", P_REPAIR),  # one named each: kind beats tier
        ("enquiry", "low", "gold", P_GOLD_ANY),
        ("enquiry", "low", None, None),  # nothing matches, not a complaint: no service level
    ],
)
def test_most_specific_policy_wins(kind, severity, tier, expected):
    assert resolve_policy(ALL, kind=kind, severity=severity, tier=tier) == expected
    # the order the policies are listed in does not matter
    assert resolve_policy(list(reversed(ALL)), kind=kind, severity=severity, tier=tier) == expected


def test_complaints_default_to_24_working_hours():
    got = resolve_policy([P_REPAIR], kind="complaint", severity="high", tier="gold")
    assert got is DEFAULT_COMPLAINT_POLICY
    assert got.resolution == Promise(24 * 60) and not got.resolution.calendar_hours
    assert got.first_response is None
    assert resolve_policy([], kind="complaint", complaint_default=None) is None


def test_policies_refused():
    with pytest.raises(ValueError, match="same kind, severity and tier"):
        validate_policies([P_REPAIR, SlaPolicy("repair", None, None, Promise(1), None)])
    with pytest.raises(ValueError, match="first-response or a resolution"):
        validate_policies([SlaPolicy("repair", None, None, None, None)])
    for bad in (0, -5, 1.5, True):
        with pytest.raises(ValueError, match="whole number of minutes"):
            Promise(bad)


# -- the clock ----------------------------------------------------------------------------------------

START = at(2026, 9, 30, 17, 30)  # the complaint: 24 working hours → due Sat 10 Oct 17:30
DAY = Promise(24 * 60)


@pytest.mark.parametrize(
    ("now", "status", "used"),
    [
        (at(2026, 9, 30, 17, 45), "ok", H(0.25)),
        (at(2026, 10, 5, 12), "ok", H(0.5)),  # National Day: the clock does not run
        (at(2026, 10, 9, 18), "ok", H(16.5)),
        (at(2026, 10, 10, 11, 41), "ok", H(16.5) + timedelta(minutes=161)),
        # 80 % of 24 h is 19.2 h, reached at 11:42 on Saturday 10 Oct (a make-up working day)
        (at(2026, 10, 10, 11, 42), "warning", H(19.2)),
        (at(2026, 10, 10, 17, 30), "warning", H(24)),  # answered at the deadline itself: on time
        (at(2026, 10, 10, 17, 31), "breached", H(24) + timedelta(minutes=1)),
        (at(2026, 10, 11, 10), "breached", H(24.5)),  # Sunday: the deadline has passed
    ],
)
def test_clock_by_hand(now, status, used):
    c = sla_clock(start=START, promise=DAY, at=now)
    assert c.deadline == at(2026, 10, 10, 17, 30)
    assert c.warning_at == at(2026, 10, 10, 11, 42)
    assert (c.status, c.elapsed) == (status, used)
    assert c.share == pytest.approx(used / H(24))
    assert not c.paused and c.fallback_years == ()


def test_clock_in_calendar_hours():
    c = sla_clock(start=START, promise=Promise(24 * 60, calendar_hours=True), at=at(2026, 10, 1, 12))
    assert c.deadline == at(2026, 10, 1, 17, 30) and c.warning_at == at(2026, 10, 1, 12, 42)
    assert c.status == "ok" and c.elapsed == H(18.5)  # holidays count in calendar hours
    assert sla_clock(start=START, promise=c.promise, at=at(2026, 10, 1, 13)).status == "warning"


def test_clock_pauses():
    # waiting for the customer from 9:00 Thursday 8 Oct to 9:00 Friday 9 Oct: 8 working hours later
    pause = (at(2026, 10, 8, 9), at(2026, 10, 9, 9))
    c = sla_clock(start=START, promise=DAY, at=at(2026, 10, 12, 9), pauses=[pause])
    assert c.deadline == at(2026, 10, 12, 17, 30) and c.status == "ok" and c.elapsed == H(16.5)
    # during the pause the clock says so; the deadline is unknown until the customer answers
    c = sla_clock(start=START, promise=DAY, at=at(2026, 10, 8, 15), pauses=[pause])
    assert c.paused and c.deadline is None and c.elapsed == H(0.5) and c.status == "ok"
    c = sla_clock(start=START, promise=DAY, at=at(2026, 10, 8, 15), pauses=[(at(2026, 10, 8, 9), None)])
    assert c.paused and c.deadline is None
    # a pause after the instant asked about is not known yet
    c = sla_clock(start=START, promise=DAY, at=at(2026, 10, 2), pauses=[pause])
    assert not c.paused and c.deadline == at(2026, 10, 10, 17, 30)
    # a breach is not undone by a later pause
    c = sla_clock(start=START, promise=DAY, at=at(2026, 10, 12, 10), pauses=[(at(2026, 10, 12, 9, 30), None)])
    assert c.status == "breached" and c.paused and c.deadline == at(2026, 10, 10, 17, 30)


def test_policy_change_mid_case_keeps_the_time_used():
    # Thursday 8 Oct 12:00 (3.5 h used) the customer becomes gold: 8 working hours from the start
    change = at(2026, 10, 8, 12)
    history = [(START, DAY), (change, Promise(8 * 60))]
    c = sla_clock(start=START, promise=history, at=at(2026, 10, 8, 14))
    assert c.elapsed == H(4.5) and c.promise == Promise(8 * 60)
    assert c.deadline == at(2026, 10, 8, 17, 30)  # 3.5 h used + 4.5 h of Thursday afternoon
    assert c.status == "ok"
    # asked before the change, the clock knows only the first promise
    assert sla_clock(start=START, promise=history, at=at(2026, 10, 8, 11)).promise == DAY
    # a change to a promise already used up breaches the case: due when the time used reached it
    tight = [(START, DAY), (change, Promise(60))]
    c = sla_clock(start=START, promise=tight, at=change)
    assert c.deadline == at(2026, 10, 8, 9, 30) and c.status == "breached"
    # working → calendar hours: the working time used is kept, calendar hours count from the change
    mixed = [(START, DAY), (change, Promise(24 * 60, calendar_hours=True))]
    c = sla_clock(start=START, promise=mixed, at=at(2026, 10, 8, 20))
    assert c.elapsed == H(3.5 + 8)
    assert c.deadline == change + H(24 - 3.5)


def test_clock_refusals():
    with pytest.raises(ValueError, match="begin at the start"):
        sla_clock(start=START, promise=[(START + H(1), DAY)], at=START)
    with pytest.raises(ValueError, match="time order"):
        sla_clock(start=START, promise=[(START, DAY), (START, DAY)], at=START)
    with pytest.raises(ValueError, match="warning share"):
        sla_clock(start=START, promise=DAY, at=START, warning_share=1.5)
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_clock(start=datetime(2026, 9, 30, 17, 30), promise=DAY, at=START)


def test_clock_in_a_year_without_an_official_schedule_says_so():
    start = at(2026, 12, 30, 9)
    with pytest.warns(UserWarning, match="no official holiday schedule"):
        c = sla_clock(start=start, promise=DAY, at=start + H(1), calendar=WorkingCalendar())
    assert 2027 in c.fallback_years
    calendar_only = sla_clock(start=start, promise=Promise(60 * 24 * 5, calendar_hours=True), at=start)
    assert calendar_only.fallback_years == ()


instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 10, 31), timezones=st.just(SH)
).map(lambda d: d.replace(second=0, microsecond=0))
minutes = st.integers(min_value=1, max_value=5 * 8 * 60)


@settings(max_examples=150, deadline=None)
@given(instants, minutes, minutes, st.integers(1, 30 * 24 * 60), st.integers(0, 30 * 24 * 60))
def test_policy_change_between_working_promises_keeps_elapsed(start, m1, m2, change_after, look_after):
    change = start + timedelta(minutes=change_after)
    now = start + timedelta(minutes=look_after)
    history = [(start, Promise(m1)), (change, Promise(m2))]
    c = sla_clock(start=start, promise=history, at=now)
    single = Promise(m2) if now >= change else Promise(m1)
    plain = sla_clock(start=start, promise=single, at=now)
    # the time used is the same whatever promise was in force; only the target changes
    assert c.elapsed == plain.elapsed == CAL.elapsed(start, now)
    assert c.deadline == plain.deadline == CAL.deadline(start, single.duration)
    assert c.status == plain.status


@settings(max_examples=150, deadline=None)
@given(instants, minutes, st.integers(1, 30 * 24 * 60), st.integers(0, 30 * 24 * 60))
def test_working_to_calendar_change_adds_the_parts(start, m, change_after, look_after):
    change = start + timedelta(minutes=change_after)
    now = change + timedelta(minutes=look_after)
    history = [(start, Promise(m)), (change, Promise(m, calendar_hours=True))]
    c = sla_clock(start=start, promise=history, at=now)
    assert c.elapsed == CAL.elapsed(start, change) + calendar_elapsed(change, now)


@settings(max_examples=150, deadline=None)
@given(instants, minutes, st.integers(0, 20 * 24 * 60), st.floats(0.05, 1.0))
def test_status_follows_the_deadline_and_warning(start, m, look_after, share):
    now = start + timedelta(minutes=look_after)
    c = sla_clock(start=start, promise=Promise(m), at=now, warning_share=share)
    assert c.warning_at <= c.deadline
    assert (c.status == "breached") == (now > c.deadline)
    assert (c.status == "ok") == (now < c.warning_at)
    assert (c.status == "warning") == (c.warning_at <= now <= c.deadline)
    assert c.remaining == max(c.promise.duration - c.elapsed, timedelta(0))


# -- escalation ---------------------------------------------------------------------------------------


def chain(*people):
    roles = ["assignee"] + ["team_manager"] * (len(people) - 2) + ["head_office"]
    return [Post(r, p) for r, p in zip(roles, people, strict=True)]


def test_escalation_in_order_each_step_once():
    posts = chain("zhang", "li", "wang", "hq")
    steps = escalation_due(posts, due=2)
    assert [(s.level, s.recipient) for s in steps] == [(0, "zhang"), (1, "li")]
    assert escalation_due(posts, due=2, done={0, 1}) == []
    assert [(s.level, s.recipient) for s in escalation_due(posts, due=4, done={0, 1})] == [(2, "wang"), (3, "hq")]
    assert escalation_due(posts, due=0) == []


def test_empty_post_goes_to_the_next_level_never_dropped():
    posts = chain("zhang", None, None, "zhou", "hq")  # team manager and parent manager posts empty
    steps = escalation_due(posts, due=3)
    assert [(s.level, s.role, s.recipient, s.recipient_level, s.skipped) for s in steps] == [
        (0, "assignee", "zhang", 0, False),
        (1, "team_manager", "zhou", 3, True),
        (2, "team_manager", "zhou", 3, True),
    ]
    # an unassigned case: the assignee's step goes to the manager
    assert escalation_due(chain(None, "li", "hq"), due=1)[0].recipient == "li"
    # everybody gone but head office
    assert [s.recipient for s in escalation_due(chain(None, None, "hq"), due=3)] == ["hq", "hq", "hq"]


def test_a_lower_step_still_outstanding_comes_first():
    posts = chain("zhang", "li", "wang", "hq")
    assert [s.level for s in escalation_due(posts, due=3, done={1})] == [0, 2]


def test_escalation_refusals():
    with pytest.raises(ValueError, match="head office"):
        escalation_due(chain("zhang", "li", None), due=1)
    with pytest.raises(ValueError, match="empty"):
        escalation_due([], due=0)
    with pytest.raises(ValueError, match="between 0"):
        escalation_due(chain("zhang", "hq"), due=3)
    with pytest.raises(ValueError, match="level of the chain"):
        escalation_due(chain("zhang", "hq"), due=1, done={5})


def test_levels_due_by_share():
    assert [levels_due(s, 4) for s in (0.5, 0.99, 1.0, 1.49, 1.5, 2.0, 2.5, 9.0)] == [0, 0, 1, 1, 2, 3, 4, 4]
    assert levels_due(1.0, 4, every=0) == 4
    assert levels_due(0.9, 4, every=0) == 0
    with pytest.raises(ValueError):
        levels_due(1.0, 4, every=-1)


posts_strategy = st.lists(st.one_of(st.none(), st.sampled_from(["a", "b", "c", "d"])), min_size=0, max_size=5).map(
    lambda ps: [Post("assignee" if i == 0 else "team_manager", p) for i, p in enumerate(ps)] + [Post("head_office", "hq")]
)


@settings(max_examples=300, deadline=None)
@given(posts_strategy, st.lists(st.floats(0, 4), min_size=1, max_size=12), st.floats(0, 1))
def test_escalation_over_time_each_step_once_in_order_to_the_right_person(posts, shares, every):
    """The job runs at rising shares of the promise, recording the steps it takes."""
    done: list = []
    for share in sorted(shares):
        due = levels_due(share, len(posts), every=every)
        for step in escalation_due(posts, due=due, done=set(done)):
            done.append(step.level)
            first_person = next(k for k in range(step.level, len(posts)) if posts[k].person is not None)
            assert step.recipient_level == first_person and step.recipient == posts[first_person].person
    assert done == sorted(set(done))  # each step once, in order
    assert done == list(range(levels_due(max(shares), len(posts), every=every)))  # none dropped


def test_the_clock_drives_escalation():
    posts = chain("zhang", None, "wang", "hq")
    c = sla_clock(start=START, promise=DAY, at=at(2026, 10, 12, 18))  # Monday evening: 32.5 h used
    assert c.status == "breached" and c.share == pytest.approx(32.5 / 24)
    steps = escalation_due(posts, due=levels_due(c.share, len(posts)))
    assert [(s.level, s.recipient) for s in steps] == [(0, "zhang")]
    c = sla_clock(start=START, promise=DAY, at=at(2026, 10, 14, 9, 1))  # 40.5 h + 1 min, past 150 %: the team manager is due
    steps = escalation_due(posts, due=levels_due(c.share, len(posts)), done={0})
    assert [(s.level, s.recipient, s.skipped) for s in steps] == [(1, "wang", True)]
    assert c.at.tzinfo is SH and c.deadline.astimezone(UTC) == datetime(2026, 10, 10, 9, 30, tzinfo=UTC)
