"""The points ledger's arithmetic (积分), pure: no Django, no database.

The ledger is append-only. Every change of a member's points is an entry with
signed ``points``; the balance is the sum of the entries and is never
negative. Positive entries (earn, bonus, a positive correction) are *lots*:
each keeps ``remaining``, the part of it not yet used, and an expiry date.
Negative entries (redeem, a negative correction, expiry) use up lots first in,
first out — the oldest lot (by date, then by entry id) first — so that

    sum(remaining of all lots) == sum(points of all entries) == balance

holds after every entry (tests/membership/test_ledger_properties.py).

Expiry on a day ``D`` takes every lot whose expiry date is on or before ``D``
and still has points remaining, oldest first, and writes one negative entry of
exactly the remaining points: what was already used is not expired again.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from typing import Iterable, Sequence


class InsufficientPoints(ValueError):
    """A use of points larger than the balance: the ledger would go negative."""

    def __init__(self, wanted: int, available: int):
        super().__init__(f"wanted {wanted}, available {available}")
        self.wanted = wanted
        self.available = available


@dataclass(frozen=True)
class Lot:
    """A positive entry with points still remaining."""

    id: int
    date: dt.date
    remaining: int
    expires_on: dt.date | None = None


def fifo_take(lots: Iterable[Lot], amount: int) -> list[tuple[int, int]]:
    """How ``amount`` points are taken from ``lots``: ``[(lot id, points taken)]``,
    oldest lot first (date, then id). Raises :class:`InsufficientPoints` when
    the lots hold fewer than ``amount`` points (nothing is taken then)."""
    if amount < 0:
        raise ValueError("amount must not be negative")
    ordered = sorted((lot for lot in lots if lot.remaining > 0), key=lambda lot: (lot.date, lot.id))
    available = sum(lot.remaining for lot in ordered)
    if amount > available:
        raise InsufficientPoints(amount, available)
    taken: list[tuple[int, int]] = []
    left = amount
    for lot in ordered:
        if left == 0:
            break
        take = min(lot.remaining, left)
        taken.append((lot.id, take))
        left -= take
    return taken


def expiring(lots: Iterable[Lot], on: dt.date) -> list[tuple[int, int]]:
    """The lots that expire on or before ``on``: ``[(lot id, remaining points)]``,
    oldest first. Lots without an expiry date never expire."""
    due = [lot for lot in lots if lot.remaining > 0 and lot.expires_on is not None and lot.expires_on <= on]
    return [(lot.id, lot.remaining) for lot in sorted(due, key=lambda lot: (lot.date, lot.id))]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; a day the target month lacks
    becomes its last day (31 January + 1 month = 28 or 29 February)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def points_for_amount(amount: Decimal, *, points_per_yuan: Decimal, multiplier: Decimal = Decimal(1),
                      tier_multiplier: Decimal = Decimal(1)) -> Decimal:
    """Points (not yet rounded) for ``amount`` yuan: amount × points per yuan ×
    the rule's multiplier × the tier's earn multiplier."""
    return Decimal(amount) * Decimal(points_per_yuan) * Decimal(multiplier) * Decimal(tier_multiplier)


def whole_points(value: Decimal) -> int:
    """Points are whole numbers: fractions are dropped (floor), never rounded up."""
    if value <= 0:
        return 0
    return int(Decimal(value).to_integral_value(rounding=ROUND_FLOOR))


def tier_for(thresholds: Sequence[tuple[object, Decimal]], measure: Decimal):
    """The tier a member's measure (rolling spend or points) reaches: of
    ``[(tier, threshold)]`` ordered by rank (lowest first), the highest whose
    threshold is at most ``measure``; the lowest tier when none is reached."""
    if not thresholds:
        return None
    chosen = thresholds[0][0]
    for tier, threshold in thresholds:
        if Decimal(measure) >= Decimal(threshold):
            chosen = tier
    return chosen


def running_balances(opening: int, points: Iterable[int]) -> list[int]:
    """The balance after each entry of a statement, starting from ``opening``."""
    out = []
    balance = opening
    for p in points:
        balance += p
        out.append(balance)
    return out
