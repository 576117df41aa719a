"""The lead pool's recycling rule (公海回收): when a customer nobody works goes back to the pool.

A customer owned by a salesperson is *worked* when something happens to it: an interaction
is logged, one of its opportunities moves, or it changes hands (the claim or assignment
starts the clock afresh). Its *last activity* is the latest of these. With ``N`` the recycle
days of its value tier (gold, silver, bronze, do not serve, or none for a customer not yet
scored) and ``R`` the reminder days:

- ``return_at = last_activity + N days``: on or after it the customer goes back to the pool;
- ``remind_at = return_at − R days``: from it on (and before ``return_at``) the owner is
  reminded that the customer will go back;
- ``N`` of 0 or None: never recycled.

Dates in, a decision out; no Django. :func:`cutoffs` is the same rule in bulk
(``last_activity ≤ now − N days``), which ``kehu.sales.pool.pool_recycle`` applies to every
owned customer's last activity; the recycle is tested against :func:`recycle_decision`
customer by customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

TIERS = ("gold", "silver", "bronze", "do_not_serve", "none")

KEEP = "keep"
REMIND = "remind"
RETURN = "return"


@dataclass(frozen=True)
class RecycleDecision:
    action: str                      # keep, remind or return
    return_at: dt.datetime | None    # None: never recycled
    remind_at: dt.datetime | None


def tier_key(tier: str | None) -> str:
    """The settings' key of a value tier: ``none`` for a customer without one."""
    return tier if tier in TIERS else "none"


def recycle_decision(*, last_activity: dt.datetime, now: dt.datetime, days: int | None,
                     reminder_days: int = 0) -> RecycleDecision:
    """What to do with one owned customer at ``now`` (see the module docstring)."""
    if not days or days <= 0:
        return RecycleDecision(KEEP, None, None)
    return_at = last_activity + dt.timedelta(days=days)
    remind_at = return_at - dt.timedelta(days=max(0, min(reminder_days or 0, days)))
    if now >= return_at:
        action = RETURN
    elif reminder_days and now >= remind_at:
        action = REMIND
    else:
        action = KEEP
    return RecycleDecision(action, return_at, remind_at)


def cutoffs(*, now: dt.datetime, days_by_tier: dict[str, int | None], reminder_days: int = 0
            ) -> dict[str, tuple[dt.datetime, dt.datetime] | None]:
    """Per tier, ``(return_by, remind_by)``: a customer whose last activity is on or before
    ``return_by`` goes back; one whose last activity is on or before ``remind_by`` (but after
    ``return_by``) is reminded. None for a tier that is never recycled. The
    bulk form of :func:`recycle_decision` (``now ≥ last + N`` ⇔ ``last ≤ now − N``)."""
    out = {}
    for tier in TIERS:
        days = days_by_tier.get(tier)
        if not days or days <= 0:
            out[tier] = None
            continue
        ret = now - dt.timedelta(days=days)
        rem = ret + dt.timedelta(days=max(0, min(reminder_days or 0, days)))
        out[tier] = (ret, rem)
    return out
