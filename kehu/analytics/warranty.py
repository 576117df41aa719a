"""Warranty and the "three guarantees" (三包: 退货, 换货, 保修) of a sold item.

Pure functions over plain dates and numbers (no Django); the sales app stores the
terms on product lines (with a per-product override) and the cases app calls
:func:`warranty_state` to say at once whether a case's item is in warranty and
which remedy applies.

**Terms** (:class:`WarrantyTerms`): the warranty in months (free repair while it
runs), and the days after the purchase within which the customer may return the
item or exchange it for a defect. Any term may be unknown (``None``); zero means
"none" (no return for processed steel plate, say). A product's own terms override
its line's term by term (:func:`effective_terms`).

**Counting** follows the PRC Civil Code on periods (《民法典》第二百零一条、第二百零二条):
the day of purchase is not counted, the period starts the next day; a period in
days ends *N* days after the purchase; a period in months ends on the same day
of the month *N* months later, or on the last day of that month when it has no
such day. So a 7-day return right on an item bought on 1 March runs to 8 March
inclusive, and a one-month warranty bought on 31 January ends on 28 February
(29 February in a leap year). Each last day is included.

**The remedy** on a day (:func:`warranty_state`): return if the return period
runs, else exchange if the exchange period runs, else free repair if the
warranty runs, else none (``expired``). With no known term at all the state is
``unknown`` — never a guess.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

RETURN, EXCHANGE, REPAIR, EXPIRED, UNKNOWN = "return", "exchange", "repair", "expired", "unknown"


@dataclass(frozen=True)
class WarrantyTerms:
    """The 三包 terms of a product. ``None``: not set; ``0``: none."""

    warranty_months: int | None = None
    return_days: int | None = None
    exchange_days: int | None = None

    def __post_init__(self):
        for name in ("warranty_months", "return_days", "exchange_days"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a whole number ≥ 0 or None, not {value!r}")

    @property
    def known(self) -> bool:
        return any(v is not None for v in (self.warranty_months, self.return_days, self.exchange_days))


def effective_terms(line: WarrantyTerms | None, override: WarrantyTerms | None) -> WarrantyTerms:
    """The product's terms: each term the product sets itself, else its line's."""
    line = line or WarrantyTerms()
    override = override or WarrantyTerms()
    pick = (lambda own, inherited: own if own is not None else inherited)
    return WarrantyTerms(
        warranty_months=pick(override.warranty_months, line.warranty_months),
        return_days=pick(override.return_days, line.return_days),
        exchange_days=pick(override.exchange_days, line.exchange_days),
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day of the month ``months`` later, or that month's last day when it
    has no such day (31 January + 1 month = 28 or 29 February)."""
    if months < 0:
        raise ValueError("months must be ≥ 0")
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end_days(purchased: dt.date, days: int | None) -> dt.date | None:
    """The last day of a period of ``days`` days after the purchase; None when the
    term is not set or is zero (no such right)."""
    if not days:
        return None
    return purchased + dt.timedelta(days=days)


def period_end_months(purchased: dt.date, months: int | None) -> dt.date | None:
    """The last day of a warranty of ``months`` months; None when not set or zero."""
    if not months:
        return None
    return add_months(purchased, months)


@dataclass(frozen=True)
class WarrantyState:
    """Where an item stands on a day. ``remedy`` is the best one that applies:
    ``return``, ``exchange``, ``repair`` (free repair), ``expired`` or ``unknown``."""

    purchased: dt.date
    on: dt.date
    terms: WarrantyTerms
    warranty_until: dt.date | None
    return_until: dt.date | None
    exchange_until: dt.date | None
    can_return: bool
    can_exchange: bool
    free_repair: bool
    remedy: str

    @property
    def in_warranty(self) -> bool:
        """Any of the three guarantees still applies."""
        return self.can_return or self.can_exchange or self.free_repair


def warranty_state(purchased: dt.date, on: dt.date, terms: WarrantyTerms) -> WarrantyState:
    """The 三包 state on day ``on`` of an item bought on ``purchased`` under ``terms``.
    A day before the purchase counts as the purchase day (every right applies)."""
    if on < purchased:
        on = purchased
    warranty_until = period_end_months(purchased, terms.warranty_months)
    return_until = period_end_days(purchased, terms.return_days)
    exchange_until = period_end_days(purchased, terms.exchange_days)
    can_return = return_until is not None and on <= return_until
    can_exchange = exchange_until is not None and on <= exchange_until
    free_repair = warranty_until is not None and on <= warranty_until
    if can_return:
        remedy = RETURN
    elif can_exchange:
        remedy = EXCHANGE
    elif free_repair:
        remedy = REPAIR
    elif terms.known:
        remedy = EXPIRED
    else:
        remedy = UNKNOWN
    return WarrantyState(purchased=purchased, on=on, terms=terms, warranty_until=warranty_until,
                         return_until=return_until, exchange_until=exchange_until, can_return=can_return,
                         can_exchange=can_exchange, free_repair=free_repair, remedy=remedy)
