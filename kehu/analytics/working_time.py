"""Working time on China's official calendar: the clock service levels run on.

A **working day** is decided by the ``chinesecalendar`` package (import
``chinese_calendar``), which carries the State Council General Office's yearly
holiday notices (国务院办公厅关于部分节假日安排的通知): weekends, public holidays
and the make-up working days (调休, a Saturday or Sunday declared a working
day). Version 1.11 covers 2004–2026. For a year the package does not cover the
calendar falls back to Monday–Friday, and says so: every result that touched
such a year lists it (:meth:`WorkingCalendar.fallback_years`, and
``SlaClock.fallback_years`` in :mod:`kehu.analytics.sla`), and a
:class:`CalendarFallbackWarning` is issued once per calendar and year. A
company may add its own days off (``extra_holidays``) or working days
(``extra_workdays``); these win over the package and the fallback.

**Working hours** are a list of intervals of the day in local time, by default
09:00–12:00 and 13:00–18:00 (eight hours), in the calendar's time zone
(default ``Asia/Shanghai``). All instants given to and returned by this module
are timezone-aware; naive datetimes are refused.

**Pauses** are ``[start, end)`` intervals while the case waits for the
customer; the clock stops during them. ``end`` may be ``None`` for a pause
still running; the clock is then stopped from ``start`` on, and a deadline
not reached before it is ``None`` (unknown until the customer answers).

Conventions, which the property tests check:

* ``elapsed(a, b)`` is the working time in ``[a, b)`` outside pauses;
* ``deadline(start, n)`` is the first instant at which ``n`` (> 0) of working
  time has run: it always lies inside working hours, where an interval's
  closing time counts (a promise used up exactly at 18:00 is due at 18:00 that
  day, not at 09:00 the next morning); ``deadline(start, 0) == start``;
* ``elapsed(start, deadline(start, n)) == n`` and
  ``deadline(start, a + b) == deadline(deadline(start, a), b)``, to the
  microsecond (timedelta arithmetic, no floating point);
* a pause never brings a deadline earlier.

The **calendar-hours mode** (``calendar_hours=True`` in the functions of
:mod:`kehu.analytics.sla`) counts every hour of every day, weekends and
holidays included; pauses still stop the clock (waiting for the customer is
never held against the company).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = [
    "DEFAULT_HOURS",
    "DEFAULT_TIMEZONE",
    "CalendarFallbackWarning",
    "Pause",
    "WorkingCalendar",
    "calendar_deadline",
    "calendar_elapsed",
    "normalise_pauses",
    "package_years",
]

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_HOURS: tuple[tuple[time, time], ...] = ((time(9), time(12)), (time(13), time(18)))

Pause = tuple[datetime, datetime | None]
_ZERO = timedelta(0)


class CalendarFallbackWarning(UserWarning):
    """A computation used the Monday–Friday fallback for a year the holiday data does not cover."""


def package_years() -> tuple[int, int]:
    """First and last year of the State Council schedule the installed ``chinesecalendar`` covers."""
    return _package_years()


@lru_cache(maxsize=1)
def _package_years() -> tuple[int, int]:
    keys = chinese_calendar.constants.holidays.keys()
    return min(keys).year, max(keys).year


@lru_cache(maxsize=8192)
def _package_workday(d: date) -> bool | None:
    """The package's answer, or None for a year it does not cover."""
    lo, hi = _package_years()
    if not lo <= d.year <= hi:
        return None
    return bool(chinese_calendar.is_workday(d))


def _aware(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware")
    # Arithmetic in UTC: Python subtracts and compares datetimes that share a tzinfo by wall time.
    return value.astimezone(UTC)


def normalise_pauses(pauses: Iterable[Sequence] | None) -> tuple[list[tuple[datetime, datetime]], datetime | None]:
    """Sort and merge pauses. Returns (closed pauses, start of the open pause or None).

    A pause is ``(start, end)`` with ``start < end``, or ``(start, None)`` while
    it runs; at most one pause may be open, and it must start after every
    closed one ends (the case cannot wait twice at once).
    """
    closed: list[tuple[datetime, datetime]] = []
    open_from: datetime | None = None
    for p in pauses or ():
        if len(p) != 2:
            raise ValueError("a pause is a (start, end) pair")
        s = _aware(p[0], "pause start")
        if p[1] is None:
            if open_from is not None:
                raise ValueError("only one pause can still be running")
            open_from = s
            continue
        e = _aware(p[1], "pause end")
        if not s < e:
            raise ValueError("a pause must end after it starts")
        closed.append((s, e))
    closed.sort()
    merged: list[tuple[datetime, datetime]] = []
    for s, e in closed:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    if open_from is not None and merged and merged[-1][1] > open_from:
        raise ValueError("the running pause must start after the other pauses end")
    return merged, open_from


def _subtract_pauses(
    s: datetime, e: datetime, pauses: list[tuple[datetime, datetime]], open_from: datetime | None
) -> Iterator[tuple[datetime, datetime]]:
    """The parts of [s, e) outside the pauses, in order."""
    if open_from is not None and e > open_from:
        e = open_from
    cur = s
    for ps, pe in pauses:
        if pe <= cur:
            continue
        if ps >= e:
            break
        if ps > cur:
            yield cur, ps
        cur = max(cur, pe)
        if cur >= e:
            return
    if cur < e:
        yield cur, e


def calendar_elapsed(start: datetime, end: datetime, pauses=None) -> timedelta:
    """Clock time in ``[start, end)`` outside pauses (the calendar-hours mode)."""
    start, end = _aware(start, "start"), _aware(end, "end")
    closed, open_from = normalise_pauses(pauses)
    if end <= start:
        return _ZERO
    return sum((b - a for a, b in _subtract_pauses(start, end, closed, open_from)), _ZERO)


def calendar_deadline(start: datetime, amount: timedelta, pauses=None) -> datetime | None:
    """``start`` plus ``amount`` of clock time, pushed later by pauses (None if a running pause stops it)."""
    _aware(start, "start")
    if amount < _ZERO:
        raise ValueError("the amount of time must not be negative")
    if amount == _ZERO:
        return start
    tz = start.tzinfo
    start = _aware(start, "start")
    closed, open_from = normalise_pauses(pauses)
    remaining, cur = amount, start
    for ps, pe in closed:
        if pe <= cur:
            continue
        if ps > cur:
            if remaining <= ps - cur:
                break
            remaining -= ps - cur
        cur = max(cur, pe)
    if open_from is not None and cur + remaining > open_from:
        return None
    return (cur + remaining).astimezone(tz)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days (China's official calendar) and working hours (per company).

    ``hours``: the working intervals of a working day, local times, sorted,
    not overlapping, each ``start < end`` (an interval cannot cross midnight).
    ``timezone``: an IANA name. ``extra_holidays`` / ``extra_workdays``: the
    company's own days off / working days, applied over the official calendar.
    """

    hours: tuple[tuple[time, time], ...] = DEFAULT_HOURS
    timezone: str = DEFAULT_TIMEZONE
    extra_holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self):
        hours = tuple((time(*_hm(a)), time(*_hm(b))) for a, b in self.hours)
        if not hours:
            raise ValueError("working hours need at least one interval")
        for a, b in hours:
            if not a < b:
                raise ValueError("each working-hours interval must end after it starts, within the day")
        for (_, b), (c, _) in zip(hours, hours[1:], strict=False):
            if c < b:
                raise ValueError("working-hours intervals must be in order and must not overlap")
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "extra_holidays", frozenset(self.extra_holidays))
        object.__setattr__(self, "extra_workdays", frozenset(self.extra_workdays))
        if self.extra_holidays & self.extra_workdays:
            raise ValueError("a day cannot be both an extra holiday and an extra working day")
        ZoneInfo(self.timezone)  # refuses an unknown zone
        object.__setattr__(self, "_warned", set())
        # Memo of each local day's working windows, and of the working time of the
        # days from ``_cum_from`` on (a prefix sum), so that the working time of a
        # case open for months costs a few lookups, not a walk over every day.
        object.__setattr__(self, "_day_cache", {})
        object.__setattr__(self, "_cum", [_ZERO])
        object.__setattr__(self, "_cum_from", None)
        object.__setattr__(self, "_zone", ZoneInfo(self.timezone))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def hours_per_day(self) -> timedelta:
        return sum((_td(b) - _td(a) for a, b in self.hours), _ZERO)

    # -- days ------------------------------------------------------------
    def is_covered(self, d: date) -> bool:
        """Whether the official schedule for ``d``'s year is known (else Monday–Friday is assumed)."""
        return d in self.extra_holidays or d in self.extra_workdays or _package_workday(d) is not None

    def is_working_day(self, d: date) -> bool:
        if d in self.extra_holidays:
            return False
        if d in self.extra_workdays:
            return True
        known = _package_workday(d)
        if known is None:
            if d.year not in self._warned:
                self._warned.add(d.year)
                lo, hi = _package_years()
                warnings.warn(
                    CalendarFallbackWarning(
                        f"no official holiday schedule for {d.year} (chinesecalendar covers {lo}–{hi}); "
                        "assuming Monday–Friday working days"
                    ),
                    stacklevel=3,
                )
            return d.weekday() < 5
        return known

    def fallback_years(self, start: datetime, end: datetime) -> tuple[int, ...]:
        """Years between the two instants (local dates) for which the Monday–Friday fallback applies."""
        a = _aware(start, "start").astimezone(self.zone).date().year
        b = _aware(end, "end").astimezone(self.zone).date().year
        lo, hi = _package_years()
        return tuple(y for y in range(min(a, b), max(a, b) + 1) if not lo <= y <= hi)

    # -- intervals -------------------------------------------------------
    def _day_windows(self, d: date) -> list[tuple[datetime, datetime]]:
        cached = self._day_cache.get(d)
        if cached is not None:
            return cached
        if not self.is_working_day(d):
            windows = []
        else:
            z = self.zone
            windows = [
                (datetime.combine(d, a, tzinfo=z).astimezone(UTC), datetime.combine(d, b, tzinfo=z).astimezone(UTC))
                for a, b in self.hours
            ]
        self._day_cache[d] = windows
        return windows

    def _days_total(self, first: date, last: date) -> timedelta:
        """Working time of the whole local days ``first`` … ``last - 1`` (a prefix sum, extended as needed)."""
        if last <= first:
            return _ZERO
        if self._cum_from is None or first < self._cum_from:
            object.__setattr__(self, "_cum_from", first)
            object.__setattr__(self, "_cum", [_ZERO])
        cum = self._cum
        need = (last - self._cum_from).days
        while len(cum) <= need:
            d = self._cum_from + timedelta(days=len(cum) - 1)
            cum.append(cum[-1] + sum((b - a for a, b in self._day_windows(d)), _ZERO))
        return cum[need] - cum[(first - self._cum_from).days]

    def _raw_elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)`` (UTC instants), no pauses: the first and last
        local days window by window, the days between from the prefix sum."""
        if end <= start:
            return _ZERO
        z = self._zone
        first, last = start.astimezone(z).date(), end.astimezone(z).date()
        total = _ZERO
        for d in (first, last) if last > first else (first,):
            for a, b in self._day_windows(d):
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    total += hi - lo
        return total + self._days_total(first + timedelta(days=1), last)

    def windows(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working intervals from ``start`` on (clipped to start), forever, in order."""
        start = _aware(start, "start")
        d = start.astimezone(self.zone).date()
        while True:
            for a, b in self._day_windows(d):
                if b > start:
                    yield max(a, start), b
            d += timedelta(days=1)

    def is_working_instant(self, at: datetime) -> bool:
        """Whether ``at`` lies in working hours, closing times included."""
        at = _aware(at, "instant")
        d = at.astimezone(self.zone).date()
        return any(a <= at <= b for a, b in self._day_windows(d))

    # -- the clock -------------------------------------------------------
    def elapsed(self, start: datetime, end: datetime, pauses=None) -> timedelta:
        """Working time in ``[start, end)`` outside pauses."""
        start, end = _aware(start, "start"), _aware(end, "end")
        closed, open_from = normalise_pauses(pauses)
        if end <= start:
            return _ZERO
        if end - start > timedelta(days=3):
            # Long spans: whole-day sums, minus the (merged, disjoint) pauses' working time.
            if open_from is not None and end > open_from:
                end = open_from
            total = self._raw_elapsed(start, end)
            for ps, pe in closed:
                lo, hi = max(ps, start), min(pe, end)
                if lo < hi:
                    total -= self._raw_elapsed(lo, hi)
            return total
        total = _ZERO
        for a, b in self.windows(start):
            if a >= end:
                break
            for s, e in _subtract_pauses(a, min(b, end), closed, open_from):
                total += e - s
        return total

    def deadline(self, start: datetime, amount: timedelta, pauses=None) -> datetime | None:
        """The instant at which ``amount`` of working time has run from ``start``.

        ``None`` when a running pause stops the clock before then.
        """
        start = _aware(start, "start")
        if not isinstance(amount, timedelta):
            raise TypeError("the amount of working time must be a timedelta")
        if amount < _ZERO:
            raise ValueError("the amount of working time must not be negative")
        if amount == _ZERO:
            return start.astimezone(self.zone)
        closed, open_from = normalise_pauses(pauses)
        remaining = amount
        for a, b in self.windows(start):
            if open_from is not None and a >= open_from:
                return None
            for s, e in _subtract_pauses(a, b, closed, open_from):
                if remaining <= e - s:
                    return (s + remaining).astimezone(self.zone)
                remaining -= e - s

    def add_hours(self, start: datetime, hours: float, pauses=None) -> datetime | None:
        return self.deadline(start, timedelta(hours=hours), pauses)


def _hm(value) -> tuple[int, ...]:
    """A ``time`` or "HH:MM" string as (hour, minute, second, microsecond)."""
    if isinstance(value, time):
        if value.tzinfo is not None:
            raise ValueError("working hours are local times without a time zone")
        return value.hour, value.minute, value.second, value.microsecond
    if isinstance(value, str):
        try:
            h, m = value.split(":")
            return int(h), int(m)
        except ValueError as e:
            raise ValueError(f"working hours must look like 09:00, not {value!r}") from e
    raise TypeError("working hours are times or 'HH:MM' strings")


def _td(t: time) -> timedelta:
    return timedelta(hours=t.hour, minutes=t.minute, seconds=t.second, microseconds=t.microsecond)
