"""Pure date rules of the care calendar (客户关怀, DOMAIN.md §2): when is each care moment.

No Django here: dates in, dates out. A *moment* is one occasion of one rule
for one customer — this year's birthday, the March monthly card, the thank-you
for the order of 2 May, the Mid-Autumn greeting of 2026. Its **occasion date**
is the day the moment is about; its **send date** is the occasion date minus
the rule's lead time (a card posted three days before the birthday).

* **Birthdays and anniversaries** recur on their month and day. 29 February
  falls on **28 February in common years**: still in the birthday's month,
  and a greeting a day early is polite where one a day late (1 March) says
  "we forgot". (Laws differ on the day a person born on 29 February comes
  of age; a greeting is not a legal age, and ``years_on`` simply counts
  calendar years.)
  ``years_on`` gives the age or the anniversary's number.
* **Monthly card (每月一卡)**: the card's day of the month (1–31); a month
  without that day uses its last day (31 → 30 April, 28 or 29 February).
* **Thank-you**: N days after the purchase's local date.
* **Lunar holidays**: Spring Festival (春节, lunar 1/1), Dragon Boat (端午,
  5/5) and Mid-Autumn (中秋, 8/15) of the lunar year that begins in the
  Gregorian year asked for (all three fall in that Gregorian year); lunar
  dates are converted with the ``lunardate`` package (lunar years 1900–2099;
  the regular month, never the leap month of the same number).
* **The rice merchant (米店老板)**: the predicted next order date
  (:mod:`kehu.analytics.next_purchase`) minus a lead time; no prediction, no
  moment. A predicted day number with a half (the median of an even number of
  gaps) is rounded as ``PurchaseRhythm.expected_next_date`` rounds it (half
  to even), so the moment and the expected date on the customer's page agree;
  the lead time is the merchant's margin.
* **Time zones**: a moment happens on a *local* date in the company's zone
  (``settings.TIME_ZONE``, default Asia/Shanghai): an order placed at
  2026-05-01 17:30 UTC is a 2 May order in Shanghai. :func:`local_date`
  converts an aware datetime; :func:`local_day_bounds` gives the aware
  instants [00:00, next 00:00) of a local day for querying.
* **Never twice for one moment**: :func:`moment_key` = ``rule:customer:occasion``
  is stable — it uses the occasion date, not the send date, so changing a
  rule's lead time or running the calendar again (or catching up missed days
  with :func:`occurrences_between`) yields the same key, and a unique key
  stored with each sent moment refuses the second. A daily run should look
  at the occasions in (the previous run's upper end, today + lead]: a fixed
  look-back misses days when a lead time grows, the key makes overlaps safe.
"""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import lunardate

__all__ = [
    "LUNAR_HOLIDAYS",
    "occurrence_in_year",
    "next_occurrence",
    "occurrences_between",
    "send_date",
    "years_on",
    "monthly_card_date",
    "next_monthly_card",
    "thank_you_date",
    "lunar_to_gregorian",
    "lunar_holiday",
    "next_lunar_holiday",
    "lunar_holidays_between",
    "date_from_day_number",
    "rice_merchant_date",
    "local_date",
    "local_day_bounds",
    "moment_key",
]

# holiday -> (lunar month, lunar day)
LUNAR_HOLIDAYS = {
    "spring_festival": (1, 1),  # 春节
    "dragon_boat": (5, 5),  # 端午节
    "mid_autumn": (8, 15),  # 中秋节
}

_MIN_YEAR, _MAX_YEAR = 1900, 2099  # lunardate's range


def _month_day(anchor) -> tuple[int, int]:
    """(month, day) of a date or a (month, day) pair, checked against a leap year."""
    if isinstance(anchor, date):
        return anchor.month, anchor.day
    try:
        month, day = (int(x) for x in anchor)
    except (TypeError, ValueError):
        raise ValueError("an occasion is a date or a (month, day) pair") from None
    if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2000, month)[1]:
        raise ValueError(f"no such day: month {month}, day {day}")
    return month, day


def occurrence_in_year(anchor, year: int) -> date:
    """The occasion's date in ``year`` (29 February → 28 February in common years).

    ``anchor`` is the original date (a birthday, a wedding day) or a (month, day) pair.
    """
    month, day = _month_day(anchor)
    if month == 2 and day == 29 and not calendar.isleap(year):
        day = 28
    return date(year, month, day)


def next_occurrence(anchor, on_or_after: date) -> date:
    """The first occurrence of the occasion on or after ``on_or_after``."""
    this = occurrence_in_year(anchor, on_or_after.year)
    return this if this >= on_or_after else occurrence_in_year(anchor, on_or_after.year + 1)


def occurrences_between(anchor, start: date, end: date) -> list[date]:
    """Every occurrence in [start, end], oldest first (a catch-up window for missed days)."""
    if end < start:
        return []
    found = (occurrence_in_year(anchor, y) for y in range(start.year, end.year + 1))
    return [d for d in found if start <= d <= end]


def send_date(occasion: date, lead_days: int) -> date:
    """The day to act on an occasion: ``lead_days`` (>= 0) before it."""
    if lead_days < 0:
        raise ValueError("a lead time is a number of days before the occasion (>= 0)")
    return occasion - timedelta(days=int(lead_days))


def years_on(anchor: date, occasion: date) -> int:
    """The age on a birthday, the number of an anniversary (occasion year − original year)."""
    return occasion.year - anchor.year


def _card_day(day_of_month: int) -> int:
    if int(day_of_month) != day_of_month or not 1 <= day_of_month <= 31:
        raise ValueError("the card's day of the month must be 1–31")
    return int(day_of_month)


def monthly_card_date(year: int, month: int, day_of_month: int) -> date:
    """The monthly card's date in a month: its day, or the month's last day when shorter."""
    day = _card_day(day_of_month)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def next_monthly_card(day_of_month: int, on_or_after: date) -> date:
    """The first monthly card date on or after ``on_or_after``."""
    this = monthly_card_date(on_or_after.year, on_or_after.month, day_of_month)
    if this >= on_or_after:
        return this
    y, m = (on_or_after.year + 1, 1) if on_or_after.month == 12 else (on_or_after.year, on_or_after.month + 1)
    return monthly_card_date(y, m, day_of_month)


def thank_you_date(purchase_day: date, days_after: int) -> date:
    """The thank-you's date: ``days_after`` (>= 0) days after the purchase's local date."""
    if isinstance(purchase_day, datetime):
        raise ValueError("pass the purchase's local date (local_date(datetime)), not a datetime")
    if days_after < 0:
        raise ValueError("a thank-you comes after the purchase (days_after >= 0)")
    return purchase_day + timedelta(days=int(days_after))


def lunar_to_gregorian(lunar_year: int, month: int, day: int, leap_month: bool = False) -> date:
    """The Gregorian date of a lunar date (lunardate; lunar years 1900–2099)."""
    if not _MIN_YEAR <= lunar_year <= _MAX_YEAR:
        raise ValueError(f"lunar dates are known for {_MIN_YEAR}–{_MAX_YEAR}, not {lunar_year}")
    try:
        return lunardate.LunarDate(lunar_year, month, day, leap_month).to_solar_date()
    except (ValueError, IndexError) as exc:
        raise ValueError(f"no lunar date {lunar_year}/{month}/{day}{' (leap)' if leap_month else ''}") from exc


def lunar_holiday(name: str, year: int) -> date:
    """The Gregorian date of a lunar holiday in Gregorian ``year`` (see :data:`LUNAR_HOLIDAYS`)."""
    if name not in LUNAR_HOLIDAYS:
        raise ValueError(f"unknown lunar holiday {name!r}; one of {sorted(LUNAR_HOLIDAYS)}")
    month, day = LUNAR_HOLIDAYS[name]
    return lunar_to_gregorian(year, month, day)


def next_lunar_holiday(name: str, on_or_after: date) -> date:
    """The first occurrence of a lunar holiday on or after ``on_or_after``."""
    this = lunar_holiday(name, on_or_after.year)
    return this if this >= on_or_after else lunar_holiday(name, on_or_after.year + 1)


def lunar_holidays_between(name: str, start: date, end: date) -> list[date]:
    """Every occurrence of a lunar holiday in [start, end]."""
    if end < start:
        return []
    found = (lunar_holiday(name, y) for y in range(start.year, end.year + 1))
    return [d for d in found if start <= d <= end]


def date_from_day_number(days) -> date | None:
    """A date from days since 1970-01-01 (rounded half to even, as NumPy does); None for None or NaN."""
    if days is None:
        return None
    x = float(days)
    if math.isnan(x):
        return None
    if math.isinf(x):
        raise ValueError("a day number must be finite")
    return date(1970, 1, 1) + timedelta(days=round(x))


def rice_merchant_date(predicted_next, lead_days: int) -> date | None:
    """The rice merchant's moment: the predicted next order date minus ``lead_days``; None without one.

    ``predicted_next`` is a date, a day number (``PurchaseRhythm.expected_next``,
    NaN when unknown) or None.
    """
    if isinstance(predicted_next, datetime):
        raise ValueError("pass the predicted local date, not a datetime")
    day = predicted_next if isinstance(predicted_next, date) else date_from_day_number(predicted_next)
    return None if day is None else send_date(day, lead_days)


def _zone(tz) -> tzinfo:
    if isinstance(tz, tzinfo):
        return tz
    return ZoneInfo(str(tz))


def local_date(moment, tz="Asia/Shanghai") -> date:
    """The local date of an aware datetime in the company's zone (a date is returned as is).

    A naive datetime is refused: its zone is unknown, and guessing it moves
    greetings to the wrong day around midnight.
    """
    if isinstance(moment, datetime):
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("a naive datetime has no time zone; pass an aware one")
        return moment.astimezone(_zone(tz)).date()
    if isinstance(moment, date):
        return moment
    raise ValueError("expected a datetime or a date")


def local_day_bounds(day: date, tz="Asia/Shanghai") -> tuple[datetime, datetime]:
    """The aware instants [start, end) of a local day: its 00:00 and the next day's 00:00."""
    zone = _zone(tz)
    start = datetime.combine(day, time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(), tzinfo=zone)
    return start, end


def _key_part(value, what: str) -> str:
    if isinstance(value, bool) or value is None:
        raise ValueError(f"the {what} of a moment must be an id or a code")
    text = str(value)
    if not text or text != text.strip() or ":" in text:
        raise ValueError(f"the {what} of a moment must be non-empty, without spaces around it or ':'")
    return text


def moment_key(rule, customer, occasion: date) -> str:
    """The stable key of one moment: ``"<rule>:<customer>:<YYYY-MM-DD>"`` (module docstring).

    ``rule`` and ``customer`` are ids or codes (no ':'); ``occasion`` is the
    occasion's local date (a datetime is refused: convert with :func:`local_date`).
    """
    if isinstance(occasion, datetime) or not isinstance(occasion, date):
        raise ValueError("the occasion is a local date")
    return f"{_key_part(rule, 'rule')}:{_key_part(customer, 'customer')}:{occasion.isoformat()}"
