"""The care calendar's date rules: 29 February, lunar holidays against published tables, time zones, moment keys.

Lunar holidays 2025–2027 are checked against the Hong Kong Observatory's Gregorian–Lunar calendar
conversion tables (https://www.hko.gov.hk/en/gts/time/conversion.htm; the years 2025, 2026, 2027)
and the State Council's holiday notices (国务院办公厅关于2025年/2026年部分节假日安排的通知), and, for
every year 2008–2026, against the ``chinese_calendar`` package's holiday data (an independent
transcription of the State Council notices: the day must be a holiday of that name).
"""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import numpy as np
import pytest

from kehu.analytics.next_purchase import purchase_rhythm
from kehu.marketing.care.dates import (
    date_from_day_number,
    local_date,
    local_day_bounds,
    lunar_holiday,
    lunar_holidays_between,
    lunar_to_gregorian,
    moment_key,
    monthly_card_date,
    next_lunar_holiday,
    next_monthly_card,
    next_occurrence,
    occurrence_in_year,
    occurrences_between,
    rice_merchant_date,
    send_date,
    thank_you_date,
    years_on,
)

LEAPLING = date(2004, 2, 29)


def test_29_february_falls_on_28_february_in_common_years():
    assert occurrence_in_year(LEAPLING, 2025) == date(2025, 2, 28)
    assert occurrence_in_year(LEAPLING, 2027) == date(2027, 2, 28)
    assert occurrence_in_year(LEAPLING, 2028) == date(2028, 2, 29)
    assert occurrence_in_year((2, 29), 2100) == date(2100, 2, 28)  # 2100 is not a leap year
    assert occurrence_in_year((2, 29), 2000) == date(2000, 2, 29)  # 2000 is
    assert next_occurrence(LEAPLING, date(2026, 3, 1)) == date(2027, 2, 28)
    assert next_occurrence(LEAPLING, date(2027, 2, 28)) == date(2027, 2, 28)
    assert next_occurrence(LEAPLING, date(2027, 3, 1)) == date(2028, 2, 29)
    assert occurrences_between(LEAPLING, date(2025, 1, 1), date(2028, 12, 31)) == [
        date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]
    assert years_on(LEAPLING, date(2027, 2, 28)) == 23


def test_birthdays_and_anniversaries():
    birthday = date(1990, 12, 31)
    assert next_occurrence(birthday, date(2026, 12, 31)) == date(2026, 12, 31)
    assert next_occurrence(birthday, date(2027, 1, 1)) == date(2027, 12, 31)
    assert next_occurrence((1, 1), date(2026, 12, 31)) == date(2027, 1, 1)
    assert occurrences_between((6, 15), date(2026, 6, 16), date(2026, 6, 14)) == []
    assert occurrences_between((6, 15), date(2026, 6, 15), date(2026, 6, 15)) == [date(2026, 6, 15)]
    assert years_on(date(2016, 5, 20), date(2026, 5, 20)) == 10  # the tenth wedding anniversary
    # a card posted 3 days ahead
    assert send_date(date(2026, 3, 2), 3) == date(2026, 2, 27)
    assert send_date(date(2026, 3, 2), 0) == date(2026, 3, 2)
    for bad in ((2, 30), (13, 1), (0, 5), ("x", 1), 5):
        with pytest.raises(ValueError):
            occurrence_in_year(bad, 2026)
    with pytest.raises(ValueError):
        send_date(date(2026, 3, 2), -1)


def test_monthly_card_in_short_months():
    assert monthly_card_date(2026, 1, 31) == date(2026, 1, 31)
    assert monthly_card_date(2026, 2, 31) == date(2026, 2, 28)
    assert monthly_card_date(2028, 2, 30) == date(2028, 2, 29)
    assert monthly_card_date(2026, 4, 31) == date(2026, 4, 30)
    assert monthly_card_date(2026, 4, 15) == date(2026, 4, 15)
    assert next_monthly_card(31, date(2026, 2, 1)) == date(2026, 2, 28)
    assert next_monthly_card(31, date(2026, 1, 31)) == date(2026, 1, 31)
    assert next_monthly_card(15, date(2026, 12, 20)) == date(2027, 1, 15)
    assert next_monthly_card(1, date(2026, 3, 2)) == date(2026, 4, 1)
    for bad in (0, 32, 1.5):
        with pytest.raises(ValueError):
            monthly_card_date(2026, 1, bad)


def test_thank_you_after_a_purchase():
    assert thank_you_date(date(2026, 5, 2), 3) == date(2026, 5, 5)
    assert thank_you_date(date(2026, 12, 30), 7) == date(2027, 1, 6)
    assert thank_you_date(date(2026, 5, 2), 0) == date(2026, 5, 2)
    # the purchase's date is its local date: 17:30 UTC on 1 May is 01:30 on 2 May in Shanghai
    placed = datetime(2026, 5, 1, 17, 30, tzinfo=timezone.utc)
    assert thank_you_date(local_date(placed, "Asia/Shanghai"), 1) == date(2026, 5, 3)
    with pytest.raises(ValueError):
        thank_you_date(date(2026, 5, 2), -1)
    with pytest.raises(ValueError):
        thank_you_date(placed, 1)


# Hong Kong Observatory conversion tables: 正月初一, 五月初五, 八月十五 of each year
PUBLISHED = {
    2025: {"spring_festival": date(2025, 1, 29), "dragon_boat": date(2025, 5, 31), "mid_autumn": date(2025, 10, 6)},
    2026: {"spring_festival": date(2026, 2, 17), "dragon_boat": date(2026, 6, 19), "mid_autumn": date(2026, 9, 25)},
    2027: {"spring_festival": date(2027, 2, 6), "dragon_boat": date(2027, 6, 9), "mid_autumn": date(2027, 9, 15)},
}


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_lunar_holidays_against_the_published_table(year):
    for name, expected in PUBLISHED[year].items():
        assert lunar_holiday(name, year) == expected


def test_lunar_holidays_against_the_state_council_calendar():
    names = {"spring_festival": "Spring Festival", "dragon_boat": "Dragon Boat Festival",
             "mid_autumn": "Mid-autumn Festival"}
    # Dragon Boat and Mid-Autumn became public holidays in 2008; chinese_calendar's data ends in 2026
    for year in range(2008, 2027):
        for name, label in names.items():
            day = lunar_holiday(name, year)
            holiday, detail = chinese_calendar.get_holiday_detail(day)
            assert holiday, (name, year, day)
            if detail is None:  # a weekend day the package does not name (Dragon Boat 2012 was a Saturday)
                assert day.weekday() >= 5, (name, year, day)
            elif name == "mid_autumn":  # inside the National Day week it is filed under National Day (2020)
                assert detail in (label, "National Day"), (name, year, day, detail)
            else:
                assert detail == label, (name, year, day, detail)


def test_lunar_holidays_fall_in_their_season_every_year():
    for year in range(1900, 2100):
        assert date(year, 1, 21) <= lunar_holiday("spring_festival", year) <= date(year, 2, 20)
        assert date(year, 9, 7) <= lunar_holiday("mid_autumn", year) <= date(year, 10, 8)


def test_next_lunar_holiday_and_windows():
    assert next_lunar_holiday("spring_festival", date(2026, 2, 17)) == date(2026, 2, 17)
    assert next_lunar_holiday("spring_festival", date(2026, 2, 18)) == date(2027, 2, 6)
    assert next_lunar_holiday("mid_autumn", date(2026, 1, 1)) == date(2026, 9, 25)
    assert lunar_holidays_between("mid_autumn", date(2025, 1, 1), date(2027, 12, 31)) == [
        date(2025, 10, 6), date(2026, 9, 25), date(2027, 9, 15)]
    assert lunar_to_gregorian(2025, 6, 1, leap_month=True) == date(2025, 7, 25)  # 2025 has a leap sixth month
    with pytest.raises(ValueError):
        lunar_holiday("qingming", 2026)  # a solar term, not a lunar date
    with pytest.raises(ValueError):
        lunar_holiday("spring_festival", 2100)
    with pytest.raises(ValueError):
        lunar_to_gregorian(2026, 6, 1, leap_month=True)  # no leap month in 2026


def test_rice_merchant_date():
    assert rice_merchant_date(date(2026, 3, 20), 3) == date(2026, 3, 17)
    assert rice_merchant_date(None, 3) is None
    assert rice_merchant_date(float("nan"), 3) is None
    # from the purchase rhythm: orders every 30 days, the last on 2026-03-01 -> expected 2026-03-31
    orders = np.array(["2026-01-01", "2026-01-31", "2026-03-02"], dtype="datetime64[D]")
    rhythm = purchase_rhythm([7, 7, 7], orders)
    assert rhythm.expected_next_date()[0] == np.datetime64("2026-04-01")
    assert rice_merchant_date(rhythm.expected_next[0], 5) == date(2026, 3, 27)
    # a half day (an even number of gaps) rounds as the page's expected date does
    for x in (20540.5, 20541.5, 20541.2):
        shown = np.round(np.array([x])).astype(np.int64).astype("datetime64[D]")[0]
        assert date_from_day_number(x) == shown.astype(date)
    # a customer with one order has no rhythm and no moment
    single = purchase_rhythm([8], np.array(["2026-01-05"], dtype="datetime64[D]"))
    assert rice_merchant_date(single.expected_next[0], 5) is None
    with pytest.raises(ValueError):
        rice_merchant_date(datetime(2026, 3, 20, tzinfo=timezone.utc), 3)


def test_local_date_around_midnight_utc_vs_shanghai():
    shanghai = ZoneInfo("Asia/Shanghai")
    before = datetime(2026, 1, 31, 15, 59, 59, tzinfo=timezone.utc)  # 23:59:59 in Shanghai
    after = datetime(2026, 1, 31, 16, 0, 0, tzinfo=timezone.utc)  # 00:00:00 on 1 February
    assert local_date(before) == date(2026, 1, 31) and local_date(after) == date(2026, 2, 1)
    assert local_date(after, shanghai) == date(2026, 2, 1)
    assert local_date(after, "UTC") == date(2026, 1, 31)
    # the same instant written in another zone is the same local date
    assert local_date(after.astimezone(ZoneInfo("America/New_York"))) == date(2026, 2, 1)
    assert local_date(date(2026, 2, 1)) == date(2026, 2, 1)
    with pytest.raises(ValueError):
        local_date(datetime(2026, 1, 31, 16, 0))  # naive: zone unknown
    with pytest.raises(ValueError):
        local_date("2026-01-31")
    # a leapling's greeting on 28 February 2027 starts at 16:00 UTC the day before
    start, end = local_day_bounds(occurrence_in_year(LEAPLING, 2027))
    assert start == datetime(2027, 2, 27, 16, tzinfo=timezone.utc)
    assert end - start == timedelta(hours=24)
    assert local_date(start) == date(2027, 2, 28) and local_date(end - timedelta(microseconds=1)) == date(2027, 2, 28)
    # in a zone with daylight saving the day of the change is 23 hours long
    s, e = local_day_bounds(date(2026, 3, 8), "America/New_York")
    assert e.astimezone(timezone.utc) - s.astimezone(timezone.utc) == timedelta(hours=23)


def test_moment_key_is_stable_and_unambiguous():
    assert moment_key(12, 3456, date(2027, 2, 28)) == "12:3456:2027-02-28"
    assert moment_key("birthday", 3456, date(2027, 2, 28)) == "birthday:3456:2027-02-28"
    assert moment_key(12, 3456, date(2027, 2, 28)) != moment_key(12, 3456, date(2028, 2, 29))
    assert moment_key(1, 23, date(2027, 1, 1)) != moment_key(12, 3, date(2027, 1, 1))
    for rule, customer in (("a:b", 1), (1, ""), (None, 1), (1, True), (" x", 1)):
        with pytest.raises(ValueError):
            moment_key(rule, customer, date(2027, 1, 1))
    with pytest.raises(ValueError):
        moment_key(1, 2, datetime(2027, 1, 1, tzinfo=timezone.utc))


def test_never_twice_for_one_moment():
    """A year of daily runs that look back three days (catching up missed runs), a lead time changed
    in June and a run repeated: each birthday moment is keyed once, so a unique key sends it once."""
    customers = {1: LEAPLING, 2: date(1985, 6, 20), 3: date(1990, 1, 2)}
    sent: dict[str, date] = {}
    refused = 0
    day = date(2027, 1, 1)
    while day <= date(2027, 12, 31):
        lead = 3 if day < date(2027, 6, 1) else 7
        for _ in range(2):  # the same run twice (a retry)
            for cid, birthday in customers.items():
                for occasion in occurrences_between(birthday, day + timedelta(days=lead - 3),
                                                    day + timedelta(days=lead)):
                    key = moment_key("birthday", cid, occasion)
                    if key in sent:
                        refused += 1
                    else:
                        sent[key] = day
        day += timedelta(days=1)
    assert sorted(sent) == ["birthday:1:2027-02-28", "birthday:2:2027-06-20", "birthday:3:2027-01-02",
                            "birthday:3:2028-01-02"]  # next year's, seven days ahead on 26 December
    # each sent on its first chance: lead days ahead, or on the first run when the occasion was nearer
    assert sent["birthday:1:2027-02-28"] == date(2027, 2, 25)
    assert sent["birthday:2:2027-06-20"] == date(2027, 6, 13)
    assert sent["birthday:3:2027-01-02"] == date(2027, 1, 1)
    assert sent["birthday:3:2028-01-02"] == date(2027, 12, 26)
    assert refused > 0
