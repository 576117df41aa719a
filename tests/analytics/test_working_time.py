"""Working time on China's official calendar (kehu.analytics.working_time).

The holiday schedule checked by hand below is the State Council General
Office's notices:

* 2025: 国务院办公厅关于2025年部分节假日安排的通知 (国办发明电〔2024〕12号),
  https://www.gov.cn/zhengce/content/202411/content_6986382.htm — the address
  the chinesecalendar package's generator (chinese_calendar/scripts/data.py)
  cites for 2025, with the notice's text;
* 2026: 国务院办公厅关于2026年部分节假日安排的通知 (国办发明电〔2025〕7号) as
  carried by chinesecalendar 1.11.0. The notice numbers are as given in issue
  14's brief; they could not be checked offline against gov.cn, so the
  citation that was verified is the package version and, for 2025, its source
  address. The dates below are the notices' own (e.g. 2026: 元旦 1–3 Jan, 4 Jan
  上班; 春节 15–23 Feb, 14 and 28 Feb 上班; 国庆节 1–7 Oct, 20 Sep and 10 Oct 上班).

Working hours in these tests: 09:00–12:00 and 13:00–18:00 (8 hours a day),
Asia/Shanghai.
"""

import warnings
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.analytics.working_time import (
    CalendarFallbackWarning,
    WorkingCalendar,
    calendar_deadline,
    calendar_elapsed,
    normalise_pauses,
    package_years,
)

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkingCalendar()


def at(y, m, d, hh=0, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def H(hours):
    return timedelta(hours=hours)


def days(first: date, last: date):
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


# Days off (holidays) and make-up working days (调休上班), transcribed from the notices.
HOLIDAYS = {
    2025: [
        (date(2025, 1, 1), date(2025, 1, 1)),  # 元旦
        (date(2025, 1, 28), date(2025, 2, 4)),  # 春节
        (date(2025, 4, 4), date(2025, 4, 6)),  # 清明节
        (date(2025, 5, 1), date(2025, 5, 5)),  # 劳动节
        (date(2025, 5, 31), date(2025, 6, 2)),  # 端午节
        (date(2025, 10, 1), date(2025, 10, 8)),  # 国庆节、中秋节
    ],
    2026: [
        (date(2026, 1, 1), date(2026, 1, 3)),  # 元旦
        (date(2026, 2, 15), date(2026, 2, 23)),  # 春节
        (date(2026, 4, 4), date(2026, 4, 6)),  # 清明节
        (date(2026, 5, 1), date(2026, 5, 5)),  # 劳动节
        (date(2026, 6, 19), date(2026, 6, 21)),  # 端午节
        (date(2026, 9, 25), date(2026, 9, 27)),  # 中秋节
        (date(2026, 10, 1), date(2026, 10, 7)),  # 国庆节
    ],
}
MAKE_UP_DAYS = {
    2025: [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)],
    2026: [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ],
}


@pytest.mark.parametrize("year", [2025, 2026])
def test_every_day_of_2025_and_2026_against_the_notices(year):
    off = {d for a, b in HOLIDAYS[year] for d in days(a, b)}
    make_up = set(MAKE_UP_DAYS[year])
    assert all(d.weekday() >= 5 for d in make_up)  # a make-up day is a Saturday or a Sunday
    for d in days(date(year, 1, 1), date(year, 12, 31)):
        expected = d in make_up or (d.weekday() < 5 and d not in off)
        assert CAL.is_working_day(d) is expected, d
        assert CAL.is_covered(d)


# (start, working hours promised, deadline) — each worked out by hand on the notices above.
HAND_TABLE = [
    # the example: 30 Sep 2026 (Wed) 17:30, 24 working hours. 17:30–18:00 is 0.5 h; 1–7 Oct
    # are the National Day holiday; 8 Oct (Thu) and 9 Oct (Fri) give 8 h each (16.5 h); Saturday
    # 10 Oct is a make-up working day: 09:00–12:00 (19.5 h), 13:00–17:30 (24 h).
    (at(2026, 9, 30, 17, 30), 24, at(2026, 10, 10, 17, 30)),
    # 2025
    (at(2025, 1, 25, 10), 4, at(2025, 1, 26, 14)),  # Sat off; Sun 26 Jan is a make-up day
    (at(2025, 1, 27, 16), 8, at(2025, 2, 5, 16)),  # 2 h, Spring Festival 28 Jan–4 Feb, 6 h on 5 Feb
    (at(2025, 2, 7, 17), 2, at(2025, 2, 8, 10)),  # Sat 8 Feb is a make-up day
    (at(2025, 4, 3, 17), 3, at(2025, 4, 7, 11)),  # Qingming 4–6 Apr
    (at(2025, 4, 25, 18), 1, at(2025, 4, 27, 10)),  # Sun 27 Apr is a make-up day
    (at(2025, 4, 30, 12, 30), 8, at(2025, 5, 6, 12)),  # lunch, 5 h, Labour Day 1–5 May, 3 h: due at 12:00
    (at(2025, 5, 30, 10), 8, at(2025, 6, 3, 10)),  # Dragon Boat 31 May–2 Jun
    (at(2025, 9, 26, 17), 3, at(2025, 9, 28, 11)),  # Sun 28 Sep is a make-up day
    (at(2025, 9, 30, 9), 16, at(2025, 10, 9, 18)),  # National Day and Mid-autumn 1–8 Oct
    (at(2025, 10, 10, 18), 8, at(2025, 10, 11, 18)),  # Sat 11 Oct is a make-up day
    (at(2025, 12, 31, 14), 8, at(2026, 1, 4, 14)),  # New Year 1–3 Jan 2026, Sun 4 Jan make-up day
    # 2026
    (at(2026, 2, 13, 17), 9, at(2026, 2, 14, 18)),  # Sat 14 Feb is a make-up day
    (at(2026, 2, 14, 18), 1, at(2026, 2, 24, 10)),  # Spring Festival 15–23 Feb
    (at(2026, 2, 27, 17), 2, at(2026, 2, 28, 10)),  # Sat 28 Feb is a make-up day
    (at(2026, 4, 3, 17), 2, at(2026, 4, 7, 10)),  # Qingming 4–6 Apr
    (at(2026, 4, 30, 17), 2, at(2026, 5, 6, 10)),  # Labour Day 1–5 May
    (at(2026, 5, 8, 17), 2, at(2026, 5, 9, 10)),  # Sat 9 May is a make-up day
    (at(2026, 6, 18, 17), 2, at(2026, 6, 22, 10)),  # Dragon Boat 19–21 Jun
    (at(2026, 9, 18, 17), 2, at(2026, 9, 20, 10)),  # Sun 20 Sep is a make-up day
    (at(2026, 9, 24, 17), 2, at(2026, 9, 28, 10)),  # Mid-autumn 25–27 Sep
    (at(2026, 10, 9, 17), 2, at(2026, 10, 10, 10)),  # Sat 10 Oct is a make-up day
    # outside working hours and at closing time
    (at(2026, 3, 2, 7), 1, at(2026, 3, 2, 10)),  # before opening
    (at(2026, 3, 2, 12, 15), 1, at(2026, 3, 2, 14)),  # during lunch
    (at(2026, 3, 2, 9), 8, at(2026, 3, 2, 18)),  # a full day ends at 18:00 the same day
]


@pytest.mark.parametrize(("start", "hours", "due"), HAND_TABLE)
def test_hand_checked_deadlines(start, hours, due):
    assert CAL.deadline(start, H(hours)) == due
    assert CAL.elapsed(start, due) == H(hours)


def test_hand_checked_elapsed():
    # 30 Sep 2026 17:30 → 8 Oct 17:30: 0.5 h + 3 h + 4.5 h
    assert CAL.elapsed(at(2026, 9, 30, 17, 30), at(2026, 10, 8, 17, 30)) == H(8)
    # the whole National Day week 2026 is no working time; Saturday 10 Oct is a full day
    assert CAL.elapsed(at(2026, 10, 1), at(2026, 10, 8)) == timedelta(0)
    assert CAL.elapsed(at(2026, 10, 10), at(2026, 10, 11)) == H(8)
    # an ordinary week
    assert CAL.elapsed(at(2026, 3, 2), at(2026, 3, 9)) == H(40)
    # instants in other zones mean the same instants
    assert CAL.elapsed(datetime(2026, 3, 2, 1, tzinfo=UTC), datetime(2026, 3, 2, 10, tzinfo=UTC)) == H(8)
    assert CAL.elapsed(at(2026, 3, 3), at(2026, 3, 2)) == timedelta(0)


def test_calendar_hours_mode():
    assert calendar_deadline(at(2026, 9, 30, 17, 30), H(24)) == at(2026, 10, 1, 17, 30)
    assert calendar_elapsed(at(2026, 9, 30, 17, 30), at(2026, 10, 1, 17, 30)) == H(24)
    pause = [(at(2026, 10, 1, 9), at(2026, 10, 1, 12))]
    assert calendar_deadline(at(2026, 9, 30, 17, 30), H(24), pause) == at(2026, 10, 1, 20, 30)
    assert calendar_elapsed(at(2026, 9, 30, 17, 30), at(2026, 10, 1, 20, 30), pause) == H(24)
    assert calendar_deadline(at(2026, 9, 30, 17, 30), H(24), [(at(2026, 10, 1, 9), None)]) is None


def test_pauses_by_hand():
    start = at(2026, 3, 2, 9)  # Monday
    # waiting for the customer 10:00–16:00 Monday: 5 working hours stopped
    pauses = [(at(2026, 3, 2, 10), at(2026, 3, 2, 16))]
    assert CAL.elapsed(start, at(2026, 3, 2, 18), pauses) == H(3)
    assert CAL.deadline(start, H(8), pauses) == at(2026, 3, 3, 15)  # 3 h Monday, 3 h + 2 h Tuesday
    # a pause still running stops the clock: the deadline is unknown, the time so far counted
    running = [(at(2026, 3, 2, 10), None)]
    assert CAL.deadline(start, H(8), running) is None
    assert CAL.deadline(start, H(1), running) == at(2026, 3, 2, 10)
    assert CAL.elapsed(start, at(2026, 3, 5), running) == H(1)
    # overlapping and unordered pauses are merged
    merged, open_from = normalise_pauses(
        [(at(2026, 3, 2, 11), at(2026, 3, 2, 14)), (at(2026, 3, 2, 10), at(2026, 3, 2, 12))]
    )
    assert merged == [(at(2026, 3, 2, 10), at(2026, 3, 2, 14))] and open_from is None


def test_refusals():
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.elapsed(datetime(2026, 3, 2, 9), at(2026, 3, 2, 10))
    with pytest.raises(ValueError, match="negative"):
        CAL.deadline(at(2026, 3, 2, 9), H(-1))
    with pytest.raises(ValueError, match="end after it starts"):
        normalise_pauses([(at(2026, 3, 2, 10), at(2026, 3, 2, 10))])
    with pytest.raises(ValueError, match="only one pause"):
        normalise_pauses([(at(2026, 3, 2, 10), None), (at(2026, 3, 2, 11), None)])
    with pytest.raises(ValueError, match="after the other pauses"):
        normalise_pauses([(at(2026, 3, 2, 10), None), (at(2026, 3, 2, 9), at(2026, 3, 2, 11))])
    with pytest.raises(ValueError, match="overlap"):
        WorkingCalendar(hours=(("09:00", "12:00"), ("11:00", "18:00")))
    with pytest.raises(ValueError, match="end after it starts"):
        WorkingCalendar(hours=(("18:00", "09:00"),))
    with pytest.raises(ValueError, match="at least one"):
        WorkingCalendar(hours=())
    with pytest.raises(ValueError, match="both"):
        WorkingCalendar(extra_holidays={date(2026, 3, 2)}, extra_workdays={date(2026, 3, 2)})


def test_company_hours_and_own_days():
    shop = WorkingCalendar(hours=(("08:30", "17:30"),), extra_holidays={date(2026, 3, 6)})
    assert shop.hours_per_day == H(9)
    assert shop.deadline(at(2026, 3, 5, 17), H(1)) == at(2026, 3, 9, 9)  # Friday 6 Mar is the company's day off
    weekend_shift = WorkingCalendar(extra_workdays={date(2026, 3, 7)})
    assert weekend_shift.deadline(at(2026, 3, 6, 17), H(2)) == at(2026, 3, 7, 10)


def test_years_the_package_does_not_cover_fall_back_to_monday_to_friday_and_say_so():
    lo, hi = package_years()
    assert lo <= 2025 and hi >= 2026
    cal = WorkingCalendar()
    late = date(hi + 1, 1, 1)
    assert not cal.is_covered(late)
    with pytest.warns(CalendarFallbackWarning, match=str(hi + 1)):
        working = [d for d in days(late, late + timedelta(days=13)) if cal.is_working_day(d)]
    assert working == [d for d in days(late, late + timedelta(days=13)) if d.weekday() < 5]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cal.is_working_day(late)  # warned once per calendar and year, not at every call
    assert cal.fallback_years(at(2026, 12, 1), datetime(hi + 2, 1, 5, tzinfo=SH)) == (hi + 1, hi + 2)
    assert cal.fallback_years(at(2026, 1, 1), at(2026, 12, 31)) == ()
    # the company can supply a day the package does not know
    own = WorkingCalendar(extra_holidays={late})
    assert own.is_covered(late) and not own.is_working_day(late)


# -- properties --------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 15), timezones=st.just(SH)
).map(lambda d: d.replace(microsecond=0))
amounts = st.integers(min_value=0, max_value=5 * 8 * 60).map(lambda m: timedelta(minutes=m))
positive = st.integers(min_value=1, max_value=5 * 8 * 60).map(lambda m: timedelta(minutes=m))


@st.composite
def pause_lists(draw, start):
    n = draw(st.integers(0, 4))
    out = []
    for _ in range(n):
        offset = draw(st.integers(-600, 20 * 24 * 60))
        length = draw(st.integers(1, 3 * 24 * 60))
        s = start + timedelta(minutes=offset)
        out.append((s, s + timedelta(minutes=length)))
    return out


@st.composite
def start_and_pauses(draw):
    start = draw(instants)
    return start, draw(pause_lists(start))


@settings(max_examples=200, deadline=None)
@given(instants, amounts)
def test_elapsed_to_the_deadline_is_the_amount(start, n):
    assert CAL.elapsed(start, CAL.deadline(start, n)) == n


@settings(max_examples=200, deadline=None)
@given(instants, amounts, amounts)
def test_deadlines_add_up(start, a, b):
    assert CAL.deadline(start, a + b) == CAL.deadline(CAL.deadline(start, a), b)


@settings(max_examples=150, deadline=None)
@given(start_and_pauses(), amounts, amounts)
def test_deadlines_add_up_with_pauses(sp, a, b):
    start, pauses = sp
    assert CAL.deadline(start, a + b, pauses) == CAL.deadline(CAL.deadline(start, a, pauses), b, pauses)


@settings(max_examples=200, deadline=None)
@given(instants, amounts, amounts)
def test_deadline_is_monotone_in_the_amount(start, a, b):
    lo, hi = sorted((a, b))
    assert CAL.deadline(start, lo) <= CAL.deadline(start, hi)


@settings(max_examples=200, deadline=None)
@given(instants, instants, positive)
def test_deadline_is_monotone_in_the_start(s1, s2, n):
    lo, hi = sorted((s1, s2))
    assert CAL.deadline(lo, n) <= CAL.deadline(hi, n)


@settings(max_examples=200, deadline=None)
@given(start_and_pauses(), positive)
def test_no_deadline_outside_working_hours(sp, n):
    start, pauses = sp
    due = CAL.deadline(start, n, pauses)
    assert CAL.is_working_instant(due)
    assert CAL.is_working_day(due.date())
    assert time(9) <= due.timetz().replace(tzinfo=None) <= time(18)
    assert not any(s < due <= e for s, e in pauses)  # never inside a pause


@settings(max_examples=200, deadline=None)
@given(start_and_pauses(), amounts)
def test_pauses_only_push_deadlines_later(sp, n):
    start, pauses = sp
    with_pauses = CAL.deadline(start, n, pauses)
    assert with_pauses >= CAL.deadline(start, n)
    assert CAL.elapsed(start, with_pauses, pauses) == n
    # adding one more pause never brings it earlier either
    if pauses:
        assert CAL.deadline(start, n, pauses[:-1]) <= with_pauses


@settings(max_examples=200, deadline=None)
@given(instants, instants, instants)
def test_elapsed_is_additive_and_bounded(a, b, c):
    a, b, c = sorted((a, b, c))
    assert CAL.elapsed(a, c) == CAL.elapsed(a, b) + CAL.elapsed(b, c)
    assert CAL.elapsed(a, c) <= c - a
    whole_days = (c.date() - a.date()).days + 1
    assert CAL.elapsed(a, c) <= whole_days * CAL.hours_per_day


@settings(max_examples=150, deadline=None)
@given(start_and_pauses(), instants)
def test_pauses_never_add_time(sp, end):
    start, pauses = sp
    assert CAL.elapsed(start, end, pauses) <= CAL.elapsed(start, end)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([d for y in (2025, 2026) for a, b in HOLIDAYS[y] for d in days(a, b)]))
def test_no_working_time_on_a_holiday(d):
    midnight = datetime.combine(d, time(0), tzinfo=SH)
    assert CAL.elapsed(midnight, midnight + timedelta(days=1)) == timedelta(0)
    # a promise made on a holiday starts running at the next working day's opening
    due = CAL.deadline(midnight, timedelta(minutes=1))
    assert due.date() > d and due.timetz().replace(tzinfo=None) == time(9, 1)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([d for y in (2025, 2026) for d in MAKE_UP_DAYS[y]]))
def test_a_make_up_day_is_a_full_working_day(d):
    midnight = datetime.combine(d, time(0), tzinfo=SH)
    assert CAL.elapsed(midnight, midnight + timedelta(days=1)) == H(8)
    assert CAL.deadline(midnight, H(8)) == datetime.combine(d, time(18), tzinfo=SH)


@settings(max_examples=100, deadline=None)
@given(instants, amounts)
def test_calendar_hours_properties(start, n):
    assert calendar_deadline(start, n) == start + n
    assert calendar_elapsed(start, calendar_deadline(start, n)) == n


@st.composite
def calendars(draw):
    """Company working hours: one to three intervals between 06:00 and 22:00, on the quarter hour."""
    marks = sorted(draw(st.sets(st.integers(24, 88), min_size=2, max_size=6)))
    if len(marks) % 2:
        marks = marks[:-1]
    hours = tuple(
        (time(a // 4, a % 4 * 15), time(b // 4, b % 4 * 15)) for a, b in zip(marks[::2], marks[1::2], strict=True)
    )
    zone = draw(st.sampled_from(["Asia/Shanghai", "Asia/Urumqi", "Europe/Berlin"]))  # Berlin: summer time
    return WorkingCalendar(hours=hours, timezone=zone)


@settings(max_examples=150, deadline=None)
@given(calendars(), start_and_pauses(), amounts, amounts)
def test_any_company_hours(cal, sp, a, b):
    start, pauses = sp
    # short working days stretch a promise over months: start in 2025 to stay on the official calendar
    shift = start - start.replace(year=2025)
    start, pauses = start - shift, [(s - shift, e - shift) for s, e in pauses]
    due = cal.deadline(start, a + b, pauses)
    assert cal.elapsed(start, due, pauses) == a + b
    assert due == cal.deadline(cal.deadline(start, a, pauses), b, pauses)
    if a + b:
        assert cal.is_working_instant(due)
        local = due.astimezone(ZoneInfo(cal.timezone)).time()
        assert any(s <= local <= e for s, e in cal.hours)
    assert cal.deadline(start, a + b) <= due
