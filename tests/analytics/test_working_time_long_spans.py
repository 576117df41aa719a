"""The long-span path of ``WorkingCalendar.elapsed`` (whole-day prefix sums, used by
the SLA check on cases open for months) gives exactly what the window-by-window
walk gives, pauses included."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.working_time import WorkingCalendar, _subtract_pauses, normalise_pauses

BASE = datetime(2024, 12, 20, tzinfo=UTC)


def walk(cal: WorkingCalendar, start, end, pauses) -> timedelta:
    closed, open_from = normalise_pauses(pauses)
    total = timedelta(0)
    for a, b in cal.windows(start):
        if a >= end:
            break
        for s, e in _subtract_pauses(a, min(b, end), closed, open_from):
            total += e - s
    return total


minutes = st.integers(min_value=0, max_value=60 * 24 * 500)


@settings(max_examples=150, deadline=None)
@given(a=minutes, span=st.integers(min_value=60 * 24 * 3 + 1, max_value=60 * 24 * 400),
       pauses=st.lists(st.tuples(st.integers(0, 60 * 24 * 400), st.integers(1, 60 * 24 * 30)), max_size=4),
       running=st.none() | st.integers(0, 60 * 24 * 400))
def test_long_span_matches_the_walk(a, span, pauses, running):
    cal = WorkingCalendar()
    start = BASE + timedelta(minutes=a, seconds=17)
    end = start + timedelta(minutes=span)
    ps = [(start + timedelta(minutes=s), start + timedelta(minutes=s + d)) for s, d in pauses]
    closed, _ = normalise_pauses(ps)
    if running is not None:
        r = start + timedelta(minutes=running)
        if not closed or r >= closed[-1][1]:
            ps.append((r, None))
    assert cal.elapsed(start, end, ps) == walk(cal, start, end, ps)


def test_an_earlier_start_after_a_later_one_still_adds_up():
    cal = WorkingCalendar()
    later = datetime(2026, 3, 2, 1, tzinfo=UTC)
    assert cal.elapsed(later, later + timedelta(days=40)) == walk(cal, later, later + timedelta(days=40), None)
    early = datetime(2025, 9, 29, 9, 30, tzinfo=UTC)
    assert cal.elapsed(early, later) == walk(cal, early, later, None)
    # Golden week 2025 (1–8 October) is not working time: from midnight on 1 October
    # (Shanghai) to 09:30 on the 9th is half an hour of work.
    assert cal.elapsed(datetime(2025, 9, 30, 16, tzinfo=UTC), datetime(2025, 10, 9, 1, 30, tzinfo=UTC)) == \
        timedelta(minutes=30)
